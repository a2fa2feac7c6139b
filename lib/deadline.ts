// Deadlines: how jim time-boxes its own waits (the identity-provider and doctor fetches use
// AbortSignal.timeout), cheap to set up on the path every command takes.
//
// Atomics.waitAsync on a private cell that nobody notifies settles as "timed-out" after `ms`,
// like a timer. Measured for a command's first use: Deno's setTimeout about 5 ms (it loads the
// Node-compatible timers), AbortSignal.timeout with a listener about 0.5 ms, this 0.05 ms. Like an
// unreferenced timer it never keeps the process alive by itself; pending I/O does, and the
// deadline fires during it.

export interface Deadline {
  /** Disarms the deadline; `onExpire` will not run. */
  cancel(): void;
}

/** How a deadline is started: `startDeadline`, `startHeldDeadline`, or a test's own. */
export type StartDeadline = (ms: number, onExpire: () => void) => Deadline;

export function startDeadline(ms: number, onExpire: () => void): Deadline {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const wait = Atomics.waitAsync(cell, 0, 0, ms);
  if (!wait.async) {
    // A deadline of zero or less has passed already; expire as soon as the caller yields.
    let armed = true;
    queueMicrotask(() => armed && onExpire());
    return { cancel: () => void (armed = false) };
  }
  wait.value.then((outcome) => {
    if (outcome === "timed-out") onExpire();
  });
  return { cancel: () => void Atomics.notify(cell, 0) };
}

/**
 * A deadline that keeps the process alive until it expires or is cancelled, for work that holds
 * nothing open itself (a native addon's worker thread): without it the process would end
 * with the work still pending instead of reporting it late. Off the start-up path, so the
 * timer's cost does not matter there.
 */
export function startHeldDeadline(ms: number, onExpire: () => void): Deadline {
  const timer = setTimeout(onExpire, ms);
  return { cancel: () => clearTimeout(timer) };
}

/**
 * Settles as `work` does, or, once `ms` pass first, as `onExpire` does: with what it returns,
 * or rejected with what it throws. `work` is not stopped; `onExpire` may stop it.
 */
export function withDeadline<T, E = never>(
  work: Promise<T>,
  ms: number,
  onExpire: () => E,
  start: StartDeadline = startDeadline,
): Promise<T | E> {
  return new Promise<T | E>((resolve, reject) => {
    const deadline = start(ms, () => {
      try {
        resolve(onExpire());
      } catch (error) {
        reject(error);
      }
    });
    work.then(
      (value) => {
        deadline.cancel();
        resolve(value);
      },
      (error) => {
        deadline.cancel();
        reject(error);
      },
    );
  });
}
