// `jim disconnect` / Disconnect-JIM: end the session (the agent exits) and forget the stored
// refresh token of the targeted instance, or of every instance with --all.

import { usageError } from "../../errors.ts";
import type { Deps } from "../../deps.ts";
import { optionName, type ParsedCommand } from "../parse.ts";
import { type InstanceUrl, parseInstanceUrl } from "../../api/instance_url.ts";
import { AgentNotRunning } from "../../session/agent_client.ts";
import { asStatus, type SessionStatus } from "../../session/protocol.ts";
import { agentStatus, statelessCredentials } from "../../session/session_port.ts";
import { lazyImport } from "../../lazy_import.ts";

export interface DisconnectOptions {
  target?: InstanceUrl;
  all: boolean;
}

export function parseDisconnect(command: ParsedCommand): DisconnectOptions {
  const { url, all } = command.values;
  if (url !== undefined && all) {
    throw usageError(
      `${optionName(command, "url")} and ${optionName(command, "all")} cannot be combined`,
    );
  }
  return {
    target: typeof url === "string" ? parseInstanceUrl(url) : undefined,
    all: all === true,
  };
}

export async function runDisconnect(options: DisconnectOptions, deps: Deps): Promise<number> {
  const { io } = deps;
  let current = await currentStatus(deps).catch(() => undefined);
  if (current === undefined) {
    // An agent whose status cannot be read must not keep the user from signing out: end its
    // session anyway and take the instance from what the disconnect answers, if anything.
    current = await deps.agent.send({ op: "disconnect" }).then(
      (answer) => {
        const status = asStatus(answer);
        return status.connected ? status : null;
      },
      () => null,
    ).catch(() => null);
    if (current) io.err(`Disconnected from ${current.url}.`);
  } else if (
    current !== null && (options.all || !options.target || options.target.key === current.key)
  ) {
    try {
      await deps.agent.send({ op: "disconnect" });
    } catch (error) {
      if (!(error instanceof AgentNotRunning)) throw error;
    }
    io.err(`Disconnected from ${current.url}.`);
  }
  const endSession = current !== null &&
    (options.all || !options.target || options.target.key === current.key);

  const forgetKey = options.target?.key ?? (options.all ? undefined : current?.key ?? undefined);
  if (options.all || forgetKey) {
    const { forgetStoredSignIns } = await lazyImport<
      typeof import("../../session/stored_sign_in.ts")
    >(import.meta.url, "../../session/stored_sign_in.ts");
    await forgetStoredSignIns(
      deps,
      options.all ? { all: true } : { key: forgetKey!, explicit: options.target !== undefined },
    );
  } else if (!endSession) {
    if (statelessCredentials(deps.env)) {
      io.err(
        "No agent session to disconnect; JIM_URL and JIM_API_KEY are still set in the environment.",
      );
    }
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
  return 0;
}

async function currentStatus(deps: Deps): Promise<SessionStatus | null> {
  const status = await agentStatus(deps);
  return status.connected ? status : null;
}
