/**
 * The server's clock as seen from this page.
 *
 * Countdowns must agree with the server, not with a laptop's drifting clock.
 * The `welcome` event gives a first estimate; each `ping` reply refines it
 * with the round trip halved (the sample with the smallest round trip wins,
 * as in NTP's clock filter).
 */
export class ServerClock {
  #offsetMs = 0;
  #bestRttMs = Infinity;

  /** Rough estimate from a server time read with unknown latency. */
  observe(serverIso, receivedAt = Date.now()) {
    const server = Date.parse(serverIso);
    if (Number.isNaN(server)) return;
    if (this.#bestRttMs === Infinity) this.#offsetMs = server - receivedAt;
  }

  /** Estimate from a ping sent at `sentAt` and answered at `receivedAt`. */
  observePing(serverIso, sentAt, receivedAt = Date.now()) {
    const server = Date.parse(serverIso);
    if (Number.isNaN(server)) return;
    const rtt = receivedAt - sentAt;
    // Older samples age out slowly so a changed route is picked up.
    this.#bestRttMs *= 1.05;
    if (rtt <= this.#bestRttMs) {
      this.#bestRttMs = rtt;
      this.#offsetMs = server - (sentAt + rtt / 2);
    }
  }

  /** Milliseconds to add to Date.now() to get the server's time. */
  get offsetMs() {
    return this.#offsetMs;
  }

  /** The server's time now, in epoch milliseconds. */
  now() {
    return Date.now() + this.#offsetMs;
  }
}

export const serverClock = new ServerClock();
