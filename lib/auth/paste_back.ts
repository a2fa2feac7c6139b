// Paste-back: the browser sign-in finished on another computer, whose browser ended on a
// http://localhost:PORT/callback/?code=...&state=... page that did not load (nothing listens
// there). The user pastes that address (or its query) on jim's terminal; it goes through the
// listener's own checks. Lines are bounded; a pasted line is never echoed or quoted in a
// message, since it carries the authorization code.

export const MAX_PASTE_LINE = 8192;

export type PasteParse =
  | { readonly kind: "params"; readonly params: URLSearchParams }
  | { readonly kind: "empty" }
  | { readonly kind: "not_callback" };

/** The callback query in a pasted line: a whole callback URL, "?code=...", or "code=...". */
export function parsePastedCallback(line: string): PasteParse {
  const text = line.trim();
  if (text === "") return { kind: "empty" };
  let query: string;
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { kind: "not_callback" };
    }
    if (!/^\/callback\/?$/.test(url.pathname)) return { kind: "not_callback" };
    query = url.search;
  } else {
    query = text;
  }
  const params = new URLSearchParams(query.startsWith("?") ? query.slice(1) : query);
  if (!params.has("state") || !(params.has("code") || params.has("error"))) {
    return { kind: "not_callback" };
  }
  return { kind: "params", params };
}

/**
 * Lines of `stream` (UTF-8), each at most `maxLength` characters: a longer line is reported
 * as `null` (its text is dropped) and reading goes on after its end. Ends at end of input or
 * when `signal` aborts (the reader is released, the stream cancelled).
 */
export async function* boundedLines(
  stream: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  maxLength = MAX_PASTE_LINE,
): AsyncGenerator<string | null> {
  const reader = stream.getReader();
  const abort = () => reader.cancel().catch(() => {});
  signal.addEventListener("abort", abort, { once: true });
  const decoder = new TextDecoder();
  let pending = "";
  let overlong = false;
  try {
    while (!signal.aborted) {
      const { value, done } = await reader.read();
      if (done || signal.aborted) break;
      pending += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, newline).replace(/\r$/, "");
        pending = pending.slice(newline + 1);
        if (overlong || line.length > maxLength) yield null;
        else yield line;
        overlong = false;
      }
      if (pending.length > maxLength) {
        overlong = true;
        pending = "";
      }
    }
    if (!signal.aborted && (pending !== "" || overlong)) {
      yield overlong || pending.length > maxLength ? null : pending;
    }
  } finally {
    signal.removeEventListener("abort", abort);
    reader.releaseLock();
  }
}
