// Reads a response body with a size cap and decodes it: JSON when the content type says so (or
// when there is no content type and the text is JSON), text otherwise, null when empty.

import { JimError } from "../errors.ts";
import { readStreamBytes } from "../stream_bytes.ts";

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The body as text, refusing more than `maxBytes` bytes. Cancels the stream on refusal. */
export async function readBodyText(
  response: Response,
  maxBytes: number,
  describe: string,
): Promise<string> {
  return new TextDecoder().decode(await readBodyBytes(response, maxBytes, describe));
}

/** The body's bytes, refusing more than `maxBytes`. Cancels the stream on refusal. */
export async function readBodyBytes(
  response: Response,
  maxBytes: number,
  describe: string,
): Promise<Uint8Array> {
  const tooLarge = () =>
    new JimError(
      "protocol",
      `the response to ${describe} is larger than ${formatBytes(maxBytes)}; jim refuses it`,
    );
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array(0);
  // A declared length within the cap bounds the body (fetch holds the server to it), so it can
  // be read in one native step: a quarter of a long export's time went to reading chunk by chunk.
  // Not when fetch decodes a content-encoding: the length is then that of the encoded body.
  const encoding = response.headers.get("content-encoding");
  if (Number.isFinite(declared) && (encoding === null || encoding === "identity")) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > maxBytes) throw tooLarge();
    return bytes;
  }
  return await readStreamBytes(response.body, maxBytes, tooLarge);
}

export function isJsonContentType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const type = contentType.split(";", 1)[0].trim().toLowerCase();
  return type === "application/json" || /^[a-z]+\/[a-z0-9.+-]*\+json$/.test(type);
}

export type DecodedBody =
  | { readonly kind: "json"; readonly value: unknown }
  | { readonly kind: "text"; readonly value: string }
  | { readonly kind: "empty"; readonly value: null }
  | { readonly kind: "malformed"; readonly value: string; readonly reason: string };

/** Decodes body text by content type; never throws. */
export function decodeBody(text: string, contentType: string | null): DecodedBody {
  if (text.trim() === "") return { kind: "empty", value: null };
  if (isJsonContentType(contentType)) {
    try {
      return { kind: "json", value: JSON.parse(text) };
    } catch (error) {
      return { kind: "malformed", value: text, reason: (error as Error).message };
    }
  }
  if (contentType === null && /^\s*[[{]/.test(text)) {
    try {
      return { kind: "json", value: JSON.parse(text) };
    } catch {
      // not JSON after all: plain text
    }
  }
  return { kind: "text", value: text };
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
