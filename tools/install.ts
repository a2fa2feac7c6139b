// `deno task install`: puts a `jim` command on PATH that runs this checkout exactly as the
// compiled binary runs: the `jim` permission set, jim's V8 flags and this deno.json.
//
// `deno install --global -P=jim` would be the obvious tool, but Deno 2.9 leaves the permission
// set out of the launcher it writes (the command then fails on its first file read), so this
// writes the launcher itself from the same argument builder the tests and the agent use.
//
// Usage: deno task install [--root DIR]   (default $DENO_INSTALL_ROOT, else ~/.deno)
// The command lands in DIR/bin; a checkout moved afterwards needs the task run again.

import { denoRunArgs, pathFromFileUrl } from "../lib/runtime_flags.ts";

const MAIN = pathFromFileUrl(new URL("../main.ts", import.meta.url));

export function launcherText(
  denoPath: string,
  args: string[],
  main: string,
  platform: string,
): string {
  if (platform === "windows") {
    const quote = (word: string) => `"${word.replaceAll('"', '""')}"`;
    return `@echo off\r\n${[denoPath, ...args, main].map(quote).join(" ")} %*\r\n`;
  }
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  return `#!/bin/sh\n# written by deno task install; runs jim from this checkout\nexec ${
    [denoPath, ...args, main].map(quote).join(" ")
  } "$@"\n`;
}

function rootDir(argv: string[]): string {
  const at = argv.indexOf("--root");
  if (at >= 0) {
    const value = argv[at + 1];
    if (!value) throw new Error("--root needs a directory");
    return value;
  }
  const fromEnv = Deno.env.get("DENO_INSTALL_ROOT");
  if (fromEnv) return fromEnv;
  const home = Deno.env.get(Deno.build.os === "windows" ? "USERPROFILE" : "HOME");
  if (!home) throw new Error("no home directory: pass --root DIR");
  return `${home}/.deno`;
}

if (import.meta.main) {
  try {
    const unknown = Deno.args.filter((arg, i) => arg !== "--root" && Deno.args[i - 1] !== "--root");
    if (unknown.length > 0) throw new Error(`unknown argument ${unknown[0]}`);
    const bin = `${rootDir(Deno.args)}/bin`;
    await Deno.mkdir(bin, { recursive: true });
    const windows = Deno.build.os === "windows";
    const target = `${bin}/${windows ? "jim.cmd" : "jim"}`;
    const text = launcherText(Deno.execPath(), denoRunArgs(), MAIN, Deno.build.os);
    await Deno.writeTextFile(target, text, { mode: 0o755 });
    if (!windows) await Deno.chmod(target, 0o755);
    console.log(`install: wrote ${target}`);
    const onPath = (Deno.env.get("PATH") ?? "").split(windows ? ";" : ":").includes(bin);
    if (!onPath) console.log(`install: add ${bin} to your PATH`);
  } catch (error) {
    console.error(`install: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(2);
  }
}
