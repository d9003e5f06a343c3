/**
 * The logged-in session over one Connection: token in localStorage, auth on
 * every (re)connect, subscriptions resumed with `since`, clock pings.
 *
 * Ordered topics (`auction:ID`, `user:me`) carry a gapless seq: an event at
 * or below the last seq seen is a duplicate and dropped; one past a gap is
 * dropped too and the topic is resubscribed from the last seq seen, which
 * replays the missing events in order (docs/protocol.md "subscribe").
 */
import { Connection, ProtocolError, Status, defaultUrl } from "./connection.js";
import { serverClock } from "./clock.js";
import { Emitter } from "../lib/emitter.js";

export const TOKEN_KEY = "auctioneer.token";
const PING_EVERY_MS = 15_000;
const PING_TIMEOUT_MS = 10_000;

export { ProtocolError, Status };

export class Session extends Emitter {
  user = null;
  #subs = new Map(); // topic -> {ordered, lastSeq, onEvent, onError, resyncing}

  constructor(url = defaultUrl()) {
    super();
    this.conn = new Connection(url, { handshake: (conn) => this.#handshake(conn) });
    this.conn.on("welcome", (w) => w.server_time && serverClock.observe(w.server_time));
    this.conn.on("event", (e) => this.#onEvent(e));
    this.conn.on("status", (s) => this.emit("status", s));
    this.conn.on("ready", () => this.emit("ready"));
    setInterval(() => this.#ping(), PING_EVERY_MS);
  }

  start() {
    this.conn.start();
  }

  get status() {
    return this.conn.status;
  }

  get isAdmin() {
    return this.user?.role === "admin";
  }

  /** Send any protocol action; resolves with its result. */
  request(action, fields) {
    return this.conn.request(action, fields);
  }

  async register(username, password) {
    await this.request("register", { username, password });
    return this.login(username, password);
  }

  async login(username, password) {
    const result = await this.request("login", { username, password });
    localStorage.setItem(TOKEN_KEY, result.token);
    this.#setUser(result.user);
    return result.user;
  }

  async logout() {
    try {
      await this.request("logout", {});
    } finally {
      localStorage.removeItem(TOKEN_KEY);
      this.#setUser(null);
    }
  }

  /** Set a new password; every other session of this user ends, this one stays. */
  async changePassword(oldPassword, newPassword) {
    await this.request("change_password", { old_password: oldPassword, new_password: newPassword });
  }

  /** End every session of this user, on every device, this one too. */
  async logoutEverywhere() {
    try {
      await this.request("logout_everywhere", {});
    } finally {
      localStorage.removeItem(TOKEN_KEY);
      this.#setUser(null);
    }
  }

  /**
   * Follow a topic until the returned function is called.
   *
   * @param {string} topic
   * @param {{ordered?: boolean, since?: number, onEvent: Function, onError?: Function}} options
   *   `ordered` topics resume from the last seq seen; `since` is where to start.
   */
  subscribe(topic, { ordered = true, since = 0, onEvent, onError = () => {} }) {
    const sub = { ordered, lastSeq: since, onEvent, onError, resyncing: false };
    this.#subs.set(topic, sub);
    if (this.conn.status === Status.ONLINE) this.#sendSubscribe(topic, sub, false);
    return () => {
      if (this.#subs.get(topic) !== sub) return;
      this.#subs.delete(topic);
      // Offline, the server has already forgotten it; a queued unsubscribe
      // would cancel the next subscription to the same topic.
      if (this.conn.status === Status.ONLINE) this.request("unsubscribe", { topic }).catch(() => {});
    };
  }

  /** Whether a topic is followed now. */
  isSubscribed(topic) {
    return this.#subs.has(topic);
  }

  async #sendSubscribe(topic, sub, early) {
    const fields = sub.ordered ? { topic, since: sub.lastSeq } : { topic };
    try {
      await this.conn.request("subscribe", fields, { early });
    } catch (err) {
      if (err.code === "unavailable") throw err;
      if (this.#subs.get(topic) === sub) this.#subs.delete(topic);
      sub.onError(err);
    }
  }

  async #handshake(conn) {
    const token = localStorage.getItem(TOKEN_KEY);
    if (token) {
      try {
        const result = await conn.request("auth", { token }, { early: true });
        this.#setUser(result.user);
      } catch (err) {
        if (err.code === "unavailable") throw err;
        localStorage.removeItem(TOKEN_KEY);
        this.#setUser(null);
      }
    } else if (this.user) {
      this.#setUser(null);
    }
    const pending = [];
    for (const [topic, sub] of this.#subs) pending.push(this.#sendSubscribe(topic, sub, true));
    await Promise.all(pending);
    this.#ping(true);
  }

  #onEvent(event) {
    const sub = this.#subs.get(event.topic);
    if (!sub) return;
    if (sub.ordered && typeof event.seq === "number") {
      if (event.seq <= sub.lastSeq) return;
      if (event.seq > sub.lastSeq + 1) {
        this.#resync(event.topic, sub);
        return;
      }
      sub.lastSeq = event.seq;
    }
    sub.onEvent(event);
  }

  async #resync(topic, sub) {
    if (sub.resyncing) return;
    sub.resyncing = true;
    try {
      await this.request("unsubscribe", { topic });
      if (this.#subs.get(topic) === sub) await this.#sendSubscribe(topic, sub, false);
    } catch (err) {
      console.warn("resync failed", topic, err);
    } finally {
      sub.resyncing = false;
    }
  }

  async #ping(early = false) {
    if (!early && this.conn.status !== Status.ONLINE) return;
    const sentAt = Date.now();
    const timer = setTimeout(() => this.conn.drop(), PING_TIMEOUT_MS);
    try {
      const result = await this.conn.request("ping", {}, { early });
      serverClock.observePing(result.server_time, sentAt);
    } catch {
      // a lost connection is handled by the reconnect logic
    } finally {
      clearTimeout(timer);
    }
  }

  #setUser(user) {
    const before = JSON.stringify(this.user);
    this.user = user;
    if (JSON.stringify(user) !== before) this.emit("user", user);
  }
}
