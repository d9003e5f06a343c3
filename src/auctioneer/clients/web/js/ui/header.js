/**
 * The header: navigation, who is logged in (with paddle; a link to "Your
 * account": password, log out everywhere), "Log out", and the connection
 * state ("Reconnecting…" while the socket is down).
 */
import { h, replace, setText } from "../lib/dom.js";
import { go } from "../router.js";

const STATUS_TEXT = {
  connecting: "Connecting…",
  online: "Live",
  reconnecting: "Reconnecting…",
};

export function mountHeader({ session, notifications }) {
  const nav = document.getElementById("nav-links");
  const account = document.getElementById("account");
  const connection = document.getElementById("connection");

  function renderNav() {
    const links = [h("li", {}, h("a", { href: "#/" }, "Auctions"))];
    if (session.user) {
      const unread = notifications.items.length;
      links.push(
        h(
          "li",
          {},
          h("a", { href: "#/my-bids" }, "My bids", unread ? h("span", { class: "badge", "aria-label": `${unread} notifications` }, String(unread)) : null),
        ),
      );
    }
    if (session.isAdmin) links.push(h("li", {}, h("a", { href: "#/admin" }, "Admin")));
    replace(nav, links);
    markCurrent();
  }

  function renderAccount() {
    const user = session.user;
    if (!user) {
      replace(account, h("a", { class: "button secondary", href: "#/login" }, "Sign in"));
      return;
    }
    replace(
      account,
      h(
        "a",
        { class: "who", href: "#/account", title: "Your account: password, sessions" },
        user.username,
        " ",
        h("span", { class: "paddle", title: "Your paddle number" }, `#${user.paddle}`),
      ),
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          onclick: async () => {
            await session.logout().catch(() => {});
            go("#/");
          },
        },
        "Log out",
      ),
    );
  }

  function renderStatus(status) {
    connection.dataset.state = status;
    setText(connection, STATUS_TEXT[status] || status);
  }

  function markCurrent() {
    for (const link of nav.querySelectorAll("a")) {
      const here = link.getAttribute("href") === (location.hash || "#/") ||
        (link.getAttribute("href") !== "#/" && location.hash.startsWith(link.getAttribute("href")));
      if (here) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  session.on("user", () => {
    renderNav();
    renderAccount();
  });
  session.on("status", renderStatus);
  notifications.on("change", renderNav);
  window.addEventListener("hashchange", markCurrent);
  renderNav();
  renderAccount();
  renderStatus(session.status);
}
