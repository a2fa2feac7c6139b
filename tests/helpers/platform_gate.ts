// Tests that need a part only some operating systems (or kinds of run) have. The name always says which part
// (so every lane's test list reads the same), and the test is skipped only on a system that
// lacks it: JIM_TEST_REQUIRE_ALL=1 forbids skipping what this system can run, not this.

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
