// `jim whoami`: the identity the session acts as, from /api/v1/userinfo, with PascalCase names in
// a fixed order (as every other command prints them) and an API-key session said to be one.

import type { Deps } from "../deps.ts";
import type { ParsedCommand } from "../parse.ts";
import { openSession } from "../../session/session_port.ts";
import { formatJson, formatList, pascalCaseKeys, type Row } from "../format.ts";

export interface WhoamiOptions {
  json: boolean;
}

export function parse(command: ParsedCommand): WhoamiOptions {
  return { json: command.values.json === true };
}

// The order of the real server's answer (JIM.Web Controllers/Api/UserInfoController.cs); any
// other field follows in the order the server sent it.
const ORDER = [
  "Authorised",
  "IsAdministrator",
  "Name",
  "AuthMethod",
  "MetaverseObjectId",
  "Roles",
  "Message",
];

// An API key has no Metaverse Object, so JIM answers it with the text meant for an SSO user
// nobody has provisioned; for a key that is how it should be, not a problem to contact anyone about.
const API_KEY_MESSAGE = "This is an API-key session. API keys have no JIM identity (Metaverse " +
  "Object), so JIM reports Authorised False and no roles here; the roles assigned to the key " +
  "decide what it may do.";

export async function run(options: WhoamiOptions, deps: Deps): Promise<number> {
  const result = await (await openSession(deps)).call({ method: "GET", path: "/api/v1/userinfo" });
  const body = result.body;
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    deps.io.out(formatJson(body));
    return 0;
  }
  const identity = presentIdentity(body as Row);
  deps.io.out(options.json ? formatJson(identity) : formatList(identity));
  return 0;
}

/** userinfo with PascalCase names in ORDER, and the API-key message for a key. */
export function presentIdentity(userinfo: Row): Row {
  const named = pascalCaseKeys(userinfo);
  if (named.AuthMethod === "api_key") named.Message = API_KEY_MESSAGE;
  const out: Row = {};
  for (const name of ORDER) if (name in named) out[name] = named[name];
  for (const [name, value] of Object.entries(named)) if (!(name in out)) out[name] = value;
  return out;
}
