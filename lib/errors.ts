// Typed errors for everything below main.ts. lib/ never exits the process: it throws a
// JimError with a code, and the command runner alone turns the code into an exit status and
// one line.

import { oneLineText } from "./text.ts";

export type ErrorCode =
  | "usage" // bad flags or arguments (exit 2)
  | "not_connected" // no session for a command that needs one (exit 3)
  | "auth_failed" // the server or IdP refused the credentials
  | "sso_not_configured" // auth/config answered 503 sso_not_configured
  | "http" // the server answered with an error status
  | "network" // connection refused, DNS, TLS, timeout
  | "protocol" // a server, IdP or agent answered with something malformed
  | "keyring_unavailable" // no usable OS credential store
  | "agent" // the session agent failed or refused
  | "timeout" // an interactive flow ran out of time
  | "cancelled" // the user or IdP ended an interactive flow
  | "interrupted" // the user pressed Ctrl-C during an interactive wait (exit 130)
  | "failed"; // anything else that is the operation's own failure

export class JimError extends Error {
  readonly code: ErrorCode;
  /** HTTP status when the error came from a response. */
  readonly status?: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "JimError";
    this.code = code;
    this.status = options?.status;
  }
}

export function usageError(message: string): JimError {
  return new JimError("usage", message);
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_NOT_CONNECTED = 3;
/** 128 + SIGINT, what a shell reports for a program ended by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

export function exitCodeFor(error: unknown): number {
  if (error instanceof JimError) {
    if (error.code === "usage") return EXIT_USAGE;
    if (error.code === "not_connected") return EXIT_NOT_CONNECTED;
    if (error.code === "interrupted") return EXIT_INTERRUPTED;
  }
  return EXIT_FAILED;
}

/** One line, no stack, no control characters (a message may quote a server or the agent). */
export function describeError(error: unknown): string {
  const text = error instanceof JimError
    ? error.message
    : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  return oneLineText(text, 1000);
}
