// PowerShell-style wildcard matching (`*`, `?`, `[abc]`), case-insensitive, as -Name takes it.

export function wildcardToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else if (ch === "[") {
      const close = pattern.indexOf("]", i + 1);
      if (close > i + 1) {
        source += `[${pattern.slice(i + 1, close).replace(/[\\^\]]/g, "\\$&")}]`;
        i = close;
      } else source += "\\[";
    } else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "i");
}
