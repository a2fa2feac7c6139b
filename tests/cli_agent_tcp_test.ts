// The agent's loopback transport (the default on Windows, where Deno has no Unix sockets),
// exercised here with JIM_AGENT_TRANSPORT=tcp: the port file is private, every request must
// carry the per-start secret, and everything else works as over the socket.

import assert from "node:assert/strict";
import { assertClean, assertOneLineError, TEST_KEY, withCli } from "./helpers/cli_fixture.ts";
import { rawExchange } from "./helpers/agent_socket.ts";

const TCP = { JIM_AGENT_TRANSPORT: "tcp" };

async function exchange(port: number, message: string): Promise<Record<string, unknown>> {
  return JSON.parse(await rawExchange({ port }, message));
}

Deno.test("tcp transport: connect, commands and disconnect work; the port file is 0600 and holds no key", async () => {
  await withCli(
    async ({ env, jim, connect }) => {
      await connect();
      const info = await Deno.lstat(env.socketPath);
      assert.ok(info.isFile, "a port file, not a socket");
      assert.equal(info.mode! & 0o777, 0o600);
      const text = await Deno.readTextFile(env.socketPath);
      assert.ok(!text.includes(TEST_KEY));
      const { port, secret } = JSON.parse(text);
      assert.equal(typeof port, "number");
      assert.match(secret, /^[0-9a-f]{64}$/);

      const who = await jim(["whoami", "--json"]);
      assertClean(who);
      assert.equal(JSON.parse(who.stdout).Name, "ci-key");
      const bye = await jim(["disconnect"]);
      assert.equal(bye.code, 0);
      await assert.rejects(
        Deno.lstat(env.socketPath),
        Deno.errors.NotFound,
        "the port file is removed",
      );
      assertOneLineError(await jim(["whoami"]), 3, /You are not connected/);
    },
    {},
    TCP,
  );
});

Deno.test("tcp transport: a request without the secret, or with a wrong one, is refused and the agent keeps serving", async () => {
  await withCli(
    async ({ env, jim, connect }) => {
      await connect();
      const { port, secret } = JSON.parse(await Deno.readTextFile(env.socketPath));
      const none = await exchange(port, '{"v":2,"op":"status"}\n');
      assert.equal(none.ok, false);
      assert.match((none.error as { message: string }).message, /not authorised/);
      const wrong = await exchange(port, `{"v":2,"op":"status","auth":"${"0".repeat(64)}"}\n`);
      assert.equal(wrong.ok, false);
      const shutdown = await exchange(port, '{"v":2,"op":"shutdown"}\n');
      assert.equal(shutdown.ok, false, "no shutdown without the secret");
      const right = await exchange(port, `{"v":2,"op":"status","auth":"${secret}"}\n`);
      assert.equal(right.ok, true);
      assert.ok(!JSON.stringify(right).includes(TEST_KEY));
      assert.equal((await jim(["whoami"])).code, 0);
    },
    {},
    TCP,
  );
});

Deno.test("tcp transport: a stale port file (agent killed) means not connected, and connect replaces it", async () => {
  await withCli(
    async ({ env, jim, connect }) => {
      await connect();
      const { port, secret } = JSON.parse(await Deno.readTextFile(env.socketPath));
      const hello = await exchange(port, `{"v":2,"op":"hello","auth":"${secret}"}\n`);
      Deno.kill((hello.result as { pid: number }).pid, "SIGKILL");
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const refused = await Deno.connect({ hostname: "127.0.0.1", port }).then((c) => {
          c.close();
          return false;
        }, () => true);
        if (refused) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assertOneLineError(await jim(["whoami"]), 3, /You are not connected/);
      await connect();
      assert.equal((await jim(["whoami"])).code, 0);
    },
    {},
    TCP,
  );
});

Deno.test("a bad JIM_AGENT_TRANSPORT is a usage error", async () => {
  await withCli(async ({ jim }) => {
    assertOneLineError(
      await jim(["whoami"], { env: { JIM_AGENT_TRANSPORT: "carrier-pigeon" } }),
      2,
      /JIM_AGENT_TRANSPORT must be unix or tcp/,
    );
  });
});

Deno.test("tcp transport: a stale port file whose port another program now holds does not block a new agent", async () => {
  await withCli(
    async ({ env, connect }) => {
      // A program that accepts connections and hangs up without a word.
      const squatter = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const accepting = (async () => {
        for await (const conn of squatter) conn.close();
      })();
      try {
        const dir = env.socketPath.slice(0, env.socketPath.lastIndexOf("/"));
        await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
        const port = (squatter.addr as Deno.NetAddr).port;
        await Deno.writeTextFile(
          env.socketPath,
          JSON.stringify({ port, secret: "0".repeat(64), pid: 999999 }),
          { mode: 0o600 },
        );
        await connect();
        const { port: now } = JSON.parse(await Deno.readTextFile(env.socketPath));
        assert.notEqual(now, port, "the new agent wrote its own port file");
      } finally {
        squatter.close();
        await accepting.catch(() => {});
      }
    },
    {},
    TCP,
  );
});
