// OpenID Connect discovery for the identity provider a JIM server names, and the context every
// later protocol step needs. The context is plain JSON on purpose: `connect` hands it to the
// session agent, which uses it to refresh tokens. Transport (custom fetch for a custom CA,
// timeouts) is passed beside it, never inside it.

import type * as Oauth from "oauth4webapi";
import { isLoopbackHost } from "../api/instance_url.ts";
import { JimError } from "../errors.ts";
import { readBodyText } from "../api/response_body.ts";
import type { AuthConfig } from "./auth_config.ts";
import { toJimError } from "./oauth_errors.ts";

export type OauthModule = typeof Oauth;

/** oauth4webapi, loaded on first use: commands that never sign in do not pay for it. */
export function loadOauth(): Promise<OauthModule> {
  return import("oauth4webapi");
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

/**
 * The most jim reads of any identity-provider answer (discovery, token, device): real ones are a
 * few KiB, and oauth4webapi would otherwise read an endless body whole.
 */
export const MAX_PROVIDER_RESPONSE_BYTES = 1024 * 1024;

/** Discovers the provider at `config.authority` and returns the serialisable sign-in context. */
export async function discoverOidc(
  config: Pick<AuthConfig, "authority" | "clientId" | "scopes">,
  transport: OidcTransport = {},
  /** --verbose: told when the document's issuer is spelled differently from the authority. */
  note?: (line: string) => void,
): Promise<OidcContext> {
  const oauth = await loadOauth();
  const authority = new URL(config.authority);
  assertSecureOrLoopback(authority, "identity provider");
  let as: Oauth.AuthorizationServer;
  try {
    // A loopback authority may be fetched over http://; the issuer it names is checked below.
    const options = transportOptions(oauth, authority.protocol === "http:", transport);
    const response = await oauth.discoveryRequest(authority, options);
    const spare = response.clone();
    try {
      as = await oauth.processDiscoveryResponse(authority, response);
    } catch (error) {
      if ((error as { code?: string }).code !== "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED") {
        throw error;
      }
      // The JIM server's authority may name the provider differently from the issuer it
      // declares (an Entra authority with the tenant's domain name instead of its id; a
      // split-horizon public name). The JIM PowerShell module reads `issuer` from the document
      // without comparing it (Private/Invoke-OAuthBrowserFlow.ps1, Get-OidcDiscoveryDocument),
      // so jim accepts the document's issuer too: the document came over TLS (or loopback) from
      // the authority the server named, and every later check (ID token iss, RFC 9207 iss) is
      // made against that issuer.
      const declared = new URL(String((error as IssuerMismatch).cause?.body?.issuer));
      assertSecureOrLoopback(declared, "identity provider's declared issuer");
      as = await oauth.processDiscoveryResponse(declared, spare);
      if (!sameIgnoringTrailingSlash(declared, authority)) {
        note?.(
          `The identity provider's issuer ${printableUrl(declared)} differs from the authority ` +
            `${printableUrl(authority)} the JIM server names; using the issuer.`,
        );
      }
    }
  } catch (error) {
    throw toJimError(error, `OpenID discovery for ${authority.origin}`, authority);
  }
  const plain = JSON.parse(JSON.stringify(as)) as Oauth.AuthorizationServer;
  const insecure = authority.protocol === "http:" || new URL(plain.issuer).protocol === "http:";
  if (insecure) assertLoopbackEndpoints(plain);
  withoutUnsignedIdTokens(plain);
  return { as: plain, clientId: config.clientId, scopes: [...config.scopes], insecure };
}

/** oauth4webapi's OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED carries the document it read. */
type IssuerMismatch = { cause?: { body?: { issuer?: unknown } } };

function assertSecureOrLoopback(url: URL, what: string): void {
  if (url.protocol === "https:") return;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return;
  throw new JimError(
    "protocol",
    `the ${what} ${printableUrl(url)} does not use https://; ` +
      "only a provider on this machine (localhost) may use http://",
  );
}

/**
 * jim never verifies an ID token's signature: OpenID Connect Core 3.1.3.7 (6) lets a client rely
 * on TLS for an ID token it took straight from the token endpoint, which is the only way jim gets
 * one. Nothing jim decides reads an ID-token claim (who is signed in comes from JIM's userinfo).
 * An unsigned token (alg "none") is still refused: oauth4webapi accepts whatever algorithms the
 * document advertises, so "none" is dropped from that list.
 */
function withoutUnsignedIdTokens(as: Oauth.AuthorizationServer): void {
  const algs = as.id_token_signing_alg_values_supported;
  if (!Array.isArray(algs)) return;
  const signed = algs.filter((alg) => typeof alg === "string" && alg.toLowerCase() !== "none");
  (as as { id_token_signing_alg_values_supported?: string[] })
    .id_token_signing_alg_values_supported = signed.length > 0 ? signed : undefined;
}

function printableUrl(url: URL): string {
  return url.origin + (url.pathname === "/" ? "" : url.pathname);
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
    [oauth.customFetch]: boundedFetch(transport.fetch ?? ((url, init) => fetch(url, init))),
    ...(insecure ? { [oauth.allowInsecureRequests]: true } : {}),
  };
}

/**
 * A fetch whose answer is read here, up to MAX_PROVIDER_RESPONSE_BYTES, and handed on as a
 * buffered Response: oauth4webapi reads bodies whole. The request's signal still bounds the
 * time the read may take.
 */
export function boundedFetch(base: OauthFetch): OauthFetch {
  return async (url, init) => {
    const response = await base(url, init);
    const where = new URL(url);
    const text = await readBodyText(
      response,
      MAX_PROVIDER_RESPONSE_BYTES,
      `${(init.method ?? "GET").toUpperCase()} ${where.origin}${where.pathname} ` +
        "(identity provider)",
    );
    return new Response(nullBodyStatus(response.status) ? null : text, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

function nullBodyStatus(status: number): boolean {
  return status === 101 || status === 204 || status === 205 || status === 304;
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

function sameIgnoringTrailingSlash(a: URL, b: URL): boolean {
  return a.href.replace(/\/+$/, "") === b.href.replace(/\/+$/, "");
}
