/** The live bid history table (newest first) of one auction. */
import { h, replace } from "../lib/dom.js";
import { formatMoney } from "../lib/money.js";
import { formatClock } from "../lib/time.js";

const SHOWN = 50;

/**
 * @param {{withUsernames?: boolean}} options admins see each bid's username
 */
export function bidHistory({ withUsernames = false } = {}) {
  const body = h("tbody");
  const more = h("p", { class: "muted", hidden: true });
  const node = h(
    "section",
    { class: "history", "aria-labelledby": "history-title" },
    h("h2", { id: "history-title" }, "Bid history"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { "aria-labelledby": "history-title" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Amount"),
            h("th", { scope: "col" }, "Bidder"),
            withUsernames ? h("th", { scope: "col" }, "User") : null,
            h("th", { scope: "col" }, "Time"),
            h("th", { scope: "col" }, "Kind"),
          ),
        ),
        body,
      ),
    ),
    more,
  );

  function render(bids, { myPaddle, limit = SHOWN } = {}) {
    const rows = bids.slice(0, limit).map((bid) =>
      h(
        "tr",
        { class: bid.bidder === myPaddle ? "mine" : "" },
        h("td", { class: "money" }, formatMoney(bid.amount)),
        h("td", {}, bid.bidder, bid.bidder === myPaddle ? " (you)" : ""),
        withUsernames ? h("td", {}, bid.username || "") : null,
        h("td", {}, h("time", { datetime: bid.at }, formatClock(Date.parse(bid.at)))),
        h("td", {}, bid.auto ? "auto" : "manual"),
      ),
    );
    if (rows.length === 0) rows.push(h("tr", {}, h("td", { colspan: withUsernames ? 5 : 4 }, "No bids yet.")));
    replace(body, rows);
    more.hidden = bids.length <= limit;
    more.textContent = `Showing the latest ${limit} of ${bids.length} bids.`;
  }

  return { node, render };
}
