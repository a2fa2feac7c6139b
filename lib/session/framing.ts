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
