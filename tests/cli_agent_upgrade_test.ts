// Upgrading jim while an agent of the previous version still runs: that agent refuses this
// protocol's requests, so connect must stop it in its own protocol and start a new one, rather
// than fail until the old agent's idle timeout.

import assert from "node:assert/strict";
import { assertClean, TEST_KEY, withCli } from "./helpers/cli_fixture.ts";
import { PROTOCOL_VERSION } from "../lib/session/protocol.ts";

const OLD = PROTOCOL_VERSION - 1;

/** A stand-in for the previous jim's agent: it answers as that agent's parser does. */
function olderAgent(path: string) {
  const listener = Deno.listen({ transport: "unix", path });
  Deno.chmodSync(path, 0o600);
  const received: { v: unknown; op: unknown }[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      const buffer = new Uint8Array(65536);
      const n = await conn.read(buffer).catch(() => null);
      const line = n ? new TextDecoder().decode(buffer.subarray(0, n)).split("\n")[0] : "";
      let request: { v?: unknown; op?: unknown } = {};
      try {
        request = JSON.parse(line);
      } catch { /* answered as malformed below */ }
      received.push({ v: request.v, op: request.op });
      const answer = request.v !== OLD
        ? {
          v: OLD,
          ok: false,
          error: {
            code: "protocol",
            message: `bad agent request: unsupported protocol version ${
              JSON.stringify(request.v)
            }; this agent speaks ${OLD}`,
          },
        }
        : { v: OLD, ok: true, result: { stopping: true } };
      await conn.write(new TextEncoder().encode(`${JSON.stringify(answer)}\n`)).catch(() => {});
      conn.close();
      if (request.v === OLD && request.op === "shutdown") {
        listener.close();
        await Deno.remove(path).catch(() => {});
        return;
      }
    }
  })().catch(() => {});
  return {
    received,
    async close() {
      try {
        listener.close();
      } catch { /* closed when it stopped */ }
      await serving;
    },
  };
}

Deno.test("connect after an upgrade stops the previous version's agent in its own protocol and starts a new one", async () => {
  await withCli(async ({ env, jim, server }) => {
    const socket = env.socketPath;
    await Deno.mkdir(socket.slice(0, socket.lastIndexOf("/")), { mode: 0o700 });
    const old = olderAgent(socket);
    try {
      const result = await jim(["connect", server.url, "--api-key-stdin"], { stdin: TEST_KEY });
      assertClean(result);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(
        old.received.some((r) => r.v === OLD && r.op === "shutdown"),
        JSON.stringify(old.received),
      );
      const who = await jim(["whoami", "--json"]);
      assert.equal(who.code, 0, who.stderr);
      assert.equal(JSON.parse(who.stdout).Name, "ci-key");
    } finally {
      await old.close();
    }
  });
});
