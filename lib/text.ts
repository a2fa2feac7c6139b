// Text that reaches a terminal in a message: user input echoed back, and server or provider
// text shown on one line. Neither may carry control characters, bidi overrides or unbounded
// length into the user's terminal.

/** User input echoed in an error: printable ASCII only (others become ?), clipped. */
export function echoInput(text: string, max = 60): string {
  const clipped = text.length > max ? `${text.slice(0, max - 3)}...` : text;
  return clipped.replace(/[^\x20-\x7e]/g, "?");
}

/** Server or provider text for one line: control and bidi characters become spaces, clipped. */
export function oneLineText(text: string, max = 200): string {
  let out = "";
  for (const ch of text) out += isControlOrBidi(ch) ? " " : ch;
  const line = out.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/** True when `text` has whitespace or a control character (never valid in a key or URL). */
export function hasSpaceOrControl(text: string): boolean {
  for (const ch of text) {
    if (/\s/.test(ch) || isControlOrBidi(ch)) return true;
  }
  return false;
}

function isControlOrBidi(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x200e || code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}
