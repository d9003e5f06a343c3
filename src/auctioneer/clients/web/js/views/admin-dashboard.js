/**
 * The live dashboard: every auction with status, price, bids, watchers (live
 * connections), how many users have it on their watchlist,
 * leader or winner (real usernames for admins) and the admin buttons.
 */
import { h, replace } from "../lib/dom.js";
import { formatMoney } from "../lib/money.js";
import { setCountdown } from "../ui/countdown.js";
import { deadline, passesAt, statusLabel } from "../state/auction-model.js";
import { adminActions } from "./admin-actions.js";

export function adminDashboard(app, report) {
  const { store } = app;
  const body = h("tbody");
  const node = h(
    "section",
    { id: "dashboard", "aria-labelledby": "dashboard-title", class: "card" },
    h("h2", { id: "dashboard-title" }, "Dashboard"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "dashboard", "aria-labelledby": "dashboard-title" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Auction", "Status", "Price", "Bids", "Watchers", "On watchlists", "Leader / winner", "Ends", "Visibility", "Actions"].map((t) =>
              h("th", { scope: "col" }, t),
            ),
          ),
        ),
        body,
      ),
    ),
  );

  function person(paddle, username) {
    if (!paddle) return "—";
    return username ? `${username} (${paddle})` : paddle;
  }

  function row(a) {
    const ends = h("span", { "data-countdown": true, class: "countdown" });
    setCountdown(ends, { deadlineMs: deadline(a), status: a.status, countdownS: a.countdown_s, passesMs: passesAt(a), final: a.cap_reached === true });
    const finished = a.status === "closed" || a.status === "cancelled";
    return h(
      "tr",
      { "data-status": a.status, "data-id": a.id },
      h("th", { scope: "row" }, h("a", { href: `#/admin/auction/${a.id}` }, a.name)),
      h("td", {}, h("span", { class: `tag status-${a.status}` }, statusLabel(a))),
      h("td", { class: "money" }, formatMoney(finished ? (a.price ?? null) : a.current_bid)),
      h("td", {}, String(a.bid_count ?? 0)),
      h("td", {}, a.watchers === undefined ? "—" : String(a.watchers)),
      h("td", {}, a.watchlist_count === undefined ? "—" : String(a.watchlist_count)),
      h("td", {}, finished ? person(a.winner, a.winner_username) : person(a.leader, a.leader_username)),
      h("td", {}, ends),
      h("td", {}, a.public === false ? "Private" : "Public"),
      h("td", {}, adminActions(app, a, report)),
    );
  }

  function render() {
    const auctions = [...store.auctions.values()].filter((a) => !a.deleted).sort((a, b) => b.id - a.id);
    // Rows are rebuilt on every change: keep keyboard focus on the same button.
    const focused = body.contains(document.activeElement) ? document.activeElement : null;
    const focusKey = focused && [focused.closest("tr")?.dataset.id, focused.textContent];
    replace(body, auctions.length ? auctions.map(row) : h("tr", {}, h("td", { colspan: 9 }, "No auctions yet.")));
    if (focusKey) {
      const again = [...body.querySelectorAll(`tr[data-id="${focusKey[0]}"] button, tr[data-id="${focusKey[0]}"] a`)].find(
        (el) => el.textContent === focusKey[1],
      );
      again?.focus();
    }
  }

  render();
  return { node, render };
}
