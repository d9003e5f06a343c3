/**
 * One timer drives every countdown on the page. A countdown is any element
 * with `data-countdown`, its target time in `data-deadline` (epoch ms, server
 * clock) and the auction status in `data-status`; a live lot with no end
 * and no bid counts down to `data-passes`, when it passes unsold. In the last
 * URGENT_MS it gets the class "urgent"; when the deadline moves later it
 * briefly gets "extended". Once the end stands at its soft-close cap
 * (`data-final`, the server's `cap_reached`) it says so: no bid extends it.
 */
import { serverClock } from "../net/clock.js";
import { formatDuration } from "../lib/time.js";
import { setText } from "../lib/dom.js";

export const URGENT_MS = 10_000;

/** Fill a countdown element's data attributes from an auction. */
export function setCountdown(el, { deadlineMs, status, countdownS, passesMs, final = false }) {
  const before = Number(el.dataset.deadline || 0);
  el.dataset.final = final ? "true" : "";
  el.dataset.deadline = deadlineMs ?? "";
  el.dataset.passes = passesMs ?? "";
  el.dataset.status = status || "";
  el.dataset.countdownS = countdownS ?? "";
  if (before && deadlineMs && deadlineMs > before + 500 && status === "open") {
    el.classList.add("extended");
    el.dataset.extendedUntil = String(Date.now() + 3000);
  }
  update(el);
}

function update(el) {
  const status = el.dataset.status;
  const deadlineMs = Number(el.dataset.deadline || 0);
  let text;
  let urgent = false;
  if (status === "closed" || status === "cancelled") {
    text = status === "cancelled" ? "Cancelled" : "Ended";
  } else if (!deadlineMs) {
    const passesMs = Number(el.dataset.passes || 0);
    if (status === "scheduled") text = "Waiting to start";
    else if (passesMs) {
      // A live lot with no bid passes unsold at the time the server states.
      const left = passesMs - serverClock.now();
      text = left > 0 ? `No bid yet: passes in ${formatDuration(left)}` : "Passing…";
      urgent = left <= URGENT_MS;
    } else text = el.dataset.countdownS ? `${el.dataset.countdownS} s after the first bid` : "No end time";
  } else {
    const left = deadlineMs - serverClock.now();
    if (status === "scheduled") {
      text = left > 0 ? `Starts in ${formatDuration(left)}` : "Starting…";
    } else {
      text = left > 0 ? formatDuration(left) : "Closing…";
      urgent = left <= URGENT_MS;
      if (left > 0 && el.dataset.final) text += " · final"; // the cap: no bid extends it any more
    }
  }
  if (el.classList.contains("extended") && Date.now() > Number(el.dataset.extendedUntil || 0)) {
    el.classList.remove("extended");
  }
  if (el.classList.contains("extended") && !el.dataset.final) text += " (extended)";
  el.title = el.dataset.final ? "Final: no more extensions" : "";
  el.classList.toggle("urgent", urgent);
  setText(el, text);
}

export function startCountdowns() {
  setInterval(() => {
    for (const el of document.querySelectorAll("[data-countdown]")) update(el);
  }, 250);
}
