// Interactive Connect-JIM: reuse a live session, else reconnect silently from the stored refresh
// token, else sign in through the browser (or device code); then verify with the server, store
// the refresh token when persistence is on, and give the session to the agent.

import { JimError } from "../../errors.ts";
import type { Deps } from "../../deps.ts";
import type { ConnectOptions, ConnectResult } from "./connect.ts";
import { connectResult } from "./connect.ts";
import { adoptSession } from "../../session/adopt.ts";
import { verifyServer } from "../../session/verify_server.ts";
import type { SessionStatus } from "../../session/protocol.ts";
import { AgentNotRunning } from "../../session/agent_client.ts";
import { withInstanceLock } from "../../session/instance_lock.ts";
import { currentUid, parentDir } from "../../session/socket_path.ts";
import { httpTimeoutMs } from "../../api/perform_call.ts";
import { fetchAuthConfig } from "../../auth/auth_config.ts";
import { discoverOidc, type OidcContext } from "../../auth/oidc_client.ts";
import type { TokenSet } from "../../auth/token_set.ts";
import { usableKeyring } from "../../session/stored_sign_in.ts";
import type { Keyring } from "../../keyring/keyring.ts";

export async function connectInteractive(
  options: ConnectOptions,
  deps: Deps,
): Promise<ConnectResult> {
  const { io } = deps;
  const instance = options.instance;
  if (!options.force) {
    const live = await liveSessionFor(deps, instance.key);
    if (live) return connectResult(live, "Already connected to JIM; use --force to sign in again");
  }

  const config = await fetchAuthConfig(instance.base, deps.fetch, {
    timeoutMs: httpTimeoutMs(deps.env),
  });
  const transport = { fetch: deps.fetch, timeoutMs: httpTimeoutMs(deps.env) };
  const ctx = await discoverOidc(config, transport);

  let keyring: Keyring | null = null;
  if (!options.noPersist) {
    const store = await usableKeyring(deps.platform, deps.env);
    if (store.keyring) keyring = store.keyring;
    else if (deps.env.get("JIM_KEYRING") !== "none") {
      io.err(
        `Notice: the OS credential store is unavailable (${store.reason}); this sign-in is kept in memory only, so a new session will need to sign in again. Use an API key for unattended use.`,
      );
    }
  }

  let tokens: TokenSet | null = null;
  let message = "Connected to JIM";
  if (keyring && !options.force) {
    const lockDir = parentDir(deps.agent.socketPath);
    tokens = await withInstanceLock(
      lockDir,
      currentUid(),
      instance.key,
      () => silentReconnect(deps, ctx, keyring!, instance.key, instance.base),
    );
    if (tokens) {
      message = "Connected to JIM using cached credentials";
      // As Connect-JIM writes it to the host: the one sign that no browser will open.
      io.err(message);
    }
  }
  if (!tokens) tokens = await interactiveSignIn(options, deps, ctx);

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

  let persisted = false;
  if (keyring) {
    if (tokens.refreshToken) {
      try {
        await keyring.set(instance.key, tokens.refreshToken);
        persisted = true;
      } catch (error) {
        io.err(
          `Notice: the sign-in could not be saved to the credential store (${
            (error as Error).message
          }); it is kept in memory only.`,
        );
      }
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
    caCertPem: deps.caCertPem,
  });
  return connectResult(status, message);
}

/** A live OAuth session for this instance in the agent, whose credentials still work. */
async function liveSessionFor(deps: Deps, key: string): Promise<SessionStatus | null> {
  let status: SessionStatus;
  try {
    status = await deps.agent.send({ op: "status" }) as SessionStatus;
  } catch (error) {
    if (error instanceof AgentNotRunning) return null;
    throw error;
  }
  if (!status.connected || status.key !== key || status.authMethod !== "OAuth") return null;
  try {
    await deps.agent.send({ op: "request", call: { method: "GET", path: "/api/v1/userinfo" } });
  } catch {
    return null;
  }
  return await deps.agent.send({ op: "status" }) as SessionStatus;
}

async function silentReconnect(
  deps: Deps,
  ctx: OidcContext,
  keyring: Keyring,
  key: string,
  base: string,
): Promise<TokenSet | null> {
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
  try {
    const tokens = await refreshTokens(ctx, stored, {
      instanceUrl: base,
      transport: { fetch: deps.fetch, timeoutMs: httpTimeoutMs(deps.env) },
    });
    // Rotation: the stored token is spent; keep the new one (or the same one when not rotated).
    if (tokens.refreshToken && tokens.refreshToken !== stored) {
      await keyring.set(key, tokens.refreshToken);
    }
    return tokens;
  } catch (error) {
    if (error instanceof JimError && error.code === "auth_failed") {
      await keyring.delete(key).catch(() => false);
      deps.io.err(
        "Notice: the stored sign-in was rejected by the identity provider; signing in again.",
      );
      return null;
    }
    throw error;
  }
}

async function interactiveSignIn(
  options: ConnectOptions,
  deps: Deps,
  ctx: OidcContext,
): Promise<TokenSet> {
  const notify = (line: string) => deps.io.err(line);
  if (options.deviceCode) {
    const { signInWithDeviceCode } = await import("../../auth/device_flow.ts");
    return signInWithDeviceCode(ctx, {
      transport: { fetch: deps.fetch, timeoutMs: httpTimeoutMs(deps.env) },
      timeoutSeconds: options.timeoutSeconds,
      notify,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
  }
  const { signInWithBrowser } = await import("../../auth/browser_flow.ts");
  const { openBrowser, runDetached } = await import("../../auth/browser_opener.ts");
  return signInWithBrowser(ctx, {
    transport: { fetch: deps.fetch, timeoutMs: httpTimeoutMs(deps.env) },
    timeoutSeconds: options.timeoutSeconds,
    redirectPort: options.redirectPort,
    redirectHost: options.redirectHost,
    noBrowser: options.noBrowser,
    openBrowser: (url) =>
      openBrowser(url, { env: deps.env, platform: deps.platform, run: runDetached }),
    notify,
  });
}
