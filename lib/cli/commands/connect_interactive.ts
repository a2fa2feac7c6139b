// Interactive Connect-JIM: reuse a live session, else reconnect silently from the stored refresh
// token, else sign in through the browser (or device code); then verify with the server, store
// the refresh token when persistence is on, and give the session to the agent.

import { JimError } from "../../errors.ts";
import type { Deps } from "../deps.ts";
import type { ConnectOptions } from "./connect_options.ts";
import {
  CONNECTED_CACHED,
  CONNECTED_REFRESHED,
  type ConnectResult,
  connectResult,
} from "./connect_result.ts";
import { adoptSession, selectSession } from "../../session/adopt.ts";
import { verifyServer } from "../../session/verify_server.ts";
import { asBatchResult, asStatus, type SessionStatus } from "../../session/protocol.ts";
import { httpTimeoutMs, idleTimeoutMs } from "../../settings.ts";
import { duration } from "../../auth/waiting.ts";
import { fetchAuthConfig } from "../../auth/auth_config.ts";
import { discoverOidc, type OidcContext, type OidcTransport } from "../../auth/oidc_client.ts";
import type { TokenSet } from "../../auth/token_set.ts";
import { keyringChoice } from "../../session/stored_sign_in.ts";
import type { Keyring } from "../../keyring/keyring.ts";

/** Connect-JIM.ps1 reuses a live session only while its token has more than 5 minutes left. */
const REUSE_MIN_LEFT_MS = 5 * 60_000;

export async function connectInteractive(
  options: ConnectOptions,
  deps: Deps,
): Promise<ConnectResult> {
  const { io } = deps;
  const instance = options.instance;
  if (!options.force) {
    const live = await liveSessionFor(deps, instance.base, instance.key);
    if (live) {
      io.err("Already connected to JIM; use --force to sign in again");
      return connectResult(live, CONNECTED_CACHED);
    }
    const refreshed = await refreshedSessionFor(deps, instance.base, instance.key);
    if (refreshed) {
      io.err("Renewed the current session's access token; use --force to sign in again");
      return connectResult(refreshed, CONNECTED_REFRESHED);
    }
  }

  // Every request of this sign-in (JIM, the provider) goes through the one transport.
  const transport = { fetch: deps.fetch, timeoutMs: httpTimeoutMs(deps.env) };
  const config = await fetchAuthConfig(instance.base, deps.fetch, transport);
  const ctx = await discoverOidc(config, transport, deps.trace);

  let keyring: Keyring | null = null;
  if (!options.noPersist) {
    const store = await deps.credentialStore();
    if (store.keyring) keyring = store.keyring;
    else if (!store.disabled) {
      io.err(
        `Notice: the OS credential store is unavailable (${store.reason}); this sign-in is kept in memory only, in the session agent: it lasts until jim disconnect, the end of this login, or ${
          duration(idleTimeoutMs(deps.env) / 1000)
        } without a command, and then you sign in again. Use an API key for unattended use.`,
      );
    }
  }

  let tokens: TokenSet | null = null;
  let persisted = false;
  let cached = false;
  if (keyring && !options.force) {
    const silent = await deps.withInstanceLock(
      instance.key,
      () => silentReconnect(deps, transport, ctx, keyring!, instance.key, instance.base),
    );
    if (silent) {
      ({ tokens, stored: persisted } = silent);
      cached = true;
      // As Connect-JIM writes it to the host: the one sign that no browser will open.
      io.err("Connected to JIM using cached credentials");
    }
  }
  const interactive = !tokens;
  if (!tokens) tokens = await interactiveSignIn(options, deps, transport, ctx);

  const verified = await verifyServer(deps, instance, {
    kind: "bearer",
    token: () => Promise.resolve(tokens!.accessToken),
    refreshAfterUnauthorized: () => Promise.resolve(false),
  });
  if (!verified.authorised) {
    io.err(
      "Warning: you signed in, but this identity is not provisioned in JIM (Authorised is False); ask a JIM administrator to grant access.",
    );
  }

  if (keyring && interactive) {
    if (tokens.refreshToken) {
      persisted = await saveRefreshToken(keyring, instance.key, tokens.refreshToken, io, "sign-in");
    } else {
      io.err(
        "Notice: the identity provider issued no refresh token (is offline_access permitted on the public client?); a new session will need to sign in again.",
      );
    }
  }

  const now = deps.now();
  const status = await adoptSession(deps, {
    url: instance.base,
    key: instance.key,
    authMethod: "OAuth",
    oauth: {
      context: ctx,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresAt: tokens.expiresAt,
      issuedAt: now,
      persist: persisted,
    },
    serverVersion: verified.serverVersion,
    authorised: verified.authorised,
    identity: verified.identity,
    caCertPem: await deps.caCertPem(),
    httpTimeoutMs: transport.timeoutMs,
    keyring: keyringChoice(deps.env),
  });
  return connectResult(status, cached ? CONNECTED_CACHED : verified.healthStatus);
}

/** A live OAuth session for this instance in the agent, whose credentials still work. */
async function liveSessionFor(
  deps: Deps,
  base: string,
  instance: string,
): Promise<SessionStatus | null> {
  // As Connect-JIM.ps1: only a token with more than 5 minutes left is worth reusing.
  const ours = (status: SessionStatus) =>
    status.connected && status.url === base && status.authMethod === "OAuth" &&
    status.expiresAt !== null && Date.parse(status.expiresAt) - deps.now() > REUSE_MIN_LEFT_MS;
  try {
    // The status first: checking credentials that have no time left would only delay this
    // sign-in.
    if (!ours(asStatus(await deps.agent.send({ op: "status", instance })))) return null;
    const answer = asBatchResult(
      await deps.agent.send({
        op: "batch",
        instance,
        calls: [{ method: "GET", path: "/api/v1/userinfo" }],
      }),
      1,
    );
    if (!ours(answer.status) || !answer.outcomes[0]?.ok) return null;
    // Connecting to it again makes it the session later commands use.
    return await selectSession(deps, instance);
  } catch {
    // No agent, or one that cannot answer this (another version): nothing to reuse.
    return null;
  }
}

/**
 * As Connect-JIM.ps1: a session to this instance with 5 minutes or less left is refreshed in
 * place rather than signed in again; null when there is none or the refresh fails (then the
 * sign-in goes on as if there were no session).
 */
async function refreshedSessionFor(
  deps: Deps,
  base: string,
  instance: string,
): Promise<SessionStatus | null> {
  try {
    const status = asStatus(await deps.agent.send({ op: "status", instance }));
    if (
      !status.connected || status.url !== base || status.authMethod !== "OAuth" ||
      status.expiresAt === null
    ) return null;
    // More time left means liveSessionFor found its credentials failing: sign in again.
    if (Date.parse(status.expiresAt) - deps.now() > REUSE_MIN_LEFT_MS) return null;
    await deps.agent.send({ op: "refresh", instance });
    // As for a reused session: kept only if the renewed credentials work.
    const answer = asBatchResult(
      await deps.agent.send({
        op: "batch",
        instance,
        calls: [{ method: "GET", path: "/api/v1/userinfo" }],
      }),
      1,
    );
    const after = answer.status;
    if (!after.connected || after.url !== base || !answer.outcomes[0]?.ok) return null;
    // Connecting to it again makes it the session later commands use.
    return await selectSession(deps, instance);
  } catch {
    return null;
  }
}

/** Tokens from the stored refresh token, already written back when rotated; null to sign in. */
async function silentReconnect(
  deps: Deps,
  transport: OidcTransport,
  ctx: OidcContext,
  keyring: Keyring,
  key: string,
  base: string,
): Promise<{ tokens: TokenSet; stored: boolean } | null> {
  let stored: string | null;
  try {
    stored = await keyring.get(key);
  } catch (error) {
    deps.io.err(
      `Notice: could not read the stored sign-in (${(error as Error).message}); signing in again.`,
    );
    return null;
  }
  if (!stored) return null;
  const { refreshTokens } = await import("../../auth/refresh.ts");
  let tokens: TokenSet;
  try {
    tokens = await refreshTokens(ctx, stored, { clock: deps.now, instanceUrl: base, transport });
  } catch (error) {
    if (error instanceof JimError && error.code === "auth_failed") {
      await keyring.delete(key).catch(() => false);
      deps.io.err(
        "Notice: the stored sign-in was rejected by the identity provider; signing in again.",
      );
      return null;
    }
    // As Connect-JIM does (Public/Connection/Connect-JIM.ps1: a failed silent reconnect falls
    // back to the browser sign-in), but the stored token stays: only a refused grant proves it
    // dead, and a provider that is down for a minute (429, 5xx, unreachable) has not refused it.
    deps.io.err(
      `Notice: the stored sign-in could not be used just now (${
        error instanceof Error ? error.message : String(error)
      }); signing in again.`,
    );
    return null;
  }
  // Rotation spent the stored token: write the new one now, inside the lock, so a racing
  // connect reads the live one. A store that fails here does not undo the sign-in.
  if (!tokens.refreshToken || tokens.refreshToken === stored) return { tokens, stored: true };
  const saved = await saveRefreshToken(
    keyring,
    key,
    tokens.refreshToken,
    deps.io,
    "renewed sign-in",
  );
  return { tokens, stored: saved };
}

/** Writes the refresh token; a store that fails is a notice, not a failed sign-in. */
async function saveRefreshToken(
  keyring: Keyring,
  key: string,
  refreshToken: string,
  io: Deps["io"],
  what: string,
): Promise<boolean> {
  try {
    await keyring.set(key, refreshToken);
    return true;
  } catch (error) {
    io.err(
      `Notice: the ${what} could not be saved to the credential store (${
        (error as Error).message
      }); it is kept in memory only.`,
    );
    return false;
  }
}

async function interactiveSignIn(
  options: ConnectOptions,
  deps: Deps,
  transport: OidcTransport,
  ctx: OidcContext,
): Promise<TokenSet> {
  const notify = (line: string) => deps.io.err(line);
  if (options.deviceCode) {
    const { signInWithDeviceCode } = await import("../../auth/device_flow.ts");
    return signInWithDeviceCode(ctx, {
      transport,
      timeoutSeconds: options.timeoutSeconds,
      notify,
      sleep: deps.sleep,
      clock: deps.now,
      onInterrupt: deps.onInterrupt,
    });
  }
  const { signInWithBrowser } = await import("../../auth/browser_flow.ts");
  const { remoteSessionWithoutDisplay } = await import("../../auth/remote_session.ts");
  const handoffDir = await deps.handoffDir();
  const cmdlet = options.style === "cmdlet";
  const userBrowser = (deps.env.get("BROWSER") ?? "").trim() !== "";
  return signInWithBrowser(ctx, {
    transport,
    timeoutSeconds: options.timeoutSeconds,
    redirectPort: options.redirectPort,
    redirectHost: options.redirectHost,
    noBrowser: options.noBrowser,
    remote: remoteSessionWithoutDisplay(deps.env, deps.platform, deps.hostName()),
    userBrowser,
    handoffDir,
    // A script's piped stdin is its own business: read it only when a person sits at it, or
    // when --paste says the pipe carries the address.
    pasteInput: options.paste || deps.io.stdinIsTerminal() ? deps.io.stdin() : undefined,
    deviceCodeCommand: typeof ctx.as.device_authorization_endpoint === "string"
      ? cmdlet
        ? `Connect-JIM -Url ${options.instance.base} -DeviceCode`
        : `jim connect ${options.instance.base} --device-code`
      : undefined,
    describeBusyPort: deps.describePortHolder,
    onInterrupt: deps.onInterrupt,
    openBrowser: deps.openBrowser,
    notify,
    clock: deps.now,
  });
}
