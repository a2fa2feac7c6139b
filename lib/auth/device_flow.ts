// Device code sign-in (RFC 8628) for hosts without a browser, such as jump hosts: show the
// verification URI and user code, then poll the token endpoint at the provider's pace.

import { JimError } from "../errors.ts";
import { oauthErrorCode, oauthErrorText, toJimError } from "./oauth_errors.ts";
import {
  loadOauth,
  oauthClient,
  type OidcContext,
  type OidcTransport,
  requestOptions,
} from "./oidc_client.ts";
import { printable } from "./safe_text.ts";
import { type TokenSet, tokenSetFromResponse } from "./token_set.ts";
import { clockTimeUtc, duration, type OnInterrupt, untilInterrupted } from "./waiting.ts";

export interface DeviceFlowOptions {
  /** Overall limit; default 300. The device code's own lifetime may end it sooner. */
  readonly timeoutSeconds?: number;
  notify(line: string): void;
  sleep(ms: number): Promise<void>;
  /** Epoch ms; default Date.now. */
  readonly clock?: () => number;
  readonly transport?: OidcTransport;
  /** Ctrl-C: ends the wait with JimError "interrupted". */
  readonly onInterrupt?: OnInterrupt;
}

/** RFC 8628 section 3.2: the interval when the provider names none. */
export const DEFAULT_INTERVAL_SECONDS = 5;
/** RFC 8628 section 3.5: slow_down adds 5 seconds to the interval. */
export const SLOW_DOWN_SECONDS = 5;

const EXPIRED_MESSAGE =
  "the device code expired before sign-in completed; run jim connect again to get a new code";

export function signInWithDeviceCode(
  ctx: OidcContext,
  options: DeviceFlowOptions,
): Promise<TokenSet> {
  const work = deviceCodeSignIn(ctx, options);
  work.catch(() => {}); // after Ctrl-C nobody awaits it
  return untilInterrupted(work, options.onInterrupt);
}

async function deviceCodeSignIn(
  ctx: OidcContext,
  options: DeviceFlowOptions,
): Promise<TokenSet> {
  if (typeof ctx.as.device_authorization_endpoint !== "string") {
    throw new JimError(
      "failed",
      "this identity provider does not offer device code sign-in; use the browser flow " +
        "(or --no-browser with SSH port forwarding)",
    );
  }
  const timeoutSeconds = options.timeoutSeconds ?? 300;
  const clock = options.clock ?? Date.now;
  const oauth = await loadOauth();
  const client = oauthClient(ctx);
  const requestOpts = await requestOptions(ctx, options.transport);

  let authorization;
  try {
    const response = await oauth.deviceAuthorizationRequest(
      ctx.as,
      client,
      oauth.None(),
      { scope: ctx.scopes.join(" ") },
      requestOpts,
    );
    authorization = await oauth.processDeviceAuthorizationResponse(ctx.as, client, response);
  } catch (error) {
    throw toJimError(error, "starting device code sign-in", new URL(ctx.as.issuer));
  }

  const started = clock();
  options.notify(
    `To sign in, open ${printable(authorization.verification_uri)} and enter code ` +
      printable(authorization.user_code, 64),
  );
  if (typeof authorization.verification_uri_complete === "string") {
    options.notify(`Or open: ${printable(authorization.verification_uri_complete, 400)}`);
  }

  const codeDeadline = started + authorization.expires_in * 1000;
  const ourDeadline = started + timeoutSeconds * 1000;
  options.notify(
    `The code expires in ${duration(authorization.expires_in)} (at ${
      clockTimeUtc(codeDeadline)
    }). Waiting up to ${
      duration(Math.min(timeoutSeconds, authorization.expires_in))
    } for you to enter it; Ctrl-C to cancel.`,
  );
  let interval = validInterval(authorization.interval);

  for (;;) {
    await options.sleep(interval * 1000);
    const now = clock();
    if (now >= ourDeadline && ourDeadline <= codeDeadline) {
      throw new JimError("timeout", `no sign-in completed within ${timeoutSeconds} seconds`);
    }
    if (now >= codeDeadline) throw new JimError("timeout", EXPIRED_MESSAGE);
    try {
      const response = await oauth.deviceCodeGrantRequest(
        ctx.as,
        client,
        oauth.None(),
        authorization.device_code,
        requestOpts,
      );
      const tokens = await oauth.processDeviceCodeResponse(ctx.as, client, response);
      return tokenSetFromResponse(tokens, now);
    } catch (error) {
      switch (oauthErrorCode(error)) {
        case "authorization_pending":
          continue;
        case "slow_down":
          interval += SLOW_DOWN_SECONDS;
          continue;
        case "expired_token":
          throw new JimError("timeout", EXPIRED_MESSAGE, { cause: error });
        case "access_denied":
          throw new JimError(
            "auth_failed",
            `sign-in was refused by the identity provider: ${oauthErrorText(error)}`,
            { cause: error },
          );
      }
      throw toJimError(error, "device code sign-in", new URL(ctx.as.issuer));
    }
  }
}

function validInterval(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 && value <= 300
    ? value
    : DEFAULT_INTERVAL_SECONDS;
}
