// `jim disconnect` / Disconnect-JIM: end the session (the agent exits) and forget the stored
// refresh token of the targeted instance, or of every instance with --all.

import { usageError } from "../../errors.ts";
import type { Deps } from "../../deps.ts";
import { optionName, type ParsedCommand } from "../parse.ts";
import { type InstanceUrl, parseInstanceUrl } from "../../api/instance_url.ts";
import { AgentNotRunning } from "../../session/agent_client.ts";
import type { DisconnectResult, SessionStatus } from "../../session/protocol.ts";
import type { Revocation } from "../../auth/revoke.ts";
import { formatJson } from "../format.ts";
import { agentStatus, statelessCredentials } from "../../session/session_port.ts";
import { lazyImport } from "../../lazy_import.ts";

export interface DisconnectOptions {
  target?: InstanceUrl;
  all: boolean;
  json: boolean;
}

export function parseDisconnect(command: ParsedCommand): DisconnectOptions {
  const { url, all, json } = command.values;
  if (url !== undefined && all) {
    throw usageError(
      `${optionName(command, "url")} and ${optionName(command, "all")} cannot be combined`,
    );
  }
  return {
    target: typeof url === "string" ? parseInstanceUrl(url) : undefined,
    all: all === true,
    json: json === true,
  };
}

/** A sign-in revocation could not end at its provider, and why. */
interface NotRevoked {
  Url: string | null;
  Reason: string;
}

export async function runDisconnect(options: DisconnectOptions, deps: Deps): Promise<number> {
  const { io } = deps;
  const current = await currentStatus(deps);
  const endSession = current !== null &&
    (options.all || !options.target || options.target.key === current.key);
  let revoked = 0;
  const notRevoked: NotRevoked[] = [];
  const report = (where: string, revocation: Revocation) => {
    if (revocation.outcome === "revoked") {
      revoked++;
      io.err(`Revoked the sign-in for ${where} at the identity provider.`);
      return;
    }
    const reason = revocation.outcome === "unsupported"
      ? "the identity provider offers no token revocation"
      : revocation.reason;
    notRevoked.push({ Url: where, Reason: reason });
    io.err(
      `Could not revoke the sign-in for ${where} at the identity provider (${reason}); ` +
        "it is forgotten on this machine anyway.",
    );
  };

  // The agent revokes the session's own refresh token: for a sign-in kept in memory only, it is
  // the one place that token exists.
  let sessionRevoked = false;
  if (endSession) {
    let revocation: Revocation | null | undefined;
    try {
      const answer = await deps.agent.send({ op: "disconnect", revoke: true }) as DisconnectResult;
      revocation = answer?.revocation;
    } catch (error) {
      if (!(error instanceof AgentNotRunning)) throw error;
    }
    io.err(`Disconnected from ${current!.url}.`);
    // An agent of an older jim answers without revoking; the stored token is then revoked below.
    if (revocation) {
      sessionRevoked = true;
      report(current!.url!, revocation);
    }
  }

  const forgetKey = options.target?.key ?? (options.all ? undefined : current?.key ?? undefined);
  let removed = 0;
  if (options.all || forgetKey) {
    const { forgetStoredSignIns } = await lazyImport<
      typeof import("../../session/stored_sign_in.ts")
    >(import.meta.url, "../../session/stored_sign_in.ts");
    const { revokeStoredToken } = await lazyImport<typeof import("../../auth/revoke.ts")>(
      import.meta.url,
      "../../auth/revoke.ts",
    );
    const revokeStored = async (key: string, refreshToken: string) => {
      if (sessionRevoked && key === current?.key) return;
      // The server's own URL (with any path prefix) where the user gave it; else the stored key,
      // which is the server's origin.
      const base = key === options.target?.key
        ? options.target.base
        : key === current?.key
        ? current.url!
        : key;
      report(base, await revokeStoredToken(base, refreshToken, deps.fetch));
    };
    const forgotten = await forgetStoredSignIns(
      deps,
      options.all ? { all: true } : { key: forgetKey!, explicit: options.target !== undefined },
      revokeStored,
    );
    removed = forgotten.removed;
    if (forgotten.unlisted) {
      const reason = "this credential store cannot list its entries";
      notRevoked.push({ Url: null, Reason: reason });
      io.err(`The stored sign-ins were not revoked at their providers: ${reason}.`);
    }
  } else if (!endSession) {
    if (statelessCredentials(deps.env)) {
      io.err(
        "No agent session to disconnect; JIM_URL and JIM_API_KEY are still set in the environment.",
      );
    }
    printJson(options, deps, { endSession, current, removed, revoked, notRevoked });
    return 0;
  }

  if (endSession && current!.authMethod === "OAuth") {
    io.err(
      "Note: you are still signed in to your identity provider; sign out there to end that session too.",
    );
  }
  if (statelessCredentials(deps.env)) {
    io.err("Note: JIM_URL and JIM_API_KEY are still set; commands keep using them.");
  }
  printJson(options, deps, { endSession, current, removed, revoked, notRevoked });
  return 0;
}

function printJson(
  options: DisconnectOptions,
  deps: Deps,
  done: {
    endSession: boolean;
    current: SessionStatus | null;
    removed: number;
    revoked: number;
    notRevoked: NotRevoked[];
  },
): void {
  if (!options.json) return;
  deps.io.out(formatJson({
    Disconnected: done.endSession,
    Url: done.endSession ? done.current!.url : options.target?.base ?? null,
    StoredSignInsRemoved: done.removed,
    Revoked: done.revoked,
    NotRevoked: done.notRevoked,
  }));
}

async function currentStatus(deps: Deps): Promise<SessionStatus | null> {
  const status = await agentStatus(deps);
  return status.connected ? status : null;
}
