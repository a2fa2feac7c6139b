// `jim doctor` / Test-JIMEnvironment: checks what sign-in and later commands depend on — the
// agent, the credential store, the browser, the loopback ports, the proxy variables and the JIM
// server with its identity provider — one line each, passed or failed with the fix.

import type { Deps } from "../deps.ts";
import type { ParsedCommand } from "../parse.ts";
import { type InstanceUrl, parseInstanceUrl } from "../../api/instance_url.ts";
import { formatJson } from "../format.ts";
import { oneLineText } from "../../text.ts";
import { type Check, pass } from "../../doctor/check.ts";
import { checkAgent } from "../../doctor/agent.ts";
import { checkStore } from "../../doctor/store.ts";
import { checkBrowser } from "../../doctor/browser.ts";
import { checkPorts } from "../../doctor/ports.ts";
import { checkProxy } from "../../doctor/proxy.ts";
import { checkServer } from "../../doctor/server.ts";

export interface DoctorOptions {
  target?: InstanceUrl;
  json: boolean;
}

export function parse(command: ParsedCommand): DoctorOptions {
  const { url, json } = command.values;
  return {
    target: typeof url === "string" ? parseInstanceUrl(url) : undefined,
    json: json === true,
  };
}

export async function run(options: DoctorOptions, deps: Deps): Promise<number> {
  const agent = await checkAgent(deps.agent.endpoint);
  // The URL given, else the session's, else stateless mode's (JIM_URL), as commands would use.
  const implied = agent.session?.url ?? deps.env.get("JIM_URL");
  const target = options.target ?? (implied ? parseInstanceUrl(implied) : undefined);
  const browser = checkBrowser(deps.env, deps.platform);
  const [store, ports, server] = await Promise.all([
    checkStore(deps.platform, deps.env),
    checkPorts(deps.platform),
    target ? checkServer(target, deps, browser.passed) : Promise.resolve([
      pass("server", "none checked (not connected, no JIM_URL; jim doctor URL checks one)"),
    ]),
  ]);
  const proxy = checkProxy(deps.env, target ? new URL(target.base) : null);
  const checks = [...agent.checks, ...store, browser, ports, proxy, ...server];
  const passed = checks.every((check) => check.passed);
  if (options.json) {
    deps.io.out(formatJson({
      Passed: passed,
      Checks: checks.map((check) => ({
        Check: check.name,
        Passed: check.passed,
        Message: check.message,
        Fix: check.fix ?? null,
      })),
    }));
  } else {
    deps.io.out(checks.map(line).join("\n"));
  }
  return passed ? 0 : 1;
}

function line(check: Check): string {
  const text = `${check.passed ? "\u2713" : "\u2717"} ${check.name}: ${check.message}`;
  return oneLineText(check.fix ? `${text}. Fix: ${check.fix}` : text, 2000);
}
