// A world for running `jim connect` in process: the dependencies object (lib/cli/deps.ts) with
// every effect of connect replaced by a fake that writes what happened to one ordered log — the
// agent (its sessions in memory), the credential store (a map), the instance lock, JIM and the
// identity provider (behind fetch), and a browser that answers the sign-in page at once. The
// browser sign-in itself is the real flow, with its real loopback listener.
//
// The JIM answers copy fixtures/jim_server.ts (health {status}, version {version}, userinfo with
// `authorised`); the provider answers are RFC 6749 5.1 and 5.2 token responses.

import type { Deps } from "../../lib/cli/deps.ts";
import type { Io } from "../../lib/cli/io.ts";
import { JimError } from "../../lib/errors.ts";
import type { Keyring } from "../../lib/keyring/keyring.ts";
import type { Agent } from "../../lib/session/session_deps.ts";
import {
  type AgentRequest,
  DISCONNECTED,
  PROTOCOL_VERSION,
  type SessionRecord,
  type SessionStatus,
} from "../../lib/session/protocol.ts";
import { VERSION } from "../../lib/version.ts";

export const JIM_URL = "https://jim.test";
export const IDP_URL = "https://idp.test";
/** The clock every fake shares: 2026-12-01 12:00 UTC. */
export const NOW = Date.parse("2026-12-01T12:00:00.000Z");
const AGENT_PID = 4242;

/** The agent's session to JIM_URL before connect runs. */
export interface HeldSession {
  expiresInMs: number;
  /** Whether the session's credentials pass userinfo now. */
  credentialsWork: boolean;
  /** What an agent `refresh` does: renew for an hour, or fail as a refused grant. */
  refresh?: "renews" | "refused";
}

export type StoreSetup =
  | { entries: Record<string, string>; getFails?: string; setFails?: string }
  | { unavailable: string }
  | "disabled";

export interface WorldSetup {
  session?: HeldSession;
  store: StoreSetup;
  /** The token endpoint's answer to a refresh grant with `refreshToken`. */
  refreshGrant?: (refreshToken: string) => Response;
  /** What the browser answers on the provider's page: sign in, or refuse (access_denied). */
  browser?: "signs in" | "refuses";
}

export interface World {
  deps: Deps;
  /** Lines on stdout and stderr, as the user reads them. */
  out: string[];
  err: string[];
  /** Every effect in order: "agent status", "store get", "lock", "idp refresh_token RT-1", ... */
  events: string[];
  /** The credential store's entries afterwards (null: there was no usable store). */
  stored(): Record<string, string> | null;
  /** The sessions the agent was handed (`adopt`). */
  adopted: SessionRecord[];
  /** Waits for the browser's page loads to end (the listener answers them after the flow). */
  settled(): Promise<void>;
}

export function connectWorld(setup: WorldSetup): World {
  const events: string[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const adopted: SessionRecord[] = [];
  const pages: Promise<unknown>[] = [];
  const entries = typeof setup.store === "object" && "entries" in setup.store
    ? new Map(Object.entries(setup.store.entries))
    : null;
  const io: Io = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    outClosed: () => false,
    outIsTerminal: false,
    readStdin: () => Promise.reject(new Error("connect read stdin")),
    stdinIsTerminal: () => false,
    stdin: () => {
      throw new Error("connect read stdin");
    },
  };
  const deps: Deps = {
    io,
    env: { get: () => undefined },
    now: () => NOW,
    platform: "linux",
    fetch: fakeServers(setup, events),
    agent: new FakeAgent(setup.session, events, adopted),
    startAgent: () => Promise.reject(new Error("the fake agent runs already")),
    readFile: () => Promise.reject(new Error("connect read a file")),
    caCertPem: () => Promise.resolve(undefined),
    credentialStore: () => {
      events.push("store open");
      return Promise.resolve(fakeStore(setup.store, entries, events));
    },
    withInstanceLock: async (key, fn) => {
      events.push(`lock ${key}`);
      try {
        return await fn();
      } finally {
        events.push(`unlock ${key}`);
      }
    },
    openBrowser: (url) => {
      events.push("browser");
      pages.push(playBrowser(url, setup.browser ?? "refuses"));
      return Promise.resolve({ opened: true });
    },
    // No forwarding page: this browser lives in the test's process.
    handoffDir: () => Promise.resolve(undefined),
    describePortHolder: () => Promise.resolve(undefined),
    hostName: () => "workstation",
    onInterrupt: () => () => {},
    sleep: () => Promise.reject(new Error("connect waited for a device code")),
  };
  return {
    deps,
    out,
    err,
    events,
    stored: () => entries && Object.fromEntries(entries),
    adopted,
    settled: async () => void await Promise.all(pages),
  };
}

/** Reads the authorization request and loads the redirect URI with a code, or a refusal. */
function playBrowser(url: string, answer: "signs in" | "refuses"): Promise<unknown> {
  const request = new URL(url);
  const callback = new URL(request.searchParams.get("redirect_uri")!);
  callback.searchParams.set("state", request.searchParams.get("state")!);
  if (answer === "signs in") callback.searchParams.set("code", "the-code");
  else callback.searchParams.set("error", "access_denied");
  return fetch(callback).then((response) => response.text());
}

function fakeStore(
  setup: StoreSetup,
  entries: Map<string, string> | null,
  events: string[],
): { keyring: Keyring } | { keyring: null; reason: string; disabled: boolean } {
  if (setup === "disabled") return { keyring: null, reason: "JIM_KEYRING is none", disabled: true };
  if ("unavailable" in setup) return { keyring: null, reason: setup.unavailable, disabled: false };
  const map = entries!;
  const fail = (reason: string) => new JimError("keyring_unavailable", reason);
  return {
    keyring: {
      name: "fake",
      available: () => Promise.resolve({ ok: true }),
      get: (key) => {
        events.push("store get");
        if (setup.getFails) return Promise.reject(fail(setup.getFails));
        return Promise.resolve(map.get(key) ?? null);
      },
      set: (key, secret) => {
        events.push(`store set ${secret}`);
        if (setup.setFails) return Promise.reject(fail(setup.setFails));
        map.set(key, secret);
        return Promise.resolve();
      },
      delete: (key) => {
        events.push("store delete");
        return Promise.resolve(map.delete(key));
      },
      deleteAll: () => Promise.reject(new Error("connect removed every entry")),
    },
  };
}

/** JIM at JIM_URL and the identity provider at IDP_URL. */
function fakeServers(setup: WorldSetup, events: string[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const at = `${url.origin}${url.pathname}`;
    const json = (body: unknown, status = 200) => Response.json(body, { status });
    switch (at) {
      case `${JIM_URL}/api/v1/auth/config`:
        return json({
          authority: IDP_URL,
          clientId: "jim-cli",
          scopes: ["jim.api", "offline_access"],
          responseType: "code",
          usePkce: true,
          codeChallengeMethod: "S256",
        });
      case `${JIM_URL}/api/v1/health`:
        return json({ status: "healthy", timestamp: new Date(NOW).toISOString() });
      case `${JIM_URL}/api/v1/health/version`:
        return json({ version: "0.9.1" });
      case `${JIM_URL}/api/v1/userinfo`: {
        const token = request.headers.get("authorization")?.replace(/^Bearer /, "");
        if (!token?.startsWith("AT-")) return json({ message: "Unauthorized" }, 401);
        return json({ authorised: true, name: "Ada Admin", authMethod: "oauth" });
      }
      case `${IDP_URL}/.well-known/openid-configuration`:
        return json({
          issuer: IDP_URL,
          authorization_endpoint: `${IDP_URL}/authorize`,
          token_endpoint: `${IDP_URL}/token`,
          response_types_supported: ["code"],
          code_challenge_methods_supported: ["S256"],
        });
      case `${IDP_URL}/token`: {
        const body = new URLSearchParams(await request.text());
        const grant = body.get("grant_type");
        if (grant === "refresh_token") {
          const token = body.get("refresh_token")!;
          events.push(`idp refresh_token ${token}`);
          return setup.refreshGrant?.(token) ?? json({ error: "invalid_grant" }, 400);
        }
        events.push(`idp ${grant}`);
        if (grant !== "authorization_code" || body.get("code") !== "the-code") {
          return json({ error: "invalid_grant" }, 400);
        }
        return json({
          access_token: "AT-browser",
          token_type: "Bearer",
          expires_in: 3600,
          refresh_token: "RT-browser",
        });
      }
    }
    return json({ message: "not found" }, 404);
  };
}

type Sent = AgentRequest extends infer R ? R extends unknown ? Omit<R, "v"> : never : never;

/** The session agent in memory: one session at most, to JIM_URL. */
class FakeAgent implements Agent {
  readonly endpoint = { kind: "unix", path: "/fake/jim/agent.sock", uid: null } as const;
  #held: { record: SessionRecord; expiresAt: number; works: boolean } | null = null;
  readonly #refresh: HeldSession["refresh"];

  constructor(
    session: HeldSession | undefined,
    readonly events: string[],
    readonly adopted: SessionRecord[],
  ) {
    this.#refresh = session?.refresh;
    if (session) {
      this.#held = {
        record: {
          url: JIM_URL,
          key: `${JIM_URL}:443`,
          authMethod: "OAuth",
          serverVersion: "0.9.1",
          authorised: true,
          identity: { name: "Ada Admin" },
          httpTimeoutMs: 30_000,
        },
        expiresAt: NOW + session.expiresInMs,
        works: session.credentialsWork,
      };
    }
  }

  get socketPath(): string {
    return this.endpoint.path;
  }

  hello(): Promise<{ protocol: number; version: string; pid: number }> {
    this.events.push("agent hello");
    return Promise.resolve({ protocol: PROTOCOL_VERSION, version: VERSION, pid: AGENT_PID });
  }

  send(request: Sent): Promise<unknown> {
    this.events.push(`agent ${request.op}`);
    switch (request.op) {
      case "status":
      case "select":
        return Promise.resolve(this.#status());
      case "batch":
        return Promise.resolve({
          outcomes: [
            this.#held?.works
              ? { ok: true, result: { status: 200, statusText: "OK", headers: {}, body: {} } }
              : { ok: false, error: { code: "auth_failed", message: "HTTP 401", status: 401 } },
          ],
          status: this.#status(),
        });
      case "refresh":
        if (!this.#held || this.#refresh !== "renews") {
          return Promise.reject(new JimError("auth_failed", "your sign-in has expired"));
        }
        this.#held.expiresAt = NOW + 3_600_000;
        this.#held.works = true;
        return Promise.resolve(this.#status());
      case "adopt":
        this.adopted.push(request.session);
        this.#held = {
          record: request.session,
          expiresAt: request.session.oauth?.expiresAt ?? NOW,
          works: true,
        };
        return Promise.resolve(this.#status());
    }
    return Promise.reject(new Error(`connect sent the agent ${request.op}`));
  }

  shutdownOlder(): Promise<void> {
    return Promise.reject(new Error("connect asked an older agent to stop"));
  }

  stream(): Promise<number> {
    return Promise.reject(new Error("connect streamed a list"));
  }

  #status(): SessionStatus {
    const held = this.#held;
    if (!held) return { ...DISCONNECTED, agentPid: AGENT_PID, sessions: [] };
    const { record } = held;
    return {
      connected: true,
      url: record.url,
      key: record.key,
      authMethod: record.authMethod,
      serverVersion: record.serverVersion,
      authorised: record.authorised,
      expiresAt: new Date(held.expiresAt).toISOString(),
      apiKeyPreview: null,
      persisted: record.oauth?.persist ?? false,
      refreshError: null,
      identity: record.identity,
      agentPid: AGENT_PID,
      sessions: [{
        url: record.url,
        key: record.key,
        authMethod: record.authMethod,
        current: true,
      }],
    };
  }
}
