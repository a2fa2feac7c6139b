// Which proxy the runtime's HTTP client will use for a URL. Deno's fetch reads HTTPS_PROXY,
// ALL_PROXY and NO_PROXY itself and says nothing about the proxy when it fails, so jim reads the
// same variables to name the proxy in its error messages.

export type EnvGet = (name: string) => string | undefined;

export function proxyFor(url: URL, get: EnvGet = safeEnvGet): string | null {
  const pick = (...names: string[]) => names.map(get).find((value) => value) ?? null;
  const proxy = url.protocol === "https:"
    ? pick("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
    : pick("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy");
  if (!proxy) return null;
  const bypass = pick("NO_PROXY", "no_proxy");
  if (bypass && bypassed(url, bypass)) return null;
  return withoutCredentials(proxy);
}

function bypassed(url: URL, list: string): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return list.split(",").map((entry) => entry.trim().toLowerCase()).some((entry) => {
    if (entry === "*") return true;
    const [name, port] = entry.replace(/^\[|\]$/g, "").split(/:(?=\d+$)/);
    if (port && port !== (url.port || (url.protocol === "https:" ? "443" : "80"))) return false;
    const bare = name.replace(/^\*?\./, "");
    return bare !== "" && (host === bare || host.endsWith(`.${bare}`));
  });
}

function withoutCredentials(proxy: string): string {
  try {
    const url = new URL(proxy.includes("://") ? proxy : `http://${proxy}`);
    url.username = "";
    url.password = "";
    return url.origin;
  } catch {
    return "the configured proxy";
  }
}

function safeEnvGet(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
