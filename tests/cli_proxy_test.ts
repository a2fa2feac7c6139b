// Corporate networks: jim reaches an HTTPS JIM server through the proxy named by HTTPS_PROXY
// (and https_proxy), skips it for hosts in NO_PROXY, and says so clearly when the proxy is down.
// The agent started by connect inherits connect's environment, so it uses the same proxy.
//
// Deno's fetch does not exempt loopback addresses from the proxy (checked: with HTTPS_PROXY set, a
// fetch of https://127.0.0.1:PORT/ is tunnelled with CONNECT 127.0.0.1:PORT), so the simulator
// can stay on 127.0.0.1 and NO_PROXY=127.0.0.1 is what turns the proxy off.

import assert from "node:assert/strict";
import { type ConnectProxy, startConnectProxy } from "../fixtures/connect_proxy.ts";
import { type JimServer, startJimServer } from "../fixtures/jim_server.ts";
import { makeTestCa, type TestCa } from "../fixtures/test_ca.ts";
import { JimEnv } from "./helpers/run_jim.ts";
import { assertClean, assertOneLineError, TEST_KEY } from "./helpers/cli_fixture.ts";
import { needsTool } from "./helpers/platform_gate.ts";

interface Rig {
  ca: TestCa;
  server: JimServer;
  proxy: ConnectProxy;
  env: JimEnv;
  /** host:port of the simulator, as a CONNECT names it. */
  target: string;
}

/** An HTTPS simulator behind a private CA, a CONNECT proxy, and a jim environment trusting the CA. */
async function withRig(fn: (rig: Rig) => Promise<void>): Promise<void> {
  const ca = await makeTestCa();
  const server = await startJimServer({
    apiKeys: [{ key: TEST_KEY, name: "proxy-key" }],
    tls: { cert: ca.serverCertPem, key: ca.serverKeyPem },
  });
  const proxy = await startConnectProxy();
  const env = await JimEnv.create({ JIM_CA_CERT: ca.caCertPath });
  try {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    await fn({ ca, server, proxy, env, target: new URL(server.url).host });
  } finally {
    await env.dispose();
    await proxy.close();
    await server.close();
    await ca.remove();
  }
}

/** connect with TEST_KEY on stdin, then whoami through the agent; both must succeed. */
async function connectAndWhoami(rig: Rig, vars: Record<string, string>): Promise<void> {
  const connect = await rig.env.run(["connect", rig.server.url, "--api-key-stdin"], {
    stdin: TEST_KEY,
    env: vars,
  });
  assertClean(connect);
  assert.equal(connect.code, 0, connect.stderr);
  // whoami talks to the agent, which connect started with its own environment (proxy included);
  // this run's environment has no proxy variables, so only the agent's can matter.
  const who = await rig.env.run(["whoami", "--json"]);
  assertClean(who);
  assert.equal(who.code, 0, who.stderr);
  assert.equal(JSON.parse(who.stdout).Name, "proxy-key");
}

Deno.test(needsTool("openssl", {
  name: "HTTPS_PROXY: connect and the agent's calls go through the proxy with CONNECT",
  fn: () =>
    withRig(async (rig) => {
      await connectAndWhoami(rig, { HTTPS_PROXY: rig.proxy.url });
      assert.ok(rig.proxy.tunnels.length >= 1, "the proxy saw no CONNECT");
      assert.deepEqual(new Set(rig.proxy.tunnels), new Set([rig.target]));
      assert.ok(rig.server.requests.some((r) => r.path === "/api/v1/userinfo"));

      // The agent holds its own proxy setting: once the proxy is gone, its next call fails
      // rather than quietly going direct.
      const seen = rig.proxy.tunnels.length;
      await rig.proxy.close();
      const requests = rig.server.requests.length;
      const who = await rig.env.run(["whoami"]);
      // The message names the proxy that refused, not just the JIM server behind it.
      assertOneLineError(
        who,
        1,
        new RegExp(
          `^jim whoami: cannot reach ${reEscape(rig.server.url)} through the proxy ${
            reEscape(rig.proxy.url)
          }: connection refused \\(check HTTPS_PROXY and NO_PROXY\\)$`,
        ),
      );
      assert.equal(rig.proxy.tunnels.length, seen);
      assert.equal(rig.server.requests.length, requests, "nothing may reach the server directly");
    }),
}));

Deno.test(needsTool("openssl", {
  name: "lower-case https_proxy is honoured too",
  fn: () =>
    withRig(async (rig) => {
      await connectAndWhoami(rig, { https_proxy: rig.proxy.url });
      assert.ok(rig.proxy.tunnels.length >= 1, "the proxy saw no CONNECT");
      assert.deepEqual(new Set(rig.proxy.tunnels), new Set([rig.target]));
    }),
}));

Deno.test(needsTool("openssl", {
  name: "NO_PROXY=127.0.0.1 bypasses HTTPS_PROXY for connect and the agent",
  fn: () =>
    withRig(async (rig) => {
      await connectAndWhoami(rig, { HTTPS_PROXY: rig.proxy.url, NO_PROXY: "127.0.0.1" });
      assert.deepEqual(rig.proxy.tunnels, [], "the proxy should have seen nothing");
      assert.ok(rig.server.requests.some((r) => r.path === "/api/v1/userinfo"));
    }),
}));

Deno.test(needsTool("openssl", {
  name: "HTTPS_PROXY at a closed port: connect fails with one line, exit 1",
  fn: () =>
    withRig(async (rig) => {
      const dead = await closedPort();
      const result = await rig.env.run(["connect", rig.server.url, "--api-key-stdin"], {
        stdin: TEST_KEY,
        env: { HTTPS_PROXY: `http://127.0.0.1:${dead}` },
      });
      // Deno's error names only the target; jim adds the proxy it went through.
      assertOneLineError(
        result,
        1,
        new RegExp(
          `^jim connect: cannot reach ${reEscape(rig.server.url)} through the proxy ` +
            `http://127\\.0\\.0\\.1:${dead}: connection refused \\(check HTTPS_PROXY and NO_PROXY\\)$`,
        ),
      );
      assert.deepEqual(rig.server.requests, [], "nothing may reach the server directly");
    }),
}));

function reEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** A loopback port with nothing listening (bound, then released). */
async function closedPort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await Promise.resolve();
  return port;
}

Deno.test("the CONNECT proxy fixture: 405 for other methods, 403 off loopback", async () => {
  const proxy = await startConnectProxy();
  try {
    const ask = async (head: string) => {
      const { hostname, port } = new URL(proxy.url);
      const conn = await Deno.connect({ hostname, port: Number(port) });
      try {
        await conn.write(new TextEncoder().encode(head));
        return await new Response(conn.readable).text();
      } finally {
        try {
          conn.close();
        } catch { /* the readable already closed it */ }
      }
    };
    const get = await ask("GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n");
    assert.match(get, /^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    assert.match(get, /only tunnels CONNECT/);
    const away = await ask("CONNECT 192.0.2.1:443 HTTP/1.1\r\nHost: 192.0.2.1:443\r\n\r\n");
    assert.match(away, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.deepEqual(proxy.tunnels, ["192.0.2.1:443"]);
  } finally {
    await proxy.close();
  }
});
