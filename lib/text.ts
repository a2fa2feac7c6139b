// Text that reaches a terminal in a message: user input echoed back, and server or provider
// text shown on one line. Neither may carry control characters, bidi overrides, a secret the
// user typed in the wrong place, or unbounded length into the user's terminal.

/** What an echo shows instead of input that looks like a key or token. */
export const HIDDEN_INPUT = "(a value that looks like a key or token, not shown)";

/** User input echoed in an error: printable ASCII only (others become ?), clipped; never a key. */
export function echoInput(text: string, max = 60): string {
  if (looksLikeSecret(text)) return HIDDEN_INPUT;
  const clipped = text.length > max ? `${text.slice(0, max - 3)}...` : text;
  return clipped.replace(/[^\x20-\x7e]/g, "?");
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True for text that may be a credential: a JIM API key, a JWT, or a long run of letters and
 * digits (an opaque token). Errors echo what the user typed; a key pasted into the wrong
 * argument must not land in a terminal's scrollback or a CI log.
 */
export function looksLikeSecret(text: string): boolean {
  if (/jim_ak_/i.test(text)) return true;
  if (/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\./.test(text)) return true;
  for (const run of text.match(/[A-Za-z0-9_+=-]{32,}/g) ?? []) {
    // A GUID (an object id in JIM) is an identifier, not a credential.
    if (UUID.test(run)) continue;
    if (/\d/.test(run) && /[A-Za-z]/.test(run)) return true;
  }
  return false;
}

/** Server or provider text for one line: control and bidi characters become spaces, clipped. */
export function oneLineText(text: string, max = 200): string {
  let out = "";
  for (const ch of text) out += isControlOrBidi(ch) ? " " : ch;
  const line = out.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/**
 * Text for a terminal that must keep its lines (an API response body): newlines and tabs stay,
 * every other control or bidi character is shown as a visible escape (`\x1b`, `\u202e`), so
 * nothing the server sent can move the cursor, clear the screen or reorder what is shown.
 */
export function terminalSafeText(text: string): string {
  let out = "";
  for (const ch of text) {
    if (ch === "\n" || ch === "\t" || !isControlOrBidi(ch)) out += ch;
    else {
      const code = ch.codePointAt(0)!;
      out += code <= 0xff
        ? `\\x${code.toString(16).padStart(2, "0")}`
        : `\\u${code.toString(16).padStart(4, "0")}`;
    }
  }
  return out;
}

/** True when `text` has whitespace or a control character (never valid in a key or URL). */
export function hasSpaceOrControl(text: string): boolean {
  for (const ch of text) {
    if (/\s/.test(ch) || isControlOrBidi(ch)) return true;
  }
  return false;
}

// C0, DEL and C1 controls (C1 CSI U+009B is an escape sequence on its own on many terminals),
// and the Unicode bidi formatting characters: the Arabic letter mark U+061C, LRM/RLM, the
// embeddings and overrides U+202A-U+202E, and the isolates U+2066-U+2069.
function isControlOrBidi(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x061c || code === 0x200e ||
    code === 0x200f || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}
