/**
 * The admin's increment table (docs/protocol.md "Increment bands"): rows of
 * "from this price, bids rise by", the first from 0.00. Empty means the fixed
 * minimum increment. The form checks what a person can fix at once (amounts,
 * ascending prices); the server checks the rest and names the band at fault.
 */
import { h, nextId, setText } from "../lib/dom.js";
import { parseMoney } from "../lib/money.js";

const MONEY = { inputmode: "decimal", autocomplete: "off" };
const MAX_BANDS = 20;

export function incrementTable() {
  const rows = h("tbody");
  const errorId = nextId("increments-error");
  const error = h("p", { id: errorId, class: "field-error", hidden: true });
  const add = h("button", { type: "button", class: "secondary", onclick: () => addRow() }, "Add band");
  const wrap = h(
    "fieldset",
    { class: "increment-table", "aria-describedby": errorId },
    h("legend", {}, "Increment bands"),
    h("p", { class: "hint" }, "Optional: bids rise by a step that depends on the price, like 0.05 below 1.00 and 0.25 from 1.00. Empty: the minimum increment everywhere."),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "From price"), h("th", {}, "Bids rise by"), h("th", {}))), rows),
    add,
    error,
  );

  function addRow(from = "", step = "") {
    if (rows.children.length >= MAX_BANDS) return;
    const first = rows.children.length === 0;
    const fromInput = h("input", { ...MONEY, name: "increment_from", "aria-label": "From price", value: first ? "0.00" : from, readonly: first });
    const stepInput = h("input", { ...MONEY, name: "increment_step", "aria-label": "Bids rise by", value: step });
    const remove = h("button", { type: "button", class: "secondary", "aria-label": "Remove band", onclick: () => { row.remove(); renumber(); } }, "Remove");
    const row = h("tr", {}, h("td", {}, fromInput), h("td", {}, stepInput), h("td", {}, remove));
    rows.append(row);
    add.disabled = rows.children.length >= MAX_BANDS;
    return row;
  }

  /** The first band always starts at 0.00 (its price is not editable). */
  function renumber() {
    const first = rows.querySelector("tr input[name=increment_from]");
    if (first) {
      first.value = "0.00";
      first.readOnly = true;
    }
    add.disabled = rows.children.length >= MAX_BANDS;
  }

  function setError(text) {
    error.hidden = !text;
    setText(error, text || "");
    if (text) wrap.setAttribute("aria-invalid", "true");
    else wrap.removeAttribute("aria-invalid");
  }

  /** The wire table, null for none, or undefined after showing an error. */
  function read() {
    setError("");
    const bands = [];
    let index = 0;
    for (const row of rows.children) {
      index += 1;
      const [fromInput, stepInput] = row.querySelectorAll("input");
      const stepText = stepInput.value.trim();
      if (!stepText && index > 1 && !fromInput.value.trim()) continue; // an empty extra row
      const from = index === 1 ? 0 : parseMoney(fromInput.value);
      const step = parseMoney(stepText);
      if (from === null || (index > 1 && from < 1)) return fail(`Band ${index}: enter the price it starts at, like 5.00.`);
      if (step === null || step < 1) return fail(`Band ${index}: enter the step, like 0.25.`);
      if (bands.length && from <= bands[bands.length - 1].from) return fail(`Band ${index}: each band starts above the one before.`);
      bands.push({ from, increment: step });
    }
    return bands.length ? bands : null;
  }

  function fail(text) {
    setError(text);
    return undefined;
  }

  function reset() {
    rows.replaceChildren();
    setError("");
    add.disabled = false;
  }

  return { wrap, read, reset, setError };
}
