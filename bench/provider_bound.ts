// Peak memory of `jim connect` when the identity provider's answer never ends, beside the same
// command against answers that end: jim reads at most 1 MiB of any provider answer, so the ratios
// should stay near 1. Standalone (not a section of run.ts, which needs hyperfine):
//
//   deno run -A bench/provider_bound.ts
//
// Peak = the highest VmHWM read from /proc/<pid>/status while the command runs (polled every
// 10 ms). JIM_HTTP_TIMEOUT=10 bounds a jim that would read forever; the provider streams the
// endless answer at about 25 MiB/s (fixtures/idp/provider.mjs, "endless").

import { startIdp } from "../fixtures/idp.ts";
import { startJimServer } from "../fixtures/jim_server.ts";
import { jimCommand, JimEnv, ROOT_DIR } from "../tests/helpers/run_jim.ts";
import { LOGIN } from "../tests/helpers/sso_fixture.ts";

interface Run {
  peakKiB: number;
  ms: number;
  code: number;
  lastLine: string;
}

async function peakOf(args: string[], env: Record<string, string>): Promise<Run> {
  const [cmd, ...prefix] = jimCommand();
  const started = performance.now();
  const child = new Deno.Command(cmd, {
    args: [...prefix, ...args],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let peakKiB = 0;
  const poll = setInterval(() => {
    try {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      const hwm = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? "0");
      peakKiB = Math.max(peakKiB, hwm);
    } catch { /* exited */ }
  }, 10);
  const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
  clearInterval(poll);
  const lastLine = stderr.trimEnd().split("\n").at(-1) ?? "";
  return { peakKiB, ms: performance.now() - started, code: status.code, lastLine };
}

const idp = await startIdp();
const server = await startJimServer({
  authConfig: { authority: idp.issuer, clientId: idp.clientId },
  oidc: { issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri },
  users: [{ sub: LOGIN, authorised: true }],
});
const env = await JimEnv.create({
  BROWSER: `${ROOT_DIR}/fixtures/scripted-browser`,
  JIM_TEST_DENO: Deno.execPath(),
  JIM_KEYRING: "none",
  JIM_HTTP_TIMEOUT: "10",
});
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
try {
  const connect = ["connect", server.url, "--force"];
  // Discovery that ends, then refused (declared issuer on http:// elsewhere): stops where (B) does.
  await idp.configure({ discoveryIssuer: "http://idp.example.test" });
  const baseDiscovery = await peakOf(connect, env.vars);
  await idp.configure({ discoveryIssuer: null, endless: "discovery" });
  const endlessDiscovery = await peakOf(connect, env.vars);
  await idp.configure({ endless: null });
  const baseSignIn = await peakOf(connect, env.vars);
  await idp.configure({ endless: "token" });
  const endlessToken = await peakOf(connect, env.vars);

  const row = (name: string, run: Run, base?: Run) =>
    console.log(
      `${name.padEnd(44)} peak ${mib(run.peakKiB).padStart(10)}  ${
        (run.ms / 1000).toFixed(1).padStart(5)
      } s  exit ${run.code}${
        base ? `  x${(run.peakKiB / base.peakKiB).toFixed(2)} of its baseline` : ""
      }\n${"".padEnd(46)}${run.lastLine.slice(0, 160)}`,
    );
  row("(A) discovery that ends (refused issuer)", baseDiscovery);
  row("(B) endless discovery document", endlessDiscovery, baseDiscovery);
  row("(C) full sign-in, token response that ends", baseSignIn);
  row("(D) endless token response", endlessToken, baseSignIn);
} finally {
  await env.dispose();
  await server.close();
  await idp.close();
}
