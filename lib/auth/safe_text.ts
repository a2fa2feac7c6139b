// Text from outside (IdP error descriptions, transport errors) made safe for one terminal line:
// no control or bidi characters, clipped, so a hostile or chatty server cannot paint the user's
// terminal.

import { oneLineText as printable } from "../text.ts";
import { redactSecrets } from "../api/redact.ts";

export { printable };

/**
 * An error's message, plus its cause's when the outer one is generic ("fetch failed"), with any
 * token in it masked (fetch quotes a rejected header value whole).
 */
export function errorReason(error: unknown): string {
  if (!(error instanceof Error)) return printable(redactSecrets(String(error)));
  const cause = error.cause instanceof Error ? error.cause.message : "";
  return printable(redactSecrets(cause !== "" ? `${error.message}: ${cause}` : error.message));
}
