// Where the agent listens on each platform, as a pure function of the environment.

import assert from "node:assert/strict";
import { agentEndpoint, agentSocketPath } from "../lib/session/socket_path.ts";

const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });

Deno.test("Linux and macOS: JIM_AGENT_SOCKET, then XDG_RUNTIME_DIR, then ~/.cache/jim (never TMPDIR)", () => {
  assert.equal(agentSocketPath(env({ JIM_AGENT_SOCKET: "/x/a.sock" }), "linux"), "/x/a.sock");
  assert.equal(
    agentSocketPath(env({ XDG_RUNTIME_DIR: "/run/user/1000/", HOME: "/home/ada" }), "linux"),
    "/run/user/1000/jim/agent.sock",
  );
  // A fixed name in the shared TMPDIR could be taken first by another user.
  assert.equal(
    agentSocketPath(env({ TMPDIR: "/var/tmp/", HOME: "/Users/ada/" }), "darwin"),
    "/Users/ada/.cache/jim/agent.sock",
  );
  assert.deepEqual(agentEndpoint(env({ HOME: "/root" }), 0, "linux"), {
    kind: "unix",
    path: "/root/.cache/jim/agent.sock",
    uid: 0,
  });
  assert.throws(
    () => agentSocketPath(env({ TMPDIR: "/tmp" }), "linux"),
    /set XDG_RUNTIME_DIR, HOME or JIM_AGENT_SOCKET/,
  );
});

Deno.test("Windows: a port file under LOCALAPPDATA (else TEMP), forward slashes", () => {
  assert.deepEqual(
    agentEndpoint(env({ LOCALAPPDATA: "C:\\Users\\ada\\AppData\\Local" }), null, "windows"),
    { kind: "tcp", path: "C:/Users/ada/AppData/Local/jim/agent.sock", uid: null },
  );
  assert.equal(
    agentSocketPath(env({ TEMP: "C:\\Temp\\" }), "windows"),
    "C:/Temp/jim/agent.sock",
  );
  assert.equal(agentEndpoint(env({ JIM_AGENT_TRANSPORT: "unix" }), null, "windows").kind, "unix");
});

Deno.test("a socket path too long for a Unix socket is a usage error naming the variables", () => {
  const long = `/tmp/${"d".repeat(120)}`;
  assert.throws(
    () => agentEndpoint(env({ XDG_RUNTIME_DIR: long }), 0, "linux"),
    /too long for a Unix socket .*JIM_AGENT_SOCKET or XDG_RUNTIME_DIR/,
  );
  // The agent first binds a temporary name beside the socket, which must fit as well.
  assert.throws(
    () => agentEndpoint(env({ JIM_AGENT_SOCKET: `/tmp/${"d".repeat(95)}/a` }), 0, "linux"),
    /too long for a Unix socket/,
  );
});
