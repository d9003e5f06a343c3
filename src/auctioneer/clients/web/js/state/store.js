/**
 * What the pages show, kept current from the server: every visible auction
 * (from `get_auctions` plus the `auctions` feed), the bids of the auctions
 * being watched (from `auction:ID` with seq resume), and which auctions the
 * user has bid on.
 *
 * Views read from here and listen for: "auctions" (the list changed),
 * "auction" (id), "bids" (id), "mine" (participation changed), "watchlist"
 * (the user's watchlist changed), "notice" (a transient message such as an
 * extension).
 */
import { Emitter } from "../lib/emitter.js";
import { applyEvent, bidFromEvent, paddleOf } from "./auction-model.js";
import { noteSeen } from "../lib/verify.js";

export class Store extends Emitter {
  auctions = new Map(); // id -> auction
  bids = new Map(); // id -> bids, newest first
  mine = new Set(); // ids of auctions the user bid on
  watchlist = new Set(); // ids of auctions on the user's watchlist (the server's)
  #watchers = new Map(); // id -> {count, stop}
  #stopFeed = null;
  #refreshTimers = new Map();
  #usernames = new Map(); // paddle -> username, learnt from admin replies

  constructor(session) {
    super();
    this.session = session;
    session.on("user", () => this.#onUserChanged());
    session.on("ready", () => {
      this.refreshAuctions();
      this.refreshWatchlist();
    });
  }

  /** Reload the user's watchlist (empty when logged out). */
  async refreshWatchlist() {
    if (!this.session.user) {
      this.watchlist = new Set();
      this.emit("watchlist");
      return;
    }
    try {
      const { auction_ids: ids } = await this.session.request("get_watchlist", {});
      this.watchlist = new Set(ids || []);
      this.emit("watchlist");
    } catch (err) {
      console.warn("get_watchlist failed", err);
    }
  }

  /** Put an auction on the watchlist or take it off (on the server); throws if refused. */
  async setWatching(id, on) {
    await this.session.request(on ? "watch_auction" : "unwatch_auction", { auction_id: id });
    if (on) this.watchlist.add(id);
    else this.watchlist.delete(id);
    this.emit("watchlist");
  }

  start() {
    this.#followFeed();
  }

  get myPaddle() {
    return paddleOf(this.session.user);
  }

  /** Reload the whole list (after connect, login, reconnect). */
  async refreshAuctions() {
    try {
      const { auctions } = await this.session.request("get_auctions", {});
      const seen = new Set();
      for (const auction of auctions || []) {
        seen.add(auction.id);
        this.#put(auction, { force: true, quiet: true });
      }
      for (const id of [...this.auctions.keys()]) if (!seen.has(id)) this.auctions.delete(id);
      this.#noteLeadingAuctions();
      this.emit("auctions");
    } catch (err) {
      console.warn("get_auctions failed", err);
    }
  }

  /** Fetch one auction now (also for admins' usernames). */
  async refreshAuction(id) {
    const { auction, bids } = await this.session.request("get_auction", { auction_id: id });
    this.#put(auction, { force: true });
    this.#mergeBids(id, bids || []);
    return auction;
  }

  /**
   * Follow one auction live; returns the function that stops following.
   * Loads its state and bid history, then subscribes from that seq.
   */
  watch(id) {
    const entry = this.#watchers.get(id);
    if (entry) {
      entry.count += 1;
    } else {
      const fresh = { count: 1, stop: null, stopped: false };
      this.#watchers.set(id, fresh);
      this.#startWatching(id, fresh);
    }
    return () => {
      const current = this.#watchers.get(id);
      if (!current) return;
      current.count -= 1;
      if (current.count > 0) return;
      current.stopped = true;
      current.stop?.();
      this.#watchers.delete(id);
    };
  }

  /** Load every bid of an auction (up to `max`), for history, charts and analytics. */
  async loadAllBids(id, max = 5000) {
    let before;
    const all = [];
    while (all.length < max) {
      const fields = { auction_id: id, limit: 500 };
      if (before !== undefined) fields.before_seq = before;
      const { bids } = await this.session.request("get_bids", fields);
      if (!bids || bids.length === 0) break;
      all.push(...bids);
      before = bids[bids.length - 1].seq;
      if (bids.length < 500) break;
    }
    this.#mergeBids(id, all);
    return this.bids.get(id) || [];
  }

  /** Record that the user bid on an auction (from a reply or a notification). */
  markMine(id) {
    if (id === undefined || id === null || this.mine.has(id)) return;
    this.mine.add(id);
    this.emit("mine");
  }

  /** Put an auction object returned by a write reply. */
  putAuction(auction) {
    this.#put(auction, { force: true });
  }

  /** Forget an auction (deleted). */
  removeAuction(id) {
    if (id === undefined || id === null) return;
    this.auctions.delete(id);
    this.emit("auctions");
    this.emit("auction", id);
  }

  async #startWatching(id, entry) {
    let auction;
    try {
      auction = await this.refreshAuction(id);
      if ((auction.bid_count ?? 0) > (this.bids.get(id) || []).length) await this.loadAllBids(id);
    } catch (err) {
      this.emit("watch_error", id, err);
      return;
    }
    if (entry.stopped) return;
    noteSeen(id, auction.seq, auction.log_hash); // for "Verify this auction"
    entry.stop = this.session.subscribe(`auction:${id}`, {
      since: auction.seq ?? 0,
      onEvent: (event) => this.#onAuctionEvent(id, event),
      onError: (err) => this.emit("watch_error", id, err),
    });
  }

  #onAuctionEvent(id, event) {
    noteSeen(id, event.seq, event.hash);
    const before = this.auctions.get(id);
    if (!before) return;
    const after = applyEvent(before, event);
    // Deleted, or made private while we are not an admin: the server ends
    // the subscription after this event.
    if (event.event === "auction_deleted" || (after.public === false && !this.session.isAdmin)) {
      this.removeAuction(id);
      return;
    }
    const folded = dropStaleUsernames(before, after);
    for (const [paddle, username] of PEOPLE) {
      if (folded[paddle]) folded[username] ??= this.#usernames.get(folded[paddle]);
    }
    this.auctions.set(id, folded);
    if (event.event === "bid_placed") {
      const bid = bidFromEvent(event, before.round);
      this.#mergeBids(id, [bid]);
      if (bid.bidder === this.myPaddle) this.markMine(id);
    }
    if (event.event === "auction_extended" && worthTelling(folded, this.myPaddle)) {
      this.emit("notice", { kind: "extended", auctionId: id, endsAt: event.data?.ends_at });
    }
    const unknownBidder = event.event === "bid_placed" && !this.#usernames.has(event.data?.bidder);
    if (this.session.isAdmin && (unknownBidder || this.#missingUsername(id))) this.#scheduleRefresh(id);
    this.emit("auction", id);
    this.emit("auctions");
  }

  #followFeed() {
    this.#stopFeed?.();
    this.#stopFeed = this.session.subscribe("auctions", {
      ordered: false,
      onEvent: (event) => {
        if (event.event === "auction_hidden") {
          // Made private or deleted (docs/protocol.md "Topics and events").
          this.removeAuction(event.data?.auction_id);
          return;
        }
        if (event.event !== "auction_summary" || !event.data) return;
        const data = event.data;
        if (data.deleted || data.status === "deleted") {
          this.removeAuction(data.id);
          return;
        }
        this.#put(data);
        if (this.session.isAdmin && this.#missingUsername(data.id)) this.#scheduleRefresh(data.id);
      },
    });
  }

  #put(auction, { force = false, quiet = false } = {}) {
    if (!auction || auction.id === undefined) return;
    const before = this.auctions.get(auction.id);
    if (before && !force && (auction.seq ?? 0) < (before.seq ?? 0)) return;
    const merged = mergeAuction(before, auction);
    for (const [paddle, username] of PEOPLE) {
      if (merged[paddle] && merged[username]) this.#usernames.set(merged[paddle], merged[username]);
    }
    this.auctions.set(auction.id, merged);
    if (auction.leader && auction.leader === this.myPaddle) this.markMine(auction.id);
    if (!quiet) {
      this.emit("auction", auction.id);
      this.emit("auctions");
    }
  }

  #mergeBids(id, incoming) {
    const bySeq = new Map((this.bids.get(id) || []).map((bid) => [bid.seq, bid]));
    for (const bid of incoming) {
      if (bid.username) this.#usernames.set(bid.bidder, bid.username);
      const merged = { ...bySeq.get(bid.seq), ...bid };
      merged.username ??= this.#usernames.get(bid.bidder);
      bySeq.set(bid.seq, merged);
    }
    const merged = [...bySeq.values()].sort((a, b) => b.seq - a.seq);
    this.bids.set(id, merged);
    const paddle = this.myPaddle;
    if (paddle && incoming.some((bid) => bid.bidder === paddle)) this.markMine(id);
    this.emit("bids", id);
  }

  #missingUsername(id) {
    const auction = this.auctions.get(id);
    return Boolean(auction && PEOPLE.some(([paddle, username]) => auction[paddle] && !auction[username]));
  }

  #scheduleRefresh(id) {
    clearTimeout(this.#refreshTimers.get(id));
    this.#refreshTimers.set(
      id,
      setTimeout(() => this.refreshAuction(id).catch(() => {}), 250),
    );
  }

  #noteLeadingAuctions() {
    const paddle = this.myPaddle;
    if (!paddle) return;
    for (const auction of this.auctions.values()) {
      if (auction.leader === paddle || auction.winner === paddle) this.mine.add(auction.id);
    }
  }

  #onUserChanged() {
    this.mine = new Set();
    this.refreshWatchlist();
    this.#usernames.clear();
    this.emit("mine");
    // What a connection may see depends on who it is: follow the feed again.
    this.#followFeed();
    this.refreshAuctions();
    for (const id of this.#watchers.keys()) this.refreshAuction(id).catch(() => {});
  }
}

const PEOPLE = [
  ["leader", "leader_username"],
  ["winner", "winner_username"],
];

/**
 * Merge a fresh auction object (a reply or an `auction_summary`) into the
 * one held. Events and summaries carry paddles only (docs/protocol.md
 * "identity"): an admin's username stays while its paddle is unchanged.
 */
function mergeAuction(before, incoming) {
  const out = { ...(before || {}), ...incoming };
  if (!before) return out;
  for (const [paddle, username] of PEOPLE) {
    if (incoming[username] === undefined || incoming[username] === null) {
      out[username] = out[paddle] === before[paddle] ? before[username] : undefined;
    }
  }
  return out;
}

/** After folding an event: drop usernames whose paddle changed. */
function dropStaleUsernames(before, after) {
  const out = { ...after };
  for (const [paddle, username] of PEOPLE) {
    if (out[paddle] !== before[paddle]) out[username] = undefined;
  }
  return out;
}

/**
 * Whether an extension is news: not when it follows your own bid, and not
 * on a pure countdown lot where every bid resets the clock by design.
 */
function worthTelling(auction, myPaddle) {
  if (auction.leader && auction.leader === myPaddle) return false;
  return !(auction.countdown_s && !auction.duration_s && !auction.soft_close_s);
}
