/**
 * The auction page's photos: the chosen one large, and a strip of
 * thumbnails to choose from (buttons, so the keyboard works; the chosen one
 * is `aria-current`). Without photos it is the placeholder tile.
 *
 * `render(auction)` keeps the chosen photo across live updates while it is
 * still shown, so a bid arriving does not reset what a visitor looks at.
 */
import { h, replace } from "../lib/dom.js";
import { picture } from "./picture.js";

export function gallery() {
  const node = h("div", { class: "gallery" });
  let chosen = null;
  let shownKey = "";

  function render(auction) {
    const images = auction?.images || [];
    if (!images.length) {
      chosen = null;
      shownKey = "";
      replace(node, picture(auction));
      return;
    }
    if (!images.some((image) => image.id === chosen)) chosen = images[0].id;
    const key = `${auction.name}|${chosen}|${images.map((image) => image.id).join(",")}`;
    if (key === shownKey) return; // nothing changed: keep the images loaded as they are
    shownKey = key;
    const index = images.findIndex((image) => image.id === chosen);
    const main = images[index];
    const label = `Photo ${index + 1} of ${images.length} of ${auction.name}`;
    replace(
      node,
      h(
        "figure",
        { class: "gallery-main" },
        h("a", { href: main.large, target: "_blank", rel: "noopener", title: "Open the full photo" }, h("img", { class: "picture large gallery-photo", src: main.large, alt: label })),
      ),
      images.length > 1
        ? h(
            "ul",
            { class: "gallery-strip", "aria-label": "Photos" },
            images.map((image, i) =>
              h(
                "li",
                {},
                h(
                  "button",
                  {
                    type: "button",
                    class: "thumb-button",
                    "aria-label": `Show photo ${i + 1} of ${images.length}`,
                    "aria-current": image.id === chosen ? "true" : null,
                    onclick: () => {
                      chosen = image.id;
                      render(auction);
                      // The strip was redrawn: keep the keyboard where it was.
                      node.querySelector('.thumb-button[aria-current="true"]')?.focus();
                    },
                  },
                  h("img", { src: image.thumb, alt: "", loading: "lazy" }),
                ),
              ),
            ),
          )
        : null,
    );
  }

  return { node, render };
}
