/**
 * Auction-house analytics computed from `get_auctions` and `get_bids`
 * (pure functions, no DOM): bids over time, unique bidders, sell-through,
 * revenue, average final price against starting price, and CSV rows.
 */
import { moneyInputValue } from "./money.js";

const BUCKETS_MS = [10e3, 60e3, 5 * 60e3, 15 * 60e3, 3600e3, 6 * 3600e3, 86400e3, 7 * 86400e3];
const MAX_BUCKETS = 24;

/** Units sold by one auction: [{round, winner, price}] (single-unit: winner/price). */
export function salesOf(auction) {
  if (Array.isArray(auction.sales) && auction.sales.length) return auction.sales;
  if (auction.winner && auction.price !== null && auction.price !== undefined) {
    return [{ round: auction.round ?? 1, winner: auction.winner, price: auction.price }];
  }
  return [];
}

function finished(auction) {
  return auction.status === "closed" || auction.status === "cancelled";
}

/**
 * @param {object[]} auctions auction objects
 * @param {Map<number, object[]>} bidsById bid objects per auction id
 */
export function computeAnalytics(auctions, bidsById) {
  const allBids = auctions.flatMap((a) => bidsById.get(a.id) || []);
  const bidders = new Set(allBids.map((b) => b.username || b.bidder));
  const done = auctions.filter(finished);
  const sold = done.filter((a) => salesOf(a).length > 0);
  const sales = auctions.flatMap(salesOf);
  const revenue = sales.reduce((sum, s) => sum + s.price, 0);
  const avgFinal = sales.length ? Math.round(revenue / sales.length) : null;
  const soldStarts = sold.flatMap((a) => salesOf(a).map(() => a.starting_bid));
  const avgStarting = soldStarts.length ? Math.round(soldStarts.reduce((x, y) => x + y, 0) / soldStarts.length) : null;
  return {
    auctionCount: auctions.length,
    openCount: auctions.filter((a) => a.status === "open").length,
    totalBids: allBids.length,
    uniqueBidders: bidders.size,
    finishedCount: done.length,
    soldCount: sold.length,
    sellThrough: done.length ? sold.length / done.length : null,
    unitsSold: sales.length,
    revenue,
    avgFinal,
    avgStarting,
    uplift: avgFinal !== null && avgStarting ? avgFinal / avgStarting - 1 : null,
    bidsOverTime: bucketBids(allBids),
  };
}

/** Count bids per time bucket, choosing a bucket size that gives at most 24 bars. */
export function bucketBids(bids, formatLabel = defaultLabel) {
  const times = bids.map((b) => Date.parse(b.at)).filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
  if (times.length === 0) return [];
  const span = Math.max(1, times.at(-1) - times[0]);
  const size = BUCKETS_MS.find((ms) => span / ms < MAX_BUCKETS) ?? BUCKETS_MS.at(-1);
  const start = Math.floor(times[0] / size) * size;
  const count = Math.floor((times.at(-1) - start) / size) + 1;
  const buckets = Array.from({ length: count }, (_, i) => ({ startMs: start + i * size, value: 0 }));
  for (const t of times) buckets[Math.floor((t - start) / size)].value += 1;
  return buckets.map((b) => ({ ...b, label: formatLabel(b.startMs, size) }));
}

function defaultLabel(ms, size) {
  const d = new Date(ms);
  if (size >= 86400e3) return d.toLocaleDateString([], { day: "numeric", month: "short" });
  const opts = { hour: "2-digit", minute: "2-digit" };
  if (size < 60e3) opts.second = "2-digit";
  return d.toLocaleTimeString([], opts);
}

/** One CSV row per auction, with a header row. Amounts as "125.50". */
export function analyticsCsvRows(auctions, bidsById) {
  const money = (v) => (v === null || v === undefined ? "" : moneyInputValue(v));
  const rows = [
    ["id", "name", "status", "starting_bid", "reserve", "buy_now", "quantity", "bids", "unique_bidders", "units_sold", "final_price", "winner", "revenue"],
  ];
  for (const a of auctions) {
    const bids = bidsById.get(a.id) || [];
    const sales = salesOf(a);
    rows.push([
      a.id,
      a.name,
      a.status,
      money(a.starting_bid),
      money(a.reserve),
      money(a.buy_now),
      a.quantity ?? 1,
      bids.length || a.bid_count || 0,
      new Set(bids.map((b) => b.username || b.bidder)).size,
      sales.length,
      money(a.price),
      a.winner_username || a.winner || "",
      money(sales.reduce((s, x) => s + x.price, 0)),
    ]);
  }
  return rows;
}
