// `jim disconnect` / Disconnect-JIM: end the current session (or --url's, or every one with
// --all; the agent exits with the last) and forget the stored refresh token of that instance, or
// of every instance with --all.

import { usageError } from "../../errors.ts";
import type { Deps } from "../deps.ts";
import { optionName, type ParsedCommand } from "../parse.ts";
import { type InstanceUrl, parseInstanceUrl } from "../../api/instance_url.ts";
import { AgentNotRunning } from "../../session/agent_client.ts";
import {
  asStatus,
  type DisconnectResult,
  type SessionStatus,
  type SessionSummary,
} from "../../session/protocol.ts";
import type { Revocation } from "../../auth/revoke.ts";
import type { Forgotten } from "../../session/stored_sign_in.ts";
import { formatJson } from "../format.ts";
import { agentStatus, statelessCredentials } from "../../session/session_port.ts";

export interface DisconnectOptions {
  target?: InstanceUrl;
  all: boolean;
  json: boolean;
}

export function parse(command: ParsedCommand): DisconnectOptions {
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

export async function run(options: DisconnectOptions, deps: Deps): Promise<number> {
  const { io } = deps;
  // --url ends that instance's session, whichever is current; bare disconnect the current one.
  let current = await currentStatus(deps, options.target?.key).catch(() => undefined);
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

  // The agent revokes each session's own refresh token: for a sign-in kept in memory only, it is
  // the one place that token exists.
  const sessionRevoked = new Set<string>();
  let endedOAuth = false;
  const ended: string[] = [];
  let left: SessionSummary[] | undefined;
  const end = async (session: { url: string; key: string; authMethod: string | null }) => {
    let answer: DisconnectResult | undefined;
    try {
      answer = await deps.agent.send({
        op: "disconnect",
        instance: session.key,
        revoke: true,
      }) as DisconnectResult;
    } catch (error) {
      if (!(error instanceof AgentNotRunning)) throw error;
    }
    io.err(`Disconnected from ${session.url}.`);
    ended.push(session.url);
    if (session.authMethod === "OAuth") endedOAuth = true;
    left = answer?.sessions;
    // An agent of an older jim answers without revoking; the stored token is then revoked below.
    if (answer?.revocation) {
      sessionRevoked.add(session.key);
      report(session.url, answer.revocation);
    }
  };
  if (current === undefined) {
    // An agent whose status cannot be read must not keep the user from signing out: end its
    // session anyway and take the instance from what the disconnect answers, if anything.
    current = await deps.agent.send({
      op: "disconnect",
      ...(options.all ? { all: true } : {}),
      ...(options.target ? { instance: options.target.key } : {}),
    }).then(
      (answer) => {
        const status = asStatus(answer);
        return status.connected ? status : null;
      },
      () => null,
    ).catch(() => null);
    if (current) {
      io.err(`Disconnected from ${current.url}.`);
      ended.push(current.url!);
    }
    if (current?.authMethod === "OAuth") endedOAuth = true;
  } else if (options.all) {
    const sessions = current?.sessions ??
      (current ? [{ url: current.url!, key: current.key!, authMethod: current.authMethod }] : []);
    for (const session of sessions) await end(session);
  } else if (current !== null) {
    await end({ url: current.url!, key: current.key!, authMethod: current.authMethod });
    const now = left?.find((session) => session.current);
    if (now) {
      io.err(
        `Later commands use ${now.url} (${left!.length} session${
          left!.length === 1 ? "" : "s"
        } open).`,
      );
    }
  }
  const endSession = current !== null && current !== undefined;

  const forgetKey = options.target?.key ?? (options.all ? undefined : current?.key ?? undefined);
  let removed = 0;
  if (options.all || forgetKey) {
    const { forgetStoredSignIns } = await import("../../session/stored_sign_in.ts");
    const { revokeStoredToken } = await import("../../auth/revoke.ts");
    const revokeStored = async (key: string, refreshToken: string) => {
      if (sessionRevoked.has(key)) return;
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
      options.all ? { all: true } : { key: forgetKey! },
      revokeStored,
    );
    sayForgotten(io, options, forgetKey, forgotten);
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
    printJson(options, deps, { endSession, current, ended, removed, revoked, notRevoked });
    return 0;
  }

  if (endSession && endedOAuth) {
    io.err(
      "Note: you are still signed in to your identity provider; sign out there to end that session too.",
    );
  }
  if (statelessCredentials(deps.env)) {
    io.err("Note: JIM_URL and JIM_API_KEY are still set; commands keep using them.");
  }
  printJson(options, deps, { endSession, current, ended, removed, revoked, notRevoked });
  return 0;
}

/**
 * What the credential store did, on stderr. A bare disconnect names no instance: it says nothing
 * when the store had no entry or did not answer.
 */
function sayForgotten(
  io: Deps["io"],
  options: DisconnectOptions,
  key: string | undefined,
  forgotten: Forgotten,
): void {
  const named = options.all || options.target !== undefined;
  if (forgotten.unavailable !== undefined) {
    if (named) {
      io.err(
        `No stored sign-in was removed: the credential store is unavailable (${forgotten.unavailable}).`,
      );
    }
  } else if (options.all) {
    const count = forgotten.removed;
    io.err(
      `Removed ${count} stored JIM sign-in${count === 1 ? "" : "s"} from the credential store.`,
    );
  } else if (forgotten.removed) io.err(`Removed the stored sign-in for ${key}.`);
  else if (named) io.err(`There was no stored sign-in for ${key}.`);
}

function printJson(
  options: DisconnectOptions,
  deps: Deps,
  done: {
    endSession: boolean;
    current: SessionStatus | null;
    ended: string[];
    removed: number;
    revoked: number;
    notRevoked: NotRevoked[];
  },
): void {
  if (!options.json) return;
  deps.io.out(formatJson({
    Disconnected: done.endSession,
    Url: done.endSession ? done.current!.url : options.target?.base ?? null,
    // Every session ended: with --all, one per instance the agent held.
    Sessions: done.ended,
    StoredSignInsRemoved: done.removed,
    Revoked: done.revoked,
    NotRevoked: done.notRevoked,
  }));
}

async function currentStatus(deps: Deps, instance?: string): Promise<SessionStatus | null> {
  const status = await agentStatus(deps, instance);
  return status.connected ? status : null;
}
