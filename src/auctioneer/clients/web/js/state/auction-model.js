/**
 * Pure helpers over auction objects (docs/protocol.md "Auction fields"): folding
 * pushed events into the object a page shows, the minimum next bid, and a
 * bidder's own standing.
 */
import { parseTime } from "../lib/time.js";

/**
 * The lowest bid the server will accept now, as the server states it
 * (docs/protocol.md: `minimum_bid` in every auction object and in the events
 * that change it). The page never recomputes the rule; null when not stated.
 */
export function minimumBid(auction) {
  if (!auction) return null;
  return typeof auction.minimum_bid === "number" ? auction.minimum_bid : null;
}

/** Whether buy-now can be used now, as the server states it (`buy_now_available`). */
export function buyNowAvailable(auction) {
  return Boolean(auction?.buy_now_available);
}

/** Whether the auction is finished. */
export function isFinished(auction) {
  return auction?.status === "closed" || auction?.status === "cancelled";
}

/** The paddle string ("#7") of a user object. */
export function paddleOf(user) {
  return user && user.paddle !== undefined && user.paddle !== null ? `#${user.paddle}` : null;
}

/** Whether `paddle` won at least one unit of the auction. */
export function isWinner(auction, paddle) {
  if (!paddle || !auction) return false;
  if (auction.winner === paddle) return true;
  return (auction.sales || []).some((sale) => sale.winner === paddle);
}

/**
 * The bidder's standing: "leading", "outbid", "won", "lost", or null when
 * they have not bid. `hasBid` says whether they placed any bid on it.
 */
export function standing(auction, paddle, hasBid) {
  if (!auction || !paddle) return null;
  if (isFinished(auction)) {
    if (isWinner(auction, paddle)) return "won";
    return hasBid ? "lost" : null;
  }
  if (auction.leader === paddle) return "leading";
  return hasBid ? "outbid" : null;
}

/** The soft-close cap: an auction with one states it at each round's start and extension. */
const CAP_FIELDS = ["end_cap", "cap_reached"];

/** Fold one `auction:ID` event into the auction object (returns a new object). */
export function applyEvent(auction, event) {
  const data = event.data || {};
  const next = { ...auction };
  if (typeof event.seq === "number") next.seq = Math.max(auction.seq ?? 0, event.seq);
  switch (event.event) {
    case "auction_created":
    case "auction_updated":
      if (data.id === auction.id) return { ...next, ...data, seq: next.seq };
      return { ...next, ...pick(data, ["name", "description", "public", "status", "ends_at", "images"]) };
    case "auction_opened":
      next.status = data.status ?? "open";
      if (data.ends_at !== undefined) next.ends_at = data.ends_at;
      if (data.starts_at !== undefined) next.starts_at = data.starts_at;
      if (data.minimum_bid !== undefined) next.minimum_bid = data.minimum_bid;
      if (data.passes_at !== undefined) next.passes_at = data.passes_at;
      if (data.buy_now_available !== undefined) next.buy_now_available = data.buy_now_available;
      Object.assign(next, pick(data, CAP_FIELDS));
      return next;
    case "bid_placed":
      next.current_bid = data.current_bid ?? data.amount;
      next.leader = data.leader ?? data.bidder;
      if (data.ends_at !== undefined) next.ends_at = data.ends_at;
      next.bid_count = data.bid_count ?? (auction.bid_count ?? 0) + 1;
      next.minimum_bid = data.minimum_bid ?? null;
      next.passes_at = null;
      next.buy_now_available = false;
      return next;
    case "auction_extended":
      next.ends_at = data.ends_at;
      Object.assign(next, pick(data, CAP_FIELDS));
      return next;
    case "reserve_met":
      next.reserve_met = true;
      return next;
    case "unit_sold": {
      const sale = { round: data.round, winner: data.winner, price: data.price };
      next.sales = [...(auction.sales || []), sale];
      next.units_left = data.units_left;
      next.winner = data.winner;
      next.price = data.price;
      if (data.ends_at !== undefined) next.ends_at = data.ends_at;
      if (data.units_left > 0) {
        next.round = (data.round ?? auction.round ?? 1) + 1;
        next.minimum_bid = data.minimum_bid ?? null;
        next.passes_at = data.passes_at ?? null;
        next.current_bid = null;
        next.leader = null;
        next.reserve_met = false;
        next.buy_now_available = Boolean(data.buy_now_available);
        Object.assign(next, pick(data, CAP_FIELDS));
      } else {
        next.buy_now_available = false;
      }
      return next;
    }
    case "auction_closed":
      next.status = data.status ?? (data.reason === "cancelled" ? "cancelled" : "closed");
      next.minimum_bid = null;
      next.winner = data.winner ?? null;
      next.price = data.price ?? null;
      next.close_reason = data.reason;
      next.buy_now_available = false;
      return next;
    case "auction_deleted":
      next.deleted = true;
      next.buy_now_available = false;
      return next;
    default:
      return next;
  }
}

/** A bid object built from a `bid_placed` event (docs/protocol.md "A bid object"). */
export function bidFromEvent(event, round) {
  const data = event.data || {};
  return {
    seq: event.seq,
    amount: data.amount,
    bidder: data.bidder,
    auto: Boolean(data.auto),
    at: event.at,
    round: data.round ?? round ?? 1,
  };
}

/** The moment the countdown aims at, or null (a countdown not yet started). */
export function deadline(auction) {
  if (!auction) return null;
  if (auction.status === "scheduled") return parseTime(auction.starts_at);
  return parseTime(auction.ends_at);
}

/** When an open lot with no end and no bid passes unsold (the server's `passes_at`), or null. */
export function passesAt(auction) {
  if (!auction || auction.status !== "open" || auction.ends_at) return null;
  return parseTime(auction.passes_at);
}

/** A short, plain-language status label. */
export function statusLabel(auction) {
  switch (auction?.status) {
    case "scheduled":
      return "Upcoming";
    case "open":
      return "Open";
    case "closed":
      return "Closed";
    case "cancelled":
      return "Cancelled";
    default:
      return auction?.status || "";
  }
}

/** A bidder's standing in words ("You are leading", ...). */
export function standingText(kind) {
  return { leading: "You are leading", outbid: "You were outbid", won: "You won", lost: "You lost" }[kind] || "";
}

function pick(obj, keys) {
  const out = {};
  for (const key of keys) if (obj[key] !== undefined) out[key] = obj[key];
  return out;
}
