// Interactive sign-in: authorization code with PKCE over a loopback redirect (RFC 8252). The
// order matters: bind the listener, know the redirect URI, build the authorization URL, print
// it, then open the browser; if opening fails the URL is already on stderr and the wait goes on
// until the timeout. Every protocol step is oauth4webapi's.

import { JimError, usageError } from "../errors.ts";
import type { OpenResult } from "./browser_opener.ts";
import { type CallbackHit, type RedirectHost, startLoopbackListener } from "./loopback_server.ts";
import { toJimError } from "./oauth_errors.ts";
import {
  loadOauth,
  oauthClient,
  type OidcContext,
  type OidcTransport,
  requestOptions,
} from "./oidc_client.ts";
import { errorReason } from "./safe_text.ts";
import { type TokenSet, tokenSetFromResponse } from "./token_set.ts";

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface BrowserFlowOptions {
  /** How long to wait for the browser to come back; default 300. */
  readonly timeoutSeconds?: number;
  readonly redirectPort?: number;
  readonly redirectHost?: RedirectHost;
  /** Print the URL only (for SSH port forwarding); do not start a browser. */
  readonly noBrowser: boolean;
  /** Should return promptly; it must not wait for the browser to finish. */
  openBrowser(url: string): Promise<OpenResult>;
  /** One line for stderr. */
  notify(line: string): void;
  /** Epoch ms; default Date.now. */
  readonly clock?: () => number;
  readonly timers?: Timers;
  readonly transport?: OidcTransport;
}

export const DEFAULT_TIMEOUT_SECONDS = 300;

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (id) => clearTimeout(id as number),
};

export async function signInWithBrowser(
  ctx: OidcContext,
  options: BrowserFlowOptions,
): Promise<TokenSet> {
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0)) {
    throw usageError("the sign-in timeout must be a positive number of seconds");
  }
  if (typeof ctx.as.authorization_endpoint !== "string") {
    throw new JimError("protocol", "the identity provider advertises no authorization endpoint");
  }
  const clock = options.clock ?? Date.now;
  const timers = options.timers ?? realTimers;
  const oauth = await loadOauth();

  const state = oauth.generateRandomState();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
  const nonce = ctx.scopes.includes("openid") ? oauth.generateRandomNonce() : undefined;

  const listener = await startLoopbackListener({
    expectedState: state,
    redirectPort: options.redirectPort,
    redirectHost: options.redirectHost,
  });
  let timer: unknown;
  try {
    const url = authorizationUrl(ctx, {
      redirectUri: listener.redirectUri,
      state,
      codeChallenge,
      nonce,
    });
    if (options.noBrowser) {
      options.notify(`To sign in to JIM, visit: ${url}`);
      options.notify(
        `(The sign-in returns to ${listener.redirectUri}; from another machine, forward port ` +
          `${listener.port} first, e.g. ssh -L ${listener.port}:localhost:${listener.port} <host>)`,
      );
    } else {
      options.notify("Opening your browser to sign in to JIM...");
      options.notify(`If it does not open, visit: ${url}`);
      startBrowser(url, options);
    }

    const timedOut = new Promise<never>((_, reject) => {
      timer = timers.setTimeout(() => {
        reject(
          new JimError("timeout", `no sign-in completed within ${timeoutSeconds} seconds`),
        );
      }, timeoutSeconds * 1000);
    });
    const hit = await Promise.race([listener.callback, timedOut]);
    timers.clearTimeout(timer);
    timer = undefined;
    return await redeem(ctx, hit, {
      redirectUri: listener.redirectUri,
      state,
      codeVerifier,
      nonce,
      clock,
      transport: options.transport,
    });
  } finally {
    if (timer !== undefined) timers.clearTimeout(timer);
    await listener.close();
  }
}

/** The authorization request URL (RFC 6749 4.1.1, RFC 7636 4.3, OIDC Core 3.1.2.1). */
export function authorizationUrl(
  ctx: OidcContext,
  request: { redirectUri: string; state: string; codeChallenge: string; nonce?: string },
): string {
  const url = new URL(ctx.as.authorization_endpoint!);
  url.searchParams.set("client_id", ctx.clientId);
  url.searchParams.set("redirect_uri", request.redirectUri);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", ctx.scopes.join(" "));
  url.searchParams.set("state", request.state);
  url.searchParams.set("code_challenge", request.codeChallenge);
  url.searchParams.set("code_challenge_method", "S256");
  if (request.nonce !== undefined) url.searchParams.set("nonce", request.nonce);
  return url.href;
}

function startBrowser(url: string, options: BrowserFlowOptions): void {
  const fallback = "open the address above in a browser to continue";
  let pending: Promise<OpenResult>;
  try {
    pending = options.openBrowser(url);
  } catch (error) {
    pending = Promise.reject(error);
  }
  pending.then(
    (result) => {
      if (!result.opened) {
        const why = result.reason ? ` (${result.reason})` : "";
        options.notify(`Could not open a browser${why}; ${fallback}.`);
      }
    },
    (error) => options.notify(`Could not open a browser (${errorReason(error)}); ${fallback}.`),
  );
}

async function redeem(
  ctx: OidcContext,
  hit: CallbackHit,
  flow: {
    redirectUri: string;
    state: string;
    codeVerifier: string;
    nonce?: string;
    clock: () => number;
    transport?: OidcTransport;
  },
): Promise<TokenSet> {
  const oauth = await loadOauth();
  const client = oauthClient(ctx);
  try {
    let params: URLSearchParams;
    try {
      // state again, and RFC 9207 iss when the provider advertises it
      params = oauth.validateAuthResponse(ctx.as, client, hit.params, flow.state);
    } catch (error) {
      throw toJimError(error, "checking the sign-in response");
    }
    const now = flow.clock();
    let tokens;
    try {
      const response = await oauth.authorizationCodeGrantRequest(
        ctx.as,
        client,
        oauth.None(),
        params,
        flow.redirectUri,
        flow.codeVerifier,
        await requestOptions(ctx, flow.transport),
      );
      tokens = await oauth.processAuthorizationCodeResponse(ctx.as, client, response, {
        expectedNonce: flow.nonce ?? oauth.expectNoNonce,
        requireIdToken: flow.nonce !== undefined,
      });
    } catch (error) {
      throw toJimError(error, "redeeming the sign-in code", new URL(ctx.as.issuer));
    }
    hit.finish({ ok: true });
    return tokenSetFromResponse(tokens, now);
  } catch (error) {
    const failure = toJimError(error, "sign-in");
    hit.finish({ ok: false, message: failure.message });
    throw failure;
  }
}
