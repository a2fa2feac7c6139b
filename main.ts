// Entry point: parse argv, dispatch, map errors to exit codes — nothing else.
import { describeError, exitCodeFor } from "./lib/errors.ts";

async function main(argv: string[]): Promise<number> {
  await Promise.resolve(argv);
  return 0;
}

try {
  Deno.exitCode = await main(Deno.args);
} catch (error) {
  console.error(`jim: ${describeError(error)}`);
  Deno.exitCode = exitCodeFor(error);
}
