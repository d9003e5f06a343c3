/**
 * Labelled form fields with their validation message next to them
 * (aria-describedby + aria-invalid), so errors are read out with the field.
 */
import { h, nextId, setText } from "../lib/dom.js";

/**
 * @param {{label: string, name?: string, type?: string, value?: string,
 *   hint?: string, multiline?: boolean, attrs?: object}} spec
 */
export function field({ label, name, type = "text", value = "", hint, multiline = false, attrs = {} }) {
  const id = nextId(name || "field");
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ");
  const input = multiline
    ? h("textarea", { id, name, rows: 3, "aria-describedby": describedBy, ...attrs }, value)
    : h("input", { id, name, type, value, "aria-describedby": describedBy, ...attrs });
  const error = h("p", { id: errorId, class: "field-error", hidden: true });
  const wrap = h(
    "div",
    { class: `field field-${type}` },
    h("label", { for: id }, label),
    hint ? h("p", { id: hintId, class: "hint" }, hint) : null,
    input,
    error,
  );
  return {
    wrap,
    input,
    setError(message) {
      error.hidden = !message;
      setText(error, message || "");
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    },
  };
}

/** A checkbox with its label after it. */
export function checkbox({ label, name, checked = false }) {
  const id = nextId(name || "check");
  const input = h("input", { id, name, type: "checkbox", checked });
  return { wrap: h("div", { class: "field field-checkbox" }, input, h("label", { for: id }, label)), input };
}

/** A form-level message (errors are announced at once). */
export function formMessage() {
  const el = h("p", { class: "form-message", role: "alert", hidden: true });
  return {
    el,
    show(text, kind = "error") {
      el.hidden = !text;
      el.dataset.kind = kind;
      setText(el, text || "");
    },
  };
}
