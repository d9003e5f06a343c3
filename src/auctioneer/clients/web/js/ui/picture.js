/**
 * The lot's picture: the auction's `image_url` when the server has one,
 * else a placeholder drawn from the name (a coloured tile with initials).
 */
import { h } from "../lib/dom.js";

const COLOURS = ["#1d3f72", "#7a3b69", "#2f6f4f", "#8a4b08", "#3f4a8a", "#6b4226"];

function hash(text) {
  let value = 0;
  for (const ch of text) value = (value * 31 + ch.codePointAt(0)) >>> 0;
  return value;
}

export function picture(auction, { size = "large" } = {}) {
  const name = auction?.name || "?";
  if (auction?.image_url) {
    return h("img", { class: `picture ${size}`, src: auction.image_url, alt: `Photo of ${name}` });
  }
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0].toUpperCase())
    .join("");
  return h(
    "div",
    { class: `picture placeholder ${size}`, style: `--tile:${COLOURS[hash(name) % COLOURS.length]}`, "aria-hidden": "true" },
    initials,
  );
}
