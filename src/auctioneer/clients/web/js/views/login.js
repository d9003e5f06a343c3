/** Log in or register (register logs in straight after). */
import { h } from "../lib/dom.js";
import { field, formMessage } from "../ui/form.js";
import { go } from "../router.js";

/**
 * The log-in/register form: fields "Username" and "Password", buttons
 * "Log in" and "Register". Also shown on the auction list to visitors.
 *
 * @param {{session}} app
 * @param {{heading?: string, compact?: boolean}} options
 */
export function loginForm({ session }, { heading = "Sign in", compact = false } = {}) {
  const username = field({
    label: "Username",
    name: "username",
    hint: "3 to 32 letters, digits, dots, dashes or underscores.",
    attrs: { autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" },
  });
  const password = field({
    label: "Password",
    name: "password",
    type: "password",
    hint: "At least 8 characters.",
    attrs: { autocomplete: "current-password", required: true },
  });
  const message = formMessage();

  function validate(forRegister) {
    let ok = true;
    const name = username.input.value.trim();
    if (!/^[A-Za-z0-9_.-]{3,32}$/.test(name)) {
      username.setError("Use 3 to 32 letters, digits, dots, dashes or underscores.");
      ok = false;
    } else username.setError("");
    if (password.input.value.length < (forRegister ? 8 : 1)) {
      password.setError(forRegister ? "Use at least 8 characters." : "Enter your password.");
      ok = false;
    } else password.setError("");
    return ok;
  }

  async function submit(action) {
    message.show("");
    if (!validate(action === "register")) return;
    const name = username.input.value.trim();
    try {
      if (action === "register") await session.register(name, password.input.value);
      else await session.login(name, password.input.value);
      const back = sessionStorage.getItem("auctioneer.back");
      sessionStorage.removeItem("auctioneer.back");
      go(back || "#/");
    } catch (err) {
      if (err.code === "username_taken") username.setError("That username is taken; choose another or log in.");
      else if (err.code === "unauthorized") message.show("Wrong username or password.");
      else if (err.code === "rate_limited") message.show("Too many attempts. Wait a minute and try again.");
      else message.show(err.message);
    }
  }

  return h(
    "form",
    {
      class: compact ? "card login-inline" : "card narrow",
      novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        submit(e.submitter?.value === "register" ? "register" : "login");
      },
    },
    h(compact ? "h2" : "h1", {}, heading),
    h("p", {}, compact ? "" : "Log in to bid. ", "New here? Pick a username and password and press Register."),
    username.wrap,
    password.wrap,
    message.el,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", value: "login" }, "Log in"),
      h("button", { type: "submit", value: "register", class: "secondary" }, "Register"),
    ),
  );
}

export function loginView(app) {
  const { session } = app;
  if (session.user) {
    return {
      title: "Signed in",
      node: h(
        "section",
        { class: "card narrow" },
        h("h1", {}, "Signed in"),
        h("p", {}, `You are logged in as ${session.user.username}. `, h("a", { href: "#/" }, "See the auctions.")),
      ),
    };
  }
  return { title: "Sign in", node: loginForm(app) };
}
