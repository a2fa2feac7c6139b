// Keeps an OAuth access token fresh inside the agent: proactive refresh near expiry, one
// reactive refresh after a 401, and a single refresh in flight however many requests wait.

import { JimError } from "../errors.ts";

export interface Tokens {
  accessToken: string;
  refreshToken?: string;
  expiresAt: number;
  issuedAt: number;
}

/** Where a refresh's --verbose trace lines go: the request that made it refresh. */
export type TraceSink = (line: string) => void;

export interface TokenKeeperDeps {
  now(): number;
  /** Performs the refresh grant; throws JimError("auth_failed") when the grant is refused. */
  refresh(
    refreshToken: string,
    trace?: TraceSink,
  ): Promise<{ accessToken: string; refreshToken?: string; expiresAt: number }>;
  /** Called after every successful refresh, e.g. to write a rotated refresh token back. */
  onRefreshed?(tokens: Tokens, rotated: boolean): Promise<void>;
}

const PROACTIVE_WINDOW_MS = 120_000;

export class TokenKeeper {
  #tokens: Tokens;
  #deps: TokenKeeperDeps;
  #refreshing: Promise<void> | null = null;
  #failure: JimError | null = null;

  constructor(tokens: Tokens, deps: TokenKeeperDeps) {
    this.#tokens = { ...tokens };
    this.#deps = deps;
  }

  get expiresAt(): number {
    return this.#tokens.expiresAt;
  }

  get failure(): JimError | null {
    return this.#failure;
  }

  /** The refresh token now in use (rotation replaces it), for revocation at disconnect. */
  get refreshToken(): string | undefined {
    return this.#tokens.refreshToken;
  }

  /**
   * Refresh when the remaining life is under 2 minutes or under half the lifetime, whichever is
   * shorter, so short-lived tokens are not refreshed on every request.
   */
  needsRefresh(): boolean {
    const { expiresAt, issuedAt } = this.#tokens;
    const remaining = expiresAt - this.#deps.now();
    const window = Math.min(PROACTIVE_WINDOW_MS, (expiresAt - issuedAt) / 2);
    return remaining < window;
  }

  /** A usable access token, refreshing first when it is near expiry. */
  async token(trace?: TraceSink): Promise<string> {
    if (this.#failure) throw this.#failure;
    if (this.needsRefresh() && this.#tokens.refreshToken) {
      try {
        await this.#refreshOnce(trace);
      } catch (error) {
        // The provider unreachable for a moment is no reason to fail while the token still
        // works; a refused grant (auth_failed) is, and the next call will try again anyway.
        const stillValid = this.#tokens.expiresAt > this.#deps.now();
        if (!stillValid || (error instanceof JimError && error.code === "auth_failed")) throw error;
      }
    } else if (this.#tokens.expiresAt <= this.#deps.now() && !this.#tokens.refreshToken) {
      throw new JimError(
        "auth_failed",
        "your sign-in has expired and the identity provider issued no refresh token; sign in again with jim connect",
      );
    }
    return this.#tokens.accessToken;
  }

  /** Refreshes now, whatever the expiry (connect to a session with under 5 minutes left). */
  async refreshNow(trace?: TraceSink): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (!this.#tokens.refreshToken) {
      throw new JimError("auth_failed", "no refresh token; sign in again");
    }
    await this.#refreshOnce(trace);
  }

  /**
   * After a 401 for `usedToken`: if another request already refreshed, retry with the new
   * token; otherwise refresh once. Returns whether a retry is worth making.
   */
  async refreshAfterUnauthorized(usedToken: string, trace?: TraceSink): Promise<boolean> {
    if (this.#tokens.accessToken !== usedToken) return true;
    if (!this.#tokens.refreshToken) return false;
    try {
      await this.#refreshOnce(trace);
      return true;
    } catch {
      return false;
    }
  }

  /** Only the request that starts a refresh sees its trace lines; later ones just wait. */
  #refreshOnce(trace?: TraceSink): Promise<void> {
    this.#refreshing ??= this.#doRefresh(trace).finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #doRefresh(trace?: TraceSink): Promise<void> {
    const old = this.#tokens;
    if (!old.refreshToken) throw new JimError("auth_failed", "no refresh token; sign in again");
    const issuedAt = this.#deps.now();
    try {
      const fresh = await this.#deps.refresh(old.refreshToken, trace);
      const rotated = fresh.refreshToken !== undefined && fresh.refreshToken !== old.refreshToken;
      this.#tokens = {
        accessToken: fresh.accessToken,
        refreshToken: fresh.refreshToken ?? old.refreshToken,
        expiresAt: fresh.expiresAt,
        issuedAt,
      };
      this.#failure = null;
      await this.#deps.onRefreshed?.(this.#tokens, rotated);
    } catch (error) {
      if (error instanceof JimError && error.code === "auth_failed") {
        // The grant is dead (revoked, expired, reused): keep the session so status can say so.
        this.#failure = error;
      }
      throw error;
    }
  }
}
