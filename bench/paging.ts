// Section "paging" (opt-in: `--only paging`): exports a long list — 1,000,000 connected systems
// by default, 10,000 pages of 100 — with `jim connected-system list --json` through the agent
// and in stateless mode, side by side with one process fetching the same pages in a loop
// (page_loop.ts). Reports wall time, the ratio to the loop, jim's peak resident memory and the
// agent's, and checks the output is the whole list.

import { DEMO_API_KEY } from "../fixtures/jim_server.ts";
import { denoRunFlags, jimCommand, JimEnv, ROOT_DIR } from "../tests/helpers/run_jim.ts";
import { AgentTracker, mib, residentKiB, trackEnv } from "./agent.ts";
import { onCleanup, timeBox } from "./cleanup.ts";
import { stopChild } from "../fixtures/child_process.ts";
import { summarise, type Timing } from "./hyperfine.ts";
import { newSection, type Section } from "./report.ts";

export const DEFAULT_ITEMS = 1_000_000;

export interface PagingResult {
  section: Section;
  items: number;
  loop?: Timing;
  agent?: Timing;
  stateless?: Timing;
  /** Peak VmHWM in KiB over the runs. */
  jimPeakKiB?: number;
  agentPeakKiB?: number;
}

const LOOP = "baseline: one process fetching every page in a loop";
const AGENT = "jim connected-system list --json (agent)";
const STATELESS = "jim connected-system list --json (stateless)";

export async function runPaging(items: number, rounds: number): Promise<PagingResult> {
  const section = newSection(`Long export: ${items.toLocaleString("en")} items`);
  const result: PagingResult = { section, items };
  const server = await startServer(items);
  const stopServer = onCleanup("JIM simulator (paging)", server.stop);
  const env = await JimEnv.create();
  const agents = new AgentTracker(env);
  const stopEnv = trackEnv(env, agents);
  try {
    const connect = await env.run(["connect", server.url, "--api-key-stdin"], {
      stdin: DEMO_API_KEY,
    });
    if (connect.code !== 0) {
      throw new Error(`jim connect failed (exit ${connect.code}): ${connect.stderr.trim()}`);
    }
    const agentPid = await agents.pid();
    const agentBefore = residentKiB(agentPid);
    const statelessRuntime = `${env.dir}/run-stateless`;
    await Deno.mkdir(statelessRuntime, { mode: 0o700 });
    const statelessVars = {
      ...env.vars,
      XDG_RUNTIME_DIR: statelessRuntime,
      JIM_URL: server.url,
      JIM_API_KEY: DEMO_API_KEY,
    };
    const output = `${env.dir}/export.json`;
    // The shell only redirects stdout to the file and execs jim: the pid is jim's.
    const jim = [
      "sh",
      "-c",
      'exec "$@" > "$0"',
      output,
      ...jimCommand(),
      "connected-system",
      "list",
      "--json",
    ];
    const loop = [...denoRunFlags(), `${ROOT_DIR}/bench/page_loop.ts`, server.url];

    const samples = new Map<string, number[]>([[LOOP, []], [AGENT, []], [STATELESS, []]]);
    let jimPeak = 0;
    let agentPeak = 0;
    // Taken in turn, one of each per round, so a burst of load elsewhere hits all three alike.
    for (let round = 0; round < rounds; round++) {
      const base = await timed(loop, { ...env.vars, JIM_API_KEY: DEMO_API_KEY });
      const counted = Number(base.stdout.trim());
      if (counted !== items) throw new Error(`the loop counted ${counted} items`);
      samples.get(LOOP)!.push(base.ms);
      for (const [name, vars] of [[AGENT, env.vars], [STATELESS, statelessVars]] as const) {
        const run = await timed(jim, vars, () => {
          if (name === AGENT) agentPeak = Math.max(agentPeak, peakKiB(agentPid));
        });
        const printed = await countItems(output);
        if (printed !== items) {
          throw new Error(`${name} printed ${printed} of ${items} items`);
        }
        samples.get(name)!.push(run.ms);
        jimPeak = Math.max(jimPeak, run.peakKiB);
      }
    }
    result.loop = summarise(LOOP, samples.get(LOOP)!);
    result.agent = summarise(AGENT, samples.get(AGENT)!);
    result.stateless = summarise(STATELESS, samples.get(STATELESS)!);
    result.jimPeakKiB = jimPeak;
    result.agentPeakKiB = Math.max(agentPeak, peakKiB(agentPid));
    for (const timing of [result.loop, result.agent, result.stateless]) {
      section.rows.push({ name: timing.name, timing, ratio: false });
    }
    const ratio = (t: Timing) => (t.median / result.loop!.median).toFixed(2);
    section.notes.push(
      `${rounds} rounds, taken in turn; ${
        (items / 100).toLocaleString("en")
      } pages of 100 from the simulator's generated set (in a process of its own); jim's ` +
        `output goes to a file, whose items are counted after each run (and the array checked ` +
        `closed)`,
      `x loop (median / loop median): agent ${ratio(result.agent)}, stateless ${
        ratio(result.stateless)
      }`,
      `jim's peak resident memory (VmHWM) over every run: ${mib(jimPeak)}`,
      `the agent (pid ${agentPid}): VmRSS ${mib(agentBefore)} before the exports, peak ` +
        `(VmHWM) ${mib(result.agentPeakKiB)} after them`,
    );
    return result;
  } finally {
    await stopEnv();
    await stopServer();
  }
}

interface Run {
  ms: number;
  stdout: string;
  /** The process's VmHWM as last read before it exited. */
  peakKiB: number;
}

/**
 * Runs `argv`, reading the process's peak resident memory while it runs (VmHWM cannot be read
 * once it has exited, so the last reading stands).
 */
async function timed(
  argv: string[],
  env: Record<string, string>,
  sample?: () => void,
): Promise<Run> {
  const started = performance.now();
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stop = onCleanup(`${argv.at(-1)} run`, () => stopChild(child));
  let peak = 0;
  const poll = setInterval(() => {
    try {
      peak = Math.max(peak, peakKiB(child.pid));
      sample?.();
    } catch { /* exiting */ }
  }, 100);
  try {
    const [stdout, stderr, status] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.status,
    ]);
    const ms = performance.now() - started;
    if (!status.success) {
      throw new Error(`${argv.slice(-3).join(" ")} exited ${status.code}: ${stderr.trim()}`);
    }
    return { ms, stdout, peakKiB: peak };
  } finally {
    clearInterval(poll);
    await stop();
  }
}

/** VmHWM (peak resident set) of a live process, KiB. */
function peakKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmHWM for process ${pid}`);
  return Number(match[1]);
}

/** The simulator in its own process; `stop` closes its stdin and waits for it to exit. */
async function startServer(items: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "--allow-all", `${ROOT_DIR}/bench/paging_server.ts`, String(items)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const stop = async () => {
    await child.stdin.close().catch(() => {});
    await timeBox(child.status, 10_000, "the simulator did not stop").catch(() => stopChild(child));
  };
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const first = await timeBox(reader.read(), 30_000, "the simulator did not start");
    reader.releaseLock();
    return { url: (first.value ?? "").trim(), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

// Every top-level item of formatJson's array starts a line with two spaces and "{".
const ITEM_START = new TextEncoder().encode("\n  {");
const CLOSED = new TextEncoder().encode("}\n]\n");

/** Counts the array's items in the file; -1 when the array is not closed at the end. */
async function countItems(path: string): Promise<number> {
  using file = await Deno.open(path);
  const stdout = file.readable;
  let count = 0;
  // The bytes after the last newline that could still start a marker, carried into the next
  // chunk: a marker split across two chunks is counted once.
  let carry = new Uint8Array(0);
  let end = new Uint8Array(0);
  for await (const chunk of stdout) {
    const bytes = new Uint8Array(carry.length + chunk.length);
    bytes.set(carry);
    bytes.set(chunk, carry.length);
    for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) {
      if (at + ITEM_START.length > bytes.length) break;
      if (bytes[at + 1] === 32 && bytes[at + 2] === 32 && bytes[at + 3] === 123) count++;
    }
    carry = bytes.slice(Math.max(0, bytes.length - (ITEM_START.length - 1)));
    end = bytes.slice(Math.max(0, bytes.length - CLOSED.length));
  }
  const closed = end.length === CLOSED.length && CLOSED.every((byte, i) => end[i] === byte);
  return closed ? count : -1;
}
