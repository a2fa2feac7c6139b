// Everything the benchmark starts is registered here and stopped exactly once: at the end of a
// run, when a section fails, or on Ctrl-C / SIGTERM (a leaked agent or keyring daemon would
// outlive the run, since the agent detaches into its own session).

type Step = { label: string; run: () => Promise<void> | void };

const steps: Step[] = [];
let running: Promise<void> | undefined;

/** Registers a stop step; steps run newest first. Returns a function that runs it early. */
export function onCleanup(label: string, run: () => Promise<void> | void): () => Promise<void> {
  const step: Step = { label, run };
  steps.push(step);
  return async () => {
    const index = steps.indexOf(step);
    if (index < 0) return;
    steps.splice(index, 1);
    await runStep(step);
  };
}

/** Runs every registered step (newest first); safe to call more than once. */
export function cleanupAll(): Promise<void> {
  return running ??= (async () => {
    while (steps.length > 0) await runStep(steps.pop()!);
  })().finally(() => {
    running = undefined;
  });
}

async function runStep(step: Step): Promise<void> {
  try {
    await step.run();
  } catch (error) {
    console.error(`bench: stopping ${step.label} failed: ${(error as Error).message}`);
  }
}

/** On SIGINT/SIGTERM: stop everything, then exit 130/143. */
export function installSignalCleanup(): void {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    Deno.addSignalListener(signal, () => {
      console.error(`\nbench: ${signal}, stopping what the run started...`);
      cleanupAll().finally(() => Deno.exit(code));
    });
  }
}

/** Kills a process this run started (by its id) if it is still alive: SIGTERM, then SIGKILL. */
export async function killPid(pid: number, graceMs = 2_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
}

/** Alive and not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with `promise`, or rejects with `message` after `ms` (the timer never outlives it). */
export function timeBox<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
