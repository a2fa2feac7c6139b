// Turns what fetch throws into one clear line. Deno 2.9 rejects with TypeError("fetch failed")
// whose `cause` is an Error carrying hyper/rustls text such as "error sending request for url
// (...): client error (Connect): tcp connect error: Connection refused (os error 111)"; older
// releases put that text in the TypeError's own message, so both places are read.

import { JimError } from "../errors.ts";
import { redactSecrets } from "./redact.ts";
import { proxyFor } from "./proxy_env.ts";

const CA_HINT = "use --ca-cert FILE or JIM_CA_CERT";

/**
 * A JimError "network" (or "protocol" for a non-HTTP answer) for a failed fetch of `url`. A
 * JimError is kept as it is: jim's own fetch (lib/cli/run.ts) reads --ca-cert on first use and
 * fails with that error, already described.
 */
export function networkError(error: unknown, url: URL): JimError {
  if (error instanceof JimError) return error;
  const text = errorText(error);
  const origin = url.origin;
  const host = url.host;
  const cause = new Error(redactSecrets(text));
  const fail = (message: string) => new JimError("network", redactSecrets(message), { cause });

  if (/invalid peer certificate/i.test(text)) {
    if (/expired/i.test(text)) return fail(`TLS certificate for ${host} has expired`);
    if (/not valid yet|NotValidYet/i.test(text)) {
      return fail(`TLS certificate for ${host} is not valid yet (check the clock)`);
    }
    if (/not valid for name|NotValidForName/i.test(text)) {
      return fail(`TLS certificate for ${host} does not match the host name (${detail(text)})`);
    }
    if (/revoked/i.test(text)) return fail(`TLS certificate for ${host} has been revoked`);
    return fail(`TLS certificate for ${host} is not trusted (${CA_HINT})`);
  }
  if (/certificate|\btls\b|handshake|corrupt message|InvalidContentType/i.test(text)) {
    return fail(`TLS connection to ${host} failed (is it an HTTPS server?): ${detail(text)}`);
  }
  const proxy = proxyFor(url);
  if (proxy && !/invalid HTTP|parse error|invalid (status|header)/i.test(text)) {
    // The runtime's text names only the target; when a proxy is in the way, it is the usual
    // suspect, so say which one.
    return fail(
      `cannot reach ${origin} through the proxy ${proxy}: ${
        shortReason(text)
      } (check HTTPS_PROXY and NO_PROXY)`,
    );
  }
  if (/connection refused|actively refused|os error (111|61|10061)\b/i.test(text)) {
    return fail(`cannot reach ${origin}: connection refused`);
  }
  if (
    /dns error|failed to lookup address|name or service not known|nodename nor servname|no such host|name resolution/i
      .test(text)
  ) {
    return fail(`cannot reach ${origin}: host name '${url.hostname}' could not be resolved`);
  }
  if (/timed out|os error (110|60|10060)\b/i.test(text)) {
    return fail(`cannot reach ${origin}: connection timed out`);
  }
  if (/network is unreachable|no route to host|host is unreachable/i.test(text)) {
    return fail(`cannot reach ${origin}: network unreachable`);
  }
  if (/connection reset|os error (104|54|10054)\b/i.test(text)) {
    return fail(`connection to ${origin} was reset`);
  }
  if (/connection closed before message completed|unexpected eof|incomplete message/i.test(text)) {
    return fail(`${origin} closed the connection without a complete answer`);
  }
  if (/invalid HTTP|parse error|invalid (status|header)/i.test(text)) {
    return new JimError(
      "protocol",
      redactSecrets(`${origin} did not answer with valid HTTP: ${detail(text)}`),
      { cause },
    );
  }
  return fail(`cannot reach ${origin}: ${detail(text)}`);
}

function shortReason(text: string): string {
  if (/connection refused|actively refused|os error (111|61|10061)\b/i.test(text)) {
    return "connection refused";
  }
  if (/dns error|failed to lookup address|name or service not known/i.test(text)) {
    return "host name could not be resolved";
  }
  if (/timed out|os error (110|60|10060)\b/i.test(text)) return "connection timed out";
  return detail(text);
}

/** The message of an error and of every cause under it, joined. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 6; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(": ");
}

/** The innermost reason, without hyper's "error sending request for url (...)" preamble. */
function detail(text: string): string {
  const withoutFetchFailed = text.replace(/^fetch failed: /, "");
  const reason = withoutFetchFailed
    .replace(/^error sending request (for url \(.*?\)|from .*? for .*? \(.*?\)): /, "")
    .replace(/client error \((Connect|SendRequest)\): /g, "")
    .replace(/^invalid peer certificate: /, "")
    .replace(/\s+/g, " ")
    .trim();
  return reason.length > 200 ? `${reason.slice(0, 197)}...` : reason;
}
