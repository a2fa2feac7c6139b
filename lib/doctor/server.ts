// Doctor's checks of one JIM server: reachability (health), the TLS chain (naming the issuer
// when it is not trusted), the SSO settings, the identity provider's discovery, whether it
// offers the device grant, and the clock skew against the server's Date header.

import { JimError } from "../errors.ts";
import { networkError } from "../api/network_error.ts";
import type { InstanceUrl } from "../api/instance_url.ts";
import { type AuthConfig, fetchAuthConfig } from "../auth/auth_config.ts";
import { discoverOidc, type OidcContext } from "../auth/oidc_client.ts";
import { type Check, fail, pass } from "./check.ts";
import { peerCertificate } from "./tls_issuer.ts";

// Doctor answers in seconds: a server slower than this is reported, not waited for.
const REQUEST_BOUND_MS = 5_000;
// oauth4webapi accepts ID tokens up to 30 s from this machine's clock; beyond that sign-in fails
// with "unexpected iat/exp" errors that do not mention the clock.
const MAX_SKEW_S = 30;

const CA_FIX = "pass the CA's PEM file with --ca-cert FILE (or set JIM_CA_CERT)";

export interface ServerDeps {
  fetch: typeof fetch;
  now(): number;
  /** The PEM CA from --ca-cert / JIM_CA_CERT, if any. */
  caCertPem(): Promise<string | undefined>;
}

export async function checkServer(
  instance: InstanceUrl,
  deps: ServerDeps,
  browserWorks: boolean,
): Promise<Check[]> {
  const checks: Check[] = [];
  const url = new URL(`${instance.base}/api/v1/health`);
  let response: Response;
  const sent = deps.now();
  try {
    response = await deps.fetch(url, {
      redirect: "manual",
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(REQUEST_BOUND_MS),
    });
  } catch (error) {
    checks.push(await unreachable(instance, url, error, deps));
    return checks;
  }
  const received = deps.now();
  await response.body?.cancel().catch(() => {});
  const reached = response.ok
    ? pass("server", `${instance.base} answers its health check (HTTP ${response.status})`)
    : fail(
      "server",
      `${instance.base} answers its health check with HTTP ${response.status}`,
      response.status >= 300 && response.status < 400
        ? "use the URL the server redirects to"
        : "check the URL (it must be the JIM server's base URL) and the server's state",
    );
  checks.push(reached);
  if (instance.secure) checks.push(await trustedChain(url, deps));
  checks.push(clockSkew(response.headers.get("date"), (sent + received) / 2));

  let config: AuthConfig;
  try {
    config = await fetchAuthConfig(instance.base, deps.fetch, { timeoutMs: REQUEST_BOUND_MS });
  } catch (error) {
    if (error instanceof JimError && error.code === "sso_not_configured") {
      checks.push(
        pass("SSO settings", "SSO is not configured on this server: sign in with an API key"),
      );
      return checks;
    }
    checks.push(
      fail("SSO settings", describe(error), "check the URL; the server must be JIM 0.3 or later"),
    );
    return checks;
  }
  checks.push(
    pass("SSO settings", `identity provider ${config.authority}, client ${config.clientId}`),
  );

  let ctx: OidcContext;
  try {
    ctx = await discoverOidc(config, { fetch: deps.fetch, timeoutMs: REQUEST_BOUND_MS });
  } catch (error) {
    const text = describe(error);
    const authority = new URL(config.authority);
    if (authority.protocol === "https:" && /not trusted/.test(text)) {
      checks.push(await untrusted("discovery", authority, deps));
      return checks;
    }
    checks.push(
      fail(
        "discovery",
        text,
        /certificate/i.test(text)
          ? CA_FIX
          : "check that this machine reaches the identity provider (proxy, firewall) and that the server's authority is right",
      ),
    );
    return checks;
  }
  const revocation = typeof ctx.as.revocation_endpoint === "string"
    ? "offers token revocation"
    : "offers no token revocation (disconnect only forgets sign-ins here)";
  checks.push(pass("discovery", `issuer ${ctx.as.issuer}; ${revocation}`));
  if (typeof ctx.as.device_authorization_endpoint === "string") {
    checks.push(
      pass("device code", "offered: jim connect URL --device-code works without a browser"),
    );
  } else if (browserWorks) {
    checks.push(pass("device code", "not offered: sign in with the browser"));
  } else {
    checks.push(
      fail(
        "device code",
        "not offered, and no browser can be opened here",
        "sign in with --no-browser and forward the port from your desktop: ssh -L 8400:localhost:8400 this-host",
      ),
    );
  }
  return checks;
}

async function unreachable(
  instance: InstanceUrl,
  url: URL,
  error: unknown,
  deps: ServerDeps,
): Promise<Check> {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return fail(
      "server",
      `${instance.base} did not answer within ${REQUEST_BOUND_MS / 1000} s`,
      "check the URL, the proxy variables and the firewall",
    );
  }
  const text = describe(networkError(error, url));
  if (instance.secure && /not trusted/.test(text)) return await untrusted("TLS", url, deps);
  return fail("server", text, "check the URL, the proxy variables and the firewall");
}

/** A chain this machine does not trust: name its issuer, the CA the user must pass. */
async function untrusted(name: string, url: URL, deps: ServerDeps): Promise<Check> {
  const ca = await deps.caCertPem().catch(() => undefined);
  const cert = await peerCertificate(url, ca, REQUEST_BOUND_MS);
  const issuer = cert ? `issued by "${cert.issuer}", ` : "";
  return fail(
    name,
    `the certificate of ${url.host} is ${issuer}which this machine does not trust`,
    CA_FIX,
  );
}

async function trustedChain(url: URL, deps: ServerDeps): Promise<Check> {
  const ca = await deps.caCertPem().catch(() => undefined);
  const cert = await peerCertificate(url, ca, REQUEST_BOUND_MS);
  const from = ca ? "the --ca-cert CA" : "the system's CAs";
  if (cert === null) return pass("TLS", `the certificate of ${url.host} is trusted (${from})`);
  return pass(
    "TLS",
    `the certificate of ${url.host} is issued by "${cert.issuer}", trusted (${from})`,
  );
}

function clockSkew(date: string | null, localMs: number): Check {
  const serverMs = date ? Date.parse(date) : NaN;
  if (Number.isNaN(serverMs)) {
    return pass("clock", "the server sent no Date header; skew not measured");
  }
  // The Date header drops the milliseconds: the server's clock read somewhere in that second.
  const skew = Math.round((localMs - (serverMs + 500)) / 1000);
  const text = skew === 0
    ? "this machine's clock agrees with the server's"
    : `this machine's clock is ${Math.abs(skew)} s ${
      skew > 0 ? "ahead of" : "behind"
    } the server's`;
  if (Math.abs(skew) <= MAX_SKEW_S) return pass("clock", text);
  return fail(
    "clock",
    `${text}; tokens would be refused as not yet valid or expired`,
    "synchronise the clock (timedatectl set-ntp true, or your platform's time service)",
  );
}

function describe(error: unknown): string {
  if (error instanceof JimError) return error.message;
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}
