/**
 * One auction for admins: every field including the reserve, real
 * usernames of leader and winner, editing of name/description/visibility,
 * the admin buttons, the lot's photos (admin-photos.js), and the complete
 * bid log with usernames.
 */
import { h, replace, setText } from "../lib/dom.js";
import { formatMoney } from "../lib/money.js";
import { formatDateTime } from "../lib/time.js";
import { checkbox, field, formMessage } from "../ui/form.js";
import { statusLabel } from "../state/auction-model.js";
import { salesOf } from "../lib/analytics.js";
import { adminActions } from "./admin-actions.js";
import { bidHistory } from "./bid-history.js";
import { photoManager } from "./admin-photos.js";
import { go } from "../router.js";

export function adminAuctionView(app, { id }) {
  const { session, store } = app;
  if (!session.isAdmin) {
    return { title: "Admin", node: h("p", { class: "card narrow" }, "This page is for admins. ", h("a", { href: "#/login" }, "Log in")) };
  }
  const title = h("h1", {}, "Loading…");
  const facts = h("dl", { class: "facts details" });
  const actionsSlot = h("div");
  const feedback = formMessage();
  const history = bidHistory({ withUsernames: true });
  const name = field({ label: "Name", name: "name", attrs: { maxlength: 200 } });
  const description = field({ label: "Description", name: "description", multiline: true });
  const visible = checkbox({ label: "Public", name: "public" });
  const editMsg = formMessage();
  const photos = photoManager(app, id);
  let filled = false;

  async function save(event) {
    event.preventDefault();
    editMsg.show("");
    const newName = name.input.value.trim();
    if (!newName) {
      name.setError("A name is required.");
      return;
    }
    name.setError("");
    try {
      const { auction } = await session.request("update_auction", {
        auction_id: id,
        name: newName,
        description: description.input.value.trim(),
        public: visible.input.checked,
      });
      store.putAuction(auction);
      editMsg.show("Saved.", "ok");
    } catch (err) {
      editMsg.show(err.message);
    }
  }

  function person(paddle, username) {
    return paddle ? `${username || "?"} (${paddle})` : "—";
  }

  function render() {
    const a = store.auctions.get(id);
    if (!a) return;
    setText(title, a.name);
    if (!filled) {
      name.input.value = a.name;
      description.input.value = a.description || "";
      visible.input.checked = a.public !== false;
      filled = true;
    }
    const rows = [
      ["Status", statusLabel(a)],
      ["Visibility", a.public === false ? "Private" : "Public"],
      ["Current bid", formatMoney(a.current_bid)],
      ["Leader", person(a.leader, a.leader_username)],
      ["Winner", person(a.winner, a.winner_username)],
      ["Final price", formatMoney(a.price)],
      ["Starting bid", formatMoney(a.starting_bid)],
      ["Minimum increment", a.increments?.length ? a.increments.map((b) => `${formatMoney(b.increment)} from ${formatMoney(b.from)}`).join(", ") : formatMoney(a.min_increment)],
      ["Reserve", a.reserve ? `${formatMoney(a.reserve)} (${a.reserve_met ? "met" : "not met"})` : "none"],
      ["Buy-now price", a.buy_now ? formatMoney(a.buy_now) : "none"],
      ["Quantity", `${a.quantity ?? 1} (${a.units_left ?? a.quantity ?? 1} left, round ${a.round ?? 1})`],
      ["Starts", formatDateTime(Date.parse(a.starts_at))],
      ["Ends", a.ends_at ? formatDateTime(Date.parse(a.ends_at)) : "not set"],
      ["Latest end", a.end_cap ? `${formatDateTime(Date.parse(a.end_cap))}${a.cap_reached ? " (reached: final)" : ""}` : "no cap"],
      ["Watchers", a.watchers === undefined ? "—" : String(a.watchers)],
      ["On watchlists", a.watchlist_count === undefined ? "—" : String(a.watchlist_count)],
      ["Sale", a.sale_id ? `sale ${a.sale_id}, lot ${a.lot}` : "—"],
    ];
    const sales = salesOf(a);
    if ((a.quantity ?? 1) > 1 && sales.length) {
      rows.push(["Units sold", sales.map((s) => `round ${s.round}: ${s.winner} at ${formatMoney(s.price)}`).join("; ")]);
    }
    replace(facts, rows.map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v))));
    replace(actionsSlot, adminActions(app, a, (t, k) => feedback.show(t, k), () => go("#/admin")));
    photos.render(a);
    history.render(store.bids.get(id) || [], { limit: Infinity });
  }

  const stops = [
    store.on("auction", (changed) => changed === id && render()),
    store.on("bids", (changed) => changed === id && render()),
    store.watch(id),
  ];
  store.loadAllBids(id).catch(() => {});
  render();

  const node = h(
    "article",
    { class: "admin-auction" },
    h("p", {}, h("a", { href: "#/admin" }, "← Admin console"), " · ", h("a", { href: `#/auction/${id}` }, "Bidder view")),
    title,
    feedback.el,
    h("section", { class: "card", "aria-label": "Actions" }, actionsSlot),
    h(
      "div",
      { class: "two-col" },
      h("section", { class: "card", "aria-labelledby": "facts-title" }, h("h2", { id: "facts-title" }, "Details"), facts),
      h(
        "form",
        { class: "card", novalidate: true, onsubmit: save, "aria-labelledby": "edit-title" },
        h("h2", { id: "edit-title" }, "Edit"),
        name.wrap,
        description.wrap,
        visible.wrap,
        editMsg.el,
        h("button", { type: "submit" }, "Save changes"),
      ),
    ),
    photos.node,
    history.node,
  );
  const unmount = () => {
    stops.forEach((s) => s());
    photos.unmount();
  };
  return { title: "Manage auction", node, unmount };
}
