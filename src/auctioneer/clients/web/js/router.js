/**
 * Hash routes keep the app a static site: #/, #/login, #/auction/42,
 * #/my-bids, #/account, #/admin, #/admin/auction/42, #/admin/sale.
 */

const ROUTES = [
  [/^#?\/?$/, "list"],
  [/^#\/login$/, "login"],
  [/^#\/auction\/(\d+)$/, "auction"],
  [/^#\/my-bids$/, "myBids"],
  [/^#\/account$/, "account"],
  [/^#\/admin$/, "admin"],
  [/^#\/admin\/auction\/(\d+)$/, "adminAuction"],
  [/^#\/admin\/sale$/, "adminSale"],
];

/** The route name and numeric id (if any) for a location hash. */
export function resolve(hash) {
  for (const [pattern, name] of ROUTES) {
    const match = pattern.exec(hash || "");
    if (match) return { name, id: match[1] ? Number(match[1]) : null };
  }
  return { name: "notFound", id: null };
}

/** Go to a hash route. */
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}
