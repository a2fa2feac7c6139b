// Stateless mode: JIM_URL and JIM_API_KEY set, every call made directly from this process with
// no agent (CI and scripts). Loaded only in that mode, so agent commands do not pay for it.

import { JimError } from "../errors.ts";
import type { SessionDeps } from "./session_deps.ts";
import { parseInstanceUrl, plainHttpWarning } from "../api/instance_url.ts";
import { checkApiKey, previewApiKey } from "../api/api_key.ts";
import { httpTimeoutMs } from "../settings.ts";
import { DISCONNECTED, type SessionStatus } from "./protocol.ts";
import type { SessionPort } from "./session_port_types.ts";

export function statelessSession(
  deps: SessionDeps,
  creds: { url: string; apiKey: string },
): SessionPort {
  const instance = (() => {
    try {
      return parseInstanceUrl(creds.url);
    } catch (error) {
      throw new JimError("usage", `JIM_URL: ${(error as Error).message}`);
    }
  })();
  checkApiKey(creds.apiKey, "environment");
  const warning = plainHttpWarning(instance);
  if (warning) deps.io.err(warning);
  const status: SessionStatus = {
    ...DISCONNECTED,
    connected: true,
    url: instance.base,
    key: instance.key,
    authMethod: "ApiKey",
    authorised: true,
    apiKeyPreview: previewApiKey(creds.apiKey),
    agentPid: 0,
  };
  const timeoutMs = httpTimeoutMs(deps.env);
  return {
    mode: "stateless",
    async call(call) {
      const { performCall } = await import("./call_server.ts");
      return performCall(
        { url: instance.base },
        call.anonymous ? { kind: "none" } : { kind: "apiKey", apiKey: creds.apiKey },
        call,
        { fetch: deps.fetch, timeoutMs, trace: deps.trace },
      );
    },
    async stream(call, onPage) {
      const { performStream } = await import("./call_server.ts");
      return performStream(
        { url: instance.base },
        call.anonymous ? { kind: "none" } : { kind: "apiKey", apiKey: creds.apiKey },
        call,
        { fetch: deps.fetch, timeoutMs, trace: deps.trace, onPage },
      );
    },
    async batch(calls) {
      const outcomes = await Promise.allSettled(calls.map((call) => this.call(call)));
      return { outcomes, status };
    },
  };
}
