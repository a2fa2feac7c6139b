// The agent's loopback transport (the default on Windows, where Deno has no Unix sockets),
// exercised here with JIM_AGENT_TRANSPORT=tcp: the port file is private, the agent and the
// client each prove they hold the per-start secret before anything else passes, an endpoint
// that cannot prove itself is stale, and everything else works as over the socket.

import assert from "node:assert/strict";
import { assertClean, assertOneLineError, TEST_KEY, withCli } from "./helpers/cli_fixture.ts";
import { rawExchange, tcpExchange } from "./helpers/agent_socket.ts";
import { otherUserTest, withOtherUser } from "./helpers/other_user.ts";
import { onlyOn } from "./helpers/platform_gate.ts";
import { PROTOCOL_VERSION } from "../lib/session/protocol.ts";
import { VERSION } from "../lib/version.ts";

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
      // Windows has no POSIX modes (Deno reports none there): the port file is private by
      // living in the user's own LOCALAPPDATA.
      if (Deno.build.os !== "windows") assert.equal(info.mode! & 0o777, 0o600);
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

Deno.test("tcp transport: a request without the handshake, or with a wrong secret, is refused and the agent keeps serving", async () => {
  await withCli(
    async ({ env, jim, connect }) => {
      await connect();
      const { port, secret } = JSON.parse(await Deno.readTextFile(env.socketPath));
      const v = PROTOCOL_VERSION;
      const none = await exchange(port, `{"v":${v},"op":"status","auth":"${secret}"}\n`);
      assert.equal(none.ok, false, "the raw secret is no way in");
      assert.match((none.error as { message: string }).message, /handshake/);
      const shutdown = await exchange(port, `{"v":${v},"op":"shutdown"}\n`);
      assert.equal(shutdown.ok, false, "no shutdown without the handshake");
      const wrong = await tcpExchange(port, "0".repeat(64), `{"v":${v},"op":"status"}\n`);
      const refused = JSON.parse(wrong.answer);
      assert.equal(refused.ok, false);
      assert.match(refused.error.message, /not authorised/);
      const right = await tcpExchange(port, secret, `{"v":${v},"op":"status"}\n`);
      assert.equal(JSON.parse(right.answer).ok, true);
      assert.ok(!right.answer.includes(TEST_KEY));
      assert.ok(!right.answer.includes(secret), "the agent never sends the secret itself");
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
      const { port, pid } = JSON.parse(await Deno.readTextFile(env.socketPath));
      Deno.kill(pid, "SIGKILL");
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

// Plays a dead agent's successor on its port: another user's program that answers every line as
// the agent of this version would (hello, status, adopt), and prints every byte it receives.
const FAKE_AGENT = `
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(JSON.stringify({ port: listener.addr.port }));
for await (const conn of listener) {
  (async () => {
    const buffer = new Uint8Array(65536);
    let pending = "";
    try {
      for (let n; (n = await conn.read(buffer)) !== null;) {
        const text = new TextDecoder().decode(buffer.subarray(0, n));
        console.log(JSON.stringify({ got: text }));
        pending += text;
        for (let cut; (cut = pending.indexOf("\\n")) >= 0;) {
          let v = 2;
          try { v = JSON.parse(pending.slice(0, cut)).v ?? 2; } catch {}
          pending = pending.slice(cut + 1);
          const result = { protocol: v, version: "${VERSION}", pid: 1, nonce: "1".repeat(64),
            proof: "2".repeat(64), connected: false };
          await conn.write(new TextEncoder().encode(JSON.stringify({ v, ok: true, result }) + "\\n"));
        }
      }
    } catch {}
    try { conn.close(); } catch {}
  })();
}
`;

Deno.test(otherUserTest({
  name:
    "tcp transport: another user's program on a dead agent's port gets neither the key nor the " +
    "port file's secret, and connect starts a fresh agent",
  fn: () =>
    withOtherUser(async (user) => {
      const fake = user.spawn([Deno.execPath(), "eval", FAKE_AGENT], {
        DENO_DIR: `${user.home}/deno`,
        NO_COLOR: "1",
      });
      const lines = fake.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while (!out.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) break;
        out += value;
      }
      const rest = (async () => {
        for (let r; !(r = await lines.read()).done;) out += r.value;
      })();
      try {
        const fakePort = JSON.parse(out.slice(0, out.indexOf("\n"))).port;
        await withCli(
          async ({ server, env, jim }) => {
            // What the killed agent left behind: its private port file, naming a port that now
            // belongs to the other user's program.
            const staleSecret = "5".repeat(64);
            await Deno.mkdir(env.socketPath.slice(0, env.socketPath.lastIndexOf("/")), {
              recursive: true,
              mode: 0o700,
            });
            await Deno.writeTextFile(
              env.socketPath,
              JSON.stringify({ port: fakePort, secret: staleSecret, pid: 999999 }),
              { mode: 0o600 },
            );
            const connected = await jim(["connect", server.url, "--api-key-stdin"], {
              stdin: TEST_KEY,
            });
            fake.kill("SIGKILL");
            await fake.status;
            await rest.catch(() => {});
            const received = out.split("\n").slice(1).filter((line) => line !== "")
              .map((line) => JSON.parse(line).got as string).join("");
            assert.ok(received.length > 0, "the stale endpoint was tried");
            assert.ok(!received.includes(TEST_KEY), `the key reached the fake agent: ${received}`);
            assert.ok(
              !received.includes(staleSecret),
              `the port file's secret reached the fake agent: ${received}`,
            );
            for (const line of received.split("\n").filter((line) => line !== "")) {
              assert.equal(JSON.parse(line).op, "hello", `only hellos reach it: ${line}`);
            }
            assertClean(connected);
            assert.equal(connected.code, 0, connected.stderr);
            const now = JSON.parse(await Deno.readTextFile(env.socketPath));
            assert.notEqual(now.port, fakePort, "a fresh agent wrote its own port file");
            assert.notEqual(now.secret, staleSecret);
            const who = await jim(["whoami", "--json"]);
            assertClean(who);
            assert.equal(JSON.parse(who.stdout).Name, "ci-key");
          },
          {},
          TCP,
        );
      } finally {
        try {
          fake.kill("SIGKILL");
        } catch { /* already gone */ }
        await fake.status;
        await fake.stderr.cancel().catch(() => {});
        await rest.catch(() => {});
      }
    }),
}));

function vmRssKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  assert.ok(match, "VmRSS in /proc/<pid>/status");
  return Number(match[1]);
}

Deno.test({
  ...onlyOn(
    ["linux"],
    "/proc",
    "tcp transport: 200 connections each sending part of a huge first frame leave the " +
      "agent's memory bounded, and it still serves",
  ),
  fn: async () => {
    await withCli(
      async ({ env, jim, connect }) => {
        await connect();
        const { port, pid } = JSON.parse(await Deno.readTextFile(env.socketPath));
        const before = vmRssKiB(pid);
        // A frame start and 1 MiB with no newline: a buffering agent keeps it all, per connection.
        const head = new TextEncoder().encode(`{"v":${PROTOCOL_VERSION},"op":"hello","nonce":"`);
        const filler = new Uint8Array(64 * 1024).fill(0x61);
        const conns = await Promise.all(
          Array.from({ length: 200 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
        );
        try {
          await Promise.all(conns.map(async (conn) => {
            try {
              await conn.write(head);
              for (let i = 0; i < 16; i++) await conn.write(filler);
            } catch { /* the agent hung up: that is the point */ }
          }));
          await new Promise((resolve) => setTimeout(resolve, 500));
          const after = vmRssKiB(pid);
          console.log(`agent VmRSS before ${before} kB, after 200 partial frames ${after} kB`);
          assert.ok(
            after - before < 100 * 1024,
            `the agent grew from ${before} kB to ${after} kB`,
          );
        } finally {
          for (const conn of conns) {
            try {
              conn.close();
            } catch { /* closed */ }
          }
        }
        const who = await jim(["whoami", "--json"]);
        assertClean(who);
        assert.equal(JSON.parse(who.stdout).Name, "ci-key");
      },
      {},
      TCP,
    );
  },
});

Deno.test("tcp transport: connections past the cap of those waiting to authenticate are closed at once, and a silent one after a short deadline", async () => {
  await withCli(
    async ({ env, jim, connect }) => {
      await connect();
      const { port } = JSON.parse(await Deno.readTextFile(env.socketPath));
      const conns = [];
      for (let i = 0; i < 40; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      // Each silent connection's answer: what the agent wrote before hanging up (bounded wait).
      const answers = await Promise.all(conns.map(async (conn) => {
        const timer = setTimeout(() => conn.close(), 20_000);
        const buffer = new Uint8Array(4096);
        let text = "";
        try {
          for (let n; (n = await conn.read(buffer).catch(() => null)) !== null;) {
            text += new TextDecoder().decode(buffer.subarray(0, n));
          }
        } finally {
          clearTimeout(timer);
          try {
            conn.close();
          } catch { /* closed */ }
        }
        return text;
      }));
      const busy = answers.filter((a) => /too many connections/.test(a)).length;
      const late = answers.filter((a) => /not received in time/.test(a)).length;
      assert.ok(busy >= 1, `extras are turned away: ${JSON.stringify(answers)}`);
      assert.ok(late >= 1 && late <= 32, `silent ones are closed at the deadline: ${late}`);
      assert.equal(busy + late, 40, JSON.stringify(answers));
      assert.equal((await jim(["whoami"])).code, 0);
    },
    {},
    TCP,
  );
});

Deno.test("tcp transport: connections that never prove themselves do not keep an idle agent alive", async () => {
  await withCli(
    async ({ env, jim, connect }) => {
      await connect();
      const { port, pid } = JSON.parse(await Deno.readTextFile(env.socketPath));
      // Another local user knocking every half second, for longer than the idle timeout (3 s).
      const started = Date.now();
      let alive = true;
      while (alive && Date.now() - started < 20_000) {
        await rawExchange({ port }, `{"v":${PROTOCOL_VERSION},"op":"status"}\n`, 2_000)
          .catch(() => "");
        await new Promise((resolve) => setTimeout(resolve, 500));
        try {
          Deno.kill(pid, "SIGCONT");
        } catch {
          alive = false;
        }
      }
      assert.equal(alive, false, "the agent still ran 20 s later, kept alive by unproven knocks");
      assertOneLineError(await jim(["whoami"]), 3, /You are not connected/);
    },
    {},
    { ...TCP, JIM_AGENT_IDLE_TIMEOUT: "3" },
  );
});

Deno.test("tcp transport: a flood of unproven connections makes commands say the agent is busy, never 'not connected', and the agent stays", async () => {
  await withCli(
    async ({ env, jim, connect }) => {
      await connect();
      const { port, pid } = JSON.parse(await Deno.readTextFile(env.socketPath));
      // Fill every waiting slot with connections that never say a word.
      const conns = [];
      for (let i = 0; i < 32; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      try {
        const during = await jim(["whoami"]);
        assertOneLineError(during, 1, /session agent is busy.*try again shortly/);
      } finally {
        for (const conn of conns) {
          try {
            conn.close();
          } catch { /* closed by the agent */ }
        }
      }
      const after = await jim(["whoami", "--json"]);
      assert.equal(after.code, 0, after.stderr);
      assert.equal(JSON.parse(await Deno.readTextFile(env.socketPath)).pid, pid, "the same agent");
    },
    {},
    TCP,
  );
});
