// Section "memory": the agent's resident memory after 1000 and after 2000 API requests sent
// straight through its socket (what `jim api` sends, minus the process start-up), and the
// socket round trip those requests took.

import { ROOT_DIR } from "../tests/helpers/run_jim.ts";
import { AGENT_V8_FLAGS, denoRunArgs } from "../lib/runtime_flags.ts";
import type { ApiKeyStage } from "./api_key_stage.ts";
import { mib, residentKiB } from "./agent.ts";
import { onCleanup, timeBox } from "./cleanup.ts";
import { stopChild } from "../fixtures/child_process.ts";
import { summarise, type Timing } from "./hyperfine.ts";
import { newSection, type Section } from "./report.ts";

const STEP = 1000;
const GROWTH_LIMIT = 0.10;

export interface MemoryResult {
  section: Section;
  /** KiB after start-up, after STEP and after 2 * STEP requests. */
  start?: number;
  after1000?: number;
  after2000?: number;
}

export async function runMemory(stage: ApiKeyStage): Promise<MemoryResult> {
  const section = newSection("Agent memory (requests through the socket)");
  const result: MemoryResult = { section };
  const pid = await stage.agents.pid();
  const call = { method: "GET", path: "/api/v1/health/version" };
  const drive = async (count: number): Promise<number[]> => {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      const reply = await stage.agents.client.send({ op: "request", call }) as { status?: number };
      samples.push(performance.now() - start);
      if (reply?.status !== 200) throw new Error(`request ${i} answered ${reply?.status}`);
    }
    return samples;
  };

  result.start = residentKiB(pid);
  const first = await drive(STEP);
  result.after1000 = residentKiB(pid);
  const second = await drive(STEP);
  result.after2000 = residentKiB(pid);

  const floor = await idleRuntimeKiB().catch((error) => `n/a (${(error as Error).message})`);
  const roundTrip: Timing = summarise("socket request", [...first, ...second]);
  section.rows.push({
    name: "agent request over the socket (no process start)",
    timing: roundTrip,
  });
  const growth = (result.after2000 - result.after1000) / result.after1000;
  section.notes.push(
    `memory floor: an idle \`deno run\` with jim's flags holds ` +
      `${typeof floor === "number" ? mib(floor) : floor}`,
    `agent pid ${pid}, VmRSS: ${mib(stage.agentRssAfterConnect)} right after connect, ` +
      `${mib(result.start)} when this section began, ${mib(result.after1000)} after ` +
      `${STEP} more requests, ${mib(result.after2000)} after ${2 * STEP}`,
    `growth from ${STEP} to ${2 * STEP} requests: ${(growth * 100).toFixed(1)}% ` +
      `(${growth > GROWTH_LIMIT ? "MORE" : "not more"} than ${GROWTH_LIMIT * 100}%)`,
  );
  return result;
}

/** VmRSS of an idle deno process started with jim's flags (the runtime's own footprint). */
async function idleRuntimeKiB(): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...denoRunArgs(AGENT_V8_FLAGS), `${ROOT_DIR}/bench/idle_probe.ts`],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const stop = onCleanup("idle deno probe", () => stopChild(child));
  try {
    const reader = child.stdout.getReader();
    await timeBox(reader.read(), 10_000, "the idle probe did not start");
    reader.releaseLock();
    return residentKiB(child.pid);
  } finally {
    await child.stdin.close().catch(() => {});
    await stop();
  }
}
