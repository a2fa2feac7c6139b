// Text from outside (IdP error descriptions, transport errors) made safe for one terminal line:
// no control or bidi characters, clipped, so a hostile or chatty server cannot paint the user's
// terminal.

import { oneLineText as printable } from "../text.ts";

export { printable };

/** An error's message, plus its cause's when the outer one is generic ("fetch failed"). */
export function errorReason(error: unknown): string {
  if (!(error instanceof Error)) return printable(String(error));
  const cause = error.cause instanceof Error ? error.cause.message : "";
  return printable(cause !== "" ? `${error.message}: ${cause}` : error.message);
}
