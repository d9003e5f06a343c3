/**
 * The user's notifications, read from the `user:me` topic (outbid, won,
 * auction_lost, auto_bid_exhausted, and ending_soon for watched auctions). Subscribing with since=0 replays every
 * one of them, so they survive a reload; only fresh ones pop up as toasts.
 * Extensions of watched auctions come from the auction topics instead and
 * are shown but not kept.
 */
import { Emitter } from "../lib/emitter.js";
import { formatMoney } from "../lib/money.js";

const SEEN_KEY = "auctioneer.seen";
const FRESH_MS = 60_000;

export class Notifications extends Emitter {
  items = []; // newest first: {key, kind, auctionId, amount, at, seq}
  #stop = null;

  constructor(session, store) {
    super();
    this.session = session;
    this.store = store;
    session.on("user", (user) => this.#follow(user));
    store.on("notice", (notice) => this.#onNotice(notice));
  }

  start() {
    this.#follow(this.session.user);
  }

  /** Text for one notification, with the auction's current name. */
  describe(item) {
    const auction = this.store.auctions.get(item.auctionId);
    const name = auction?.name || item.name || `auction ${item.auctionId}`;
    const amount = item.amount !== undefined && item.amount !== null ? formatMoney(item.amount) : null;
    switch (item.kind) {
      case "outbid":
        return amount ? `You were outbid on ${name}: the price is now ${amount}.` : `You were outbid on ${name}.`;
      case "won":
        if (item.buyNow) return `You won ${name}: bought with Buy now for ${amount}.`;
        return amount ? `You won ${name} for ${amount}!` : `You won ${name}!`;
      case "auction_lost":
        return amount ? `You lost ${name}: it sold for ${amount}.` : `You lost ${name}: the auction has ended.`;
      case "auto_bid_exhausted":
        return item.maxAmount
          ? `Your auto-bid maximum of ${formatMoney(item.maxAmount)} on ${name} has been passed.`
          : `Your auto-bid maximum on ${name} has been passed.`;
      case "ending_soon":
        return `${name} ends in ${inWords(item.thresholdS)}: ${amount ? `the bid is ${amount}` : "no bid yet"}.`;
      case "extended":
        return `${name} was extended: more time to bid.`;
      default:
        return `${name}: ${item.kind.replace(/_/g, " ")}`;
    }
  }

  #follow(user) {
    this.#stop?.();
    this.#stop = null;
    this.items = [];
    this.emit("change");
    if (!user) return;
    const seenKey = `${SEEN_KEY}.${user.id}`;
    this.#stop = this.session.subscribe("user:me", {
      since: 0,
      onEvent: (event) => {
        const item = fromEvent(event);
        this.items.unshift(item);
        // Watching is not bidding: an ending-soon notice does not make it "mine".
        if (item.auctionId !== undefined && item.kind !== "ending_soon") this.store.markMine(item.auctionId);
        this.emit("change");
        const seen = Number(localStorage.getItem(seenKey) || 0);
        const fresh = Date.now() - (Date.parse(event.at) || Date.now()) < FRESH_MS;
        if (event.seq > seen) {
          localStorage.setItem(seenKey, String(event.seq));
          if (fresh) this.emit("toast", item);
        }
      },
    });
  }

  #onNotice(notice) {
    if (notice.kind !== "extended") return;
    if (!this.store.mine.has(notice.auctionId) && location.hash !== `#/auction/${notice.auctionId}`) return;
    this.emit("toast", { key: `ext-${notice.auctionId}-${notice.endsAt}`, kind: "extended", auctionId: notice.auctionId });
  }
}

function fromEvent(event) {
  const data = event.data || {};
  return {
    key: `me-${event.seq}`,
    kind: event.event,
    auctionId: data.auction_id ?? data.auction?.id,
    name: data.name ?? data.auction_name ?? data.auction?.name,
    amount: data.price ?? data.amount ?? data.current_bid,
    maxAmount: data.max_amount,
    buyNow: Boolean(data.buy_now),
    thresholdS: data.threshold_s,
    at: event.at,
    seq: event.seq,
  };
}

/** 300 -> "5 minutes", 60 -> "1 minute", 45 -> "45 seconds". */
function inWords(seconds) {
  if (!Number.isInteger(seconds) || seconds <= 0) return "a moment";
  const [count, unit] = seconds % 60 === 0 ? [seconds / 60, "minute"] : [seconds, "second"];
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}
