// Frames read one after another from one connection: what arrives past a frame's newline is kept
// for the next frame, and a frame over its limit fails without buffering the rest.

import assert from "node:assert/strict";
import { FrameTooLarge, LineReader } from "../lib/session/framing.ts";

/** A Conn whose reads hand out the given chunks, one per read. */
function chunks(...parts: string[]): Deno.Conn {
  const queue = parts.map((part) => new TextEncoder().encode(part));
  let asked = 0;
  return {
    read(buffer: Uint8Array): Promise<number | null> {
      asked = Math.max(asked, buffer.length);
      const next = queue.shift();
      if (next === undefined) return Promise.resolve(null);
      const n = Math.min(next.length, buffer.length);
      buffer.set(next.subarray(0, n));
      if (n < next.length) queue.unshift(next.subarray(n));
      return Promise.resolve(n);
    },
    get largestRead() {
      return asked;
    },
  } as unknown as Deno.Conn;
}

Deno.test("two frames in one chunk and one frame over two chunks are each read whole", async () => {
  const reader = new LineReader(chunks('{"op":"auth"}\n{"op":"st', 'atus"}\ntail'));
  assert.equal(await reader.readLine(512), '{"op":"auth"}');
  assert.equal(await reader.readLine(4096), '{"op":"status"}');
  assert.equal(await reader.readLine(4096), "tail");
  assert.equal(await reader.readLine(4096), null);
});

Deno.test("a frame past its limit fails, and a small limit never reads much more than that", async () => {
  const conn = chunks("x".repeat(100_000));
  const reader = new LineReader(conn);
  await assert.rejects(reader.readLine(512), FrameTooLarge);
  assert.ok((conn as unknown as { largestRead: number }).largestRead <= 513);
});

Deno.test("the reused read buffer never changes a frame already read, or the rest kept for the next", async () => {
  // Each read lands in the same buffer: what one readLine returned, and what arrived past its
  // newline, must survive the reads after it.
  const long = "y".repeat(70_000);
  const reader = new LineReader(chunks(`{"a":1}\n{"b":`, `2}\n${long}`, "\nlast\n"));
  const first = await reader.readLine(1 << 20);
  const second = await reader.readLine(1 << 20);
  const third = await reader.readLine(1 << 20);
  const fourth = await reader.readLine(1 << 20);
  assert.deepEqual([first, second, third?.length, fourth], ['{"a":1}', '{"b":2}', 70_000, "last"]);
  assert.equal(third, long);
  assert.equal(await reader.readLine(1 << 20), null);
});
