// `jim connect` / Connect-JIM: parse the parameter sets, then sign in with an API key here or
// hand over to the interactive flows, and give the verified session to the agent.

import { usageError } from "../../errors.ts";
import type { Deps } from "../deps.ts";
import type { Env } from "../../env.ts";
import { parseInstanceUrl, plainHttpWarning } from "../../api/instance_url.ts";
import { optionName, type ParsedCommand } from "../parse.ts";
import { API_KEY_PREFIX, checkApiKey, keyFromStdin, MAX_KEY_BYTES } from "../../api/api_key.ts";
import { adoptSession } from "../../session/adopt.ts";
import { httpTimeoutMs } from "../../settings.ts";
import { formatJson, formatList } from "../format.ts";
import { REDIRECT_HOSTS, type RedirectHostName } from "../command_defs.ts";
import type { ConnectOptions } from "./connect_options.ts";
import { type ConnectResult, connectResult } from "./connect_result.ts";

export function parse(command: ParsedCommand, env: Env): ConnectOptions {
  const v = command.values;
  const cmdlet = command.style === "cmdlet";
  const flag = (name: string) => optionName(command, name);
  const url = typeof v.url === "string" ? v.url : env.get("JIM_URL");
  if (url === undefined) {
    throw usageError(
      cmdlet
        ? "-Url is required, e.g. Connect-JIM -Url https://jim.example.com"
        : "a JIM URL is required, e.g. jim connect https://jim.example.com",
    );
  }
  const instance = parseInstanceUrl(url);

  let apiKey: ConnectOptions["apiKey"];
  if (typeof v["api-key"] === "string") {
    if (v["api-key-stdin"]) {
      throw usageError(
        `${flag("api-key")} and ${flag("api-key-stdin")} cannot be combined`,
      );
    }
    apiKey = { source: "argument", value: checkApiKey(v["api-key"], "argument") };
  } else if (v["api-key-stdin"]) {
    apiKey = { source: "stdin" };
  } else if (env.get("JIM_API_KEY")) {
    apiKey = { source: "environment", value: checkApiKey(env.get("JIM_API_KEY")!, "environment") };
  }

  if (apiKey) {
    for (const { name } of command.def.options.filter((opt) => opt.interactiveOnly)) {
      if (v[name] !== undefined && v[name] !== false) {
        const why = apiKey.source === "environment" ? " (JIM_API_KEY is set)" : "";
        throw usageError(
          `${flag(name)} applies to interactive sign-in only and cannot be combined ` +
            `with an API key${why}`,
        );
      }
    }
  }
  for (const other of ["no-browser", "paste"]) {
    if (v["device-code"] && v[other]) {
      throw usageError(`${flag("device-code")} and ${flag(other)} cannot be combined`);
    }
  }

  return {
    instance,
    apiKey,
    force: v.force === true,
    noPersist: v["no-persist"] === true,
    timeoutSeconds: parseTimeout(v.timeout, flag("timeout")),
    deviceCode: v["device-code"] === true,
    noBrowser: v["no-browser"] === true,
    paste: v.paste === true,
    redirectPort: parsePort(v["redirect-port"], flag("redirect-port")),
    redirectHost: parseRedirectHost(v["redirect-host"], flag("redirect-host")),
    json: v.json === true,
    style: command.style,
  };
}

function parseTimeout(value: unknown, name: string): number {
  if (value === undefined) return 300;
  const text = String(value);
  if (!/^\d+$/.test(text)) throw usageError(`${name} must be a whole number of seconds (30-600)`);
  const seconds = Number(text);
  if (seconds < 30 || seconds > 600) {
    throw usageError(`${name} must be between 30 and 600 seconds, not ${seconds}`);
  }
  return seconds;
}

function parsePort(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw usageError(`${name} must be a port number (1-65535)`);
  }
  return port;
}

function parseRedirectHost(value: unknown, name: string): RedirectHostName {
  if (value === undefined) return REDIRECT_HOSTS[0];
  const host = REDIRECT_HOSTS.find((candidate) => candidate === value);
  if (host) return host;
  throw usageError(`${name} must be ${REDIRECT_HOSTS.join(" or ")}`);
}

export async function run(options: ConnectOptions, deps: Deps): Promise<number> {
  const result = options.apiKey
    ? await connectWithApiKey(options, deps)
    : await (await import("./connect_interactive.ts")).connectInteractive(options, deps);
  deps.io.out(options.json ? formatJson(result) : formatList({ ...result }));
  return 0;
}

async function connectWithApiKey(options: ConnectOptions, deps: Deps): Promise<ConnectResult> {
  const { io } = deps;
  const source = options.apiKey!.source;
  const key = source === "stdin"
    ? checkApiKey(keyFromStdin(await io.readStdin(MAX_KEY_BYTES, "the API key")), "stdin")
    : options.apiKey!.value!;
  if (source === "argument") {
    io.err(
      "Warning: an API key on the command line is saved in shell history and visible to other processes; prefer --api-key-stdin or JIM_API_KEY.",
    );
  }
  if (!key.startsWith(API_KEY_PREFIX)) {
    io.err(
      `Warning: this does not look like a JIM API key (JIM keys start with ${API_KEY_PREFIX}).`,
    );
  }
  const warning = plainHttpWarning(options.instance);
  if (warning) io.err(warning);

  const { verifyServer } = await import("../../session/verify_server.ts");
  const verified = await verifyServer(deps, options.instance, { kind: "apiKey", apiKey: key });
  const status = await adoptSession(deps, {
    url: options.instance.base,
    key: options.instance.key,
    authMethod: "ApiKey",
    apiKey: key,
    serverVersion: verified.serverVersion,
    // As Connect-JIM: a key is authorised by the roles it was created with; userinfo's
    // `authorised` is about a Metaverse Object, which no key has (Connect-JIM.ps1).
    authorised: true,
    identity: verified.identity,
    caCertPem: await deps.caCertPem(),
    httpTimeoutMs: httpTimeoutMs(deps.env),
  });
  return connectResult(status, verified.healthStatus);
}
