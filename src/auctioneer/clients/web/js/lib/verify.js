/**
 * A bidder's check of an auction's public log, in the browser: the hash chain
 * (SHA-256 with the Web Crypto API) and the public rules. The same checks as
 * the command line's `auctioneer audit --server` (docs/protocol.md "The
 * tamper-evident log"), and the last hash this browser saw live per auction,
 * kept in localStorage.
 */

export const GENESIS = "0".repeat(64);
const SEEN_KEY = "auctioneer.seen.";

/** Keys sorted at every level, no whitespace: the canonical JSON of a value. */
function sorted(value) {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== "object") return value;
  const out = {};
  for (const key of Object.keys(value).sort()) out[key] = sorted(value[key]);
  return out;
}

/** The text an event is hashed over: without `hash` and `data.log_hash`. */
export function canonical(event) {
  const { hash, ...body } = event;
  if (body.data && typeof body.data === "object" && "log_hash" in body.data) {
    const { log_hash, ...data } = body.data;
    body.data = data;
  }
  return JSON.stringify(sorted(body));
}

/** An event's hash (hex): SHA-256 over the previous hash's hex and its canonical text. */
export async function link(previous, canonicalText) {
  if (!globalThis.crypto?.subtle) throw new Error("this page cannot hash (it needs HTTPS)");
  const bytes = new TextEncoder().encode(previous + canonicalText);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Remember the newest hash seen live of an auction (an event's, or an auction's head). */
export function noteSeen(auctionId, seq, hash) {
  if (typeof hash !== "string" || typeof seq !== "number") return;
  try {
    const known = JSON.parse(localStorage.getItem(SEEN_KEY + auctionId) || "null");
    if (Array.isArray(known) && known[0] > seq) return;
    localStorage.setItem(SEEN_KEY + auctionId, JSON.stringify([seq, hash]));
  } catch {
    // storage full or blocked: the check then runs without a seen hash
  }
}

export function lastSeen(auctionId) {
  try {
    const known = JSON.parse(localStorage.getItem(SEEN_KEY + auctionId) || "null");
    return Array.isArray(known) ? known[1] : null;
  } catch {
    return null;
  }
}

/**
 * Check a `get_log` result. `logHash`: the head the auction object showed;
 * `seen`: a hash this browser saw live. Returns {ok, problems, head, events}.
 */
export async function verifyLog(log, { logHash = undefined, seen = null } = {}) {
  const problems = [];
  const events = Array.isArray(log?.events) ? log.events : null;
  if (!events) return { ok: false, problems: ["the answer has no list of events"], head: null, events: 0 };
  const hashes = [];
  let previous = GENESIS;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e?.seq !== i + 1) {
      problems.push(`${where(e)}: expected seq ${i + 1}`);
      break;
    }
    if (e.hash !== (await link(previous, canonical(e)))) {
      problems.push(`${where(e)}: its hash does not match (changed or missing)`);
      break;
    }
    previous = e.hash;
    hashes.push(previous);
  }
  const published = log.log_hash;
  if (logHash && !hashes.includes(logHash)) {
    problems.push(`the auction shows log_hash ${logHash.slice(0, 16)}, which is not in its log`);
  }
  const sealed = events.filter((e) => e?.event === "auction_closed").map((e) => e.hash);
  const head = sealed.length ? sealed[0] : hashes.length ? hashes[hashes.length - 1] : null;
  if (published !== head) problems.push(`the published log_hash ${published} is not the chain's ${head}`);
  if (seen && !hashes.includes(seen)) problems.push(`the hash you saw live (${seen.slice(0, 16)}) is not in this log`);
  if (!problems.length) checkRules(events, problems);
  return { ok: problems.length === 0, problems, head, events: events.length };
}

function where(e) {
  return e && typeof e === "object" ? `seq ${e.seq} (${e.event})` : "an event that is not an object";
}

/** The next bid at the same moment as events[i] (an extension may come between). */
function nextBid(events, i) {
  for (const e of events.slice(i + 1)) {
    if (e.at !== events[i].at) return null;
    if (e.event === "bid_placed") return e;
  }
  return null;
}

/** The public rules (docs/protocol.md; clients/verify.py states them the same way). */
function checkRules(events, problems) {
  let hasReserve = false;
  let buyNow = null;
  let startingBid = 0;
  let minimum = null;
  let leader = null;
  let amount = null;
  let reserveMet = false;
  let sale = null;
  const fail = (e, problem) => problems.push(`${where(e)}: ${problem}`);
  const newRound = () => {
    leader = null;
    amount = null;
    reserveMet = false;
  };
  for (let i = 0; i < events.length && !problems.length; i++) {
    const e = events[i];
    const data = e.data || {};
    const before = minimum;
    if ("minimum_bid" in data) minimum = data.minimum_bid;
    if (e.event === "auction_created") {
      hasReserve = Boolean(data.has_reserve);
      buyNow = data.buy_now ?? null;
      startingBid = data.starting_bid || 0;
    } else if (e.event === "bid_placed") {
      const value = data.amount;
      if (!Number.isInteger(value)) {
        fail(e, "a bid without an amount");
        continue;
      }
      if (data.auto) {
        if ((amount !== null && value < amount) || value < startingBid) fail(e, `an automatic bid of ${value} lowers the price`);
      } else if (before === null || before === undefined || value < before) {
        fail(e, `a bid of ${value} below the minimum ${before}`);
      }
      if (data.bidder !== null && data.bidder === leader) {
        const following = nextBid(events, i);
        const beaten = following !== null && following.data?.bidder !== data.bidder;
        if (!(data.auto && beaten)) fail(e, `the leader ${data.bidder} outbid itself`);
      }
      leader = data.bidder;
      amount = value;
    } else if (e.event === "auction_extended") {
      if (i === 0 || events[i - 1].event !== "bid_placed") fail(e, "an extension without a bid just before it");
    } else if (e.event === "reserve_met") {
      reserveMet = true;
    } else if (e.event === "unit_sold") {
      if (data.buy_now) {
        if (amount !== null || data.price !== buyNow) fail(e, `bought now at ${data.price}: not the buy-now price of a round unbid`);
      } else if (data.winner !== leader || data.price !== amount) {
        fail(e, `sold to ${data.winner} at ${data.price}, the last bid was ${amount}`);
      } else if (hasReserve && !reserveMet) {
        fail(e, "sold below the reserve");
      }
      sale = [data.winner, data.price];
      newRound();
    } else if (e.event === "auction_closed") {
      const winner = data.winner ?? null;
      const price = data.price ?? null;
      if (winner === null && price === null) {
        const unsold = (data.reason === "ended" || data.reason === "admin") && amount !== null;
        if (unsold && (!hasReserve || reserveMet)) fail(e, `closed with nobody winning the last bid ${amount}`);
      } else if (!sale || sale[0] !== winner || sale[1] !== price) {
        fail(e, `closed naming ${winner} at ${price}, not the unit just sold`);
      }
    }
  }
}
