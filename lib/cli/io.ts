// Streams with a purpose: data to `out`, notices, warnings and progress to `err`.

import { readStreamBytes } from "../stream_bytes.ts";

export interface Io {
  /** Writes data to stdout; a trailing newline is added when missing. */
  out(text: string): void;
  /** Writes a notice, warning or progress line to stderr; a trailing newline is added. */
  err(text: string): void;
  readonly stdoutIsTTY: boolean;
  readonly stdinIsTTY: boolean;
  /** Colour only on a TTY and never with NO_COLOR. */
  readonly color: boolean;
  /** Reads all of standard input as text (for --api-key-stdin and --data -). */
  readStdin(): Promise<string>;
}

const MAX_STDIN_BYTES = 16 * 1024 * 1024;

export function denoIo(env: { get(name: string): string | undefined }): Io {
  const encoder = new TextEncoder();
  const write = (stream: typeof Deno.stdout, text: string) => {
    stream.writeSync(encoder.encode(text.endsWith("\n") ? text : `${text}\n`));
  };
  const stdoutIsTTY = Deno.stdout.isTerminal();
  return {
    out: (text) => write(Deno.stdout, text),
    err: (text) => write(Deno.stderr, text),
    stdoutIsTTY,
    stdinIsTTY: Deno.stdin.isTerminal(),
    color: stdoutIsTTY && (env.get("NO_COLOR") ?? "") === "",
    readStdin: () => readAll(Deno.stdin.readable, MAX_STDIN_BYTES),
  };
}

export async function readAll(stream: ReadableStream<Uint8Array>, limit: number): Promise<string> {
  const bytes = await readStreamBytes(
    stream,
    limit,
    () => new Error(`standard input is larger than ${limit} bytes`),
  );
  return new TextDecoder().decode(bytes);
}

/** An Io that captures what a command writes, for tests of run steps. */
export function captureIo(stdin = ""): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (text) => stdout.push(text),
    err: (text) => stderr.push(text),
    stdoutIsTTY: false,
    stdinIsTTY: false,
    color: false,
    readStdin: () => Promise.resolve(stdin),
  };
}
