/** Time helpers: ISO strings from the server, durations for people. */

/** Milliseconds since the epoch for an ISO string, or null. */
export function parseTime(iso) {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** "1:05:09", "4:09" or "0:07" for a number of milliseconds left. */
export function formatDuration(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, "0")}:${seconds}`;
  return `${minutes}:${seconds}`;
}

/** A short local clock time, "14:03:09". */
export function formatClock(ms) {
  if (ms === null || ms === undefined) return "—";
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** A local date and time, "21 Nov, 14:03". */
export function formatDateTime(ms) {
  if (ms === null || ms === undefined) return "—";
  return new Date(ms).toLocaleString([], {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
}
