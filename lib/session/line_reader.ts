// Reads newline-delimited messages one after another from one connection, for answers longer
// than one line (the agent's `stream`). Only the line being read is held, never the stream, and
// each line is size-limited like a single message.

import { FrameTooLarge } from "./framing.ts";

export class LineReader {
  readonly #conn: Deno.Conn;
  readonly #limit: number;
  readonly #buffer = new Uint8Array(64 * 1024);
  readonly #decoder = new TextDecoder();
  /** Bytes read past the last newline handed out. */
  #rest: Uint8Array = new Uint8Array(0);

  constructor(conn: Deno.Conn, limit: number) {
    this.#conn = conn;
    this.#limit = limit;
  }

  /** The next line without its newline; null at the end of the stream (a partial last line too). */
  async next(): Promise<string | null> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let chunk = this.#rest;
    this.#rest = new Uint8Array(0);
    while (true) {
      const newline = chunk.indexOf(10);
      const part = newline >= 0 ? chunk.subarray(0, newline) : chunk;
      size += part.length;
      if (size > this.#limit) throw new FrameTooLarge(`message larger than ${this.#limit} bytes`);
      chunks.push(part);
      if (newline >= 0) {
        this.#rest = chunk.slice(newline + 1);
        return this.#decode(chunks, size);
      }
      const n = await this.#conn.read(this.#buffer);
      // A line cut off by the end of the stream is no message: the sender went away mid-frame.
      if (n === null) return null;
      // Copied: the read buffer is reused for the next read.
      chunk = this.#buffer.slice(0, n);
    }
  }

  #decode(chunks: Uint8Array[], size: number): string {
    if (chunks.length === 1) return this.#decoder.decode(chunks[0]);
    const all = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    return this.#decoder.decode(all);
  }
}
