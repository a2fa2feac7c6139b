// The CLI's side of the agent socket when the agent misbehaves: one that accepts and never
// answers is given up on at the deadline, with a clear message.

import assert from "node:assert/strict";
import { AgentClient, AgentNotRunning } from "../lib/session/agent_client.ts";
import { MAX_REQUEST_BYTES } from "../lib/session/protocol.ts";
import { rejectsWith } from "./helpers/rejects_with.ts";
import { onlyOn, UNIX } from "./helpers/platform_gate.ts";

/** A Unix-socket "agent" that accepts connections, records what arrives, and never answers. */
async function withSilentAgent(
  fn: (client: AgentClient, received: () => Promise<number[]>) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "jim-agent-client-" });
  await Deno.chmod(dir, 0o700);
  const path = `${dir}/agent.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  await Deno.chmod(path, 0o600);
  const held: Deno.Conn[] = [];
  const reads: Promise<number>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      held.push(conn);
      reads.push((async () => {
        let total = 0;
        const buffer = new Uint8Array(65536);
        for (let n; (n = await conn.read(buffer).catch(() => null)) !== null;) total += n;
        return total;
      })());
    }
  })();
  // Should the deadline not work, this ends the wait (and fails the test) rather than hanging.
  const guard = setTimeout(() => held.forEach((conn) => conn.close()), 20_000);
  try {
    const client = new AgentClient({ kind: "unix", path, uid: Deno.uid() }, {
      controlMs: 300,
      callMs: 300,
      batchMs: 300,
    });
    await fn(client, () => Promise.all(reads));
  } finally {
    clearTimeout(guard);
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) {
      try {
        conn.close();
      } catch { /* closed by the client's side already */ }
    }
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  ...onlyOn(
    UNIX,
    "a Unix socket",
    "an agent that accepts and never answers: the command gives up at the deadline",
  ),
  fn: () =>
    withSilentAgent(async (client, received) => {
      await rejectsWith(
        client.send({ op: "status" }),
        "agent",
        "the session agent did not answer in time",
      );
      await rejectsWith(
        client.send({ op: "request", call: { method: "GET", path: "/api/v1/health" } }),
        "agent",
        "the session agent did not answer in time",
      );
      assert.equal((await received()).length, 2);
    }),
});

Deno.test({
  ...onlyOn(
    UNIX,
    "a Unix socket",
    "a request larger than the agent takes is a usage error, and none of it is sent",
  ),
  fn: () =>
    withSilentAgent(async (client, received) => {
      const body = { blob: "x".repeat(MAX_REQUEST_BYTES) };
      await rejectsWith(
        client.send({ op: "request", call: { method: "POST", path: "/api/v1/x", body } }),
        "usage",
        /^the request is too large for the session agent \(\d+ bytes; at most 4194304\)$/,
      );
      assert.deepEqual(await received(), [0]);
    }),
});

Deno.test("tcp transport: a listener on the port file's port that never answers the handshake is no agent, and gets nothing but a hello", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jim-agent-client-" });
  await Deno.chmod(dir, 0o700);
  const path = `${dir}/agent.sock`;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const secret = "3".repeat(64);
  await Deno.writeTextFile(
    path,
    JSON.stringify({ port: (listener.addr as Deno.NetAddr).port, secret, pid: 999999 }),
    { mode: 0o600 },
  );
  const held: Deno.Conn[] = [];
  let received = "";
  const accepting = (async () => {
    for await (const conn of listener) {
      held.push(conn);
      (async () => {
        const buffer = new Uint8Array(65536);
        for (let n; (n = await conn.read(buffer).catch(() => null)) !== null;) {
          received += new TextDecoder().decode(buffer.subarray(0, n));
        }
      })();
    }
  })();
  try {
    const client = new AgentClient({ kind: "tcp", path, uid: Deno.uid() }, {
      controlMs: 300,
      callMs: 300,
      batchMs: 300,
    });
    assert.equal(await client.hello(), null);
    await assert.rejects(client.send({ op: "status" }), AgentNotRunning);
    assert.ok(!received.includes(secret), received);
    const lines = received.trimEnd().split("\n");
    assert.equal(lines.length, 2, received);
    for (const line of lines) assert.equal(JSON.parse(line).op, "hello");
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) {
      try {
        conn.close();
      } catch { /* closed by the client */ }
    }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  ...onlyOn(
    UNIX,
    "a Unix socket",
    "a stream waits as long as the reader takes with a page, and gives up on an agent silent past the deadline",
  ),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "jim-agent-client-" });
    await Deno.chmod(dir, 0o700);
    const path = `${dir}/agent.sock`;
    const listener = Deno.listen({ transport: "unix", path });
    await Deno.chmod(path, 0o600);
    const held: Deno.Conn[] = [];
    // Two pages, the second 100 ms after the first, then nothing: the agent hangs.
    const serving = (async () => {
      const conn = await listener.accept();
      held.push(conn);
      await conn.read(new Uint8Array(65536));
      const frame = (id: number) =>
        new TextEncoder().encode(`${JSON.stringify({ v: 5, ok: true, page: [{ id }] })}\n`);
      await conn.write(frame(1));
      await new Promise((resolve) => setTimeout(resolve, 100));
      await conn.write(frame(2));
    })();
    const guard = setTimeout(() => held.forEach((conn) => conn.close()), 20_000);
    try {
      const client = new AgentClient({ kind: "unix", path, uid: Deno.uid() }, {
        controlMs: 300,
        callMs: 300,
        batchMs: 300,
      });
      const seen: number[] = [];
      const started = performance.now();
      await rejectsWith(
        client.stream({ method: "GET", path: "/api/v1/x" }, async (items) => {
          seen.push((items[0] as { id: number }).id);
          // Longer than the deadline: the reader's own time must not count against the agent.
          if (seen.length === 1) await new Promise((resolve) => setTimeout(resolve, 700));
        }),
        "agent",
        "the session agent did not answer in time",
      );
      assert.deepEqual(seen, [1, 2], "both pages reached the reader");
      assert.ok(performance.now() - started < 10_000, "gave up, not hung");
      await serving;
    } finally {
      clearTimeout(guard);
      listener.close();
      for (const conn of held) {
        try {
          conn.close();
        } catch { /* closed by the client already */ }
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});
