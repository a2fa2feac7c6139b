// Section "startup": the runtime and network floors, then jim's own commands side by side with
// them (version, through the agent, stateless), and a batch of 50 `jim api` started at once.

import { denoRunFlags, jimCommand, ROOT_DIR } from "../tests/helpers/run_jim.ts";
import type { ApiKeyStage } from "./api_key_stage.ts";
import { onCleanup } from "./cleanup.ts";
import { hyperfine, type HyperfineSettings, summarise, type Timing } from "./hyperfine.ts";
import { newSection, type Row, type Section } from "./report.ts";

export const PARALLEL = 50;
const PARALLEL_BATCHES = 5;
const HEALTH_VERSION = "/api/v1/health/version";
const FLOOR = "runtime floor: deno run empty.ts, jim's flags";
const VERSION = "jim --version";
const TEST_CONNECTION = "jim test-connection (agent)";
const API_AGENT = `jim api ${HEALTH_VERSION} (agent)`;

export interface StartupResult {
  section: Section;
  floor?: Timing;
  version?: Timing;
  testConnection?: Timing;
  apiAgent?: Timing;
}

export async function runStartup(
  stage: ApiKeyStage,
  settings: HyperfineSettings,
): Promise<StartupResult> {
  const section = newSection(`Start-up and requests (simulator at ${stage.server.url})`);
  const result: StartupResult = { section };
  const jim = jimCommand();
  const vars = stage.env.vars;
  const sameFlags = denoRunFlags();

  const specs: Spec[] = [
    { name: FLOOR, argv: [...sameFlags, `${ROOT_DIR}/bench/empty.ts`] },
    {
      name: "  diagnostic: floor + import node:util",
      argv: [...sameFlags, `${ROOT_DIR}/bench/node_util_probe.ts`],
    },
    {
      name: "network floor: curl -sf /api/v1/health",
      argv: ["curl", "-sf", "-o", "/dev/null", `${stage.server.url}/api/v1/health`],
    },
    { name: VERSION, argv: [...jim, "--version"] },
    { name: TEST_CONNECTION, argv: [...jim, "test-connection"] },
    { name: API_AGENT, argv: [...jim, "api", HEALTH_VERSION] },
    {
      name: `jim api ${HEALTH_VERSION} (stateless)`,
      argv: [...jim, "api", HEALTH_VERSION],
      env: stage.statelessVars,
    },
  ];
  const timings = await interleaved(specs, vars, settings);
  for (const spec of specs) {
    const timing = timings.get(spec.name);
    section.rows.push(
      timing instanceof Error
        ? { name: spec.name, missing: timing.message }
        : { name: spec.name, timing },
    );
  }
  const ok = (name: string) => {
    const timing = timings.get(name);
    return timing instanceof Error ? undefined : timing;
  };
  result.floor = ok(FLOOR);
  result.version = ok(VERSION);
  result.testConnection = ok(TEST_CONNECTION);
  result.apiAgent = ok(API_AGENT);

  section.rows.push(...await parallelRows(jim, vars, settings));
  if (Deno.env.get("JIM_BIN")) {
    section.notes.push(
      `jim is JIM_BIN=${Deno.env.get("JIM_BIN")}; the floor is still \`deno run\`.`,
    );
  }
  section.notes.push(
    `Parallel: ${PARALLEL} \`jim api\` processes spawned at once, ${PARALLEL_BATCHES} batches ` +
      `after 1 warm-up, timed in process; "per command" is batch time / ${PARALLEL}, ` +
      `"each" is one process's own spawn-to-exit time inside a batch.`,
    `This host has ${navigator.hardwareConcurrency} CPUs: the batch is CPU-bound start-up work.`,
  );
  return result;
}

interface Spec {
  name: string;
  argv: string[];
  env?: Record<string, string>;
}

/**
 * Takes the commands in turn, one timed run each per round (A B C ... A B C), each run after one
 * warm-up run of its own command: a burst of load from elsewhere on the host then hits every
 * command alike, and each ratio compares runs made moments apart. The first round warms up with
 * the full `settings.warmup`.
 */
async function interleaved(
  specs: Spec[],
  vars: Record<string, string>,
  settings: HyperfineSettings,
): Promise<Map<string, Timing | Error>> {
  const samples = new Map<string, number[] | Error>(specs.map((s) => [s.name, []]));
  for (let round = 0; round < settings.runs; round++) {
    for (const spec of specs) {
      const soFar = samples.get(spec.name);
      if (soFar instanceof Error) continue;
      try {
        const timing = await hyperfine(spec.name, spec.argv, spec.env ?? vars, {
          warmup: round === 0 ? settings.warmup : Math.min(settings.warmup, 1),
          runs: 1,
        });
        soFar!.push(...timing.samples);
      } catch (error) {
        samples.set(spec.name, error as Error);
      }
    }
  }
  const timings = new Map<string, Timing | Error>();
  for (const [name, value] of samples) {
    timings.set(name, value instanceof Error ? value : summarise(name, value));
  }
  return timings;
}

async function parallelRows(
  jim: string[],
  vars: Record<string, string>,
  settings: HyperfineSettings,
): Promise<Row[]> {
  const batchName = `${PARALLEL} x jim api in parallel: batch`;
  try {
    await runBatch(jim, vars); // warm-up
    const batches: number[] = [];
    const each: number[] = [];
    for (let i = 0; i < Math.min(PARALLEL_BATCHES, settings.runs); i++) {
      const batch = await runBatch(jim, vars);
      batches.push(batch.wallMs);
      each.push(...batch.eachMs);
    }
    return [
      { name: batchName, timing: summarise(batchName, batches), ratio: false },
      {
        name: `  per command (batch / ${PARALLEL})`,
        timing: summarise("per command", batches.map((b) => b / PARALLEL)),
      },
      { name: "  each process, spawn to exit", timing: summarise("each", each), ratio: false },
    ];
  } catch (error) {
    return [{ name: batchName, missing: (error as Error).message }];
  }
}

async function runBatch(
  jim: string[],
  vars: Record<string, string>,
): Promise<{ wallMs: number; eachMs: number[] }> {
  const [command, ...prefix] = jim;
  const start = performance.now();
  const children = Array.from({ length: PARALLEL }, () =>
    new Deno.Command(command, {
      args: [...prefix, "api", HEALTH_VERSION],
      env: vars,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn());
  const stop = onCleanup("parallel jim api batch", () => {
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
    }
  });
  try {
    const outcomes = await Promise.all(children.map(async (child) => {
      const out = await child.output();
      return { out, ms: performance.now() - start };
    }));
    const wallMs = performance.now() - start;
    const failed = outcomes.filter(({ out }) =>
      !out.success || !new TextDecoder().decode(out.stdout).includes('"JIM"')
    );
    if (failed.length > 0) {
      const stderr = new TextDecoder().decode(failed[0].out.stderr).trim();
      throw new Error(`${failed.length} of ${PARALLEL} failed, e.g.: ${stderr}`);
    }
    return { wallMs, eachMs: outcomes.map((o) => o.ms) };
  } finally {
    await stop();
  }
}
