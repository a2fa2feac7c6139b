// `jim whoami`: the identity the session acts as, from /api/v1/userinfo.

import type { Deps } from "../../deps.ts";
import type { ParsedCommand } from "../parse.ts";
import { openSession } from "../../session/session_port.ts";
import { formatJson, formatList, pascalCaseKeys } from "../format.ts";

export interface WhoamiOptions {
  json: boolean;
}

export function parseWhoami(command: ParsedCommand): WhoamiOptions {
  return { json: command.values.json === true };
}

export async function runWhoami(options: WhoamiOptions, deps: Deps): Promise<number> {
  const result = await (await openSession(deps)).call({ method: "GET", path: "/api/v1/userinfo" });
  const body = result.body;
  if (options.json) deps.io.out(formatJson(body));
  else if (body && typeof body === "object" && !Array.isArray(body)) {
    deps.io.out(formatList(pascalCaseKeys(body as Record<string, unknown>)));
  } else deps.io.out(formatJson(body));
  return 0;
}
