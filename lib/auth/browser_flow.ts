// Interactive sign-in: authorization code with PKCE over a loopback redirect (RFC 8252). The
// order matters: bind the listener, know the redirect URI, build the authorization URL, print
// it, then open the browser; if opening fails the URL is already on stderr and the wait goes on
// until the timeout. The browser opener never sees the authorization URL (browser_handoff.ts).
// While it waits, a callback address pasted on the terminal counts as much as one the browser
// delivers; Ctrl-C ends the wait. Every protocol step is oauth4webapi's.

import { type StartDeadline, startDeadline, withDeadline } from "../deadline.ts";
import { JimError, usageError } from "../errors.ts";
import type { OpenResult } from "./browser_opener.ts";
import { writeHandoffPage } from "./browser_handoff.ts";
import {
  type CallbackHit,
  type LoopbackListener,
  type RedirectHost,
  startLoopbackListener,
} from "./loopback_server.ts";
import { toJimError } from "./oauth_errors.ts";
import {
  loadOauth,
  oauthClient,
  type OidcContext,
  type OidcTransport,
  requestOptions,
} from "./oidc_client.ts";
import { boundedLines, MAX_PASTE_LINE, parsePastedCallback } from "./paste_back.ts";
import { forwardingCommand, type RemoteSession } from "./remote_session.ts";
import { errorReason } from "./safe_text.ts";
import { type TokenSet, tokenSetFromResponse } from "./token_set.ts";
import { duration, type OnInterrupt, untilInterrupted } from "./waiting.ts";

export interface BrowserFlowOptions {
  /** How long to wait for the browser to come back; default 300. */
  readonly timeoutSeconds?: number;
  readonly redirectPort?: number;
  readonly redirectHost?: RedirectHost;
  /** Print the URL only (for SSH port forwarding); do not start a browser. */
  readonly noBrowser: boolean;
  /**
   * An SSH session without a local display: start no opener unless the user named one
   * ($BROWSER, see `userBrowser`), and print how to finish from the user's own computer.
   */
  readonly remote?: RemoteSession | null;
  /** Whether the user chose the opener ($BROWSER): honoured even in an SSH session. */
  readonly userBrowser?: boolean;
  /**
   * A private directory for the page that forwards the browser (browser_handoff.ts). Give it
   * whenever openBrowser starts a program: without it openBrowser receives the authorization
   * URL itself, which is for in-process browsers only.
   */
  readonly handoffDir?: string;
  /** Callback addresses pasted by the user (the terminal, or stdin with --paste). */
  readonly pasteInput?: ReadableStream<Uint8Array>;
  /** The command to print for device code sign-in when the provider offers it. */
  readonly deviceCodeCommand?: string;
  /** Names the program holding a busy port ("another jim sign-in (pid 1234)"), if it can. */
  describeBusyPort?(port: number): Promise<string | undefined>;
  /** Ctrl-C: ends the wait with JimError "interrupted". */
  readonly onInterrupt?: OnInterrupt;
  /** Should return promptly; it must not wait for the browser to finish. */
  openBrowser(url: string): Promise<OpenResult>;
  /** One line for stderr. */
  notify(line: string): void;
  /** Epoch ms; default Date.now. */
  readonly clock?: () => number;
  /** Starts the wait's deadline; default deadline.ts's (tests end the wait when they choose). */
  readonly startDeadline?: StartDeadline;
  readonly transport?: OidcTransport;
}

export const DEFAULT_TIMEOUT_SECONDS = 300;

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
  const stopPaste = new AbortController();
  let removeHandoff = () => {};
  try {
    const url = authorizationUrl(ctx, {
      redirectUri: listener.redirectUri,
      state,
      codeChallenge,
      nonce,
    });
    const fallbackPort = options.redirectPort === undefined && listener.busyPorts.length > 0;
    if (fallbackPort) options.notify(await busyPortLine(listener, options));

    const pasting = options.pasteInput !== undefined;
    const startOpener = !options.noBrowser && (!options.remote || options.userBrowser === true);
    if (startOpener) {
      if (options.remote) {
        options.notify("SSH session without a local display: starting $BROWSER as you set it.");
      }
      options.notify("Opening your browser to sign in to JIM...");
      options.notify(`If it does not open, visit: ${url}`);
      if (options.remote) printRecipe(listener, options, pasting);
      let target = url;
      if (options.handoffDir !== undefined) {
        const handoff = writeHandoffPage(
          options.handoffDir,
          listener.startUrl(url, () => handoff.remove()),
        );
        removeHandoff = handoff.remove;
        target = handoff.url;
      }
      startBrowser(target, options);
    } else {
      if (options.remote) {
        options.notify(
          "SSH session without a local display: no browser is started here; sign in from " +
            "your own computer.",
        );
      }
      options.notify(`To sign in to JIM, visit: ${url}`);
      printRecipe(listener, options, pasting);
    }
    const what = pasting
      ? "the sign-in (or the address pasted here)"
      : startOpener
      ? "the sign-in in the browser"
      : "the sign-in";
    options.notify(`Waiting up to ${duration(timeoutSeconds)} for ${what}; Ctrl-C to cancel.`);

    if (options.pasteInput) readPastes(options.pasteInput, listener, options, stopPaste.signal);

    const signedIn = (async () => {
      const hit = await withDeadline(listener.callback, timeoutSeconds * 1000, () => {
        const port = fallbackPort
          ? ` (the identity provider may not accept redirect port ${listener.port}; see above)`
          : "";
        throw new JimError(
          "timeout",
          `no sign-in completed within ${timeoutSeconds} seconds${port}`,
        );
      }, options.startDeadline ?? startDeadline);
      stopPaste.abort();
      return await redeem(ctx, hit, {
        redirectUri: listener.redirectUri,
        state,
        codeVerifier,
        nonce,
        clock,
        transport: options.transport,
      });
    })();
    signedIn.catch(() => {}); // after Ctrl-C nobody awaits it; its end no longer matters
    return await untilInterrupted(signedIn, options.onInterrupt);
  } finally {
    stopPaste.abort();
    removeHandoff();
    await listener.close();
  }
}

async function busyPortLine(
  listener: LoopbackListener,
  options: BrowserFlowOptions,
): Promise<string> {
  const [first] = listener.busyPorts;
  const holder = await options.describeBusyPort?.(first).catch(() => undefined);
  const ports = listener.busyPorts.length === 1
    ? `port ${first} is`
    : `ports ${first}-${listener.busyPorts[listener.busyPorts.length - 1]} are`;
  return `Redirect ${ports} busy${holder ? ` (${first} held by ${holder})` : ""}, so jim ` +
    `listens on ${listener.port}: the identity provider must list ${listener.redirectUri} as a ` +
    `redirect URI, or it refuses the sign-in.`;
}

/** How to finish when the browser is on another computer: paste back, forward, device code. */
function printRecipe(
  listener: LoopbackListener,
  options: BrowserFlowOptions,
  pasting: boolean,
): void {
  const forward = forwardingCommand(options.remote ?? null, listener.port);
  if (pasting) {
    options.notify(
      `The browser ends on a ${listener.redirectUri}?... page that does not load: paste that ` +
        `page's address here to finish signing in.`,
    );
    options.notify(
      `Or forward port ${listener.port} first, so that page loads and signs you in: ${forward}`,
    );
  } else {
    options.notify(
      `The sign-in returns to ${listener.redirectUri}; from another computer, forward port ` +
        `${listener.port} first: ${forward}`,
    );
  }
  if (options.deviceCodeCommand) {
    options.notify(`Or sign in with a code instead: ${options.deviceCodeCommand}`);
  }
}

/** Hands pasted callback addresses to the listener until one is taken or the flow ends. */
function readPastes(
  input: ReadableStream<Uint8Array>,
  listener: LoopbackListener,
  options: BrowserFlowOptions,
  signal: AbortSignal,
): void {
  const still = "the sign-in is still waiting";
  (async () => {
    for await (const line of boundedLines(input, signal)) {
      if (line === null) {
        options.notify(
          `That line is longer than ${MAX_PASTE_LINE} characters; paste only the address; ${still}.`,
        );
        continue;
      }
      const parsed = parsePastedCallback(line);
      if (parsed.kind === "empty") continue;
      if (parsed.kind === "not_callback") {
        options.notify(
          `That is not a sign-in address (${listener.redirectUri}?code=...&state=...); ${still}.`,
        );
        continue;
      }
      const outcome = listener.submit(parsed.params);
      if (outcome.ok) return;
      if (outcome.reason === "already_received") return;
      options.notify(
        `That address belongs to another sign-in (its state does not match); ${still}.`,
      );
    }
  })().catch((error) => {
    if (!signal.aborted) {
      options.notify(`Stopped reading pasted addresses (${errorReason(error)}).`);
    }
  });
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
