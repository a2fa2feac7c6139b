// Hands a verified session to the agent, starting one when none runs. The agent holds one
// session per instance: adopting replaces only a session to the same instance, and makes this one
// the current session (said on stderr when others stay open, so none is replaced in silence).

import { JimError } from "../errors.ts";
import type { SessionDeps } from "./session_deps.ts";
import { AgentNotRunning } from "./agent_client.ts";
import { asStatus, PROTOCOL_VERSION, type SessionRecord, type SessionStatus } from "./protocol.ts";
import { VERSION } from "../version.ts";

export async function adoptSession(
  deps: SessionDeps,
  record: SessionRecord,
): Promise<SessionStatus> {
  await ensureAgent(deps);
  try {
    return announceCurrent(deps, asStatus(await deps.agent.send({ op: "adopt", session: record })));
  } catch (error) {
    if (error instanceof AgentNotRunning) {
      throw new JimError("agent", "the session agent stopped before it took the session");
    }
    throw error;
  }
}

/** Makes the instance's open session the current one (a connect that reused it). */
export async function selectSession(deps: SessionDeps, instance: string): Promise<SessionStatus> {
  return announceCurrent(deps, asStatus(await deps.agent.send({ op: "select", instance })));
}

/** Says which instance later commands use, when sessions to others stay open. */
function announceCurrent(deps: SessionDeps, status: SessionStatus): SessionStatus {
  const others = (status.sessions ?? []).filter((session) => session.key !== status.key);
  if (status.connected && others.length > 0) {
    deps.io.err(
      `Later commands use ${status.url}; also open: ${
        others.map((session) => session.url).join(", ")
      } (choose with --url).`,
    );
  }
  return status;
}

async function ensureAgent(deps: SessionDeps): Promise<void> {
  let hello;
  try {
    hello = await deps.agent.hello();
  } catch (error) {
    // An agent of an older jim (still running across an upgrade) refuses this protocol's hello
    // and names the protocol it speaks: stop it in that one, then start ours.
    const older = olderProtocol(error);
    if (older === null) throw error;
    await deps.agent.shutdownOlder(older).catch(() => {});
    await waitUntilGone(deps);
    hello = null;
  }
  // An agent of another jim version is replaced even when it speaks this protocol: it would
  // keep serving with that version's code until its idle timeout.
  if (hello && hello.protocol === PROTOCOL_VERSION && hello.version === VERSION) return;
  if (hello) {
    // An agent from another jim version: replace it rather than speak a protocol it lacks.
    await deps.agent.send({ op: "shutdown" }).catch(() => {});
    await waitUntilGone(deps);
  }
  try {
    await deps.startAgent();
  } catch (error) {
    // Two connects racing: the other one's agent is up, and that is as good as ours.
    if (await deps.agent.hello().catch(() => null)) return;
    throw error;
  }
}

/** The protocol an older agent says it speaks when it refuses ours, else null. */
function olderProtocol(error: unknown): number | null {
  if (!(error instanceof JimError) || error.code !== "protocol") return null;
  const match = error.message.match(/unsupported protocol version \d+; this agent speaks (\d+)$/);
  const version = match ? Number(match[1]) : NaN;
  return Number.isInteger(version) && version > 0 && version < PROTOCOL_VERSION ? version : null;
}

async function waitUntilGone(deps: SessionDeps): Promise<void> {
  for (let i = 0; i < 50; i++) {
    // Gone means nothing answers at all: an old agent that refuses our hello is still there.
    const answer = await deps.agent.hello().then((hello) => hello !== null, () => true);
    if (!answer) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new JimError("agent", "the old session agent did not stop");
}
