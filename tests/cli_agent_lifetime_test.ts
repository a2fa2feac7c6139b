// The agent lives as long as its socket (or port file): when logind removes /run/user/UID at the
// last logout, or anything replaces the socket, the agent notices within seconds and exits,
// forgetting the session it held, as gpg-agent does.

import assert from "node:assert/strict";
import { assertOneLineError, withCli } from "./helpers/cli_fixture.ts";
import { rawExchange } from "./helpers/agent_socket.ts";
import { PROTOCOL_VERSION } from "../lib/session/protocol.ts";
import { onlyOn } from "./helpers/platform_gate.ts";

// The agent checks every 2 s; this is only the bound past which the test calls it a hang.
const EXIT_BOUND_MS = 20_000;

/** Gone, or a zombie nobody reaped yet (its memory, and the session in it, are freed). */
function running(pid: number): boolean {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

async function waitForExit(pid: number): Promise<void> {
  const deadline = Date.now() + EXIT_BOUND_MS;
  while (running(pid)) {
    if (Date.now() > deadline) {
      throw new Error(`the agent (pid ${pid}) still runs ${EXIT_BOUND_MS / 1000} s later`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function unixAgentPid(path: string): Promise<number> {
  const hello = JSON.parse(await rawExchange({ path }, `{"v":${PROTOCOL_VERSION},"op":"hello"}\n`));
  assert.equal(hello.ok, true, JSON.stringify(hello));
  return hello.result.pid;
}

Deno.test({
  ...onlyOn(
    ["linux"],
    "/proc",
    "the agent exits within seconds of its socket directory being removed (logout)",
  ),
  fn: async () => {
    await withCli(async ({ env, jim, connect }) => {
      await connect();
      const pid = await unixAgentPid(env.socketPath);
      await Deno.remove(`${env.vars.XDG_RUNTIME_DIR}/jim`, { recursive: true });
      await waitForExit(pid);
      assertOneLineError(await jim(["whoami"]), 3, /You are not connected/);
    });
  },
});

Deno.test({
  ...onlyOn(
    ["linux"],
    "/proc",
    "the agent exits within seconds of its socket being replaced, and leaves the new one be",
  ),
  fn: async () => {
    await withCli(async ({ env, connect }) => {
      await connect();
      const pid = await unixAgentPid(env.socketPath);
      await Deno.remove(env.socketPath);
      const other = Deno.listen({ transport: "unix", path: env.socketPath });
      try {
        await waitForExit(pid);
        assert.ok((await Deno.lstat(env.socketPath)).isSocket, "the replacement is still there");
      } finally {
        other.close();
      }
    });
  },
});

Deno.test({
  ...onlyOn(
    ["linux"],
    "/proc",
    "tcp transport: the agent exits within seconds of its port file being removed",
  ),
  fn: async () => {
    await withCli(
      async ({ env, jim, connect }) => {
        await connect();
        const { pid } = JSON.parse(await Deno.readTextFile(env.socketPath));
        await Deno.remove(env.socketPath);
        await waitForExit(pid);
        assertOneLineError(await jim(["whoami"]), 3, /You are not connected/);
      },
      {},
      { JIM_AGENT_TRANSPORT: "tcp" },
    );
  },
});

Deno.test({
  ...onlyOn(
    ["linux"],
    "/proc",
    "tcp transport: the agent exits within seconds of its port file being replaced by " +
      "another agent's, and leaves that one be",
  ),
  fn: async () => {
    await withCli(
      async ({ env, connect }) => {
        await connect();
        const { pid } = JSON.parse(await Deno.readTextFile(env.socketPath));
        const other = JSON.stringify({ port: 1, secret: "7".repeat(64), pid: 999999 });
        const temp = `${env.socketPath}.other`;
        await Deno.writeTextFile(temp, other, { mode: 0o600 });
        await Deno.rename(temp, env.socketPath);
        await waitForExit(pid);
        assert.equal(await Deno.readTextFile(env.socketPath), other);
        await Deno.remove(env.socketPath);
      },
      {},
      { JIM_AGENT_TRANSPORT: "tcp" },
    );
  },
});

Deno.test({
  ...onlyOn(
    ["linux"],
    "prlimit",
    "an agent out of file descriptors turns connections away and keeps its session",
  ),
  fn: async () => {
    await withCli(async ({ env, jim, connect }) => {
      await connect();
      const pid = await unixAgentPid(env.socketPath);
      // Few descriptors left: the connections below use them up, and accept fails (EMFILE).
      const limit = await new Deno.Command("prlimit", {
        args: ["--pid", String(pid), "--nofile=48:48"],
      }).output();
      assert.equal(limit.code, 0, new TextDecoder().decode(limit.stderr));
      const held: Deno.Conn[] = [];
      try {
        for (let i = 0; i < 80; i++) {
          held.push(await Deno.connect({ transport: "unix", path: env.socketPath }));
        }
        // Let the agent try, and fail, to accept the ones past its limit.
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.ok(running(pid), "the agent exited when it ran out of file descriptors");
      } finally {
        for (const conn of held) conn.close();
      }
      const whoami = await jim(["whoami"]);
      assert.equal(whoami.code, 0, whoami.stderr);
      assert.match(whoami.stdout, /AuthMethod\s+: api_key/);
    });
  },
});
