/**
 * Photo uploads: `POST /api/auctions/{id}/images` over HTTP (multipart), the
 * one action a socket cannot carry (a photo is up to 10 MB, a socket message
 * 64 KB). Same origin as the page, with the session's bearer token.
 */
import { TOKEN_KEY } from "./session.js";

export class UploadError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** Attach `files` (File objects) to the auction; resolves with `{auction}`. */
export async function uploadImages(auctionId, files) {
  const body = new FormData();
  for (const file of files) body.append("file", file, file.name);
  const token = localStorage.getItem(TOKEN_KEY);
  let response;
  try {
    response = await fetch(`/api/auctions/${auctionId}/images`, {
      method: "POST",
      body,
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
  } catch {
    throw new UploadError("unreachable", "The server could not be reached; try again.", 0);
  }
  let result = null;
  try {
    result = await response.json();
  } catch {
    // not JSON: reported below
  }
  if (response.ok && result) return result;
  const error = result?.error || {};
  throw new UploadError(error.code || "internal", error.message || `Upload failed (HTTP ${response.status})`, response.status);
}
