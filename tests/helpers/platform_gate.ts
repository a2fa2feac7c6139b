// Tests that need a part only some operating systems have. The name always says which part
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
  const where = oses.map((o) => LABELS[o] ?? o).join(", ");
  const runs = oses.includes(os);
  return {
    name: `${name} (${where} only: ${part}${runs ? "" : "; skipped here"})`,
    ignore: !runs,
  };
}

/** The Unix lanes: the stand-in tools are /bin/sh scripts and the agent listens on a Unix socket. */
export const UNIX: readonly Os[] = ["linux", "darwin"];
