// Streams with a purpose: data to `out`, notices, warnings and progress to `err`.

import { usageError } from "../errors.ts";

export interface Io {
  /** Writes data to stdout; a trailing newline is added when missing. */
  out(text: string): void;
  /** Writes a notice, warning or progress line to stderr; a trailing newline is added. */
  err(text: string): void;
  /** True once stdout's reader has gone (`jim ... | head`): a long listing can stop there. */
  outClosed(): boolean;
  /** True when stdout is a terminal (raw server text is then escaped, never interpreted). */
  readonly outIsTerminal: boolean;
  /** Reads all of standard input as text, refusing more than `limit` bytes. */
  readStdin(limit: number, what: string): Promise<string>;
  /** True when a person types at standard input (a terminal), not a script's pipe. */
  stdinIsTerminal(): boolean;
  /** Standard input as it comes, line by line if need be (a sign-in's pasted addresses). */
  stdin(): ReadableStream<Uint8Array>;
}

export function denoIo(): Io {
  const encoder = new TextEncoder();
  let closed = false;
  const write = (stream: typeof Deno.stdout, text: string) => {
    if (closed) return;
    try {
      stream.writeSync(encoder.encode(text.endsWith("\n") ? text : `${text}\n`));
    } catch (error) {
      // `jim ... | head` closes the pipe early: that reader has all it wanted.
      if (error instanceof Deno.errors.BrokenPipe) closed = true;
      else throw error;
    }
  };
  return {
    out: (text) => write(Deno.stdout, text),
    err: (text) => write(Deno.stderr, text),
    outClosed: () => closed,
    outIsTerminal: Deno.stdout.isTerminal(),
    readStdin: async (limit, what) => {
      if (Deno.stdin.isTerminal()) {
        write(Deno.stderr, `Reading ${what} from standard input; finish with Ctrl-D.`);
      }
      const { readStreamBytes } = await import("../stream_bytes.ts");
      const bytes = await readStreamBytes(
        Deno.stdin.readable,
        limit,
        () => usageError(`${what} on standard input is larger than ${limit} bytes`),
      );
      return new TextDecoder().decode(bytes);
    },
    stdinIsTerminal: () => Deno.stdin.isTerminal(),
    stdin: () => Deno.stdin.readable,
  };
}
