/**
 * A tiny element builder: h("button", {type: "button", onclick}, "Place bid").
 *
 * Attributes whose name starts with "on" become event listeners; `class`,
 * `for`, `aria-*` and `data-*` are set as attributes; booleans toggle.
 * `style` ("a: b; --c: d") is applied property by property through the
 * CSSOM: the Content-Security-Policy (docs/security.md) refuses a style
 * *attribute*, not styles set from the app's own script.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "value") {
      el.value = value;
    } else if (key === "checked") {
      el.checked = Boolean(value);
    } else if (key === "style" && !el.style?.setProperty) {
      el.setAttribute(key, String(value)); // a DOM without the CSSOM (the module tests' stand-in)
    } else if (key === "style") {
      for (const declaration of String(value).split(";")) {
        const colon = declaration.indexOf(":");
        if (colon > 0) el.style.setProperty(declaration.slice(0, colon).trim(), declaration.slice(colon + 1).trim());
      }
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/** Append children (strings, nodes, arrays, null) to `el`. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace every child of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Set text only when it changed, so screen readers and selections are not disturbed. */
export function setText(el, text) {
  const value = String(text);
  if (el.textContent !== value) el.textContent = value;
}

let uid = 0;
/** A unique id for label/field pairs. */
export function nextId(prefix = "f") {
  uid += 1;
  return `${prefix}-${uid}`;
}
