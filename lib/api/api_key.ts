// Where an API key may come from (flag, position 1, --api-key-stdin, JIM_API_KEY), what makes
// one unusable, and the preview shown in its place. The key itself never appears in a message.

import { usageError } from "../errors.ts";
import { hasSpaceOrControl } from "../text.ts";

export type ApiKeySource = "argument" | "stdin" | "environment";

export const API_KEY_PREFIX = "jim_ak_";
/** Far above any real key (jim_ak_ and 64 hex digits); stops a pasted file or /dev/zero. */
export const MAX_KEY_BYTES = 8 * 1024;

export function checkApiKey(key: string, source: ApiKeySource): string {
  const where = source === "stdin"
    ? "on standard input"
    : source === "environment"
    ? "in JIM_API_KEY"
    : "given";
  if (key === "") throw usageError(`the API key ${where} is empty`);
  if (/[\r\n]/.test(key)) throw usageError(`the API key ${where} contains a line break`);
  if (hasSpaceOrControl(key)) {
    throw usageError(`the API key ${where} contains whitespace or control characters`);
  }
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw usageError(`the API key ${where} contains characters that cannot be sent in a header`);
  }
  return key;
}

/**
 * First 8 characters, `...`, last 4: enough to tell keys apart, useless to an attacker. Shown by
 * connect, but made here rather than in the command layer: the agent (or stateless mode) makes it
 * for its status answer, which carries no secret, so the key is shortened where it is held.
 */
export function previewApiKey(key: string): string {
  if (key.length <= 12) return `${key.slice(0, 4)}...`;
  return `${key.slice(0, 8)}...${key.slice(-4)}`;
}

/** A key read from stdin: one trailing newline (from echo or a file) is not part of it. */
export function keyFromStdin(text: string): string {
  return text.replace(/\r?\n$/, "");
}
