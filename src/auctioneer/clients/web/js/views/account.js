/**
 * "Your account" (#/account): change the password, and log out everywhere.
 *
 * Changing the password ends every other session of the user (other
 * browsers, the terminal, bots) and keeps this one; "Log out everywhere"
 * ends them all, this one too (docs/protocol.md actions `change_password`,
 * `logout_everywhere`).
 */
import { h } from "../lib/dom.js";
import { field, formMessage } from "../ui/form.js";
import { go } from "../router.js";

export function accountView({ session }) {
  const user = session.user;
  if (!user) {
    sessionStorage.setItem("auctioneer.back", "#/account");
    return {
      title: "Your account",
      node: h("section", { class: "card narrow" }, h("h1", {}, "Your account"), h("p", {}, h("a", { href: "#/login" }, "Sign in"), " to manage your account.")),
    };
  }
  return {
    title: "Your account",
    node: h(
      "div",
      { class: "account-page" },
      h(
        "section",
        { class: "card narrow" },
        h("h1", {}, "Your account"),
        h("p", {}, `Signed in as ${user.username}, paddle #${user.paddle}${user.role === "admin" ? " (admin)" : ""}.`),
      ),
      passwordForm(session),
      everywhereCard(session),
    ),
  };
}

function passwordForm(session) {
  const current = field({
    label: "Current password",
    name: "old_password",
    type: "password",
    attrs: { autocomplete: "current-password", required: true },
  });
  const next = field({
    label: "New password",
    name: "new_password",
    type: "password",
    hint: "At least 8 characters and hard to guess: a few uncommon words work well.",
    attrs: { autocomplete: "new-password", required: true },
  });
  const again = field({
    label: "New password again",
    name: "new_password_again",
    type: "password",
    attrs: { autocomplete: "new-password", required: true },
  });
  const message = formMessage();

  async function submit() {
    message.show("");
    for (const f of [current, next, again]) f.setError("");
    if (!current.input.value) return current.setError("Enter your current password.");
    if (next.input.value.length < 8) return next.setError("Use at least 8 characters.");
    if (next.input.value !== again.input.value) return again.setError("The two new passwords differ.");
    try {
      await session.changePassword(current.input.value, next.input.value);
      for (const f of [current, next, again]) f.input.value = "";
      message.show("Password changed. Your other sessions have been logged out.", "ok");
    } catch (err) {
      if (err.code === "unauthorized") current.setError("That is not your current password.");
      else if (err.code === "rate_limited") message.show("Too many wrong passwords. Wait a minute and try again.");
      else if (err.details?.field === "new_password" || err.details?.field === "password") next.setError(err.message);
      else message.show(err.message);
    }
  }

  return h(
    "form",
    {
      class: "card narrow",
      novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        submit();
      },
    },
    h("h2", {}, "Change password"),
    current.wrap,
    next.wrap,
    again.wrap,
    message.el,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Change password")),
  );
}

function everywhereCard(session) {
  const message = formMessage();
  return h(
    "section",
    { class: "card narrow" },
    h("h2", {}, "Log out everywhere"),
    h("p", {}, "Ends every session of your account: other browsers, the terminal, bots, and this one. Use it if you signed in on a device you no longer have."),
    message.el,
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        {
          type: "button",
          class: "danger",
          onclick: async () => {
            if (!window.confirm("Log out of every session, this one too?")) return;
            try {
              await session.logoutEverywhere();
              go("#/login");
            } catch (err) {
              message.show(err.message);
            }
          },
        },
        "Log out everywhere",
      ),
    ),
  );
}
