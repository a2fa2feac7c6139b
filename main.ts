// Entry point: answer --version at once, otherwise load the command runner, which parses argv,
// dispatches, and exits with the command's exit code. Nothing else lives here: start-up time of every
// command counts, and this file decides what is read before the first line runs.

import { VERSION } from "./lib/version.ts";

const args = Deno.args;
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V" || args[0] === "version")) {
  console.log(`jim ${VERSION}`);
} else {
  const { runCli } = await import("./lib/cli/run.ts");
  await runCli(args);
}
