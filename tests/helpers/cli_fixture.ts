// A JIM simulator plus a throwaway jim environment for black-box CLI tests, and the assertions
// every CLI test makes about what a user sees.

import assert from "node:assert/strict";
import {
  type JimServer,
  type JimServerOptions,
  startJimServer,
} from "../../fixtures/jim_server.ts";
import { JimEnv, type JimResult, type RunOptions } from "./run_jim.ts";

export const TEST_KEY = "jim_ak_test0123456789abcdefghijklmnopqrstuv";
export const OTHER_KEY = "jim_ak_other0123456789abcdefghijklmnopqrstu";

export interface CliContext {
  server: JimServer;
  env: JimEnv;
  jim(args: string[], options?: RunOptions): Promise<JimResult>;
  /** Connects with TEST_KEY through stdin and asserts success. */
  connect(): Promise<JimResult>;
}

export async function withCli(
  fn: (ctx: CliContext) => Promise<void>,
  options: JimServerOptions = {},
  envVars: Record<string, string> = {},
): Promise<void> {
  const server = await startJimServer({
    apiKeys: [{ key: TEST_KEY, name: "ci-key" }, { key: OTHER_KEY, name: "other-key" }],
    ...options,
  });
  const env = await JimEnv.create(envVars);
  const jim = (args: string[], opts?: RunOptions) => env.run(args, opts);
  try {
    await fn({
      server,
      env,
      jim,
      connect: () => connectWithKey(jim, server.url),
    });
  } finally {
    await env.dispose();
    await server.close();
  }
}

/** `jim connect URL --api-key-stdin` with the test key, asserted to succeed cleanly. */
export async function connectWithKey(
  jim: (args: string[], opts?: RunOptions) => Promise<JimResult>,
  url: string,
): Promise<JimResult> {
  const result = await jim(["connect", url, "--api-key-stdin"], { stdin: TEST_KEY });
  assertClean(result);
  assert.equal(result.code, 0, result.stderr);
  return result;
}

/** No stack trace, no uncaught error, no secret on any stream. */
export function assertClean(result: JimResult, secrets: string[] = [TEST_KEY, OTHER_KEY]): void {
  const all = `${result.stdout}\n${result.stderr}`;
  assert.doesNotMatch(all, /\n\s+at .+:\d+:\d+/, `stack trace in output:\n${all}`);
  assert.doesNotMatch(all, /Uncaught|Stack backtrace|panicked/, `crash in output:\n${all}`);
  for (const secret of secrets) {
    assert.ok(!all.includes(secret), `a secret appeared in the output:\n${all}`);
  }
}

/** A failed command: the exit code, nothing on stdout, one line on stderr matching `pattern`. */
export function assertOneLineError(result: JimResult, code: number, pattern: RegExp): void {
  assertClean(result);
  assert.equal(result.code, code, `exit code; stderr: ${result.stderr}`);
  assert.equal(result.stdout, "", "stdout must be empty on failure");
  const lines = result.stderr.trimEnd().split("\n");
  assert.match(lines[lines.length - 1], pattern);
  assert.equal(lines.filter((line) => !line.startsWith("Warning:")).length, 1, result.stderr);
}

/** Parses `Name : Value` list output into [name, value] pairs in order. */
export function parseList(text: string): [string, string][] {
  return text.trimEnd().split("\n").map((line) => {
    const match = /^(\S+)\s*:\s?(.*)$/.exec(line);
    assert.ok(match, `not a list line: ${line}`);
    return [match[1], match[2]];
  });
}
