// `deno task bench`: measures jim side by side with the runtime floor in one run and prints a
// report with budget checks. A report, not a test: budgets never change the exit code; exit 1
// only when hyperfine is missing or a section could not run at all.
//
//   deno task bench                          every section
//   deno task bench -- --only startup,sso    some sections (startup, memory, sso, keyring)
//   deno task bench -- --runs 10             fewer hyperfine runs per command (default 20)
//   deno task bench -- --only paging         the long export (opt-in: minutes, not seconds);
//                      [--items N] [--rounds N] default 1,000,000 items, 3 rounds

import { parseArgs } from "node:util";
import { type ApiKeyStage, startApiKeyStage } from "./api_key_stage.ts";
import { mib } from "./agent.ts";
import { cleanupAll, installSignalCleanup } from "./cleanup.ts";
import { type HyperfineSettings, hyperfineVersion, type Timing } from "./hyperfine.ts";
import { type MemoryResult, runMemory } from "./memory.ts";
import { type Budget, ms, newSection, printBudgets, printSection, type Section } from "./report.ts";
import { runStartup, type StartupResult } from "./startup.ts";
import { runSso } from "./sso.ts";
import { runKeyring } from "./keyring.ts";
import { DEFAULT_ITEMS, type PagingResult, runPaging } from "./paging.ts";

const SECTIONS = ["startup", "memory", "sso", "keyring", "paging"] as const;
type SectionName = typeof SECTIONS[number];
/** What runs without --only: the long export takes minutes, so it is asked for by name. */
const DEFAULT_SECTIONS: SectionName[] = ["startup", "memory", "sso", "keyring"];

const VERSION_BUDGET = 1.2;
const AGENT_COMMAND_BUDGET = 1.5;
const AGENT_RSS_BUDGET_MIB = 80;
const EXPORT_RSS_BUDGET_MIB = 100;
const EXPORT_TIME_BUDGET = 1.5;

const USAGE = `usage: deno task bench [-- --only ${
  SECTIONS.join(",")
}] [--runs N] [--warmup N] [--items N] [--rounds N]`;

interface PagingSettings {
  items: number;
  rounds: number;
}

function parseOptions(
  argv: string[],
): { only: Set<SectionName>; settings: HyperfineSettings; paging: PagingSettings } {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: "string", multiple: true },
      runs: { type: "string", default: "30" },
      warmup: { type: "string", default: "3" },
      items: { type: "string", default: String(DEFAULT_ITEMS) },
      rounds: { type: "string", default: "3" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const names = (values.only ?? [...DEFAULT_SECTIONS]).flatMap((v) => v.split(",")).map((v) =>
    v.trim()
  );
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new Error(`unknown section '${name}'\n${USAGE}`);
    }
  }
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(runs) || runs < 2 || !Number.isInteger(warmup) || warmup < 0) {
    throw new Error(`--runs must be an integer of at least 2 and --warmup at least 0\n${USAGE}`);
  }
  const items = Number(values.items);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(items) || items < 1 || !Number.isInteger(rounds) || rounds < 1) {
    throw new Error(`--items and --rounds must be positive integers\n${USAGE}`);
  }
  return {
    only: new Set(names as SectionName[]),
    settings: { runs, warmup },
    paging: { items, rounds },
  };
}

async function main(): Promise<number> {
  let options;
  try {
    // `deno task bench -- --only sso` hands the "--" through: drop it.
    options = parseOptions(Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    return 2;
  }
  const hf = await hyperfineVersion();
  if (!hf) {
    console.error("bench: hyperfine is not installed (Debian: apt-get install -y hyperfine).");
    return 1;
  }
  installSignalCleanup();
  const { only, settings, paging: pagingSettings } = options;
  const started = performance.now();
  console.log("# jim benchmark report\n");
  console.log(
    `deno ${Deno.version.deno} (${Deno.execPath()}), ${hf}, ${Deno.build.os}/${Deno.build.arch}, ` +
      `${navigator.hardwareConcurrency} CPUs, ${new Date().toISOString()}`,
  );
  console.log(
    `hyperfine -N, ${settings.runs} runs per command after ${settings.warmup} warm-up runs ` +
      `(start-up commands: taken in turn, one run of each per round, after one warm-up run ` +
      `of its own); times are medians in ms; ` +
      `"x floor" = median / runtime floor median; sections: ${[...only].join(", ")}`,
  );

  const loadBefore = loadAverage();
  const sections: Section[] = [];
  let failed = false;
  let startup: StartupResult | undefined;
  let memory: MemoryResult | undefined;
  let paging: PagingResult | undefined;
  let stage: ApiKeyStage | undefined;
  const attempt = async <T>(title: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (error) {
      failed = true;
      const section = newSection(title);
      section.notes.push(`could not run: ${(error as Error).message}`);
      sections.push(section);
      return undefined;
    }
  };

  try {
    if (only.has("startup") || only.has("memory")) {
      stage = await attempt("Start-up and memory", startApiKeyStage);
    }
    if (stage && only.has("startup")) {
      startup = await attempt("Start-up", () => runStartup(stage!, settings));
      if (startup) sections.push(startup.section);
    }
    if (stage && only.has("memory")) {
      memory = await attempt("Agent memory", () => runMemory(stage!));
      if (memory) sections.push(memory.section);
    }
    await stage?.stop();
    if (only.has("sso")) {
      const sso = await attempt("SSO sign-in and refresh", () => runSso(settings));
      if (sso) sections.push(sso);
    }
    if (only.has("keyring")) {
      const keyring = await attempt("Credential store", () => runKeyring(settings));
      if (keyring) sections.push(keyring);
    }
    if (only.has("paging")) {
      paging = await attempt(
        "Long export",
        () => runPaging(pagingSettings.items, pagingSettings.rounds),
      );
      if (paging) sections.push(paging.section);
    }
  } finally {
    await cleanupAll();
  }

  const floor = startup?.floor?.median;
  for (const section of sections) printSection(section, floor);
  printBudgets([...budgets(startup, memory), ...pagingBudgets(paging)]);
  console.log(
    `\nwall time of the whole run: ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      `load average (1 min) ${loadBefore} at the start, ${loadAverage()} at the end ` +
      `(other work on this host shows up as noise: compare ratios, not raw ms)`,
  );
  return failed ? 1 : 0;
}

function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
  } catch {
    return "unknown";
  }
}

function budgets(startup?: StartupResult, memory?: MemoryResult): Budget[] {
  const floor = startup?.floor?.median;
  const against = (label: string, timing: Timing | undefined, limit: number): Budget => {
    if (!floor || !timing) return { label, pass: null, detail: "not measured in this run" };
    const ratio = timing.median / floor;
    return {
      label,
      pass: ratio <= limit,
      detail: `${ms(timing.median)} ms = ${ratio.toFixed(2)}x floor ${ms(floor)} ms ` +
        `(limit ${limit.toFixed(1)}x)`,
    };
  };
  const rss = memory?.after2000 !== undefined && memory.after1000 !== undefined
    ? Math.max(memory.after1000, memory.after2000)
    : undefined;
  return [
    against("jim --version within 1.2x floor", startup?.version, VERSION_BUDGET),
    against(
      "jim test-connection (agent) within 1.5x floor",
      startup?.testConnection,
      AGENT_COMMAND_BUDGET,
    ),
    against("jim api (agent) within 1.5x floor", startup?.apiAgent, AGENT_COMMAND_BUDGET),
    rss === undefined
      ? { label: "agent resident memory under 80 MiB", pass: null, detail: "not measured" }
      : {
        label: "agent resident memory under 80 MiB",
        pass: rss < AGENT_RSS_BUDGET_MIB * 1024,
        detail: `peak VmRSS ${mib(rss)} after 2000 requests (limit ${AGENT_RSS_BUDGET_MIB} MiB)`,
      },
  ];
}

Deno.exitCode = await main();

function pagingBudgets(paging?: PagingResult): Budget[] {
  const label = (what: string) => `${what} (long export)`;
  if (!paging?.loop || !paging.agent || !paging.stateless) {
    return [
      { label: label("jim and the agent under 100 MiB resident"), pass: null, detail: "not run" },
      { label: label("within 1.5x a plain page loop"), pass: null, detail: "not run" },
    ];
  }
  const loop = paging.loop.median;
  const worst = Math.max(paging.agent.median, paging.stateless.median);
  const rss = Math.max(paging.jimPeakKiB ?? Infinity, paging.agentPeakKiB ?? Infinity);
  return [
    {
      label: label(`jim and the agent under ${EXPORT_RSS_BUDGET_MIB} MiB resident`),
      pass: rss < EXPORT_RSS_BUDGET_MIB * 1024,
      detail: `${paging.items} items: jim peak ${mib(paging.jimPeakKiB ?? 0)}, agent peak ${
        mib(paging.agentPeakKiB ?? 0)
      } (limit ${EXPORT_RSS_BUDGET_MIB} MiB)`,
    },
    {
      label: label(`within ${EXPORT_TIME_BUDGET}x a plain page loop`),
      pass: worst / loop <= EXPORT_TIME_BUDGET,
      detail: `agent ${ms(paging.agent.median)} ms = ${
        (paging.agent.median / loop).toFixed(2)
      }x, stateless ${ms(paging.stateless.median)} ms = ${
        (paging.stateless.median / loop).toFixed(2)
      }x, loop ${ms(loop)} ms (limit ${EXPORT_TIME_BUDGET.toFixed(1)}x)`,
    },
  ];
}
