// A real OpenID provider (oidc-provider under Node), the JIM simulator trusting it, and a jim
// environment whose $BROWSER is the scripted browser: the stage for every SSO CLI test.

import assert from "node:assert/strict";
import { type Idp, type IdpOptions, startIdp } from "../../fixtures/idp.ts";
import {
  type JimServer,
  type JimServerOptions,
  startJimServer,
} from "../../fixtures/jim_server.ts";
import { JimEnv, type JimResult, ROOT_DIR, type RunOptions } from "./run_jim.ts";
import { assertClean, parseList } from "./cli_fixture.ts";

export const LOGIN = "admin@example.test";

export interface SsoContext {
  idp: Idp;
  server: JimServer;
  env: JimEnv;
  jim(args: string[], options?: RunOptions): Promise<JimResult>;
  /** How many times $BROWSER was launched so far. */
  browserLaunches(): Promise<number>;
  /** Signs in through the scripted browser and asserts success; returns the output values. */
  signIn(extraArgs?: string[], options?: RunOptions): Promise<Record<string, string>>;
}

export interface SsoSetup {
  idp?: IdpOptions;
  server?: JimServerOptions;
  env?: Record<string, string>;
  browser?: "scripted" | "chromium";
}

export async function withSso(fn: (ctx: SsoContext) => Promise<void>, setup: SsoSetup = {}) {
  const idp = await startIdp(setup.idp);
  let server: JimServer | undefined;
  let env: JimEnv | undefined;
  try {
    server = await startJimServer({
      authConfig: { authority: idp.issuer, clientId: idp.clientId },
      oidc: { issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri },
      users: [{ sub: LOGIN, name: "Ada Admin", email: LOGIN, authorised: true }],
      ...setup.server,
    });
    const browser = setup.browser === "chromium" ? "chromium-browser" : "scripted-browser";
    env = await JimEnv.create({
      BROWSER: Deno.build.os === "windows"
        ? windowsBrowser(browser)
        : `${ROOT_DIR}/fixtures/${browser}`,
      JIM_TEST_DENO: Deno.execPath(),
      ...setup.env,
    });
    env.vars.JIM_TEST_BROWSER_LOG = `${env.dir}/browser.log`;
    const jim = (args: string[], options?: RunOptions) => env!.run(args, options);
    const srv = server;
    await fn({
      idp,
      server: srv,
      env,
      jim,
      browserLaunches: async () => {
        try {
          const text = await Deno.readTextFile(env!.vars.JIM_TEST_BROWSER_LOG);
          return text.split("\n").filter((line) => line.trim() !== "").length;
        } catch {
          return 0;
        }
      },
      signIn: async (extraArgs = [], options = {}) => {
        const result = await jim(["connect", srv.url, ...extraArgs], options);
        assertClean(result);
        assert.equal(result.code, 0, result.stderr);
        return Object.fromEntries(parseList(result.stdout));
      },
    });
  } finally {
    await env?.dispose();
    await server?.close();
    await idp.close();
  }
}

/**
 * Windows cannot run the /bin/sh wrapper, and a .cmd one would hand the URL through cmd.exe's
 * quoting: $BROWSER names deno itself, with the script as its argument.
 */
function windowsBrowser(wrapper: string): string {
  const script = `${ROOT_DIR}/fixtures/${wrapper.replace("-", "_")}.ts`;
  return `"${Deno.execPath()}" run -q --allow-all --config "${ROOT_DIR}/deno.json" "${script}"`;
}

/** Waits (polling, no timing assert) until `check` holds. */
export async function eventually(check: () => Promise<boolean> | boolean, limitMs = 30_000) {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
