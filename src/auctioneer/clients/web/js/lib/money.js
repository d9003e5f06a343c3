/**
 * Money on the wire is an integer of minor units (docs/protocol.md "Money"):
 * 12550 is 125.50. People type and read "125.50"; floats never touch it.
 */

export const MAX_AMOUNT = 10 ** 12;

/** Format minor units as "1,234.50". */
export function formatMoney(minor) {
  if (minor === null || minor === undefined) return "—";
  const negative = minor < 0;
  const abs = Math.abs(minor);
  const units = Math.floor(abs / 100);
  const cents = String(abs % 100).padStart(2, "0");
  const grouped = String(units).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "-" : ""}${grouped}.${cents}`;
}

/**
 * Parse "125.50", "125.5", "125", "1,250" into minor units.
 *
 * Returns null for anything else (empty, negative, more than two decimals,
 * letters, above the protocol's limit).
 */
export function parseMoney(text) {
  const cleaned = String(text ?? "").trim().replace(/[,\s]/g, "");
  const match = /^(\d+)(?:\.(\d{0,2}))?$/.exec(cleaned);
  if (!match) return null;
  const units = Number(match[1]);
  const cents = Number((match[2] || "").padEnd(2, "0"));
  const minor = units * 100 + cents;
  if (!Number.isSafeInteger(minor) || minor > MAX_AMOUNT) return null;
  return minor;
}

/** Minor units as a plain input value "125.50" (no grouping, easy to edit). */
export function moneyInputValue(minor) {
  if (minor === null || minor === undefined) return "";
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, "0")}`;
}
