// Doctor's proxy check: which proxy variables are set, and which proxy (if any) requests to the
// checked server would go through, as the runtime's fetch decides. Credentials in a proxy URL
// are never shown.

import type { Env } from "../env.ts";
import { proxyFor } from "../api/proxy_env.ts";
import { type Check, fail, pass } from "./check.ts";

const NAMES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

export function checkProxy(env: Env, target: URL | null): Check {
  const get = (name: string) => env.get(name);
  const set = NAMES.filter((name) => get(name));
  const bypass = get("NO_PROXY") ?? get("no_proxy");
  if (set.length === 0) return pass("proxy", "none set (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY)");
  for (const name of set) {
    const value = get(name)!;
    try {
      new URL(value.includes("://") ? value : `http://${value}`);
    } catch {
      return fail(
        "proxy",
        `${name} is not a valid URL`,
        `set ${name} to e.g. http://proxy.example.com:3128`,
      );
    }
  }
  const names = `${set.join(", ")} set${bypass ? `, NO_PROXY ${bypass.slice(0, 80)}` : ""}`;
  if (target === null) return pass("proxy", names);
  const proxy = proxyFor(target, get);
  return pass(
    "proxy",
    `${names}; ${target.origin} is reached ${proxy ? `through ${proxy}` : "directly (NO_PROXY)"}`,
  );
}
