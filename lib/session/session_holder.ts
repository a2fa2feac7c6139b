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
import { DISCONNECTED, previewApiKey } from "./protocol.ts";
import { TokenKeeper, type Tokens } from "./token_keeper.ts";
import type { Revocation } from "../auth/revoke.ts";

export type { Credentials };

export interface SessionHolderDeps {
  now(): number;
  /** Performs one API call against the session's server with the given credentials. */
  perform(session: SessionRecord, credentials: Credentials, call: ApiCall): Promise<ApiResult>;
  /** Pages through a GET list call, one page at a time into `sink`; the agent's `stream`. */
  stream?(
    session: SessionRecord,
    credentials: Credentials,
    call: ApiCall,
    sink: StreamSink,
  ): Promise<StreamEnd>;
  /** The refresh grant for an OAuth session's context. */
  refresh(
    session: SessionRecord,
    refreshToken: string,
  ): Promise<{ accessToken: string; refreshToken?: string; expiresAt: number }>;
  /** Writes a rotated refresh token back to the credential store (persisted sessions only). */
  storeRefreshToken?(session: SessionRecord, refreshToken: string): Promise<void>;
  /** Revokes the refresh token at the session's identity provider (disconnect). */
  revoke?(session: SessionRecord, refreshToken: string): Promise<Revocation>;
  /** The agent's idle timeout, reported by status. */
  idleTimeoutMs?: number;
}

export interface StreamSink {
  /** One page's items and the --verbose trace lines since the last; false: stop. */
  onPage(items: unknown[], trace: string[]): Promise<boolean | void>;
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
  #writeBackError: string | null = null;

  constructor(deps: SessionHolderDeps) {
    this.#deps = deps;
  }

  adopt(session: SessionRecord): void {
    this.#session = session;
    this.#keeper = null;
    this.#writeBackError = null;
    const oauth = session.oauth;
    if (session.authMethod === "OAuth" && oauth) {
      const tokens: Tokens = {
        accessToken: oauth.accessToken,
        refreshToken: oauth.refreshToken,
        expiresAt: oauth.expiresAt,
        issuedAt: oauth.issuedAt,
      };
      this.#keeper = new TokenKeeper(tokens, {
        now: this.#deps.now,
        refresh: (refreshToken) => this.#deps.refresh(session, refreshToken),
        onRefreshed: async (fresh, rotated) => {
          // A refresh that ends after disconnect (or a newer sign-in) must not bring a token
          // back into the store that disconnect just cleared or the new session owns.
          if (this.#session !== session) return;
          if (rotated && oauth.persist && fresh.refreshToken && this.#deps.storeRefreshToken) {
            // Best effort: the in-memory session stays valid even if the store is gone; status
            // reports the failure (jim doctor shows it).
            try {
              await this.#deps.storeRefreshToken(session, fresh.refreshToken);
              this.#writeBackError = null;
            } catch (error) {
              this.#writeBackError = error instanceof Error ? error.message : String(error);
            }
          }
        },
      });
    }
  }

  clear(): void {
    this.#session = null;
    this.#keeper = null;
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
      expiresAt: keeper ? new Date(keeper.expiresAt).toISOString() : null,
      apiKeyPreview: session.apiKey ? previewApiKey(session.apiKey) : null,
      persisted: session.oauth?.persist ?? false,
      refreshError: keeper?.failure?.message ?? null,
      identity: session.identity,
      agentPid: Deno.pid,
      idleTimeoutSeconds: this.#idleTimeoutSeconds(),
      writeBackError: this.#writeBackError,
    };
  }

  #idleTimeoutSeconds(): number | undefined {
    const ms = this.#deps.idleTimeoutMs;
    return ms === undefined ? undefined : Math.round(ms / 1000);
  }

  call(call: ApiCall): Promise<ApiResult> {
    const session = this.#session;
    if (!session) {
      return Promise.reject(new JimError("not_connected", "You are not connected to JIM."));
    }
    const credentials: Credentials = call.anonymous ? { kind: "none" } : this.#credentials(session);
    return this.#deps.perform(session, credentials, call);
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

  #credentials(session: SessionRecord): Credentials {
    const keeper = this.#keeper;
    if (!keeper) return { kind: "apiKey", apiKey: session.apiKey ?? "" };
    // Each call remembers the token it sent, so a 401 after someone else's refresh retries
    // with the new token instead of refreshing again.
    let used = "";
    return {
      kind: "bearer",
      token: async () => (used = await keeper.token()),
      refreshAfterUnauthorized: () => keeper.refreshAfterUnauthorized(used),
    };
  }
}
