/**
 * Composition root of the web app: one Session (WebSocket), the Store and
 * Notifications kept live from it, the header, toasts, countdowns, and the
 * view for the current hash route.
 */
import { Session } from "./net/session.js";
import { Store } from "./state/store.js";
import { Notifications } from "./state/notifications.js";
import { resolve } from "./router.js";
import { mountHeader } from "./ui/header.js";
import { mountToasts } from "./ui/toasts.js";
import { startCountdowns } from "./ui/countdown.js";
import { replace, h } from "./lib/dom.js";
import { loginView } from "./views/login.js";
import { listView } from "./views/list.js";
import { auctionView } from "./views/auction.js";
import { myBidsView } from "./views/my-bids.js";
import { accountView } from "./views/account.js";
import { adminView } from "./views/admin.js";
import { adminAuctionView } from "./views/admin-auction.js";
import { adminSaleView } from "./views/admin-sale.js";

const VIEWS = {
  list: listView,
  login: loginView,
  auction: auctionView,
  myBids: myBidsView,
  account: accountView,
  admin: adminView,
  adminAuction: adminAuctionView,
  adminSale: adminSaleView,
  notFound: () => ({ title: "Not found", node: h("p", {}, "There is nothing here. ", h("a", { href: "#/" }, "See the auctions.")) }),
};

const session = new Session();
const store = new Store(session);
const notifications = new Notifications(session, store);
const app = { session, store, notifications };
window.auctioneer = app; // for debugging from the console

const main = document.getElementById("main");
let current = null;

function render() {
  current?.unmount?.();
  const route = resolve(location.hash);
  const view = VIEWS[route.name](app, route);
  current = view;
  replace(main, view.node);
  document.title = view.title ? `${view.title} · Auctioneer` : "Auctioneer";
  if (render.initialised) main.focus({ preventScroll: false });
  render.initialised = true;
}

mountHeader(app);
mountToasts(app);
startCountdowns();
window.addEventListener("hashchange", render);
session.on("user", () => {
  // Most pages depend on who is logged in; the auction page follows it itself.
  if (resolve(location.hash).name !== "auction") render();
});
store.start();
notifications.start();
session.start();
render();
