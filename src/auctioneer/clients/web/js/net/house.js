/**
 * The house's terms and its documents: `get_house` (asked once per page
 * load: the buyer's premium every auction page states before a bid), and
 * the invoices, which are HTTP documents (HTML, PDF, CSV) fetched with the
 * session's bearer token and shown from a blob URL.
 */
import { TOKEN_KEY } from "./session.js";

let house = null;

/** The house object (name, currency, premium_text, tax_text, ...), cached. */
export function houseTerms(session) {
  if (!house) {
    house = session.request("get_house", {}).catch((err) => {
      house = null;
      throw err;
    });
  }
  return house;
}

/** GET a document of ours with the bearer token; resolves with a Blob. */
async function fetchDocument(path) {
  const token = localStorage.getItem(TOKEN_KEY);
  const response = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try {
      message = (await response.json()).error.message;
    } catch {
      // not an error object
    }
    throw new Error(message);
  }
  return response.blob();
}

/**
 * Open the invoice of a purchase in a new tab: "html" to print, "pdf" to keep.
 * The tab opens at once (inside the click, so no popup blocker objects) and
 * shows the document when it arrives.
 */
export async function openInvoice(purchaseId, format = "html") {
  const tab = window.open("", "_blank");
  try {
    const blob = await fetchDocument(`/api/purchases/${encodeURIComponent(purchaseId)}/invoice?format=${format}`);
    const url = URL.createObjectURL(blob);
    if (tab) tab.location.href = url;
    else location.assign(url);
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (err) {
    tab?.close();
    throw err;
  }
}

/** Download the invoices as CSV (admins: everyone's). */
export async function downloadInvoicesCsv(unpaid = false) {
  const blob = await fetchDocument(`/api/invoices.csv${unpaid ? "?unpaid=true" : ""}`);
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: "invoices.csv" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
