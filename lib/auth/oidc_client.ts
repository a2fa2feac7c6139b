// OpenID Connect discovery for the identity provider a JIM server names, and the context every
// later protocol step needs. The context is plain JSON on purpose: `connect` hands it to the
// session agent, which uses it to refresh tokens. Transport (custom fetch for a custom CA,
// timeouts) is passed beside it, never inside it.

import type * as Oauth from "oauth4webapi";
import { isLoopbackHost } from "../api/instance_url.ts";
import { JimError } from "../errors.ts";
import type { AuthConfig } from "./auth_config.ts";
import { toJimError } from "./oauth_errors.ts";

export type OauthModule = typeof Oauth;

let oauthModule: Promise<OauthModule> | undefined;

/** oauth4webapi, loaded on first use: commands that never sign in do not pay for it. */
export function loadOauth(): Promise<OauthModule> {
  return oauthModule ??= import("oauth4webapi");
}

export interface OidcContext {
  /** Authorization server metadata from discovery, as plain JSON. */
  readonly as: Oauth.AuthorizationServer;
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** True only for a loopback issuer over http:// (test and sandbox providers). */
  readonly insecure: boolean;
}

/** A fetch with oauth4webapi's customFetch shape (plain `fetch` fits). */
export type OauthFetch = (url: string, init: RequestInit) => Promise<Response>;

export interface OidcTransport {
  /** Replaces global fetch, e.g. one bound to a Deno.HttpClient with a custom CA. */
  readonly fetch?: OauthFetch;
  /** Per-request timeout; default 30 s. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Discovers the provider at `config.authority` and returns the serialisable sign-in context. */
export async function discoverOidc(
  config: Pick<AuthConfig, "authority" | "clientId" | "scopes">,
  transport: OidcTransport = {},
): Promise<OidcContext> {
  const oauth = await loadOauth();
  const issuer = new URL(config.authority);
  const insecure = issuer.protocol === "http:";
  if (insecure && !isLoopbackHost(issuer.hostname)) {
    throw new JimError(
      "protocol",
      `the identity provider ${issuer.origin} does not use https://; ` +
        "only a provider on this machine (localhost) may use http://",
    );
  }
  const options = transportOptions(oauth, insecure, transport);
  let as: Oauth.AuthorizationServer;
  try {
    const response = await oauth.discoveryRequest(issuer, options);
    const spare = response.clone();
    try {
      as = await oauth.processDiscoveryResponse(issuer, response);
    } catch (error) {
      // An authority written with (or without) a trailing slash that the issuer lacks (or has)
      // names the same provider; anything else must match exactly.
      if ((error as { code?: string }).code !== "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED") {
        throw error;
      }
      as = await oauth.processDiscoveryResponse(toggleTrailingSlash(issuer), spare);
    }
  } catch (error) {
    throw toJimError(error, `OpenID discovery for ${issuer.origin}`, issuer);
  }
  const plain = JSON.parse(JSON.stringify(as)) as Oauth.AuthorizationServer;
  if (insecure) assertLoopbackEndpoints(plain);
  return { as: plain, clientId: config.clientId, scopes: [...config.scopes], insecure };
}

/** Checks JSON received from another process (the agent) is a usable context. */
export function parseOidcContext(value: unknown): OidcContext {
  const v = value as Partial<OidcContext> | null;
  if (
    typeof v !== "object" || v === null || typeof v.as !== "object" || v.as === null ||
    typeof v.as.issuer !== "string" || typeof v.clientId !== "string" || v.clientId === "" ||
    !Array.isArray(v.scopes) || !v.scopes.every((s) => typeof s === "string") ||
    typeof v.insecure !== "boolean"
  ) {
    throw new JimError("protocol", "the sign-in context is malformed");
  }
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(v.as.issuer);
  } catch {
    throw new JimError("protocol", "the sign-in context has an invalid issuer");
  }
  if (v.insecure && !isLoopbackHost(issuerUrl.hostname)) {
    throw new JimError("protocol", "the sign-in context allows http:// for a non-loopback issuer");
  }
  if (v.insecure) assertLoopbackEndpoints(v.as);
  return { as: v.as, clientId: v.clientId, scopes: [...v.scopes], insecure: v.insecure };
}

/** The oauth4webapi client for the context: a public client (no client authentication). */
export function oauthClient(ctx: OidcContext): Oauth.Client {
  return { client_id: ctx.clientId };
}

/** Per-request options for oauth4webapi calls made with this context. */
export async function requestOptions(
  ctx: OidcContext,
  transport: OidcTransport = {},
): Promise<Oauth.TokenEndpointRequestOptions> {
  return transportOptions(await loadOauth(), ctx.insecure, transport);
}

function transportOptions(
  oauth: OauthModule,
  insecure: boolean,
  transport: OidcTransport,
  // deno-lint-ignore no-explicit-any
): Oauth.HttpRequestOptions<any, any> {
  const timeoutMs = transport.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    signal: () => AbortSignal.timeout(timeoutMs),
    ...(transport.fetch ? { [oauth.customFetch]: transport.fetch } : {}),
    ...(insecure ? { [oauth.allowInsecureRequests]: true } : {}),
  };
}

/** With http:// allowed for a loopback issuer, every http:// endpoint must be loopback too. */
function assertLoopbackEndpoints(as: Oauth.AuthorizationServer): void {
  for (const [name, value] of Object.entries(as)) {
    if (!(name.endsWith("_endpoint") || name === "jwks_uri") || typeof value !== "string") continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      continue; // oauth4webapi rejects it when the endpoint is used
    }
    if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
      throw new JimError(
        "protocol",
        `the identity provider's ${name} uses http:// on a non-loopback host (${url.host})`,
      );
    }
  }
}

function toggleTrailingSlash(url: URL): URL {
  const copy = new URL(url.href);
  copy.pathname = copy.pathname.endsWith("/")
    ? copy.pathname.replace(/\/+$/, "")
    : `${copy.pathname}/`;
  return copy;
}
