/**
 * The admin's photo manager on the auction's admin page: drop photos (or
 * choose them), see previews, upload them; reorder by dragging (or the
 * arrow buttons, for the keyboard) and remove. The first photo is the cover
 * shown in lists.
 *
 * Uploading is HTTP (net/upload.js); removing and reordering are the
 * `remove_images` and `reorder_images` actions. The server checks every file
 * (type by content, size, count) and its answer is what is shown: this page
 * does not second-guess it.
 */
import { h, replace, setText } from "../lib/dom.js";
import { formMessage } from "../ui/form.js";
import { uploadImages } from "../net/upload.js";

const DRAG_TYPE = "application/x-auctioneer-image";

function sizeText(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

export function photoManager({ session, store }, id) {
  let pending = []; // [{file, url}]
  let images = [];
  let busy = false;
  const message = formMessage();
  const current = h("ol", { class: "photo-list", "aria-label": "Photos of this lot" });
  const empty = h("p", { class: "muted" }, "No photos yet: the lot shows a tile with its initials.");
  const queued = h("ul", { class: "photo-list pending", "aria-label": "Photos to upload" });
  const input = h("input", {
    type: "file",
    id: `photo-input-${id}`,
    class: "visually-hidden",
    multiple: true,
    accept: "image/jpeg,image/png,image/webp",
    onchange: () => {
      add([...input.files]);
      input.value = "";
    },
  });
  const uploadButton = h("button", { type: "button", onclick: upload, disabled: true }, "Upload photos");
  const clearButton = h("button", { type: "button", class: "secondary", onclick: clear, hidden: true }, "Clear");
  const zone = h(
    "div",
    {
      class: "dropzone",
      "data-testid": "photo-dropzone",
      ondragover: (event) => {
        if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
        event.preventDefault();
        zone.classList.add("over");
      },
      ondragleave: () => zone.classList.remove("over"),
      ondrop: (event) => {
        zone.classList.remove("over");
        const files = [...(event.dataTransfer?.files || [])];
        if (!files.length) return;
        event.preventDefault();
        add(files);
      },
    },
    h("p", {}, "Drop photos here, or ", h("label", { for: input.id, class: "button secondary small" }, "Choose photos"), input),
    h("p", { class: "hint" }, "JPEG, PNG or WebP, up to 10 MB each, 10 photos per lot. Drag photos to reorder them; the first is the cover."),
  );

  function add(files) {
    for (const file of files) pending.push({ file, url: URL.createObjectURL(file) });
    message.show("");
    renderPending();
  }

  function clear() {
    for (const item of pending) URL.revokeObjectURL(item.url);
    pending = [];
    renderPending();
  }

  function renderPending() {
    replace(
      queued,
      pending.map((item, i) =>
        h(
          "li",
          { class: "photo pending" },
          h("img", { src: item.url, alt: `Preview of ${item.file.name}` }),
          h("span", { class: "photo-name" }, item.file.name, h("br"), h("span", { class: "muted" }, sizeText(item.file.size))),
          h(
            "button",
            {
              type: "button",
              class: "small secondary",
              "aria-label": `Do not upload ${item.file.name}`,
              onclick: () => {
                URL.revokeObjectURL(item.url);
                pending.splice(i, 1);
                renderPending();
              },
            },
            "✕",
          ),
        ),
      ),
    );
    queued.hidden = pending.length === 0;
    setText(uploadButton, pending.length > 1 ? `Upload ${pending.length} photos` : "Upload photo");
    uploadButton.disabled = busy || pending.length === 0;
    uploadButton.hidden = pending.length === 0;
    clearButton.hidden = pending.length === 0;
  }

  async function upload() {
    if (!pending.length || busy) return;
    busy = true;
    renderPending();
    const count = pending.length;
    message.show(count > 1 ? `Uploading ${count} photos…` : "Uploading the photo…", "ok");
    try {
      const { auction } = await uploadImages(id, pending.map((item) => item.file));
      store.putAuction(auction);
      clear();
      message.show(count > 1 ? `Uploaded ${count} photos.` : "Uploaded the photo.", "ok");
    } catch (err) {
      message.show(`Not uploaded: ${err.message}`);
    } finally {
      busy = false;
      renderPending();
    }
  }

  async function run(action, imageIds, done) {
    try {
      const { auction } = await session.request(action, { auction_id: id, image_ids: imageIds });
      store.putAuction(auction);
      message.show(done, "ok");
    } catch (err) {
      message.show(err.message);
    }
  }

  function move(from, to) {
    if (to < 0 || to >= images.length || from === to) return;
    const order = images.map((image) => image.id);
    const [moved] = order.splice(from, 1);
    order.splice(to, 0, moved);
    run("reorder_images", order, `Moved photo ${from + 1} to place ${to + 1}.`);
  }

  function photoItem(image, i) {
    const n = images.length;
    const item = h(
      "li",
      {
        class: "photo",
        draggable: "true",
        "data-image": image.id,
        ondragstart: (event) => {
          event.dataTransfer.setData(DRAG_TYPE, String(i));
          event.dataTransfer.effectAllowed = "move";
          item.classList.add("dragging");
        },
        ondragend: () => item.classList.remove("dragging"),
        ondragover: (event) => {
          if (![...(event.dataTransfer?.types || [])].includes(DRAG_TYPE)) return;
          event.preventDefault();
          item.classList.add("over");
        },
        ondragleave: () => item.classList.remove("over"),
        ondrop: (event) => {
          item.classList.remove("over");
          const from = Number(event.dataTransfer.getData(DRAG_TYPE));
          if (Number.isNaN(from) || event.dataTransfer.getData(DRAG_TYPE) === "") return;
          event.preventDefault();
          event.stopPropagation();
          move(from, i);
        },
      },
      h("img", { src: image.thumb, alt: `Photo ${i + 1}${i === 0 ? " (cover)" : ""}`, draggable: "false" }),
      h("span", { class: "photo-name", "aria-hidden": "true" }, i === 0 ? "1 · cover" : String(i + 1)),
      h(
        "span",
        { class: "photo-actions" },
        h("button", { type: "button", class: "small secondary", disabled: i === 0, "aria-label": `Move photo ${i + 1} earlier`, title: "Move earlier", onclick: () => move(i, i - 1) }, "←"),
        h("button", { type: "button", class: "small secondary", disabled: i === n - 1, "aria-label": `Move photo ${i + 1} later`, title: "Move later", onclick: () => move(i, i + 1) }, "→"),
        h(
          "button",
          {
            type: "button",
            class: "small danger",
            "aria-label": `Remove photo ${i + 1}`,
            title: "Remove this photo",
            onclick: () => confirm(`Remove photo ${i + 1} from this lot?`) && run("remove_images", [image.id], `Removed photo ${i + 1}.`),
          },
          "✕",
        ),
      ),
    );
    return item;
  }

  function render(auction) {
    images = auction?.images || [];
    replace(current, images.map(photoItem));
    current.hidden = images.length === 0;
    empty.hidden = images.length > 0;
  }

  renderPending();
  const node = h(
    "section",
    { class: "card photos-card", "aria-labelledby": `photos-title-${id}` },
    h("h2", { id: `photos-title-${id}` }, "Photos"),
    current,
    empty,
    zone,
    queued,
    h("div", { class: "row-actions" }, uploadButton, clearButton),
    message.el,
  );
  return { node, render, unmount: clear };
}
