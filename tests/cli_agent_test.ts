// The session agent seen from outside: bad messages on its socket, a killed agent, unsafe
// socket directories, the idle timeout, and stateless mode winning over the agent.

import assert from "node:assert/strict";
import {
  assertClean,
  assertOneLineError,
  parseList,
  TEST_KEY,
  withCli,
} from "./helpers/cli_fixture.ts";
import { denoRunArgs, JIM_V8_FLAGS } from "../lib/runtime_flags.ts";
import { MAIN, runJim } from "./helpers/run_jim.ts";
import { rawExchange } from "./helpers/agent_socket.ts";
import { onlyWhere } from "./helpers/platform_gate.ts";
import { PROTOCOL_VERSION } from "../lib/session/protocol.ts";

Deno.test("malformed and oversized messages get an error response and the agent keeps serving", async () => {
  await withCli(async ({ env, jim, connect }) => {
    await connect();
    const encode = (text: string) => new TextEncoder().encode(text);
    const cases = [
      "this is not json\n",
      `{"v":${PROTOCOL_VERSION},"op":"launch-missiles"}\n`,
      '{"v":99,"op":"status"}\n',
      `{"v":${PROTOCOL_VERSION},"op":"request","call":{"method":"GET","path":"no-slash"}}\n`,
      `{"v":${PROTOCOL_VERSION},"op":"adopt","session":{"url":1}}\n`,
      "[1,2,3]\n",
    ];
    for (const message of cases) {
      const answer = JSON.parse(await rawExchange({ path: env.socketPath }, encode(message)));
      assert.equal(answer.ok, false, message);
      assert.match(answer.error.message, /^bad agent request: /);
    }
    const huge = new Uint8Array(5 * 1024 * 1024 + 10).fill(0x61);
    const answer = JSON.parse(await rawExchange({ path: env.socketPath }, huge));
    assert.equal(answer.ok, false);
    assert.match(answer.error.message, /larger than/);

    const after = await jim(["whoami", "--json"]);
    assertClean(after);
    assert.equal(after.code, 0, after.stderr);
    assert.equal(JSON.parse(after.stdout).Name, "ci-key");
  });
});

Deno.test("the agent's status over the socket carries no secret", async () => {
  await withCli(async ({ env, connect }) => {
    await connect();
    const status = await rawExchange(
      { path: env.socketPath },
      new TextEncoder().encode(`{"v":${PROTOCOL_VERSION},"op":"status"}\n`),
    );
    assert.ok(!status.includes(TEST_KEY));
    assert.equal(JSON.parse(status).result.connected, true);
  });
});

Deno.test("a killed agent means not connected, with no hang", async () => {
  await withCli(async ({ env, jim, connect }) => {
    await connect();
    const hello = JSON.parse(
      await rawExchange(
        { path: env.socketPath },
        new TextEncoder().encode(`{"v":${PROTOCOL_VERSION},"op":"hello"}\n`),
      ),
    );
    Deno.kill(hello.result.pid, "SIGKILL");
    // The socket file is left behind, stale.
    await waitFor(() => Promise.resolve(!isAlive(hello.result.pid)));
    assertOneLineError(await jim(["whoami"]), 3, /You are not connected to JIM/);
    const quiet = await jim(["test-connection", "-q"]);
    assert.equal(quiet.stdout, "false\n");
    // A new connect replaces the stale socket.
    await connect();
    assert.equal((await jim(["whoami"])).code, 0);
  });
});

Deno.test("a socket directory others can read, or a symlink, is refused", async () => {
  await withCli(async ({ server, env, jim }) => {
    const open = `${env.dir}/open`;
    await Deno.mkdir(open, { mode: 0o755 });
    await Deno.chmod(open, 0o755);
    const result = await jim(["connect", server.url, "--api-key-stdin"], {
      stdin: TEST_KEY,
      env: { JIM_AGENT_SOCKET: `${open}/agent.sock` },
    });
    assertOneLineError(result, 1, /refusing the session directory .*open: its mode is 755/);

    const target = `${env.dir}/target`;
    await Deno.mkdir(target, { mode: 0o700 });
    await Deno.symlink(target, `${env.dir}/link`);
    const linked = await jim(["connect", server.url, "--api-key-stdin"], {
      stdin: TEST_KEY,
      env: { JIM_AGENT_SOCKET: `${env.dir}/link/agent.sock` },
    });
    assertOneLineError(linked, 1, /refusing the session directory .*link: it is a symbolic link/);
  });
});

Deno.test("the socket directory is created 0700 and the socket 0600", async () => {
  await withCli(async ({ env, connect }) => {
    await connect();
    const dir = await Deno.lstat(`${env.vars.XDG_RUNTIME_DIR}/jim`);
    assert.equal(dir.mode! & 0o777, 0o700);
    const socket = await Deno.lstat(env.socketPath);
    assert.ok(socket.isSocket);
    assert.equal(socket.mode! & 0o777, 0o600);
  });
});

Deno.test("the agent exits after the idle timeout and removes its socket", async () => {
  await withCli(
    async ({ env, jim, connect }) => {
      await connect();
      await waitFor(async () => !(await exists(env.socketPath)), 15_000);
      assertOneLineError(await jim(["whoami"]), 3, /You are not connected/);
    },
    {},
    { JIM_AGENT_IDLE_TIMEOUT: "2" },
  );
});

Deno.test("stateless mode: JIM_URL and JIM_API_KEY work with no agent and win over one", async () => {
  await withCli(async ({ server, jim, connect }) => {
    const otherServer = await (await import("../fixtures/jim_server.ts")).startJimServer({
      apiKeys: [{ key: "jim_ak_statelessstatelessstateless0000", name: "stateless-key" }],
      version: "9.9.9",
    });
    try {
      const vars = {
        JIM_URL: otherServer.url,
        JIM_API_KEY: "jim_ak_statelessstatelessstateless0000",
      };
      const alone = await jim(["whoami", "--json"], { env: vars });
      assertClean(alone, ["jim_ak_statelessstatelessstateless0000"]);
      assert.equal(JSON.parse(alone.stdout).Name, "stateless-key");

      await connect();
      const wins = await jim(["test-connection"], { env: vars });
      assertClean(wins);
      const values = Object.fromEntries(parseList(wins.stdout));
      assert.equal(values.Url, otherServer.url);
      assert.equal(values.ServerVersion, "9.9.9");
      assert.equal(values.Connected, "True");
      assert.ok(!server.requests.some((r) => r.headers["x-api-key"]?.includes("stateless")));
    } finally {
      await otherServer.close();
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => Promise<boolean>, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("a fake agent in a directory another user could write is never sent credentials", async () => {
  await withCli(async ({ server, env, jim }) => {
    const shared = `${env.dir}/shared`;
    await Deno.mkdir(shared, { mode: 0o777 });
    await Deno.chmod(shared, 0o777);
    const socket = `${shared}/agent.sock`;
    const received: string[] = [];
    const fake = Deno.listen({ transport: "unix", path: socket });
    const serving = (async () => {
      for await (const conn of fake) {
        const buffer = new Uint8Array(65536);
        const n = await conn.read(buffer).catch(() => null);
        if (n) received.push(new TextDecoder().decode(buffer.subarray(0, n)));
        await conn.write(new TextEncoder().encode('{"v":2,"ok":true,"result":{"protocol":2}}\n'))
          .catch(() => {});
        conn.close();
      }
    })();
    try {
      const result = await jim(["connect", server.url, "--api-key-stdin"], {
        stdin: TEST_KEY,
        env: { JIM_AGENT_SOCKET: socket },
      });
      assertOneLineError(result, 1, /refusing the session directory .*shared: its mode is 777/);
      assert.deepEqual(received, [], "nothing reached the fake agent");
    } finally {
      fake.close();
      await serving.catch(() => {});
    }
  });
});

Deno.test("an agent ending with a call still in flight does not remove its successor's socket", async () => {
  await withCli(async ({ server, env, jim, connect }) => {
    await connect();
    server.addFault({ path: "/api/v1/health/version", kind: "slow", delayMs: 2_000 });
    const slow = jim(["api", "/api/v1/health/version"]);
    // Let the slow call reach the old agent, then replace the agent while it is still waiting.
    await waitFor(() =>
      Promise.resolve(server.requests.some((r) => r.path === "/api/v1/health/version"))
    );
    assert.equal((await jim(["disconnect"])).code, 0);
    await connect();
    await slow;
    const who = await jim(["whoami", "--json"]);
    assertClean(who);
    assert.equal(who.code, 0, `the new agent still answers: ${who.stderr}`);
    assert.ok(await exists(env.socketPath));
  });
});

Deno.test({
  // Deno's debug log says when it rewrites a module's cached code; a compiled binary has none.
  ...onlyWhere(
    Deno.env.get("JIM_BIN") === undefined,
    "deno run",
    "Deno's code cache",
    "the agent and the commands share the code cache: the first command after connect " +
      "recompiles nothing the agent also loaded",
  ),
  fn: async () => {
    await withCli(async ({ env, connect }) => {
      await connect();
      // V8 rejects code cached under other flags, so an agent with flags of its own would make
      // the next command recompile (and rewrite) every module both load, errors.ts among them.
      const out = await runJim(["whoami"], {
        env: env.vars,
        command: [Deno.execPath(), ...denoRunArgs(JIM_V8_FLAGS, ["--log-level=debug"]), MAIN],
      });
      const log = out.stderr;
      assert.equal(out.code, 0, log.slice(-2000));
      assert.match(log, /V8 code cache hit for ES module: \S+\/lib\/errors\.ts/);
      const rewritten = log.split("\n").filter((line) =>
        /Updating V8 code cache for ES module: \S+\/lib\/(errors|text|version)\.ts/.test(line)
      );
      assert.deepEqual(rewritten, []);
    });
  },
});
