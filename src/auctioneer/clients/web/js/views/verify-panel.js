/**
 * "Verify this auction": downloads the public log and checks its hash chain and
 * the public rules here, in the browser (lib/verify.js), against the head the
 * auction shows and the last hash this browser saw live.
 */
import { h, setText } from "../lib/dom.js";
import { lastSeen, verifyLog } from "../lib/verify.js";

export function verifyPanel(app, id) {
  const result = h("p", { class: "verify-result", role: "status", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "button secondary" }, "Verify this auction");
  button.addEventListener("click", async () => {
    button.disabled = true;
    result.className = "verify-result";
    setText(result, "Checking the log…");
    try {
      const { auction } = await app.session.request("get_auction", { auction_id: id });
      const log = await app.session.request("get_log", { auction_id: id });
      const verdict = await verifyLog(log, { logHash: auction?.log_hash, seen: lastSeen(id) });
      result.className = `verify-result ${verdict.ok ? "verified" : "not-verified"}`;
      setText(
        result,
        verdict.ok
          ? `Verified: ${verdict.events} events, every hash links, the rules hold (log ${String(verdict.head).slice(0, 12)}…).`
          : `Not verified: ${verdict.problems[0]}`,
      );
    } catch (err) {
      result.className = "verify-result not-verified";
      setText(result, `Could not verify: ${err.message || err}`);
    } finally {
      button.disabled = false;
    }
  });
  const node = h("section", { class: "verify", "aria-label": "Verify this auction" }, button, result);
  return { node };
}
