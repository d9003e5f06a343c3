/**
 * The lot's picture: its first photo (the cover) when it has any, the
 * thumbnail in lists and the large version on a page; else a placeholder
 * drawn from the name (a coloured tile with initials).
 */
import { h } from "../lib/dom.js";

const COLOURS = ["#1d3f72", "#7a3b69", "#2f6f4f", "#8a4b08", "#3f4a8a", "#6b4226"];

function hash(text) {
  let value = 0;
  for (const ch of text) value = (value * 31 + ch.codePointAt(0)) >>> 0;
  return value;
}

/** The URL of the cover photo in `size` ("small" uses the thumbnail), or null. */
export function coverUrl(auction, size = "large") {
  const cover = auction?.images?.[0];
  if (cover) return size === "small" ? cover.thumb : cover.large;
  return auction?.image_url || null;
}

export function picture(auction, { size = "large" } = {}) {
  const name = auction?.name || "?";
  const src = coverUrl(auction, size);
  if (src) {
    return h("img", { class: `picture ${size}`, src, alt: `Photo of ${name}`, loading: size === "small" ? "lazy" : null, decoding: "async" });
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
