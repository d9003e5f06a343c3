/**
 * One auction, live: its photos (a gallery), description, current price, leader, your
 * standing, countdown (urgent in the last seconds, marks extensions), the
 * bid controls, the bid history and the price chart.
 */
import { h, replace, setText } from "../lib/dom.js";
import { formatMoney } from "../lib/money.js";
import { formatClock, parseTime } from "../lib/time.js";
import { serverClock } from "../net/clock.js";
import { setCountdown } from "../ui/countdown.js";
import { gallery } from "../ui/gallery.js";
import { priceChart } from "../ui/chart.js";
import { deadline, passesAt, isFinished, standing, standingText, statusLabel } from "../state/auction-model.js";
import { bidPanel } from "./bid-panel.js";
import { bidHistory } from "./bid-history.js";
import { watchToggle } from "../ui/watch-toggle.js";
import { verifyPanel } from "./verify-panel.js";

const REASONS = {
  ended: "Time ran out.",
  admin: "Closed by the auctioneer.",
  buy_now: "Sold with Buy now.",
  sold_out: "Every unit has been sold.",
  reserve_not_met: "The reserve price was not met: no sale.",
  no_bids: "Nobody bid: no sale.",
  cancelled: "The auction was cancelled.",
};

export function auctionView(app, { id }) {
  const { store, session } = app;
  const title = h("h1", {}, "Loading…");
  const status = h("span", { class: "tag" });
  const photos = gallery();
  const description = h("p", { class: "description" });
  const price = h("output", { class: "price money", "aria-label": "Current price" });
  const leaderLabel = h("dt", {}, "Leader");
  const leader = h("dd");
  const timeLeft = h("span", { role: "timer", "aria-label": "Time left", "data-countdown": true, class: "countdown big" });
  const mine = h("p", { class: "standing", role: "status" });
  const details = h("dl", { class: "facts details" });
  const outcome = h("p", { class: "outcome", hidden: true });
  const chartSlot = h("div", { class: "chart-slot" });
  const panel = bidPanel(app, id);
  const history = bidHistory();
  const star = watchToggle(app, id);
  const verify = verifyPanel(app, id);
  const manage = h("a", { href: `#/admin/auction/${id}`, class: "button secondary", hidden: true }, "Manage this auction");
  const missing = h("p", { class: "form-message", role: "alert", hidden: true });

  let seen = false;
  function render() {
    const a = store.auctions.get(id);
    if (!a) {
      if (seen) {
        // It was here and is gone: deleted, or made private.
        missing.hidden = false;
        setText(missing, "This auction has been removed.");
      }
      return;
    }
    seen = true;
    setText(title, a.name);
    status.className = `tag status-${a.status}`;
    setText(status, statusLabel(a));
    photos.render(a);
    setText(description, a.description || "No description.");
    const shown = isFinished(a) ? (a.price ?? null) : a.current_bid;
    setText(price, shown === null || shown === undefined ? "No bids yet" : formatMoney(shown));
    const finished = isFinished(a);
    const who = finished ? a.winner : a.leader;
    setText(leaderLabel, finished ? "Winner" : "Leader");
    setText(leader, who ? `${who}${who === store.myPaddle ? " (you)" : ""}` : "—");
    setCountdown(timeLeft, { deadlineMs: deadline(a), status: a.status, countdownS: a.countdown_s, passesMs: passesAt(a), final: a.cap_reached === true });
    const hasBid = store.mine.has(id) || (store.bids.get(id) || []).some((b) => b.bidder === store.myPaddle);
    const standingNow = standing(a, store.myPaddle, hasBid);
    setText(mine, standingNow ? standingText(standingNow) : session.user ? "You have not bid yet." : "");
    mine.className = `standing standing-${standingNow || "none"}`;
    mine.hidden = !mine.textContent;
    renderDetails(a);
    outcome.hidden = !isFinished(a);
    setText(outcome, isFinished(a) ? outcomeText(a) : "");
    manage.hidden = !session.isAdmin;
    panel.render();
  }

  function renderDetails(a) {
    const rows = [
      ["Opening bid", formatMoney(a.starting_bid)],
      ["Bid step", bidStep(a)],
      ["Bids", String(a.bid_count ?? 0)],
    ];
    if (a.has_reserve || a.reserve) rows.push(["Reserve", a.reserve_met ? "Met" : "Not met yet"]);
    if (a.buy_now) rows.push(["Buy-now price", formatMoney(a.buy_now)]);
    if ((a.quantity ?? 1) > 1) rows.push(["Units left", `${a.units_left ?? a.quantity} of ${a.quantity} (round ${a.round ?? 1})`]);
    const sold = a.sales || [];
    if ((a.quantity ?? 1) > 1 && sold.length) {
      rows.push(["Sold so far", sold.map((x) => `${x.winner} at ${formatMoney(x.price)}`).join(", ")]);
    }
    if (a.soft_close_s) rows.push(["Soft close", `bids in the last ${a.soft_close_s} s extend the end`]);
    if (a.countdown_s) rows.push(["Countdown", `${a.countdown_s} s after each bid`]);
    if (a.end_cap) rows.push(["Latest end", a.cap_reached ? "Reached: no more extensions" : `Extensions stop at ${formatClock(parseTime(a.end_cap))}`]);
    replace(details, rows.map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v))));
  }

  /** The fixed step, or the bands as the server states them (the minimum bid is always the server's). */
  function bidStep(a) {
    if (!a.increments?.length) return formatMoney(a.min_increment ?? 100);
    return a.increments.map((b) => `${formatMoney(b.increment)} from ${formatMoney(b.from)}`).join(", ");
  }

  function outcomeText(a) {
    const reason = REASONS[a.close_reason] || "";
    if (a.status === "cancelled") return REASONS.cancelled;
    if (a.winner) {
      const you = a.winner === store.myPaddle ? " (you)" : "";
      return `Sold to ${a.winner}${you} for ${formatMoney(a.price)}. ${reason}`.trim();
    }
    return reason || "Closed without a sale.";
  }

  function renderBids() {
    const bids = store.bids.get(id) || [];
    history.render(bids, { myPaddle: store.myPaddle });
    const a = store.auctions.get(id);
    const nowMs = isFinished(a) ? undefined : serverClock.now();
    replace(chartSlot, priceChart(bids, { startingBid: a?.starting_bid, nowMs }));
    render();
  }

  const stops = [
    store.on("auction", (changed) => changed === id && render()),
    store.on("bids", (changed) => changed === id && renderBids()),
    store.on("mine", render),
    store.on("watch_error", (failed, err) => {
      if (failed !== id) return;
      missing.hidden = false;
      setText(missing, err.code === "not_found" ? "This auction does not exist or is private." : err.message);
      setText(title, "Auction unavailable");
    }),
    session.on("user", render),
    store.watch(id),
    star.stop,
  ];
  render();
  renderBids();

  const node = h(
    "article",
    { class: "auction-page" },
    h("p", {}, h("a", { href: "#/" }, "← All auctions")),
    h("div", { class: "title-row" }, title, status, star.node, manage),
    missing,
    h(
      "div",
      { class: "auction-layout" },
      h(
        "div",
        { class: "auction-main" },
        photos.node,
        description,
        h("section", { "aria-labelledby": "chart-title", class: "chart-card" }, h("h2", { id: "chart-title" }, "Price over time"), chartSlot),
      ),
      h(
        "aside",
        { class: "auction-side card", "aria-label": "Price and bidding" },
        h(
          "dl",
          { class: "price-box" },
          h("div", {}, h("dt", { "aria-hidden": "true" }, "Current price"), h("dd", {}, price)),
          h("div", {}, h("dt", { "aria-hidden": "true" }, "Time left"), h("dd", {}, timeLeft)),
          h("div", {}, leaderLabel, leader),
        ),
        mine,
        outcome,
        panel.node,
        details,
        verify.node,
      ),
    ),
    history.node,
  );
  return { title: "Auction", node, unmount: () => stops.forEach((stop) => stop()) };
}
