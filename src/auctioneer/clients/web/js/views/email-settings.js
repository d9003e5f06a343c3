/**
 * "E-mail" on My bids: your address (verified or not), a form to give a new
 * one (the server mails a link to confirm it), and a switch per kind of mail.
 * Everything shown is what the server answered (`get_email`).
 */
import { h, replace, setText } from "../lib/dom.js";
import { checkbox, field, formMessage } from "../ui/form.js";

const KINDS = {
  outbid: "When someone outbids me",
  won: "When I win or buy (with the invoice)",
  auction_lost: "When an auction I bid on closes without me",
  ending_soon: "When an auction I watch is about to end",
  auto_bid_exhausted: "When my auto-bid reaches its maximum",
};

export function emailSettings(session) {
  const status = h("p", { class: "email-status" });
  const address = field({ label: "E-mail address", name: "email", type: "email", attrs: { autocomplete: "email" } });
  const message = formMessage();
  const kinds = h("fieldset", { class: "mail-kinds" });

  function show(email) {
    setText(
      status,
      email.address === null
        ? "No address yet: give one to get mail."
        : `${email.address} — ${email.verified ? "verified" : "not verified yet: follow the link we mailed you"}`,
    );
    replace(
      kinds,
      h("legend", {}, "Mail me"),
      Object.entries(KINDS).map(([kind, label]) => {
        const box = checkbox({ label, name: `mail-${kind}`, checked: email.kinds[kind] });
        box.input.addEventListener("change", () => setKind(kind, box.input.checked));
        return box.wrap;
      }),
    );
  }

  async function load() {
    try {
      show((await session.request("get_email", {})).email);
    } catch (err) {
      message.show(err.message);
    }
  }

  async function setKind(kind, enabled) {
    try {
      show((await session.request("set_mail_kind", { kind, enabled })).email);
    } catch (err) {
      message.show(err.message);
    }
  }

  async function save(event) {
    event.preventDefault();
    message.show("");
    const value = address.input.value.trim();
    if (!/^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$/.test(value)) {
      address.setError("Enter an address like you@example.com.");
      return;
    }
    address.setError("");
    try {
      show((await session.request("set_email", { email: value })).email);
      address.input.value = "";
      message.show(`We mailed a link to ${value}: follow it to confirm the address.`, "ok");
    } catch (err) {
      if (err.code === "rate_limited") message.show("We just mailed you a link. Wait a minute before asking again.");
      else address.setError(err.message);
    }
  }

  const node = h(
    "section",
    { class: "card", "aria-labelledby": "email-title" },
    h("h2", { id: "email-title" }, "E-mail"),
    status,
    h("form", { class: "email-form", novalidate: true, onsubmit: save }, address.wrap, h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, "Save address"))),
    kinds,
    message.el,
  );
  load();
  return { node };
}
