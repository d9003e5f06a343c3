/**
 * The auction list: live prices and countdowns, search, filters (current,
 * open, ending soon, upcoming, closed, watching) and a watch star per card.
 */
import { h, nextId, replace } from "../lib/dom.js";
import { formatMoney } from "../lib/money.js";
import { serverClock } from "../net/clock.js";
import { setCountdown } from "../ui/countdown.js";
import { picture } from "../ui/picture.js";
import { deadline, passesAt, isFinished, minimumBid, standing, standingText, statusLabel } from "../state/auction-model.js";
import { loginForm } from "./login.js";
import { watchToggle } from "../ui/watch-toggle.js";

const ENDING_SOON_MS = 10 * 60_000;

const FILTERS = [
  ["current", "Open and upcoming", (a) => !isFinished(a)],
  ["open", "Open", (a) => a.status === "open"],
  ["ending", "Ending soon", (a) => a.status === "open" && endsWithin(a, ENDING_SOON_MS)],
  ["upcoming", "Upcoming", (a) => a.status === "scheduled"],
  ["closed", "Closed", (a) => isFinished(a)],
  ["watching", "Watching", (a, store) => store.watchlist.has(a.id)],
];

function endsWithin(auction, ms) {
  const end = deadline(auction);
  return end !== null && end - serverClock.now() <= ms;
}

function sortKey(auction) {
  const end = deadline(auction) ?? Number.MAX_SAFE_INTEGER;
  if (auction.status === "open") return [0, end];
  if (auction.status === "scheduled") return [1, end];
  return [2, -(Date.parse(auction.ends_at || 0) || auction.id)];
}

function compare(a, b) {
  const [ga, ka] = sortKey(a);
  const [gb, kb] = sortKey(b);
  return ga - gb || ka - kb || a.id - b.id;
}

export function listView(app) {
  const { store } = app;
  let filter = sessionStorage.getItem("auctioneer.filter") || "current";
  const searchId = nextId("search");
  const search = h("input", { id: searchId, type: "search", placeholder: "Name or description", oninput: render });
  const list = h("ul", { class: "auction-grid", "aria-label": "Auctions" });
  const summary = h("p", { class: "muted", "aria-live": "polite" });

  const filterGroup = h(
    "fieldset",
    { class: "filters" },
    h("legend", {}, "Show"),
    FILTERS.map(([key, label]) => {
      const id = nextId("filter");
      return h(
        "span",
        { class: "chip" },
        h("input", {
          type: "radio",
          name: "filter",
          id,
          value: key,
          checked: key === filter,
          onchange: () => {
            filter = key;
            sessionStorage.setItem("auctioneer.filter", key);
            render();
          },
        }),
        h("label", { for: id }, label),
      );
    }),
  );

  let toggles = [];

  function card(auction) {
    const toggle = watchToggle(app, auction.id, { small: true });
    toggles.push(toggle);
    const mine = standing(auction, store.myPaddle, store.mine.has(auction.id));
    const countdown = h("span", { "data-countdown": true, class: "countdown" });
    setCountdown(countdown, { deadlineMs: deadline(auction), status: auction.status, countdownS: auction.countdown_s, passesMs: passesAt(auction), final: auction.cap_reached === true });
    const price = auction.current_bid ?? auction.price ?? null;
    return h(
      "li",
      { class: "auction-card", "data-status": auction.status },
      picture(auction, { size: "small" }),
      h(
        "div",
        { class: "card-body" },
        h("div", { class: "card-title" }, h("h2", {}, h("a", { href: `#/auction/${auction.id}` }, auction.name)), toggle.node),
        h(
          "dl",
          { class: "facts" },
          h("div", {}, h("dt", {}, price === null ? "Opening bid" : isFinished(auction) ? "Final" : "Price"), h("dd", { class: "money" }, formatMoney(price ?? auction.starting_bid))),
          h("div", {}, h("dt", {}, "Ends"), h("dd", {}, countdown)),
          h("div", {}, h("dt", {}, "Bids"), h("dd", {}, String(auction.bid_count ?? 0))),
        ),
        h(
          "p",
          { class: "tags" },
          h("span", { class: `tag status-${auction.status}` }, statusLabel(auction)),
          mine ? h("span", { class: `tag standing-${mine}` }, standingText(mine)) : null,
          auction.status === "open" && !isFinished(auction) ? h("span", { class: "muted" }, `Next bid ${formatMoney(minimumBid(auction))}`) : null,
        ),
      ),
    );
  }

  function render() {
    const query = search.value.trim().toLowerCase();
    const test = FILTERS.find(([key]) => key === filter)?.[2] || (() => true);
    const shown = [...store.auctions.values()]
      .filter((a) => !a.deleted && test(a, store))
      .filter((a) => !query || `${a.name} ${a.description || ""}`.toLowerCase().includes(query))
      .sort(compare);
    toggles.forEach((toggle) => toggle.stop());
    toggles = [];
    replace(list, shown.map(card));
    replace(summary, shown.length === 1 ? "1 auction" : `${shown.length} auctions`);
    if (shown.length === 0) list.append(h("li", { class: "empty" }, "No auctions match."));
  }

  const stops = [
    store.on("auctions", render),
    store.on("mine", render),
    store.on("watchlist", () => filter === "watching" && render()),
    () => toggles.forEach((toggle) => toggle.stop()),
  ];
  render();
  // The feed does not announce deletions to bidders: re-read the list on each visit.
  if (app.session.status === "online") store.refreshAuctions();
  return {
    title: "Auctions",
    node: h(
      "section",
      {},
      h("h1", {}, "Auctions"),
      app.session.user ? null : loginForm(app, { heading: "Log in to bid", compact: true }),
      h("div", { class: "toolbar" }, h("div", { class: "field" }, h("label", { for: searchId }, "Search auctions"), search), filterGroup),
      summary,
      list,
    ),
    unmount: () => stops.forEach((stop) => stop()),
  };
}
