/**
 * Invoice lists: the bidder's own in "My bids" (with "Invoice" and "PDF"
 * links), and the admin's unpaid ones with "Mark paid" and a CSV export.
 * Totals and lines are the server's; the page only formats them.
 */
import { h, replace } from "../lib/dom.js";
import { formatMoney } from "../lib/money.js";
import { downloadInvoicesCsv, openInvoice } from "../net/house.js";

function links(invoice, report) {
  const open = (format) => (event) => {
    event.preventDefault();
    openInvoice(invoice.purchase_id, format).catch((err) => report(err.message));
  };
  return [
    h("a", { href: `/api/purchases/${invoice.purchase_id}/invoice`, class: "invoice-link", onclick: open("html") }, "Invoice"),
    " · ",
    h("a", { href: `/api/purchases/${invoice.purchase_id}/invoice.pdf`, class: "invoice-pdf", onclick: open("pdf") }, "PDF"),
  ];
}

function row(invoice, report, extra = null) {
  return h(
    "li",
    { class: `invoice ${invoice.paid ? "paid" : "unpaid"}`, "data-purchase": invoice.purchase_id },
    h("strong", {}, invoice.number),
    " ",
    h("a", { href: `#/auction/${invoice.auction_id}` }, invoice.name),
    " — ",
    h("span", { class: "money" }, `${invoice.currency} ${formatMoney(invoice.total)}`),
    " ",
    h("span", { class: "muted" }, invoice.paid ? "paid" : "unpaid"),
    " ",
    links(invoice, report),
    extra,
  );
}

/**
 * "Your invoices" for My bids; `refresh()` asks the server again, then calls
 * `onChange` so the page can put "Invoice" links beside the lots you won
 * (`linksFor(auctionId)`).
 */
export function myInvoices(session, onChange = () => {}) {
  const list = h("ul", { class: "plain invoices" });
  const note = h("p", { class: "muted", role: "status" });
  const report = (text) => (note.textContent = text);
  let byAuction = new Map();
  async function refresh() {
    try {
      const { invoices } = await session.request("get_invoices", {});
      byAuction = new Map();
      for (const invoice of invoices) {
        if (!byAuction.has(invoice.auction_id)) byAuction.set(invoice.auction_id, []);
        byAuction.get(invoice.auction_id).push(invoice);
      }
      replace(list, invoices.length ? invoices.map((i) => row(i, report)) : h("li", { class: "muted" }, "No invoices yet: they come with what you win or buy."));
      onChange();
    } catch (err) {
      report(err.message);
    }
  }
  function linksFor(auctionId) {
    return (byAuction.get(auctionId) || []).map((invoice) => [" ", h("span", { class: "won-invoice" }, links(invoice, report))]);
  }
  const node = h("section", { class: "card", "aria-labelledby": "invoices-title" }, h("h2", { id: "invoices-title" }, "Your invoices"), list, note);
  return { node, refresh, linksFor };
}

/** The admin's unpaid invoices, each with "Mark paid", and the CSV export. */
export function unpaidInvoices(session, report) {
  const list = h("ul", { class: "plain invoices" });
  async function markPaid(invoice) {
    try {
      await session.request("mark_invoice_paid", { purchase_id: invoice.purchase_id });
      report(`Invoice ${invoice.number} is marked paid.`, "ok");
      refresh();
    } catch (err) {
      report(err.message);
    }
  }
  async function refresh() {
    try {
      const { invoices } = await session.request("get_invoices", { unpaid: true });
      replace(
        list,
        invoices.length
          ? invoices.map((i) =>
              row(i, report, [" ", `(${i.buyer.username}, paddle #${i.buyer.paddle}) `, h("button", { type: "button", class: "secondary mark-paid", onclick: () => markPaid(i) }, "Mark paid")]),
            )
          : h("li", { class: "muted" }, "Every invoice is paid."),
      );
    } catch (err) {
      report(err.message);
    }
  }
  const exportCsv = h(
    "button",
    { type: "button", class: "secondary", onclick: () => downloadInvoicesCsv().catch((err) => report(err.message)) },
    "Export all invoices (CSV)",
  );
  const node = h("section", { id: "invoices", class: "card", "aria-labelledby": "unpaid-title" }, h("h2", { id: "unpaid-title" }, "Unpaid invoices"), list, h("div", { class: "actions" }, exportCsv));
  return { node, refresh };
}
