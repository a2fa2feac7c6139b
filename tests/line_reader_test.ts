// Reading many messages from one connection: lines that share a read or span many, the size
// limit applied to each line (not to the stream), and a line cut off by the end of the stream.

import assert from "node:assert/strict";
import { FrameTooLarge } from "../lib/session/framing.ts";
import { LineReader } from "../lib/session/line_reader.ts";

/** A Unix socket pair: `write` sends `pieces` one write each, then closes its end. */
async function withPair(
  pieces: string[],
  fn: (reader: (limit: number) => LineReader) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "jim-line-reader-" });
  const path = `${dir}/s.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const client = await Deno.connect({ transport: "unix", path });
  const server = await listener.accept();
  const writing = (async () => {
    for (const piece of pieces) {
      await server.write(new TextEncoder().encode(piece));
      // Separate reads on the other side, most of the time: the pause lets each land alone.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    server.close();
  })();
  try {
    await fn((limit) => new LineReader(client, limit));
  } finally {
    await writing.catch(() => {});
    client.close();
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "lines sharing a read and lines spanning reads come out whole, in order",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withPair(['{"a":1}\n{"b":2}\n{"c"', ":3", "}\n", "\n", "tail\n"], async (reader) => {
      const lines = reader(100);
      const seen: (string | null)[] = [];
      for (let line; (line = await lines.next()) !== null;) seen.push(line);
      assert.deepEqual(seen, ['{"a":1}', '{"b":2}', '{"c":3}', "", "tail"]);
      assert.equal(await lines.next(), null);
    }),
});

Deno.test({
  name: "the limit applies to each line; a line cut off by the end of the stream is none",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const long = "x".repeat(70_000);
    await withPair(
      [`${"y".repeat(60_000)}\n`, `${"z".repeat(60_000)}\n`, `${long}\n`],
      async (reader) => {
        const lines = reader(65_000);
        assert.equal((await lines.next())?.length, 60_000);
        assert.equal((await lines.next())?.length, 60_000);
        await assert.rejects(() => lines.next(), FrameTooLarge);
      },
    );
    await withPair(["whole\n", "cut off"], async (reader) => {
      const lines = reader(100);
      assert.equal(await lines.next(), "whole");
      assert.equal(await lines.next(), null);
    });
  },
});
