/**
 * The watchlist toggle (a star): on the list's cards and the auction page.
 * Pressed means the auction is on the user's watchlist on the server
 * (`watch_auction` / `unwatch_auction`): it is kept across devices, and the
 * server sends "ending soon" notices for it. Hidden when logged out.
 */
import { h, setText } from "../lib/dom.js";

export function watchToggle(app, id, { small = false } = {}) {
  const { store, session } = app;
  const button = h("button", {
    type: "button",
    class: `secondary watch-toggle${small ? " small" : ""}`,
    "aria-pressed": "false",
    onclick: async () => {
      const on = !store.watchlist.has(id);
      button.disabled = true;
      try {
        await store.setWatching(id, on);
      } catch (err) {
        button.title = err.message || "Could not change the watchlist";
      } finally {
        button.disabled = false;
        render();
      }
    },
  });

  function render() {
    const on = store.watchlist.has(id);
    button.hidden = !session.user;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.setAttribute("aria-label", on ? "Stop watching this auction" : "Watch this auction");
    setText(button, on ? "★ Watching" : "☆ Watch");
  }

  const stops = [store.on("watchlist", render), session.on("user", render)];
  render();
  return { node: button, stop: () => stops.forEach((stop) => stop()) };
}
