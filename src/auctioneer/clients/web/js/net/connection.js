/**
 * One WebSocket to the server, kept open: request/reply by id, pushed events,
 * reconnect with backoff.
 *
 * Requests made while the socket is down wait in a queue; a request that was
 * sent but not answered when the socket dropped is sent again, with the same
 * id, once the connection is back (docs/protocol.md rule 10 makes that safe for
 * writes). After each (re)connect the `handshake` callback runs first (auth,
 * resubscribe) with requests marked `early`, then the queue is flushed.
 */
import { backoff } from "./backoff.js";
import { Emitter } from "../lib/emitter.js";

export const Status = Object.freeze({
  CONNECTING: "connecting",
  ONLINE: "online",
  RECONNECTING: "reconnecting",
});

/** A protocol error reply: `code` is the stable code of docs/protocol.md. */
export class ProtocolError extends Error {
  constructor(error) {
    super(error?.message || error?.code || "Request failed");
    this.code = error?.code || "internal";
    this.details = error || {};
  }
}

function newId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 12)}`;
}

export function defaultUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

export class Connection extends Emitter {
  #url;
  #socket = null;
  #ready = false;
  #queue = []; // requests waiting for a ready connection
  #inflight = new Map(); // id -> request, sent on the current socket
  #delays = backoff();
  #handshake;
  #retryTimer = null;
  status = Status.CONNECTING;

  /**
   * @param {string} url ws(s)://host/ws
   * @param {{handshake: (conn: Connection) => Promise<void>}} options
   */
  constructor(url, { handshake }) {
    super();
    this.#url = url;
    this.#handshake = handshake;
  }

  start() {
    this.#open();
  }

  /**
   * Send an action and resolve with its `result`, or reject with a
   * ProtocolError. `early` requests skip the queue (handshake only).
   */
  request(action, fields = {}, { early = false } = {}) {
    return new Promise((resolve, reject) => {
      const req = { id: newId(), message: { action, ...fields }, resolve, reject, early };
      if (this.#canSend(req)) this.#send(req);
      else if (early) reject(new ProtocolError({ code: "unavailable", message: "Not connected" }));
      else this.#queue.push(req);
    });
  }

  /** Drop the socket on purpose (tests, "network lost" simulation). */
  drop() {
    this.#socket?.close();
  }

  #canSend(req) {
    return this.#socket?.readyState === WebSocket.OPEN && (this.#ready || req.early);
  }

  #send(req) {
    this.#inflight.set(req.id, req);
    this.#socket.send(JSON.stringify({ id: req.id, ...req.message }));
  }

  #setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.emit("status", status);
  }

  #open() {
    clearTimeout(this.#retryTimer);
    let socket;
    try {
      socket = new WebSocket(this.#url);
    } catch (err) {
      // The browser refused to even try (a Content-Security-Policy, a bad
      // URL): that is a failed attempt too, so try again after the backoff.
      console.warn("cannot open the socket", err);
      this.#setStatus(Status.RECONNECTING);
      this.#retryTimer = setTimeout(() => this.#open(), this.#delays.next().value);
      return;
    }
    this.#socket = socket;
    this.#ready = false;
    socket.addEventListener("message", (msg) => this.#onMessage(socket, msg));
    socket.addEventListener("close", () => this.#onClose(socket));
    socket.addEventListener("error", () => {
      socket.close();
      // A socket the browser refused to open (a Content-Security-Policy)
      // is CLOSED at once and fires no "close" event: treat it as closed
      // here, or it would never be retried. (#onClose runs once per socket.)
      if (socket.readyState === WebSocket.CLOSED) this.#onClose(socket);
    });
  }

  #onMessage(socket, msg) {
    if (socket !== this.#socket) return;
    let data;
    try {
      data = JSON.parse(msg.data);
    } catch {
      return;
    }
    if (data.event === "welcome") {
      this.emit("welcome", data.data || {});
      this.#runHandshake(socket);
    } else if (data.event) {
      this.emit("event", data);
    } else if (data.id && this.#inflight.has(data.id)) {
      const req = this.#inflight.get(data.id);
      this.#inflight.delete(data.id);
      if (data.ok) req.resolve(data.result || {});
      else req.reject(new ProtocolError(data.error));
    }
  }

  async #runHandshake(socket) {
    try {
      await this.#handshake(this);
    } catch (err) {
      console.warn("handshake failed", err);
      if (socket === this.#socket) socket.close();
      return;
    }
    if (socket !== this.#socket || socket.readyState !== WebSocket.OPEN) return;
    this.#ready = true;
    this.#delays = backoff();
    this.#setStatus(Status.ONLINE);
    this.emit("ready");
    const waiting = this.#queue;
    this.#queue = [];
    for (const req of waiting) this.#send(req);
  }

  #onClose(socket) {
    if (socket !== this.#socket) return;
    this.#socket = null;
    this.#ready = false;
    // Unanswered requests go back to the front of the queue, same ids.
    const unanswered = [...this.#inflight.values()];
    this.#inflight.clear();
    for (const req of unanswered) {
      if (req.early) req.reject(new ProtocolError({ code: "unavailable", message: "Connection lost" }));
    }
    this.#queue = [...unanswered.filter((r) => !r.early), ...this.#queue];
    this.#setStatus(Status.RECONNECTING);
    this.emit("down");
    this.#retryTimer = setTimeout(() => this.#open(), this.#delays.next().value);
  }
}
