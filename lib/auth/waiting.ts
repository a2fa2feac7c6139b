// What the interactive sign-ins share while they wait for the user: a duration said the way a
// person reads it, and Ctrl-C ending the wait with one line (exit 130, decided in lib/cli/run.ts)
// instead of the runtime's silent death, so that the flow's `finally` closes the listener.

import { JimError } from "../errors.ts";

/** Subscribes `cancel` to the user's interrupt (Ctrl-C); returns the unsubscribe. */
export type OnInterrupt = (cancel: () => void) => () => void;

export const CANCELLED_MESSAGE = "sign-in cancelled";

/** `work`, or a JimError "interrupted" as soon as the user presses Ctrl-C. */
export async function untilInterrupted<T>(
  work: Promise<T>,
  onInterrupt: OnInterrupt | undefined,
): Promise<T> {
  if (!onInterrupt) return await work;
  let unsubscribe: (() => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => {
    unsubscribe = onInterrupt(() => reject(new JimError("interrupted", CANCELLED_MESSAGE)));
  });
  try {
    return await Promise.race([work, interrupted]);
  } finally {
    unsubscribe?.();
  }
}

/** "5 minutes", "90 seconds", "1 minute", "8 hours". */
export function duration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole >= 3600 && whole % 3600 === 0) {
    const hours = whole / 3600;
    return `${hours} hour${hours === 1 ? "" : "s"}`;
  }
  if (whole >= 60 && whole % 60 === 0) {
    const minutes = whole / 60;
    return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  }
  return `${whole} second${whole === 1 ? "" : "s"}`;
}

/** "15:42 UTC": the clock time of `epochMs`, in UTC so a jump host's zone cannot mislead. */
export function clockTimeUtc(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(11, 16)} UTC`;
}
