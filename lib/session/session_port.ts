// How commands reach the session: through the agent, or — when JIM_URL and JIM_API_KEY are both
// set — directly, with no agent (stateless mode for CI and scripts, which wins over the agent).
// The agent holds one session per instance: a command uses the one --url names, else the one
// JIM_URL alone names, else the current one (the most recent connect), and says on stderr which
// that was while several are open, so test and prod open side by side are never mixed up.

import { JimError, usageError } from "../errors.ts";
import type { SessionDeps } from "./session_deps.ts";
import { AgentNotRunning } from "./agent_client.ts";
import { parseInstanceUrl } from "../api/instance_url.ts";
import { commandBusAddress } from "./bus_address.ts";
import type { SessionPort } from "./session_port_types.ts";
import {
  type ApiResult,
  asApiResult,
  asBatchResult,
  asStatus,
  type BatchResult,
  DISCONNECTED,
  type SessionStatus,
} from "./protocol.ts";

const notConnected = () => new JimError("not_connected", "You are not connected to JIM.");

export function statelessCredentials(
  env: SessionDeps["env"],
): { url: string; apiKey: string } | null {
  const url = env.get("JIM_URL");
  const apiKey = env.get("JIM_API_KEY");
  if (!url || !apiKey) return null;
  return { url, apiKey };
}

/** The session commands use; stateless code loads only when JIM_URL and JIM_API_KEY are set. */
export async function openSession(deps: SessionDeps): Promise<SessionPort> {
  const stateless = statelessCredentials(deps.env);
  if (!stateless) return agentSession(deps);
  if (
    deps.instanceUrl !== undefined &&
    parseInstanceUrl(deps.instanceUrl).key !== parseInstanceUrl(stateless.url).key
  ) {
    throw usageError(
      "--url names another instance than JIM_URL; with JIM_URL and JIM_API_KEY set, commands use JIM_URL",
    );
  }
  const { statelessSession } = await import("./stateless_session.ts");
  return statelessSession(deps, stateless);
}

/** The instance key a command named (--url, else JIM_URL alone); undefined: the current one. */
export function namedInstance(deps: SessionDeps): string | undefined {
  const text = deps.instanceUrl ?? deps.env.get("JIM_URL");
  return text ? parseInstanceUrl(text).key : undefined;
}

/**
 * The agent's status of the instance's session (the current one without an instance),
 * disconnected when no agent runs.
 */
export async function agentStatus(deps: SessionDeps, instance?: string): Promise<SessionStatus> {
  try {
    return asStatus(
      await deps.agent.send(instance ? { op: "status", instance } : { op: "status" }),
    );
  } catch (error) {
    if (error instanceof AgentNotRunning) return { ...DISCONNECTED, agentPid: 0 };
    throw error;
  }
}

/** Which session a command that named none used, while several are open. */
function sayUsing(deps: SessionDeps, url: string | null, open: number): void {
  if (open > 1 && url) deps.io.err(`Using ${url} (${open} sessions open; choose with --url).`);
}

/** The current session's instance, said on stderr while several are open. */
async function currentInstance(deps: SessionDeps): Promise<string | undefined> {
  const status = asStatus(await deps.agent.send({ op: "status" }));
  sayUsing(deps, status.url, status.sessions?.length ?? 0);
  return status.key ?? undefined;
}

function agentSession(deps: SessionDeps): SessionPort {
  const named = namedInstance(deps);
  const target = named ? { instance: named } : {};
  return {
    mode: "agent",
    async call(call) {
      try {
        const traced = deps.trace ? { ...call, trace: true } : call;
        // Unnamed, the agent's answer says which session it used: no status round trip first.
        const result = asApiResult(
          await deps.agent.send(
            { op: "request", call: traced, ...target, ...busOf(deps) },
            deps.trace,
          ),
        );
        if (result.using) sayUsing(deps, result.using.url, result.using.open);
        if (typeof result.warning === "string") deps.io.err(result.warning);
        return result;
      } catch (error) {
        if (error instanceof AgentNotRunning) throw notConnected();
        // A failure says which session failed too (a rare path, worth the round trip).
        if (!named) await currentInstance(deps).catch(() => {});
        throw error;
      }
    },
    async stream(call, onPage) {
      try {
        const traced = deps.trace ? { ...call, trace: true } : call;
        // A stream's frames carry no notice: the session is chosen (and said) first.
        const instance = named ?? await currentInstance(deps);
        return await deps.agent.stream(traced, onPage, deps.trace, instance, busOf(deps).bus);
      } catch (error) {
        if (error instanceof AgentNotRunning) throw notConnected();
        throw error;
      }
    },
    async batch(calls) {
      const traced = deps.trace ? calls.map((call) => ({ ...call, trace: true })) : calls;
      let answer: BatchResult;
      try {
        answer = asBatchResult(
          await deps.agent.send({ op: "batch", calls: traced, ...target, ...busOf(deps) }),
          calls.length,
        );
      } catch (error) {
        if (!(error instanceof AgentNotRunning)) throw error;
        return {
          outcomes: calls.map(() => ({ status: "rejected", reason: notConnected() })),
          status: { ...DISCONNECTED, agentPid: 0 },
        };
      }
      if (!named) sayUsing(deps, answer.status.url, answer.status.sessions?.length ?? 0);
      const outcomes = answer.outcomes.map((outcome): PromiseSettledResult<ApiResult> => {
        if (outcome.ok) {
          for (const line of outcome.result.trace ?? []) deps.trace?.(line);
          if (typeof outcome.result.warning === "string") deps.io.err(outcome.result.warning);
          return { status: "fulfilled", value: outcome.result };
        }
        const { code, message, status } = outcome.error;
        return { status: "rejected", reason: new JimError(code, message, { status }) };
      });
      return { outcomes, status: answer.status };
    },
  };
}

/** The command's D-Bus session, so the agent can write rotated tokens through a live bus. */
function busOf(deps: SessionDeps): { bus?: string } {
  const bus = commandBusAddress(deps.env);
  return bus ? { bus } : {};
}
