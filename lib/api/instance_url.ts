// The rules for a JIM instance URL: what the user may type, the base URL requests are built on,
// and the credential-store key shared with the JIM PowerShell module (scheme://host:port).

import { usageError } from "../errors.ts";
import { echoInput, hasSpaceOrControl } from "../text.ts";

export interface InstanceUrl {
  /** Base for API requests: origin plus any path prefix, no trailing slash. */
  readonly base: string;
  /** Credential-store key: lower-case scheme://host:port with the port always written. */
  readonly key: string;
  readonly loopback: boolean;
  readonly secure: boolean;
}

export function parseInstanceUrl(input: string): InstanceUrl {
  const text = input.trim();
  if (text === "") throw usageError("the JIM URL is empty");
  if (hasSpaceOrControl(text)) {
    throw usageError("the JIM URL contains whitespace or control characters");
  }
  if (text.startsWith("jim_ak_")) {
    // Never echo a key into a terminal or a CI log, even when the arguments were swapped.
    throw usageError("the JIM URL looks like an API key; check the order of the arguments");
  }
  let url: URL;
  try {
    url = new URL(withScheme(text));
  } catch {
    throw usageError(
      `'${echoInput(text)}' is not a valid URL; expected e.g. https://jim.example.com`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw usageError(
      `unsupported URL scheme '${
        echoInput(url.protocol)
      }'; use https:// (or http:// for a local server)`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw usageError(
      "the JIM URL must not contain a user name or password; use --api-key or sign in",
    );
  }
  if (url.hostname === "") throw usageError("the JIM URL has no host");
  if (url.search !== "" || url.hash !== "") {
    throw usageError("the JIM URL must not contain a query or fragment");
  }
  const path = url.pathname.replace(/\/+$/, "");
  const base = `${url.protocol}//${url.host}${path}`;
  const port = url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80";
  const key = `${url.protocol}//${url.hostname}:${port}`.toLowerCase();
  return { base, key, loopback: isLoopbackHost(url.hostname), secure: url.protocol === "https:" };
}

/**
 * A bare host (`jim.example.com`, `jim.example.com:8443/jim`) means https, as a browser's address
 * bar takes it; anything with a scheme keeps it, so `ftp:` is refused by name, not rewritten.
 */
function withScheme(text: string): string {
  if (text.includes("://")) return text;
  // `host:8443` is a host and port; `mailto:x` is a scheme.
  if (/^[a-z][a-z0-9+.-]*:(?!\d)/i.test(text)) return text;
  return `https://${text}`;
}

/** The warning for credentials over plain http:// to another machine, or null. */
export function plainHttpWarning(instance: InstanceUrl): string | null {
  if (instance.secure || instance.loopback) return null;
  return `Warning: ${instance.base} uses plain http://; credentials will cross the network unencrypted. Use https://.`;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
