// The one way a test says what it needs that a machine may lack. Two kinds of need:
//
// - a part only some operating systems (or kinds of run) have (onlyOn, onlyWhere): the name always
//   says which part, so every lane's test list reads the same, and the test is skipped where the
//   part cannot exist, whatever JIM_TEST_REQUIRE_ALL says; the name then ends "; skipped here)",
//   the only skip .ci/run and .ci/lane accept;
// - a part this system could have but may not (needs, needsTool): a tool, a daemon, a second user.
//   Where it is missing the test is skipped with the part and the reason in its name, because
//   `deno test -q` prints nothing else; with JIM_TEST_REQUIRE_ALL=1 (CI) it fails instead,
//   naming the part.

import { whichOnPath } from "../../lib/keyring/system_deps.ts";

export type Os = typeof Deno.build.os;

const LABELS: Partial<Record<Os, string>> = {
  linux: "Linux",
  darwin: "macOS",
  windows: "Windows",
};

/**
 * Deno.test name and ignore flag for a test that runs only on `oses` because it needs `part`,
 * e.g. onlyOn(["linux"], "/proc", "the agent's environment...").
 */
export function onlyOn(
  oses: readonly Os[],
  part: string,
  name: string,
  os: Os = Deno.build.os,
): { name: string; ignore: boolean } {
  return onlyWhere(oses.includes(os), oses.map((o) => LABELS[o] ?? o).join(", "), part, name);
}

/**
 * The same for a test that runs only in one kind of run, e.g. only under `deno run` and not
 * against a compiled binary: onlyWhere(!Deno.env.get("JIM_BIN"), "deno run", "its code cache", ...).
 */
export function onlyWhere(
  runs: boolean,
  where: string,
  part: string,
  name: string,
): { name: string; ignore: boolean } {
  return { name: `${name} (${where} only: ${part}${runs ? "" : "; skipped here"})`, ignore: !runs };
}

/** The Unix lanes: the stand-in tools are /bin/sh scripts and the agent listens on a Unix socket. */
export const UNIX: readonly Os[] = ["linux", "darwin"];

/** JIM_TEST_REQUIRE_ALL=1: every part this system can have is required, none may be skipped. */
export function requireAll(): boolean {
  return Deno.env.get("JIM_TEST_REQUIRE_ALL") === "1";
}

/**
 * `test`, which needs `part`; `missing` says why the part is not here, or is null when it is.
 * Missing, the test is ignored and named `<name> (needs <part>: <missing>; skipped)`; under
 * `required` (JIM_TEST_REQUIRE_ALL=1) it runs instead and fails with that reason.
 */
export function needs(
  part: string,
  missing: string | null,
  test: Deno.TestDefinition,
  required: boolean = requireAll(),
): Deno.TestDefinition {
  if (missing === null) return test;
  const reason = `needs ${part}: ${missing}`;
  if (!required) return { ...test, name: `${test.name} (${reason}; skipped)`, ignore: true };
  return {
    ...test,
    fn: () => {
      throw new Error(`${reason}, and JIM_TEST_REQUIRE_ALL=1 forbids skipping it`);
    },
  };
}

/** needs() for a program that must be on PATH. */
export function needsTool(
  tool: string,
  test: Deno.TestDefinition,
  required: boolean = requireAll(),
): Deno.TestDefinition {
  return needs(tool, toolOnPath(tool) === null ? "not found on PATH" : null, test, required);
}

/** The first executable called `name` on this process's PATH, or null. */
export function toolOnPath(name: string): string | null {
  return whichOnPath(name, Deno.env.get("PATH") ?? "");
}
