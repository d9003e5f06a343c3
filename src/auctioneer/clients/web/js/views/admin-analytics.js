/**
 * Analytics for admins, computed in the page from get_auctions/get_bids:
 * bids over time, unique bidders, sell-through, revenue, average final
 * price against starting price, and a CSV export.
 */
import { h, replace } from "../lib/dom.js";
import { formatMoney } from "../lib/money.js";
import { analyticsCsvRows, computeAnalytics } from "../lib/analytics.js";
import { downloadCsv, toCsv } from "../lib/csv.js";
import { barChart } from "../ui/chart.js";

const REFRESH_DEBOUNCE_MS = 600;

function percent(ratio) {
  return ratio === null ? "—" : `${Math.round(ratio * 100)}%`;
}

export function adminAnalytics({ store }) {
  const stats = h("dl", { class: "stats" });
  const chartSlot = h("div", { class: "chart-slot" });
  const loadedCounts = new Map(); // auction id -> bid_count when its bids were loaded
  let timer = null;
  let running = null;

  function auctions() {
    return [...store.auctions.values()].filter((a) => !a.deleted);
  }

  function bidsById() {
    return new Map(auctions().map((a) => [a.id, store.bids.get(a.id) || []]));
  }

  function render() {
    const data = computeAnalytics(auctions(), bidsById());
    const tiles = [
      ["Auctions", `${data.auctionCount} (${data.openCount} open)`],
      ["Bids", String(data.totalBids)],
      ["Unique bidders", String(data.uniqueBidders)],
      ["Sell-through", `${percent(data.sellThrough)} (${data.soldCount} of ${data.finishedCount} finished)`],
      ["Revenue", formatMoney(data.revenue)],
      ["Average final price", data.avgFinal === null ? "—" : formatMoney(data.avgFinal)],
      ["Average starting price", data.avgStarting === null ? "—" : formatMoney(data.avgStarting)],
      ["Final vs starting", data.uplift === null ? "—" : `${data.uplift >= 0 ? "+" : ""}${Math.round(data.uplift * 100)}%`],
    ];
    replace(stats, tiles.map(([k, v]) => h("div", { class: "stat" }, h("dt", {}, k), h("dd", {}, v))));
    replace(chartSlot, barChart(data.bidsOverTime, "Bids over time"));
  }

  async function refresh() {
    if (running) return running;
    running = (async () => {
      for (const a of auctions()) {
        if (loadedCounts.get(a.id) === (a.bid_count ?? 0)) continue;
        loadedCounts.set(a.id, a.bid_count ?? 0);
        await store.loadAllBids(a.id).catch(() => loadedCounts.delete(a.id));
      }
      render();
    })();
    try {
      await running;
    } finally {
      running = null;
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, REFRESH_DEBOUNCE_MS);
  }

  function exportCsv() {
    const list = auctions().sort((a, b) => a.id - b.id);
    downloadCsv(`auctioneer-analytics-${new Date().toISOString().slice(0, 10)}.csv`, toCsv(analyticsCsvRows(list, bidsById())));
  }

  const node = h(
    "section",
    { id: "analytics", "aria-labelledby": "analytics-title", class: "card" },
    h("div", { class: "title-row" }, h("h2", { id: "analytics-title" }, "Analytics"), h("button", { type: "button", class: "secondary", onclick: exportCsv }, "Export CSV")),
    stats,
    h("h3", {}, "Bids over time"),
    chartSlot,
  );
  const stops = [store.on("auctions", () => { render(); schedule(); })];
  render();
  refresh();
  return { node, unmount: () => { clearTimeout(timer); stops.forEach((s) => s()); } };
}
