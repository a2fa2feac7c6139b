// PowerShell-style wildcard matching (`*`, `?`, `[abc]`, `[a-z]`), case-insensitive, as -Name
// takes it. Matched by hand rather than through a RegExp: `.*` groups backtrack, and a pattern
// such as `*a*a*a*a*a*a*a*a*a*a*b` against 40 characters took V8's RegExp 46 seconds. This
// matcher only ever returns to the last `*`, so it takes at most pattern × text steps.

type Token =
  | { kind: "star" }
  | { kind: "any" }
  | { kind: "char"; ch: string }
  | { kind: "set"; chars: string[]; ranges: [string, string][] };

export type WildcardMatcher = (text: string) => boolean;

export function compileWildcard(pattern: string): WildcardMatcher {
  const tokens = tokenize(pattern);
  return (text) => matchTokens(tokens, [...text.toLowerCase()]);
}

function tokenize(pattern: string): Token[] {
  const chars = [...pattern.toLowerCase()];
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === "*") {
      // Runs of stars match what one does.
      if (tokens.at(-1)?.kind !== "star") tokens.push({ kind: "star" });
    } else if (ch === "?") tokens.push({ kind: "any" });
    else if (ch === "[") {
      const close = chars.indexOf("]", i + 1);
      if (close > i + 1) {
        tokens.push(charSet(chars.slice(i + 1, close)));
        i = close;
      } else tokens.push({ kind: "char", ch });
    } else tokens.push({ kind: "char", ch });
  }
  return tokens;
}

function charSet(body: string[]): Token {
  const chars: string[] = [];
  const ranges: [string, string][] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i + 1] === "-" && i + 2 < body.length) {
      ranges.push([body[i], body[i + 2]]);
      i += 2;
    } else chars.push(body[i]);
  }
  return { kind: "set", chars, ranges };
}

function matchOne(token: Token, ch: string): boolean {
  switch (token.kind) {
    case "any":
      return true;
    case "char":
      return token.ch === ch;
    case "set":
      return token.chars.includes(ch) ||
        token.ranges.some(([low, high]) => ch >= low && ch <= high);
    case "star":
      return false;
  }
}

// The classic greedy match with one saved position: on a mismatch, let the last `*` take one
// more character. Earlier stars never need to move again, so there is no exponential search.
function matchTokens(tokens: Token[], text: string[]): boolean {
  let t = 0;
  let p = 0;
  let starAt = -1;
  let starText = 0;
  while (t < text.length) {
    const token = tokens[p];
    if (token && token.kind !== "star" && matchOne(token, text[t])) {
      t++;
      p++;
    } else if (token?.kind === "star") {
      starAt = p++;
      starText = t;
    } else if (starAt >= 0) {
      p = starAt + 1;
      t = ++starText;
    } else return false;
  }
  while (tokens[p]?.kind === "star") p++;
  return p === tokens.length;
}
