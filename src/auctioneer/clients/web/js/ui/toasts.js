/** Pop-up notifications in a polite live region; each can be dismissed. */
import { h } from "../lib/dom.js";

const LINGER_MS = 12_000;

export function mountToasts({ notifications }) {
  const region = document.getElementById("toasts");
  const shown = new Set();

  notifications.on("toast", (item) => {
    if (shown.has(item.key)) return;
    shown.add(item.key);
    const toast = h(
      "div",
      { class: `toast toast-${item.kind}` },
      h("p", {}, h("a", { href: `#/auction/${item.auctionId}` }, notifications.describe(item))),
      h("button", { type: "button", class: "link", onclick: () => toast.remove() }, "Dismiss"),
    );
    region.prepend(toast);
    setTimeout(() => toast.remove(), LINGER_MS);
    while (region.children.length > 4) region.lastElementChild.remove();
  });
}
