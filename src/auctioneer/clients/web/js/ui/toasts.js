/**
 * Pop-up notifications in a polite live region; each can be dismissed.
 *
 * They never cover the bidding controls: the region sits in a corner the
 * controls do not use (bottom left on wide screens, where the controls are
 * in the right column), and after every change (a toast, scrolling,
 * resizing, another page) `place` checks it against every `.bid-panel`
 * form in view. If the corner overlaps one, it tries the top; if that
 * overlaps too, the toasts go inline at the end of the page, where they
 * cover nothing.
 */
import { h } from "../lib/dom.js";

const LINGER_MS = 12_000;
const PLACES = ["corner", "top"];

function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

/** Move the region to the first place where it covers no bidding control in view. */
export function place(region) {
  if (!region.children.length) {
    region.dataset.place = "corner";
    return;
  }
  const keep = [...document.querySelectorAll(".bid-panel form, .bid-panel .buy-row")]
    .map((el) => el.getBoundingClientRect())
    .filter((r) => r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < window.innerHeight);
  for (const where of PLACES) {
    region.dataset.place = where;
    const box = region.getBoundingClientRect();
    if (!keep.some((r) => overlaps(r, box))) return;
  }
  region.dataset.place = "inline";
}

export function mountToasts({ notifications }) {
  const region = document.getElementById("toasts");
  const shown = new Set();
  let queued = false;
  const replace = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      place(region);
    });
  };
  window.addEventListener("scroll", replace, { passive: true });
  window.addEventListener("resize", replace);
  window.addEventListener("hashchange", replace);
  // The page under the toasts changes too (a panel grows, a photo loads).
  new MutationObserver(replace).observe(document.getElementById("main") || document.body, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["hidden", "class"],
  });

  notifications.on("toast", (item) => {
    if (shown.has(item.key)) return;
    shown.add(item.key);
    const toast = h(
      "div",
      { class: `toast toast-${item.kind}` },
      h("p", {}, h("a", { href: `#/auction/${item.auctionId}` }, notifications.describe(item))),
      h("button", { type: "button", class: "link", onclick: () => { toast.remove(); place(region); } }, "Dismiss"),
    );
    region.prepend(toast);
    setTimeout(() => {
      toast.remove();
      place(region);
    }, LINGER_MS);
    // A phone's screen holds two; a wide one four.
    const most = window.matchMedia("(max-width: 760px)").matches ? 2 : 4;
    while (region.children.length > most) region.lastElementChild.remove();
    place(region);
  });
}
