// Hands a verified session to the agent, starting one when none runs. One session at a time:
// adopting replaces whatever the agent held.

import { JimError } from "../errors.ts";
import type { Deps } from "../deps.ts";
import { AgentNotRunning } from "./agent_client.ts";
import { asStatus, PROTOCOL_VERSION, type SessionRecord, type SessionStatus } from "./protocol.ts";
import { VERSION } from "../version.ts";

export async function adoptSession(deps: Deps, record: SessionRecord): Promise<SessionStatus> {
  await ensureAgent(deps);
  try {
    return asStatus(await deps.agent.send({ op: "adopt", session: record }));
  } catch (error) {
    if (error instanceof AgentNotRunning) {
      throw new JimError("agent", "the session agent stopped before it took the session");
    }
    throw error;
  }
}

async function ensureAgent(deps: Deps): Promise<void> {
  const hello = await deps.agent.hello();
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

async function waitUntilGone(deps: Deps): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (!(await deps.agent.hello().catch(() => null))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new JimError("agent", "the old session agent did not stop");
}
