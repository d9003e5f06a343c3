/**
 * The bidding controls of an auction page: "Bid amount" + "Place bid"
 * (pre-filled with the lowest valid bid), "Maximum" + "Set auto-bid", and
 * "Buy now". Money is typed as "125.50" and sent as minor units.
 */
import { h, setText } from "../lib/dom.js";
import { formatMoney, moneyInputValue, parseMoney } from "../lib/money.js";
import { field, formMessage } from "../ui/form.js";
import { buyNowAvailable, isFinished, minimumBid } from "../state/auction-model.js";
import { go } from "../router.js";
import { houseTerms } from "../net/house.js";

const ERROR_TEXT = {
  already_leading: "You are already the highest bidder.",
  auction_not_open: "This auction is not open for bids.",
  buy_now_unavailable: "Buy now is no longer available: bidding has started.",
  rate_limited: "Too many bids at once. Wait a moment and try again.",
  unauthorized: "Please log in again to bid.",
};

export function bidPanel({ session, store }, id) {
  const amount = field({ label: "Bid amount", name: "amount", attrs: { inputmode: "decimal", autocomplete: "off" } });
  const maximum = field({
    label: "Maximum",
    name: "maximum",
    hint: "We bid for you, one step at a time, up to this amount.",
    attrs: { inputmode: "decimal", autocomplete: "off" },
  });
  const message = formMessage();
  const lowest = h("p", { class: "hint" });
  const autoState = h("p", { class: "hint", hidden: true });
  const buyPrice = h("span", { class: "money" });
  const buyButton = h("button", { type: "button", class: "buy", onclick: buyNow }, "Buy now");
  const buyRow = h("div", { class: "buy-row", hidden: true }, buyButton, h("span", {}, " for ", buyPrice));
  const stopAuto = h("button", { type: "button", class: "secondary", hidden: true, onclick: stopAutoBid }, "Stop auto-bid");
  let lastPrefill = "";
  let myMax = null;
  let wasFinished = false;

  function auction() {
    return store.auctions.get(id);
  }

  /** Show an error reply next to the field it concerns (or under the panel). */
  function fail(target, err) {
    if (err.code === "unauthorized") {
      sessionStorage.setItem("auctioneer.back", location.hash);
      go("#/login");
      return;
    }
    let text = ERROR_TEXT[err.code] || err.message;
    if (err.code === "bid_too_low" && err.details.minimum !== undefined) {
      text = `Too low: the lowest bid now is ${formatMoney(err.details.minimum)}.`;
      if (target === amount) {
        lastPrefill = moneyInputValue(err.details.minimum);
        amount.input.value = lastPrefill;
      }
    }
    if (target) target.setError(text);
    else message.show(text);
  }

  async function placeBid(event) {
    event.preventDefault();
    message.show("");
    const minor = parseMoney(amount.input.value);
    if (minor === null || minor <= 0) {
      amount.setError("Enter an amount like 125.50.");
      return;
    }
    amount.setError("");
    try {
      const result = await session.request("place_bid", { auction_id: id, amount: minor });
      // The box moves on to the new lowest bid the server states, so the next
      // click bids again instead of repeating an amount that is now too low.
      lastPrefill = moneyInputValue(minimumBid(result.auction));
      amount.input.value = lastPrefill;
      store.markMine(id);
      if (result.auction) store.putAuction(result.auction);
      const leading = result.auction?.leader === store.myPaddle;
      message.show(
        leading ? `Your bid of ${formatMoney(minor)} is in. You are leading.` : `Your bid of ${formatMoney(minor)} was outbid at once by an auto-bid.`,
        leading ? "ok" : "error",
      );
    } catch (err) {
      fail(amount, err);
    }
  }

  async function setAutoBid(event) {
    event.preventDefault();
    message.show("");
    const minor = parseMoney(maximum.input.value);
    if (minor === null || minor <= 0) {
      maximum.setError("Enter a maximum like 200.00.");
      return;
    }
    maximum.setError("");
    try {
      const result = await session.request("start_auto_bid", { auction_id: id, max_amount: minor });
      store.markMine(id);
      if (result.auction) store.putAuction(result.auction);
      myMax = minor;
      message.show(`Auto-bid set: we will bid for you up to ${formatMoney(minor)}.`, "ok");
      render();
    } catch (err) {
      fail(maximum, err);
    }
  }

  async function stopAutoBid() {
    try {
      await session.request("stop_auto_bid", { auction_id: id });
      myMax = null;
      message.show("Auto-bid stopped.", "ok");
      render();
    } catch (err) {
      fail(null, err);
    }
  }

  async function buyNow() {
    message.show("");
    try {
      const result = await session.request("buy_now", { auction_id: id });
      store.markMine(id);
      if (result.auction) store.putAuction(result.auction);
      message.show(`You bought it for ${formatMoney(auction()?.buy_now)}.`, "ok");
    } catch (err) {
      fail(null, err);
    }
  }

  const loggedOut = h(
    "p",
    { class: "login-hint" },
    h("a", { href: "#/login", onclick: () => sessionStorage.setItem("auctioneer.back", location.hash) }, "Log in or register"),
    " to bid.",
  );
  const forms = h(
    "div",
    { class: "bid-forms" },
    h("form", { class: "bid-form", novalidate: true, onsubmit: placeBid }, amount.wrap, lowest, h("button", { type: "submit" }, "Place bid")),
    h(
      "form",
      { class: "auto-form", novalidate: true, onsubmit: setAutoBid },
      maximum.wrap,
      autoState,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, "Set auto-bid"), stopAuto),
    ),
    buyRow,
  );
  const closedNote = h("p", { class: "muted", hidden: true });
  // The house's terms, stated before anyone bids ("+ 20% buyer's premium").
  const premiumNote = h("p", { class: "hint premium-note", hidden: true });
  houseTerms(session)
    .then(({ house }) => {
      setText(premiumNote, [house.premium_text, house.tax_text].filter(Boolean).join("; "));
      premiumNote.hidden = false;
    })
    .catch(() => {});
  const node = h("section", { class: "bid-panel", "aria-label": "Bidding" }, premiumNote, loggedOut, forms, closedNote, message.el);

  function render() {
    const a = auction();
    if (!a) return;
    const finished = isFinished(a);
    if (finished && !wasFinished) message.show("");
    wasFinished = finished;
    const canBid = Boolean(session.user) && a.status === "open";
    loggedOut.hidden = Boolean(session.user) || finished;
    forms.hidden = !canBid;
    closedNote.hidden = a.status === "open" || !session.user;
    setText(closedNote, finished ? "Bidding has ended." : a.status === "scheduled" ? "Bidding opens when the auction starts." : "");
    const min = minimumBid(a);
    const prefill = moneyInputValue(min);
    if (amount.input.value === lastPrefill || amount.input.value === "") {
      amount.input.value = prefill;
    }
    lastPrefill = prefill;
    setText(lowest, `Lowest bid now: ${formatMoney(min)}`);
    buyRow.hidden = !buyNowAvailable(a);
    setText(buyPrice, formatMoney(a.buy_now));
    autoState.hidden = myMax === null;
    stopAuto.hidden = myMax === null;
    setText(autoState, myMax === null ? "" : `Your auto-bid maximum: ${formatMoney(myMax)}`);
  }

  return { node, render };
}
