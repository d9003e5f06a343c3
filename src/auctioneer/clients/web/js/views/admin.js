/**
 * The admin console: create an auction, the live dashboard, analytics.
 * (Sales have their own page, #/admin/sale; one auction's details are at
 * #/admin/auction/ID.)
 */
import { h } from "../lib/dom.js";
import { formMessage } from "../ui/form.js";
import { auctionFields } from "./auction-form.js";
import { adminDashboard } from "./admin-dashboard.js";
import { adminAnalytics } from "./admin-analytics.js";
import { unpaidInvoices } from "./invoices.js";

export function adminView(app) {
  const { session, store } = app;
  if (!session.isAdmin) {
    return {
      title: "Admin",
      node: h("section", { class: "card narrow" }, h("h1", {}, "Admin console"), h("p", {}, session.user ? "This page is for auctioneers (admins) only." : "Log in as an admin to manage auctions. ", session.user ? null : h("a", { href: "#/login" }, "Log in"))),
    };
  }
  const feedback = formMessage();
  const report = (text, kind) => feedback.show(text, kind);
  const fields = auctionFields();
  const formMsg = formMessage();

  async function create(event) {
    event.preventDefault();
    formMsg.show("");
    const values = fields.read();
    if (!values) {
      formMsg.show("Please fix the marked fields.");
      fields.focusFirstError();
      return;
    }
    try {
      const { auction } = await session.request("create_auction", values);
      store.putAuction(auction);
      fields.reset();
      formMsg.show(`Created “${auction.name}” (auction ${auction.id}).`, "ok");
    } catch (err) {
      if (!fields.showServerError(err)) formMsg.show(err.message);
    }
  }

  const dashboard = adminDashboard(app, report);
  const analytics = adminAnalytics(app);
  const invoices = unpaidInvoices(session, report);
  invoices.refresh();
  const stops = [store.on("auctions", dashboard.render), analytics.unmount];

  const node = h(
    "div",
    { class: "admin" },
    h("h1", {}, "Admin console"),
    h(
      "nav",
      { "aria-label": "Admin sections", class: "subnav" },
      h("a", { href: "#/admin", onclick: jump("new-auction") }, "New auction"),
      h("a", { href: "#/admin", onclick: jump("dashboard") }, "Dashboard"),
      h("a", { href: "#/admin", onclick: jump("analytics") }, "Analytics"),
      h("a", { href: "#/admin", onclick: jump("invoices") }, "Invoices"),
      h("a", { href: "#/admin/sale" }, "New sale (several lots)"),
    ),
    feedback.el,
    h(
      "form",
      { id: "new-auction", class: "card", novalidate: true, onsubmit: create, "aria-labelledby": "new-auction-title" },
      h("h2", { id: "new-auction-title" }, "New auction"),
      fields.node,
      formMsg.el,
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Create auction")),
    ),
    dashboard.node,
    invoices.node,
    analytics.node,
  );
  return { title: "Admin", node, unmount: () => stops.forEach((s) => s()) };
}

function jump(id) {
  return (event) => {
    event.preventDefault();
    const target = document.getElementById(id);
    target?.scrollIntoView({ behavior: "smooth", block: "start" });
    target?.querySelector("input, button, a")?.focus({ preventScroll: true });
  };
}
