/**
 * The per-auction admin buttons: "Close", "Cancel", "Delete" (each after a
 * confirmation) and "Make private" / "Make public".
 */
import { h } from "../lib/dom.js";
import { isFinished } from "../state/auction-model.js";

/**
 * @param {{session, store}} app
 * @param {object} auction
 * @param {(text: string, kind?: string) => void} report where results and errors go
 * @param {() => void} [afterDelete]
 */
export function adminActions({ session, store }, auction, report, afterDelete) {
  const name = auction.name;

  async function run(action, fields, done) {
    try {
      const result = await session.request(action, { auction_id: auction.id, ...fields });
      if (result.auction) store.putAuction(result.auction);
      report(done, "ok");
      return true;
    } catch (err) {
      report(`${name}: ${err.message}`, "error");
      return false;
    }
  }

  const finished = isFinished(auction);
  return h(
    "div",
    { class: "row-actions" },
    h(
      "button",
      {
        type: "button",
        class: "small",
        disabled: finished,
        onclick: () =>
          confirm(`Close “${name}” now? The leader wins if the reserve is met.`) &&
          run("close_auction", {}, `“${name}” closed.`),
      },
      "Close",
    ),
    h(
      "button",
      {
        type: "button",
        class: "small secondary",
        disabled: finished,
        onclick: () =>
          confirm(`Cancel “${name}”? It closes with no winner.`) && run("cancel_auction", {}, `“${name}” cancelled.`),
      },
      "Cancel",
    ),
    h(
      "button",
      {
        type: "button",
        class: "small danger",
        onclick: async () => {
          if (!confirm(`Delete “${name}”? It disappears from every listing.`)) return;
          if (await run("delete_auction", {}, `“${name}” deleted.`)) {
            store.removeAuction(auction.id);
            afterDelete?.();
          }
        },
      },
      "Delete",
    ),
    h(
      "button",
      {
        type: "button",
        class: "small secondary",
        onclick: () =>
          run(
            "update_auction",
            { public: !auction.public },
            auction.public ? `“${name}” is now private.` : `“${name}” is now public.`,
          ),
      },
      auction.public === false ? "Make public" : "Make private",
    ),
  );
}
