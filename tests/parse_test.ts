// The parse step on its own: both argument styles, every documented cmdlet example from the
// PowerShell module's connection page, and the usage errors.

import assert from "node:assert/strict";
import { parseInvocation } from "../lib/cli/parse.ts";
import { parse as parseConnect } from "../lib/cli/commands/connect.ts";
import { JimError } from "../lib/errors.ts";

const noEnv = { get: () => undefined };

function command(argv: string[]) {
  const invocation = parseInvocation(argv);
  assert.equal(invocation.kind, "command");
  return invocation.command;
}

function usage(argv: string[], pattern: RegExp) {
  assert.throws(
    () => {
      const parsed = command(argv);
      if (parsed.def.name === "connect") parseConnect(parsed, noEnv);
    },
    (error: unknown) =>
      error instanceof JimError && error.code === "usage" && pattern.test(error.message),
  );
}

Deno.test("GNU style: long, =value, short clusters, -- and positionals", () => {
  assert.deepEqual(command(["connect", "https://j", "--timeout=60", "--no-browser"]).values, {
    url: "https://j",
    timeout: "60",
    "no-browser": true,
  });
  assert.deepEqual(command(["api", "/x", "-iX", "post", "-d", "-"]).values, {
    path: "/x",
    include: true,
    method: "post",
    data: "-",
  });
  assert.deepEqual(command(["api", "--", "-odd-path"]).values, { path: "-odd-path" });
  assert.equal(command(["status", "-q"]).def.name, "test-connection");
});

Deno.test("every cmdlet example of the module's connection documentation parses", () => {
  const examples: [string[], string, Record<string, unknown>][] = [
    [["Connect-JIM", "-Url", "https://jim.example.com", "-NoPersist"], "connect", {
      url: "https://jim.example.com",
      "no-persist": true,
    }],
    [["Connect-JIM", "-Url", "https://jim.example.com", "-ApiKey", "jim_ak_7f3e..."], "connect", {
      url: "https://jim.example.com",
      "api-key": "jim_ak_7f3e...",
    }],
    [["Disconnect-JIM", "-Url", "https://jim.example.com"], "disconnect", {
      url: "https://jim.example.com",
    }],
    [["Disconnect-JIM", "-All"], "disconnect", { all: true }],
    [["Test-JIMConnection", "-Quiet"], "test-connection", { quiet: true }],
    [["Test-JIMConnection"], "test-connection", {}],
    [["connect-jim", "https://j", "jim_ak_x", "-force:$false"], "connect", {
      url: "https://j",
      "api-key": "jim_ak_x",
      force: false,
    }],
    [["Get-JIMConnectedSystem", "-Id", "4"], "connected-system list", { id: "4" }],
    [["Get-JIMConnectedSystem", "-N", "HR*"], "connected-system list", { name: "HR*" }],
  ];
  for (const [argv, name, values] of examples) {
    const parsed = command(argv);
    assert.equal(parsed.def.name, name, argv.join(" "));
    assert.equal(parsed.style, "cmdlet");
    assert.deepEqual(parsed.values, values, argv.join(" "));
  }
});

Deno.test("usage errors name the problem", () => {
  usage(["connect", "--bogus"], /unknown option '--bogus'/);
  usage(["connect", "-Z"], /unknown option '-Z'/);
  usage(["connect", "https://j", "--api-key"], /--api-key needs a value/);
  usage(["connect", "https://j", "--api-key", "--force"], /--api-key needs a value/);
  usage(["connect", "--force=yes"], /--force takes no value/);
  usage(["connect", "a", "b", "c"], /unexpected argument 'c'/);
  usage(["connect", "https://j", "--url", "https://k"], /given twice/);
  usage(["Connect-JIM", "-Url"], /missing a value for parameter -Url/);
  usage(["Connect-JIM", "-No", "https://j"], /ambiguous: -NoPersist, -NoBrowser/);
  usage(["Test-JIMConnection", "-Quiet:maybe"], /takes \$true or \$false/);
  usage(["connected-system"], /needs a subcommand: list, get/);
  usage(["--bogus"], /unknown option '--bogus'/);
  usage(["connect", "https://j", "--timeout", "601"], /between 30 and 600 seconds, not 601/);
  usage(["connect", "https://j", "--redirect-port", "70000"], /port number/);
  usage(["connect", "https://j", "--redirect-host", "example.com"], /localhost or 127\.0\.0\.1/);
  usage(["connect", "https://j", "--device-code", "--no-browser"], /cannot be combined/);
  usage(["connect", "https://j", "--api-key", "k", "--api-key-stdin"], /cannot be combined/);
});

Deno.test("an API key in JIM_API_KEY selects the key parameter set", () => {
  const options = parseConnect(command(["connect", "https://j"]), {
    get: (n) => n === "JIM_API_KEY" ? "jim_ak_1" : undefined,
  });
  assert.equal(options.apiKey?.source, "environment");
  assert.throws(
    () =>
      parseConnect(command(["connect", "https://j", "--force"]), {
        get: (n) => n === "JIM_API_KEY" ? "jim_ak_1" : undefined,
      }),
    /JIM_API_KEY is set/,
  );
});
