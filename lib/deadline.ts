// A deadline that costs next to nothing to set up, for the path every command takes.
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
