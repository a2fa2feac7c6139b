// Doctor's agent checks: the private directory and socket (or port file), whether an agent
// answers and which, and the session it holds — instance, where the refresh token lives, and
// the last refresh or write-back failure.

import { JimError } from "../errors.ts";
import { AgentClient } from "../session/agent_client.ts";
import { asStatus, PROTOCOL_VERSION, type SessionStatus } from "../session/protocol.ts";
import {
  type AgentEndpoint,
  checkPrivateDir,
  checkPrivateEntry,
  parentDir,
} from "../session/socket_path.ts";
import { type Check, fail, humanDuration, pass } from "./check.ts";

// Doctor must answer quickly even when the agent hangs.
const AGENT_BOUND_MS = 5_000;

export interface AgentFindings {
  checks: Check[];
  /** The session the agent holds, when one does (the server checks default to its URL). */
  session: SessionStatus | null;
}

export async function checkAgent(endpoint: AgentEndpoint): Promise<AgentFindings> {
  const checks: Check[] = [];
  const place = checkPlace(endpoint);
  checks.push(place);
  if (!place.passed) return { checks, session: null };

  const client = new AgentClient(endpoint, {
    controlMs: AGENT_BOUND_MS,
    callMs: AGENT_BOUND_MS,
    batchMs: AGENT_BOUND_MS,
  });
  let hello;
  try {
    hello = await client.hello();
  } catch (error) {
    const why = error instanceof JimError ? error.message : String(error);
    checks.push(
      fail(
        "agent",
        `something answers at ${endpoint.path} but not as this jim's agent does (${why})`,
        "end the old agent (jim disconnect from the jim that started it, or kill its process); the next jim connect starts a new one",
      ),
    );
    return { checks, session: null };
  }
  if (hello === null) {
    checks.push(pass("agent", "not running (jim connect starts one)"));
    return { checks, session: null };
  }
  if (hello.protocol !== PROTOCOL_VERSION) {
    checks.push(
      fail(
        "agent",
        `pid ${hello.pid} is jim ${hello.version}'s agent, speaking protocol ${hello.protocol} (this jim speaks ${PROTOCOL_VERSION})`,
        `end it (kill ${hello.pid}), then connect again`,
      ),
    );
    return { checks, session: null };
  }
  let status: SessionStatus;
  try {
    status = asStatus(await client.send({ op: "status" }));
  } catch (error) {
    checks.push(
      fail(
        "agent",
        `pid ${hello.pid} did not report its status: ${
          error instanceof Error ? error.message : error
        }`,
        `end it (kill ${hello.pid}), then connect again`,
      ),
    );
    return { checks, session: null };
  }
  const idle = typeof status.idleTimeoutSeconds === "number"
    ? `; exits after ${humanDuration(status.idleTimeoutSeconds)} without a command`
    : "";
  checks.push(pass("agent", `running, pid ${hello.pid}, jim ${hello.version}${idle}`));
  checks.push(sessionCheck(status));
  return { checks, session: status.connected ? status : null };
}

/** The directory must be 0700 and the user's; the socket (or port file) 0600 and the user's. */
function checkPlace(endpoint: AgentEndpoint): Check {
  const dir = parentDir(endpoint.path);
  const exists = (path: string) => {
    try {
      return Deno.lstatSync(path);
    } catch {
      return null;
    }
  };
  if (exists(dir) === null) {
    return pass("agent socket", `${endpoint.path} (its directory is made on first connect)`);
  }
  try {
    checkPrivateDir(dir, endpoint.uid);
    const info = exists(endpoint.path);
    if (info === null) {
      return pass("agent socket", `${endpoint.path} (directory 700, no agent listening)`);
    }
    checkPrivateEntry(endpoint.path, info, endpoint);
    const mode = info.mode === null ? "" : `, ${(info.mode & 0o777).toString(8)}`;
    const kind = endpoint.kind === "unix" ? "socket" : "port file";
    return pass("agent socket", `${endpoint.path} (directory 700, ${kind}${mode}, yours)`);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return fail(
      "agent socket",
      why,
      /session directory .*mode is/.test(why)
        ? `chmod 700 ${dir}`
        : `remove ${endpoint.path} (and ${dir} if it is not yours), or set JIM_AGENT_SOCKET to a private path`,
    );
  }
}

function sessionCheck(status: SessionStatus): Check {
  if (!status.connected) return pass("session", "none (not connected)");
  const where = status.authMethod === "ApiKey"
    ? "API key, kept in the agent's memory only"
    : status.persisted
    ? "OAuth, refresh token kept in the credential store"
    : "OAuth, refresh token in the agent's memory only (lost when the agent exits)";
  // The current session is the one checked; the others are named so none goes unnoticed.
  const others = (status.sessions ?? []).filter((session) => session.key !== status.key);
  const also = others.length
    ? `; also open: ${others.map((session) => session.url).join(", ")}`
    : "";
  const subject = `${status.url} (${where}${also})`;
  if (status.refreshError) {
    return fail(
      "session",
      `${subject}: the last refresh failed: ${status.refreshError}`,
      `jim connect ${status.url}`,
    );
  }
  if (status.storeWarning) {
    return fail(
      "session",
      `${subject}: ${status.storeWarning}`,
      "fix the credential store (see its checks); until then the next silent reconnect will fail and ask you to sign in",
    );
  }
  return pass("session", subject);
}
