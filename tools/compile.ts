// `deno task compile`: builds the single-file jim binary with the permission set defined once
// in deno.json ("permissions.jim"), for the host or for release targets, plus SHA-256 sums.
// deno compile downloads its runtime base (denort) unless DENORT_BIN points at a local copy;
// where neither works, this reports the build as skipped (exit 4) rather than pretending.
//
// The native keyring addon travels inside the binary: deno compile embeds node_modules, .node
// files included, and extracts an addon to a temporary file when it is first loaded. Only the
// platform packages `deno install` fetched for this machine are in node_modules, so a target
// whose addon is missing would build a binary whose native backend fails at a user's first
// use: that is refused here. Windows needs none (lib/keyring/wincred_api.ts uses advapi32).

import { parseArgs } from "node:util";
import { JIM_V8_FLAGS, pathFromFileUrl } from "../lib/runtime_flags.ts";

const ROOT = pathFromFileUrl(new URL("../", import.meta.url)).replace(/\/$/, "");
const TARGETS: Record<string, string> = {
  "x86_64-unknown-linux-gnu": "linux-x64",
  "aarch64-unknown-linux-gnu": "linux-arm64",
  "x86_64-apple-darwin": "macos-x64",
  "aarch64-apple-darwin": "macos-arm64",
  "x86_64-pc-windows-msvc": "windows-x64",
};
export const EXIT_SKIPPED = 4;
// The @napi-rs/keyring platform package each target loads (its index.js picks it by OS/CPU).
const ADDONS: Record<string, string | null> = {
  "x86_64-unknown-linux-gnu": "linux-x64-gnu",
  "aarch64-unknown-linux-gnu": "linux-arm64-gnu",
  "x86_64-apple-darwin": "darwin-x64",
  "aarch64-apple-darwin": "darwin-arm64",
  "x86_64-pc-windows-msvc": null,
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      target: { type: "string", multiple: true },
      all: { type: "boolean" },
      out: { type: "string", default: `${ROOT}/dist` },
    },
    strict: true,
  });
  const targets = values.all ? Object.keys(TARGETS) : values.target ?? [];
  for (const target of targets) {
    if (!(target in TARGETS)) {
      console.error(`compile: unknown target ${target}; known: ${Object.keys(TARGETS).join(", ")}`);
      return 2;
    }
  }
  await Deno.mkdir(values.out, { recursive: true });
  const built: string[] = [];
  for (const target of targets.length ? targets : [undefined]) {
    const windows = target ? target.includes("windows") : Deno.build.os === "windows";
    const name = target ? `jim-${TARGETS[target]}` : "jim";
    const output = `${values.out}/${name}${windows ? ".exe" : ""}`;
    const args = [
      "compile",
      "-q",
      "-P=jim",
      `--v8-flags=${JIM_V8_FLAGS}`,
      "--config",
      `${ROOT}/deno.json`,
      "--output",
      output,
    ];
    const addonProblem = await missingAddon(target ?? hostTarget());
    if (addonProblem) {
      console.error(`compile: ${addonProblem}`);
      return 1;
    }
    if (target) args.push("--target", target);
    // No --unstable-lazy-dynamic-imports here (lib/runtime_flags.ts): under it deno compile
    // leaves out every module that is imported lazily. Without it, it follows each literal
    // import() from main.ts and embeds them all.
    args.push(`${ROOT}/main.ts`);
    const result = await new Deno.Command(Deno.execPath(), { args, stderr: "piped" }).output();
    const stderr = new TextDecoder().decode(result.stderr);
    if (!result.success) {
      if (
        /denort|dl\.deno\.land|error sending request|dns error/i.test(stderr) &&
        !Deno.env.get("DENORT_BIN")
      ) {
        console.error(
          "compile: SKIPPED — deno compile could not download its runtime base (denort) and DENORT_BIN is not set. " +
            "On an air-gapped build host, set DENORT_BIN to a denort binary of the same Deno version.",
        );
        return EXIT_SKIPPED;
      }
      console.error(`compile: deno compile failed for ${target ?? "the host"}:\n${stderr.trim()}`);
      return 1;
    }
    built.push(output);
    console.log(`compile: built ${output}`);
  }
  const sums = [];
  for (const file of built) {
    const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(file));
    const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    sums.push(`${hex}  ${file.slice(file.lastIndexOf("/") + 1)}`);
  }
  await Deno.writeTextFile(`${values.out}/SHA256SUMS`, `${sums.join("\n")}\n`);
  console.log(`compile: wrote ${values.out}/SHA256SUMS`);
  return 0;
}

function hostTarget(): string {
  const cpu = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
  switch (Deno.build.os) {
    case "darwin":
      return `${cpu}-apple-darwin`;
    case "windows":
      return `${cpu}-pc-windows-msvc`;
    default:
      return `${cpu}-unknown-linux-gnu`;
  }
}

/** Why the binary for `target` would lack its keyring addon, or null when it is in place. */
export async function missingAddon(target: string, root = ROOT): Promise<string | null> {
  const suffix = ADDONS[target];
  if (suffix === undefined) return `no keyring addon is known for ${target}`;
  if (suffix === null) return null;
  const file = `keyring.${suffix}.node`;
  const store = `${root}/node_modules/.deno`;
  try {
    for await (const entry of Deno.readDir(store)) {
      if (!entry.name.startsWith(`@napi-rs+keyring-${suffix}@`)) continue;
      const path = `${store}/${entry.name}/node_modules/@napi-rs/keyring-${suffix}/${file}`;
      if ((await Deno.stat(path).catch(() => null))?.isFile) return null;
    }
  } catch {
    // no node_modules: reported below
  }
  return `the keyring addon for ${target} (@napi-rs/keyring-${suffix}, ${file}) is not in ` +
    "node_modules: run deno install on that platform, or build this target there";
}

if (import.meta.main) Deno.exitCode = await main();
