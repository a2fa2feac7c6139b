// Runs one command under hyperfine (no shell, warm-up, fixed run count, JSON export) and returns
// its timing; also a small in-process timer for what hyperfine cannot drive (batches, sockets).

import { onCleanup } from "./cleanup.ts";
import { stopChild } from "../fixtures/child_process.ts";

export interface Timing {
  name: string;
  /** Milliseconds. */
  median: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  runs: number;
  /** Every run's time in ms. */
  samples: number[];
}

export interface HyperfineSettings {
  warmup: number;
  runs: number;
}

export async function hyperfineVersion(): Promise<string | null> {
  try {
    const out = await new Deno.Command("hyperfine", { args: ["--version"], stdout: "piped" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null; // not installed
  }
}

/**
 * Times `argv` (run without a shell, `-N`) with the given environment only. Throws with
 * hyperfine's own message when the command fails or hyperfine cannot run it.
 */
export async function hyperfine(
  name: string,
  argv: string[],
  env: Record<string, string>,
  settings: HyperfineSettings,
): Promise<Timing> {
  const dir = await Deno.makeTempDir({ prefix: "jim-bench-hf-" });
  const json = `${dir}/result.json`;
  const child = new Deno.Command("hyperfine", {
    args: [
      "-N",
      "--style",
      "none",
      "--warmup",
      String(settings.warmup),
      "--runs",
      String(settings.runs),
      "--export-json",
      json,
      "-n",
      name,
      argv.map(quoteWord).join(" "),
    ],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stop = onCleanup(`hyperfine (${name})`, () => stopChild(child));
  try {
    const out = await child.output();
    if (!out.success) {
      const text = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" ");
      throw new Error(`hyperfine failed for ${name}: ${text}`);
    }
    const report = JSON.parse(await Deno.readTextFile(json));
    const r = report.results[0];
    return {
      name,
      median: r.median * 1000,
      mean: r.mean * 1000,
      stddev: (r.stddev ?? 0) * 1000,
      min: r.min * 1000,
      max: r.max * 1000,
      runs: r.times.length,
      samples: (r.times as number[]).map((t) => t * 1000),
    };
  } finally {
    await stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** hyperfine splits its command with shell-word rules even with -N: quote what needs it. */
function quoteWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** Summarises samples taken in process (milliseconds). */
export function summarise(name: string, samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / n;
  const variance = n > 1 ? sorted.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1) : 0;
  return {
    name,
    median: median(sorted),
    mean,
    stddev: Math.sqrt(variance),
    min: sorted[0],
    max: sorted[n - 1],
    runs: n,
    samples,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Times `fn` `runs` times after `warmup` untimed calls (milliseconds per call). */
export async function timeInProcess(
  name: string,
  fn: () => Promise<unknown>,
  settings: HyperfineSettings,
): Promise<Timing> {
  for (let i = 0; i < settings.warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < settings.runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return summarise(name, samples);
}
