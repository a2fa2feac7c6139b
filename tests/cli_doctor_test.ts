// `jim doctor` / Test-JIMEnvironment through the CLI: one line per check, ✓ or ✗ with the fix,
// exit 0 only when all pass. A host without a session bus, a port held by the user's own
// process, a server behind an unknown CA, and a machine where everything is in order.

import assert from "node:assert/strict";
import { startIdp } from "../fixtures/idp.ts";
import { startJimServer } from "../fixtures/jim_server.ts";
import { makeTestCa } from "../fixtures/test_ca.ts";
import { startGuarded } from "../fixtures/child_process.ts";
import { JimEnv, type JimResult, ROOT_DIR } from "./helpers/run_jim.ts";
import { assertClean, TEST_KEY } from "./helpers/cli_fixture.ts";
import { keyringTest, secretTool, startKeyringSession } from "./helpers/keyring_session.ts";
import { needsTool } from "./helpers/platform_gate.ts";

/** The stdout lines of a doctor run, each checked to be one ✓ or ✗ line. */
function doctorLines(result: JimResult): string[] {
  assertClean(result);
  const lines = result.stdout.trimEnd().split("\n");
  for (const line of lines) assert.match(line, /^[✓✗] [^:]+: \S/, `not a check line: ${line}`);
  return lines;
}

function lineFor(lines: string[], name: string): string {
  const found = lines.find((line) => line.slice(2).startsWith(`${name}:`));
  assert.ok(found, `no '${name}' line in:\n${lines.join("\n")}`);
  return found;
}

/** A D-Bus-free environment as on an SSH jump host: no bus, no display. */
function noBus(env: JimEnv): void {
  delete env.vars.DBUS_SESSION_BUS_ADDRESS;
  delete env.vars.DISPLAY;
}

Deno.test(keyringTest({
  name: "doctor without a D-Bus session bus says so in plain words, with the fix, and exits 1",
  fn: async () => {
    const env = await JimEnv.create({ JIM_KEYRING: "secret-tool" });
    noBus(env);
    try {
      const result = await env.run(["doctor"]);
      const lines = doctorLines(result);
      assert.equal(result.code, 1, result.stdout);
      const bus = lineFor(lines, "D-Bus session");
      assert.match(bus, /^✗ D-Bus session: no session bus: DBUS_SESSION_BUS_ADDRESS is not set/);
      assert.match(bus, /Fix: .*dbus-run-session/);
      // libsecret's own words mean nothing to most users and must not leak through.
      assert.doesNotMatch(result.stdout, /autolaunch|X11|org\.freedesktop/i);
      assert.equal(result.stderr, "");

      // An address that is set but leads to no bus: one line, in the same plain words.
      const nowhere = `unix:abstract=/jim-test-no-bus-${crypto.randomUUID()}`;
      const stale = await env.run(["doctor"], { env: { DBUS_SESSION_BUS_ADDRESS: nowhere } });
      const staleLines = doctorLines(stale);
      assert.equal(stale.code, 1);
      assert.deepEqual(staleLines.filter((line) => line.includes("D-Bus session:")), [
        lineFor(staleLines, "D-Bus session"),
      ]);
      assert.match(
        lineFor(staleLines, "D-Bus session"),
        /^✗ D-Bus session: no session bus could be reached, so no Secret Service can be asked\. Fix: /,
      );
      assert.doesNotMatch(stale.stdout, /Could not connect|Connection refused|org\.freedesktop/i);
    } finally {
      await env.dispose();
    }
  },
}));

Deno.test(keyringTest({
  name: "doctor with a session bus but no Secret Service on it says so without D-Bus jargon",
  fn: async () => {
    const keyring = await startKeyringSession({ keyring: false });
    const env = await JimEnv.create({ ...keyring.env, JIM_KEYRING: "secret-tool" });
    try {
      const result = await env.run(["doctor", "--json"]);
      assertClean(result);
      assert.equal(result.code, 1);
      const report = JSON.parse(result.stdout);
      const service = report.Checks.find((c: { Check: string }) => c.Check === "Secret Service");
      assert.ok(service, result.stdout);
      assert.equal(service.Passed, false);
      assert.match(service.Message, /no Secret Service is running on the session bus/);
      assert.match(service.Fix, /gnome-keyring-daemon/);
      assert.doesNotMatch(result.stdout, /org\.freedesktop|\.service files/);
    } finally {
      await env.dispose();
      await keyring.close();
    }
  },
}));

Deno.test(keyringTest({
  name: "doctor with the keyring collection locked says so, with the fix, and exits 1",
  fn: async () => {
    const keyring = await startKeyringSession();
    const env = await JimEnv.create({ ...keyring.env, JIM_KEYRING: "secret-tool" });
    try {
      await keyring.lock();
      const result = await env.run(["doctor"]);
      const lines = doctorLines(result);
      assert.equal(result.code, 1);
      assert.match(
        lineFor(lines, "store round trip"),
        /^✗ store round trip: the keyring collection that holds the JIM entries is locked\. Fix: unlock it/,
      );
      assert.doesNotMatch(result.stdout, /org\.freedesktop|Cannot create an item/);
    } finally {
      await env.dispose();
      await keyring.close();
    }
  },
}));

Deno.test("doctor names the user's own process that holds port 8400, and exits 1", async () => {
  const holder = startGuarded([
    Deno.execPath(),
    "eval",
    "Deno.listen({ hostname: '127.0.0.1', port: 8400 }); console.log('ready'); setInterval(() => {}, 1000);",
  ], { stderr: "inherit", killAfterMs: 120_000 });
  const { pid } = holder.child;
  const env = await JimEnv.create();
  try {
    const reader = holder.child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const first = await reader.read();
    assert.match(first.value ?? "", /ready/, "the port holder did not start");
    reader.releaseLock();
    const result = await env.run(["doctor"]);
    const lines = doctorLines(result);
    assert.equal(result.code, 1);
    const ports = lineFor(lines, "loopback ports");
    assert.match(
      ports,
      new RegExp(`^✗ loopback ports: 8400 is held by your process deno \\(pid ${pid}\\)`),
    );
    assert.match(ports, new RegExp(`Fix: stop deno \\(kill ${pid}\\)`));
  } finally {
    holder.kill();
    await holder.ended();
    await holder.child.stdout.cancel().catch(() => {});
    await env.dispose();
  }
});

Deno.test(keyringTest({
  name:
    "doctor with the agent running, a working keyring and a reachable server: only ✓ lines, exit 0, and the --json shape",
  fn: async () => {
    const keyring = await startKeyringSession();
    const idp = await startIdp();
    const server = await startJimServer({
      apiKeys: [{ key: TEST_KEY, name: "ci-key" }],
      authConfig: { authority: idp.issuer, clientId: idp.clientId },
    });
    const env = await JimEnv.create({
      ...keyring.env,
      JIM_KEYRING: "secret-tool",
      BROWSER: `${ROOT_DIR}/fixtures/scripted-browser`,
      JIM_AGENT_IDLE_TIMEOUT: "3600",
    });
    try {
      const connected = await env.run(["connect", server.url, "--api-key-stdin"], {
        stdin: TEST_KEY,
      });
      assert.equal(connected.code, 0, connected.stderr);

      const result = await env.run(["doctor"]);
      const lines = doctorLines(result);
      assert.equal(result.code, 0, result.stdout);
      assert.deepEqual(lines.filter((line) => line.startsWith("✗")), []);
      assert.match(
        lineFor(lines, "agent"),
        /^✓ agent: running, pid \d+, .*exits after 1 h without a command/,
      );
      assert.match(lineFor(lines, "agent socket"), /directory 700, socket, 600, yours/);
      assert.match(lineFor(lines, "session"), new RegExp(`^✓ session: ${server.url} \\(API key`));
      assert.match(lineFor(lines, "Secret Service"), /^✓ Secret Service: answers$/);
      assert.match(lineFor(lines, "store round trip"), /written, read back and removed/);
      assert.match(lineFor(lines, "browser"), /\$BROWSER would run .*scripted-browser/);
      assert.match(lineFor(lines, "loopback ports"), /^✓ loopback ports: 8400-8409 are free/);
      assert.match(lineFor(lines, "server"), new RegExp(`^✓ server: ${server.url} answers`));
      assert.match(lineFor(lines, "clock"), /^✓ clock: /);
      assert.match(lineFor(lines, "SSO settings"), new RegExp(`identity provider ${idp.issuer}`));
      assert.match(lineFor(lines, "discovery"), /offers token revocation/);
      assert.match(lineFor(lines, "device code"), /^✓ device code: offered/);
      // The probe entry is gone again.
      const left = await secretTool(keyring.env, ["search", "--all", "service", "JIM"]);
      assert.equal(left.stdout, "");

      const json = await env.run(["Test-JIMEnvironment", "-Json"]);
      assertClean(json);
      assert.equal(json.code, 0);
      const report = JSON.parse(json.stdout);
      assert.deepEqual(Object.keys(report), ["Passed", "Checks"]);
      assert.equal(report.Passed, true);
      assert.equal(report.Checks.length, lines.length);
      for (const check of report.Checks) {
        assert.deepEqual(Object.keys(check), ["Check", "Passed", "Message", "Fix"]);
        assert.equal(check.Passed, true);
        assert.equal(check.Fix, null);
      }
      assert.deepEqual(
        report.Checks.map((check: { Check: string }) => check.Check),
        lines.map((line) => line.slice(2, line.indexOf(":"))),
      );
    } finally {
      await env.dispose();
      await server.close();
      await idp.close();
      await keyring.close();
    }
  },
}));

Deno.test(needsTool("openssl", {
  name: "doctor against a TLS server with an unknown CA names the issuer and the --ca-cert fix",
  fn: async () => {
    const ca = await makeTestCa();
    const server = await startJimServer({ tls: { cert: ca.serverCertPem, key: ca.serverKeyPem } });
    const env = await JimEnv.create();
    try {
      const refused = await env.run(["doctor", server.url]);
      const lines = doctorLines(refused);
      assert.equal(refused.code, 1);
      const host = new URL(server.url).host;
      assert.equal(
        lineFor(lines, "TLS"),
        `✗ TLS: the certificate of ${host} is issued by "CN=jim test CA", which this machine does not trust. Fix: pass the CA's PEM file with --ca-cert FILE (or set JIM_CA_CERT)`,
      );

      const trusted = await env.run(["doctor", server.url, "--ca-cert", ca.caCertPath]);
      const after = doctorLines(trusted);
      assert.match(lineFor(after, "server"), /^✓ server: .* answers its health check/);
      assert.match(
        lineFor(after, "TLS"),
        /^✓ TLS: the certificate of .* is issued by "CN=jim test CA", trusted \(the --ca-cert CA\)/,
      );
      // No SSO on this server: that is a fact to report, not a failure.
      assert.match(lineFor(after, "SSO settings"), /^✓ SSO settings: SSO is not configured/);
    } finally {
      await env.dispose();
      await server.close();
      await ca.remove();
    }
  },
}));

Deno.test(keyringTest({
  name: "doctor reports a rotated refresh token that could not be written back to a locked keyring",
  fn: async () => {
    const keyring = await startKeyringSession();
    const idp = await startIdp({ accessTokenTtlSeconds: 4 });
    const server = await startJimServer({
      authConfig: { authority: idp.issuer, clientId: idp.clientId },
      oidc: { issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri },
      users: [{ sub: "admin@example.test", authorised: true }],
    });
    const env = await JimEnv.create({
      ...keyring.env,
      JIM_KEYRING: "secret-tool",
      BROWSER: `${ROOT_DIR}/fixtures/scripted-browser`,
      JIM_TEST_DENO: Deno.execPath(),
    });
    env.vars.JIM_TEST_BROWSER_LOG = `${env.dir}/browser.log`;
    try {
      const signIn = await env.run(["connect", server.url]);
      assert.equal(signIn.code, 0, signIn.stderr);
      const before = doctorLines(await env.run(["doctor"]));
      assert.match(
        lineFor(before, "session"),
        /^✓ session: .*\(OAuth, refresh token kept in the credential store\)$/,
      );

      await keyring.lock();
      // Past half the token's life the next call refreshes first; rotation then writes back.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const call = await env.run(["whoami"]);
      assert.equal(call.code, 0, call.stderr);
      assert.equal((await idp.stats()).refreshGrants, 1);

      const after = await env.run(["doctor"]);
      const lines = doctorLines(after);
      assert.equal(after.code, 1);
      assert.match(
        lineFor(lines, "session"),
        /^✗ session: .*the renewed sign-in could not be saved to the credential store \(.*locked.*\. Fix: /,
      );
    } finally {
      await env.dispose();
      await server.close();
      await idp.close();
      await keyring.close();
    }
  },
}));
