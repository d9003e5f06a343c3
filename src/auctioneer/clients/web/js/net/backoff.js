/**
 * Reconnect delays as a pure generator (after websockets' client.py backoff()).
 *
 * Yields milliseconds: a quick first retry, then exponential growth with
 * jitter up to `maxMs`, so a server restart is not hit by every tab at once.
 */
export function* backoff({ initialMs = 300, factor = 1.7, maxMs = 10_000, random = Math.random } = {}) {
  let delay = initialMs;
  for (;;) {
    yield Math.round(delay * (0.8 + 0.4 * random()));
    delay = Math.min(maxMs, delay * factor);
  }
}
