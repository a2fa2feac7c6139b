// Which proxy an error message names: the same variables, in the same order, as the runtime.

import assert from "node:assert/strict";
import { proxyFor } from "../lib/api/proxy_env.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("HTTPS_PROXY, then https_proxy, then ALL_PROXY; credentials are never shown", () => {
  const url = new URL("https://jim.example.com/api");
  assert.equal(proxyFor(url, env({})), null);
  assert.equal(proxyFor(url, env({ HTTPS_PROXY: "http://proxy:3128" })), "http://proxy:3128");
  assert.equal(proxyFor(url, env({ https_proxy: "proxy.corp:8080" })), "http://proxy.corp:8080");
  assert.equal(proxyFor(url, env({ ALL_PROXY: "http://all:1" })), "http://all:1");
  assert.equal(
    proxyFor(url, env({ HTTPS_PROXY: "http://ada:s3cret@proxy:3128" })),
    "http://proxy:3128",
  );
  assert.equal(
    proxyFor(new URL("http://jim.example.com"), env({ HTTPS_PROXY: "http://p:1" })),
    null,
  );
});

Deno.test("NO_PROXY: exact hosts, domain suffixes, ports and *", () => {
  const url = new URL("https://jim.corp.example.com:8443/");
  const withBypass = (list: string) =>
    proxyFor(url, env({ HTTPS_PROXY: "http://p:1", NO_PROXY: list }));
  assert.equal(withBypass("jim.corp.example.com"), null);
  assert.equal(withBypass(".example.com"), null);
  assert.equal(withBypass("*.example.com"), null);
  assert.equal(withBypass("example.com"), null);
  assert.equal(withBypass("*"), null);
  assert.equal(withBypass("jim.corp.example.com:8443"), null);
  assert.equal(withBypass("jim.corp.example.com:443"), "http://p:1");
  assert.equal(withBypass("other.example.org, ample.com"), "http://p:1");
});
