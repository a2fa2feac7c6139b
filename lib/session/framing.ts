// Newline-delimited JSON over a stream connection, with a size limit on what is read.

export class FrameTooLarge extends Error {}

/** Reads up to the first newline (or end of stream); throws FrameTooLarge past `limit` bytes. */
export async function readLine(conn: Deno.Conn, limit: number): Promise<string | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buffer = new Uint8Array(64 * 1024);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) break;
    const chunk = buffer.subarray(0, n);
    const newline = chunk.indexOf(10);
    const part = newline >= 0 ? chunk.subarray(0, newline) : chunk;
    size += part.length;
    if (size > limit) throw new FrameTooLarge(`message larger than ${limit} bytes`);
    chunks.push(part.slice());
    if (newline >= 0) break;
  }
  if (chunks.length === 0 && size === 0) return null;
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(all);
}

/** One message as it goes on the wire: JSON and a newline. */
export function encodeLine(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value)}\n`);
}

export function writeLine(conn: Deno.Conn, value: unknown): Promise<void> {
  return writeBytes(conn, encodeLine(value));
}

export async function writeBytes(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/**
 * Reads newline-delimited frames one after another from one connection, keeping what arrived
 * past a frame's newline for the next (the loopback client sends its proof and its request in one
 * write). Each read asks for at most `limit` + 1 bytes, so a small frame never pulls in more.
 */
export class LineReader {
  readonly #conn: Deno.Conn;
  readonly #decoder = new TextDecoder();
  /** Read into again and again: a long export reads ten thousand frames. */
  #buffer: Uint8Array = new Uint8Array(0);
  #pending: Uint8Array = new Uint8Array(0);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** The next frame, or null at end of stream; throws FrameTooLarge past `limit` bytes. */
  async readLine(limit: number): Promise<string | null> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let chunk = this.#pending;
    this.#pending = new Uint8Array(0);
    while (true) {
      const newline = chunk.indexOf(10);
      const part = newline >= 0 ? chunk.subarray(0, newline) : chunk;
      size += part.length;
      if (size > limit) throw new FrameTooLarge(`message larger than ${limit} bytes`);
      if (newline >= 0) {
        // Copied out: the buffer is read into again for the next frame.
        if (newline + 1 < chunk.length) this.#pending = chunk.slice(newline + 1);
        // The usual case, a frame in one read: decoded from the buffer, copied no more.
        if (chunks.length === 0) return this.#decoder.decode(part);
        chunks.push(part);
        break;
      }
      if (part.length > 0) chunks.push(part.slice());
      const n = await this.#conn.read(this.#room(Math.min(64 * 1024, limit - size + 1)));
      if (n === null) {
        if (size === 0) return null;
        break;
      }
      chunk = this.#buffer.subarray(0, n);
    }
    const all = new Uint8Array(size);
    let offset = 0;
    for (const piece of chunks) {
      all.set(piece, offset);
      offset += piece.length;
    }
    return this.#decoder.decode(all);
  }

  /** The reused buffer, `bytes` long; grown only when a larger read is asked for. */
  #room(bytes: number): Uint8Array {
    if (this.#buffer.length < bytes) this.#buffer = new Uint8Array(bytes);
    return this.#buffer.subarray(0, bytes);
  }
}
