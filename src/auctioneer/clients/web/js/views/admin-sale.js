/**
 * Create a sale: several lots that run one after another (create_sale).
 * The lot form is the same as "Create auction"; "Add lot" appends it to
 * the ordered list, which can be reordered before the sale is created.
 */
import { h, replace } from "../lib/dom.js";
import { formatMoney } from "../lib/money.js";
import { field, formMessage } from "../ui/form.js";
import { auctionFields } from "./auction-form.js";

export function adminSaleView({ session, store }) {
  if (!session.isAdmin) {
    return { title: "New sale", node: h("p", { class: "card narrow" }, "This page is for admins. ", h("a", { href: "#/login" }, "Log in")) };
  }
  const lots = [];
  const saleName = field({ label: "Sale name", name: "sale_name", attrs: { maxlength: 200 } });
  const starts = field({ label: "Sale starts at", name: "sale_starts", type: "datetime-local", hint: "Optional. Now if empty" });
  const lotFields = auctionFields({ withStart: false });
  const lotList = h("ol", { class: "lots" });
  const lotMsg = formMessage();
  const saleMsg = formMessage();

  function renderLots() {
    replace(
      lotList,
      lots.length
        ? lots.map((lot, i) =>
            h(
              "li",
              {},
              h("span", {}, `${lot.name} — opens at ${formatMoney(lot.starting_bid)}`, lot.duration_s ? `, ${lot.duration_s} s` : ""),
              h(
                "span",
                { class: "row-actions" },
                h("button", { type: "button", class: "small secondary", disabled: i === 0, onclick: () => move(i, -1) }, "Move up"),
                h("button", { type: "button", class: "small secondary", disabled: i === lots.length - 1, onclick: () => move(i, 1) }, "Move down"),
                h("button", { type: "button", class: "small secondary", onclick: () => { lots.splice(i, 1); renderLots(); } }, "Remove"),
              ),
            ),
          )
        : h("li", { class: "muted" }, "No lots yet: fill in the lot form and press “Add lot”."),
    );
  }

  function move(i, delta) {
    const [lot] = lots.splice(i, 1);
    lots.splice(i + delta, 0, lot);
    renderLots();
  }

  function addLot(event) {
    event.preventDefault();
    const lot = lotFields.read();
    if (!lot) {
      lotMsg.show("Please fix the marked fields.");
      lotFields.focusFirstError();
      return;
    }
    lots.push(lot);
    lotFields.reset();
    lotMsg.show(`Added lot ${lots.length}: ${lot.name}.`, "ok");
    renderLots();
  }

  async function createSale(event) {
    event.preventDefault();
    saleMsg.show("");
    const name = saleName.input.value.trim();
    saleName.setError(name ? "" : "Give the sale a name.");
    if (!name) return;
    if (lots.length === 0) {
      saleMsg.show("Add at least one lot.");
      return;
    }
    const fields = { name, lots };
    if (starts.input.value) fields.starts_at = new Date(starts.input.value).toISOString();
    try {
      const { auctions } = await session.request("create_sale", fields);
      for (const auction of auctions || []) store.putAuction(auction);
      lots.length = 0;
      renderLots();
      saleMsg.show(`Sale “${name}” created with ${(auctions || []).length} lots.`, "ok");
    } catch (err) {
      saleMsg.show(err.message);
    }
  }

  renderLots();
  const node = h(
    "div",
    { class: "admin" },
    h("p", {}, h("a", { href: "#/admin" }, "← Admin console")),
    h("h1", {}, "New sale"),
    h("p", {}, "A sale runs its lots one after another, in this order."),
    h("form", { class: "card", novalidate: true, onsubmit: addLot, "aria-labelledby": "lot-title" }, h("h2", { id: "lot-title" }, "Lot"), lotFields.node, lotMsg.el, h("button", { type: "submit", class: "secondary" }, "Add lot")),
    h(
      "form",
      { class: "card", novalidate: true, onsubmit: createSale, "aria-labelledby": "sale-title" },
      h("h2", { id: "sale-title" }, "Sale"),
      saleName.wrap,
      starts.wrap,
      h("h3", {}, "Lots in order"),
      lotList,
      saleMsg.el,
      h("button", { type: "submit" }, "Create sale"),
    ),
  );
  return { title: "New sale", node };
}
