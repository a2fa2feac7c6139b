// The agent's in-memory session: the credentials, a token keeper for OAuth sessions, and the
// API calls made on the session's behalf. Nothing here touches the socket.

import { JimError } from "../errors.ts";
import type { Credentials } from "../api/http_client.ts";
import type {
  ApiCall,
  ApiResult,
  BatchOutcome,
  BatchResult,
  SessionRecord,
  SessionStatus,
} from "./protocol.ts";
import { DISCONNECTED } from "./protocol.ts";
import { previewApiKey } from "../api/api_key.ts";
import { TokenKeeper, type Tokens, type TraceSink } from "./token_keeper.ts";
import { WriteBack } from "./write_back.ts";
import type { Revocation } from "../auth/revoke.ts";

export interface SessionHolderDeps {
  now(): number;
  /**
   * Performs one API call against the session's server with the given credentials. With
   * `call.trace`, its trace lines go into `trace`, which also receives the lines of any refresh
   * the call causes, in order.
   */
  perform(
    session: SessionRecord,
    credentials: Credentials,
    call: ApiCall,
    trace?: string[],
  ): Promise<ApiResult>;
  /** Pages through a GET list call, one page at a time into `sink`; the agent's `stream`. */
  stream?(
    session: SessionRecord,
    credentials: Credentials,
    call: ApiCall,
    sink: StreamSink,
  ): Promise<StreamEnd>;
  /** The refresh grant for an OAuth session's context; its HTTP steps go to `trace`. */
  refresh(
    session: SessionRecord,
    refreshToken: string,
    trace?: TraceSink,
  ): Promise<{ accessToken: string; refreshToken?: string; expiresAt: number }>;
  /**
   * Writes a rotated refresh token back to the credential store (persisted sessions only),
   * through the D-Bus session `bus` when given.
   */
  storeRefreshToken?(session: SessionRecord, refreshToken: string, bus?: string): Promise<void>;
  /** Removes the session's stored refresh token (spent, and the new one could not be stored). */
  forgetRefreshToken?(session: SessionRecord, bus?: string): Promise<void>;
  /** Revokes the refresh token at the session's identity provider (disconnect). */
  revoke?(session: SessionRecord, refreshToken: string): Promise<Revocation>;
  /** The agent's idle timeout, reported by status. */
  idleTimeoutMs?: number;
}

export interface StreamSink {
  /**
   * One page's items, the --verbose trace lines since the last, and the page's bytes as the
   * server sent them when the fetch kept them; false: stop.
   */
  onPage(items: unknown[], trace: string[], bytes?: Uint8Array): Promise<boolean | void>;
  /** Aborted once the client has gone. */
  signal: AbortSignal;
}

export interface StreamEnd {
  items: number;
  /** The trace lines after the last page. */
  trace: string[];
}

export class SessionHolder {
  #deps: SessionHolderDeps;
  #session: SessionRecord | null = null;
  #keeper: TokenKeeper | null = null;
  #writeBack: WriteBack | null = null;
  /** The newest command's bus, kept for a session adopted later. */
  #lastBus: string | undefined;

  constructor(deps: SessionHolderDeps) {
    this.#deps = deps;
  }

  adopt(session: SessionRecord): void {
    this.#session = session;
    this.#keeper = null;
    this.#writeBack = null;
    const oauth = session.oauth;
    if (session.authMethod === "OAuth" && oauth) {
      const { storeRefreshToken, forgetRefreshToken } = this.#deps;
      const writeBack = oauth.persist && storeRefreshToken
        ? new WriteBack({
          store: (token, bus) => storeRefreshToken(session, token, bus),
          forget: (bus) =>
            forgetRefreshToken
              ? forgetRefreshToken(session, bus)
              : Promise.reject(new JimError("keyring_unavailable", "no way to remove it")),
        }, session.keyring?.bus ?? this.#lastBus)
        : null;
      this.#writeBack = writeBack;
      const tokens: Tokens = {
        accessToken: oauth.accessToken,
        refreshToken: oauth.refreshToken,
        expiresAt: oauth.expiresAt,
        issuedAt: oauth.issuedAt,
      };
      this.#keeper = new TokenKeeper(tokens, {
        now: this.#deps.now,
        refresh: (refreshToken, trace) => this.#deps.refresh(session, refreshToken, trace),
        onRefreshed: async (fresh, rotated) => {
          // A refresh that ends after disconnect (or a newer sign-in) must not bring a token
          // back into the store that disconnect just cleared or the new session owns.
          if (this.#session !== session) return;
          // The in-memory session stays valid whatever the store does; a failed write is
          // retried and reported by WriteBack, never dropped.
          if (rotated && fresh.refreshToken && writeBack) await writeBack.save(fresh.refreshToken);
        },
      });
    }
  }

  clear(): void {
    this.#session = null;
    this.#keeper = null;
    this.#writeBack = null;
  }

  /**
   * A command's D-Bus session address (from its request): the newest is where a rotated token
   * is written first, and a write that failed before is tried again now, in the background.
   */
  noteBus(bus: string | undefined): void {
    if (bus === undefined) return;
    this.#lastBus = bus;
    this.#writeBack?.noteBus(bus);
  }

  /** Tries again a write-back that failed, without holding up the request that prompted it. */
  #retryWriteBack(): void {
    this.#writeBack?.retry().catch(() => {});
  }

  /** Refreshes the OAuth session's tokens now; its status after. */
  async refreshNow(): Promise<SessionStatus> {
    if (!this.#session || !this.#keeper) {
      throw new JimError("not_connected", "no OAuth session to refresh");
    }
    await this.#keeper.refreshNow();
    return this.status();
  }

  /** Revokes the session's refresh token at its provider; null when there is none to revoke. */
  async revoke(): Promise<Revocation | null> {
    const session = this.#session;
    const refreshToken = this.#keeper?.refreshToken;
    if (!session || !refreshToken || !this.#deps.revoke) return null;
    return await this.#deps.revoke(session, refreshToken);
  }

  status(): SessionStatus {
    const session = this.#session;
    if (!session) {
      return {
        ...DISCONNECTED,
        agentPid: Deno.pid,
        idleTimeoutSeconds: this.#idleTimeoutSeconds(),
      };
    }
    const keeper = this.#keeper;
    return {
      connected: true,
      url: session.url,
      key: session.key,
      authMethod: session.authMethod,
      serverVersion: session.serverVersion,
      authorised: session.authorised,
      expiresAt: keeper ? isoTime(keeper.expiresAt) : null,
      apiKeyPreview: session.apiKey ? previewApiKey(session.apiKey) : null,
      persisted: (session.oauth?.persist ?? false) && !this.#writeBack?.warning,
      refreshError: keeper?.failure?.message ?? null,
      storeWarning: this.#writeBack?.warning ?? null,
      identity: session.identity,
      agentPid: Deno.pid,
      idleTimeoutSeconds: this.#idleTimeoutSeconds(),
    };
  }

  #idleTimeoutSeconds(): number | undefined {
    const ms = this.#deps.idleTimeoutMs;
    return ms === undefined ? undefined : Math.round(ms / 1000);
  }

  async call(call: ApiCall): Promise<ApiResult> {
    const session = this.#session;
    if (!session) throw new JimError("not_connected", "You are not connected to JIM.");
    this.#retryWriteBack();
    const trace = call.trace ? [] as string[] : undefined;
    const sink = trace && ((line: string) => trace.push(line));
    const credentials: Credentials = call.anonymous
      ? { kind: "none" }
      : this.#credentials(session, sink);
    const result = await this.#deps.perform(session, credentials, call, trace);
    const warning = this.#writeBack?.takeNotice();
    return warning ? { ...result, warning } : result;
  }

  stream(call: ApiCall, sink: StreamSink): Promise<StreamEnd> {
    const session = this.#session;
    if (!session) {
      return Promise.reject(new JimError("not_connected", "You are not connected to JIM."));
    }
    if (!this.#deps.stream) {
      return Promise.reject(new JimError("agent", "this session agent cannot stream"));
    }
    const credentials: Credentials = call.anonymous ? { kind: "none" } : this.#credentials(session);
    return this.#deps.stream(session, credentials, call, sink);
  }

  /** Runs the calls at once; the status is taken after, so it shows any refresh they caused. */
  async batch(calls: ApiCall[]): Promise<BatchResult> {
    const settled = await Promise.allSettled(calls.map((call) => this.call(call)));
    const outcomes = settled.map((outcome): BatchOutcome => {
      if (outcome.status === "fulfilled") return { ok: true, result: outcome.value };
      const error = outcome.reason;
      return error instanceof JimError
        ? { ok: false, error: { code: error.code, message: error.message, status: error.status } }
        : { ok: false, error: { code: "agent", message: String(error) } };
    });
    return { outcomes, status: this.status() };
  }

  #credentials(session: SessionRecord, trace?: TraceSink): Credentials {
    const keeper = this.#keeper;
    if (!keeper) return { kind: "apiKey", apiKey: session.apiKey ?? "" };
    // Each call remembers the token it sent, so a 401 after someone else's refresh retries
    // with the new token instead of refreshing again.
    let used = "";
    return {
      kind: "bearer",
      token: async () => (used = await keeper.token(trace)),
      refreshAfterUnauthorized: () => keeper.refreshAfterUnauthorized(used, trace),
    };
  }
}

/** Status must always answer (disconnect reads it first), whatever expiry a provider gave. */
function isoTime(ms: number): string | null {
  const date = new Date(ms);
  return Number.isFinite(date.getTime()) ? date.toISOString() : null;
}
