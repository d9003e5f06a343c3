/**
 * "My bids": every auction the user bid on, grouped by standing (leading,
 * outbid, won, lost), and the notifications read back from `user:me`.
 */
import { h, replace } from "../lib/dom.js";
import { formatMoney } from "../lib/money.js";
import { formatDateTime } from "../lib/time.js";
import { standing, standingText } from "../state/auction-model.js";
import { myInvoices } from "./invoices.js";
import { emailSettings } from "./email-settings.js";

const GROUPS = ["leading", "outbid", "won", "lost"];
const SCAN_LIMIT = 200;

export function myBidsView({ session, store, notifications }) {
  if (!session.user) {
    return {
      title: "My bids",
      node: h("section", { class: "card narrow" }, h("h1", {}, "My bids"), h("p", {}, h("a", { href: "#/login" }, "Log in"), " to see your bids.")),
    };
  }
  const groups = h("div", { class: "groups" });
  const invoices = myInvoices(session, () => render());
  const noteList = h("ol", { class: "notes" });
  const scanning = h("p", { class: "muted", "aria-live": "polite" }, "Checking every auction for your bids…");

  function render() {
    const paddle = store.myPaddle;
    const byGroup = new Map(GROUPS.map((g) => [g, []]));
    for (const id of store.mine) {
      const auction = store.auctions.get(id);
      const kind = standing(auction, paddle, true);
      if (kind) byGroup.get(kind).push(auction);
    }
    replace(
      groups,
      GROUPS.map((kind) =>
        h(
          "section",
          { class: `group group-${kind}`, "aria-labelledby": `group-${kind}` },
          h("h2", { id: `group-${kind}` }, `${standingText(kind)} (${byGroup.get(kind).length})`),
          byGroup.get(kind).length
            ? h(
                "ul",
                { class: "plain" },
                byGroup.get(kind).map((a) =>
                  h(
                    "li",
                    {},
                    h("a", { href: `#/auction/${a.id}` }, a.name),
                    " — ",
                    h("span", { class: "money" }, formatMoney(a.price ?? a.current_bid)),
                    kind === "won" ? invoices.linksFor(a.id) : null,
                  ),
                ),
              )
            : h("p", { class: "muted" }, "None."),
        ),
      ),
    );
  }

  function renderNotes() {
    const items = notifications.items;
    replace(
      noteList,
      items.length
        ? items.map((item) =>
            h(
              "li",
              { class: `note note-${item.kind}` },
              h("a", { href: `#/auction/${item.auctionId}` }, notifications.describe(item)),
              item.at ? h("time", { datetime: item.at }, ` ${formatDateTime(Date.parse(item.at))}`) : null,
            ),
          )
        : h("li", { class: "muted" }, "No notifications yet."),
    );
  }

  const scanned = new Set();
  let scanRunning = false;
  /** Look for the user's paddle in the bids of every auction not checked yet. */
  async function scan() {
    if (scanRunning) return;
    scanRunning = true;
    scanning.hidden = false;
    try {
      for (;;) {
        const next = [...store.auctions.keys()].find((id) => !scanned.has(id));
        if (next === undefined || scanned.size >= SCAN_LIMIT) break;
        scanned.add(next);
        if (!store.mine.has(next)) await store.loadAllBids(next, 500).catch(() => {});
      }
    } finally {
      scanRunning = false;
      scanning.hidden = true;
    }
  }

  const stops = [
    store.on("mine", render),
    notifications.on("change", () => invoices.refresh()), // a "won" brings an invoice
    store.on("auctions", () => {
      render();
      renderNotes(); // notifications name their auction
      scan();
    }),
    notifications.on("change", renderNotes),
  ];
  render();
  renderNotes();
  scan();
  invoices.refresh();
  return {
    title: "My bids",
    node: h(
      "section",
      {},
      h("h1", {}, "My bids"),
      scanning,
      groups,
      invoices.node,
      h("section", { "aria-labelledby": "notes-title", class: "card" }, h("h2", { id: "notes-title" }, "Your notifications"), noteList),
      emailSettings(session).node,
    ),
    unmount: () => stops.forEach((stop) => stop()),
  };
}
