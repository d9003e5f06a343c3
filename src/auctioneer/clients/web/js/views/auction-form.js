/**
 * The fields of a new auction (docs/protocol.md "Auction fields"), with their
 * validation next to each field. Used by "Create auction" and by the lot
 * builder of "Create sale".
 */
import { h } from "../lib/dom.js";
import { parseMoney } from "../lib/money.js";
import { checkbox, field } from "../ui/form.js";
import { incrementTable } from "../ui/increment-table.js";

const SECONDS = { inputmode: "numeric", autocomplete: "off" };
const MONEY = { inputmode: "decimal", autocomplete: "off" };

/** Map of wire field -> how the form asks for it. */
const SPECS = [
  ["name", { label: "Name", attrs: { maxlength: 200, required: true } }],
  ["description", { label: "Description", multiline: true }],
  ["starting_bid", { label: "Starting bid", hint: "For example 10.00", attrs: { ...MONEY, required: true } }],
  ["min_increment", { label: "Minimum increment", hint: "Smallest raise; 1.00 if empty", attrs: MONEY }],
  ["reserve", { label: "Reserve", hint: "Optional. No sale below this price; hidden from bidders", attrs: MONEY }],
  ["buy_now", { label: "Buy-now price", hint: "Optional. Offered until the first bid", attrs: MONEY }],
  ["quantity", { label: "Quantity", hint: "Units sold one after another; 1 if empty", attrs: SECONDS }],
  ["duration_s", { label: "Duration (seconds)", hint: "How long bidding runs", attrs: SECONDS }],
  ["countdown_s", { label: "Countdown (seconds)", hint: "Each bid leaves at least this long; with no duration it starts at the first bid", attrs: SECONDS }],
  ["soft_close_s", { label: "Soft close (seconds)", hint: "A late bid extends the end by this much", attrs: SECONDS }],
  ["max_extension_s", { label: "Longest extension (seconds)", hint: "Optional. Late bids add at most this much in all; then the end is final", attrs: SECONDS }],
];

const MONEY_FIELDS = new Set(["starting_bid", "min_increment", "reserve", "buy_now"]);

export function auctionFields({ withStart = true } = {}) {
  const fields = new Map(SPECS.map(([key, spec]) => [key, field({ name: key, ...spec })]));
  const starts = withStart
    ? field({ name: "starts_at", label: "Starts at", type: "datetime-local", hint: "Optional. Now if empty" })
    : null;
  const publicBox = checkbox({ label: "Public", name: "public", checked: true });
  const bands = incrementTable();

  const node = h(
    "div",
    { class: "form-grid" },
    [...fields.values()].map((f) => f.wrap),
    starts?.wrap,
    publicBox.wrap,
    bands.wrap,
  );

  /** Validate; returns the wire fields, or null after showing the errors. */
  function read() {
    const out = {};
    let ok = true;
    const error = (key, text) => {
      fields.get(key).setError(text);
      ok = false;
    };
    for (const [key, f] of fields) {
      f.setError("");
      const raw = f.input.value.trim();
      if (key === "name") {
        if (!raw) error(key, "Give the auction a name.");
        else if (raw.length > 200) error(key, "At most 200 characters.");
        else out.name = raw;
      } else if (key === "description") {
        if (raw) out.description = raw;
      } else if (MONEY_FIELDS.has(key)) {
        if (!raw) {
          if (key === "starting_bid") error(key, "Enter the opening price, like 10.00.");
          continue;
        }
        const minor = parseMoney(raw);
        if (minor === null || minor < 1) error(key, "Enter an amount like 125.50.");
        else out[key] = minor;
      } else if (raw) {
        if (!/^\d+$/.test(raw) || Number(raw) < 1) error(key, "Enter a whole number, 1 or more.");
        else out[key] = Number(raw);
      }
    }
    if (out.buy_now !== undefined && out.starting_bid !== undefined && out.buy_now < out.starting_bid) {
      error("buy_now", "The buy-now price must be at least the starting bid.");
    }
    if (out.reserve !== undefined && out.buy_now !== undefined && out.buy_now < out.reserve) {
      error("buy_now", "The buy-now price must be at least the reserve.");
    }
    if (out.reserve !== undefined && out.starting_bid !== undefined && out.reserve < out.starting_bid) {
      error("reserve", "The reserve must be at least the starting bid.");
    }
    if (ok && out.duration_s === undefined && out.countdown_s === undefined) {
      error("duration_s", "Give a duration or a countdown, so that the auction ends.");
    }
    if (starts) {
      starts.setError("");
      const raw = starts.input.value;
      if (raw) {
        const ms = Date.parse(raw);
        if (Number.isNaN(ms)) {
          starts.setError("Pick a date and time.");
          ok = false;
        } else out.starts_at = new Date(ms).toISOString();
      }
    }
    const table = bands.read();
    if (table === undefined) ok = false;
    else if (table) out.increments = table;
    out.public = publicBox.input.checked;
    return ok ? out : null;
  }

  /** Show a server error next to its field when the error names one. */
  function showServerError(err) {
    const key = err.details?.field;
    if (key === "increments") {
      const band = err.details?.band;
      bands.setError(band === undefined ? err.message : `Band ${band + 1}: ${err.message}`);
      return true;
    }
    if (key && fields.has(key)) {
      fields.get(key).setError(err.message);
      return true;
    }
    return false;
  }

  function reset() {
    for (const f of fields.values()) {
      f.input.value = "";
      f.setError("");
    }
    if (starts) starts.input.value = "";
    publicBox.input.checked = true;
    bands.reset();
  }

  function focusFirstError() {
    const bad = node.querySelector('[aria-invalid="true"]');
    (bad?.matches("fieldset") ? bad.querySelector("input:not([readonly])") : bad)?.focus();
  }

  return { node, read, reset, showServerError, focusFirstError };
}
