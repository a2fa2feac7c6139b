// The pieces of the refresh and write-back work that the CLI cannot reach one by one: the D-Bus
// address a request may carry, and disconnect going ahead when the agent's status cannot be read.

import assert from "node:assert/strict";
import { PROTOCOL_VERSION } from "../lib/session/protocol.ts";
import { parseRequest } from "../lib/session/request_check.ts";
import { isBusAddress } from "../lib/session/bus_address.ts";
import { run as runDisconnect } from "../lib/cli/commands/disconnect.ts";
import type { Deps } from "../lib/cli/deps.ts";
import { JimError } from "../lib/errors.ts";

Deno.test("a request's bus must be a unix:path= or unix:abstract= address of bounded length", () => {
  for (
    const good of [
      "unix:path=/run/user/1000/bus",
      "unix:abstract=/tmp/dbus-AbC123,guid=0123456789abcdef0123456789abcdef",
    ]
  ) {
    assert.ok(isBusAddress(good), good);
    assert.equal(
      parseRequest(JSON.stringify({ v: PROTOCOL_VERSION, op: "status", bus: good })).bus,
      good,
    );
  }
  for (
    const bad of [
      "tcp:host=evil.example,port=1234",
      "unix:path=/run/bus;tcp:host=evil.example",
      "unix:path=/run/bus\nX",
      "unixexec:path=/bin/sh",
      `unix:path=/${"a".repeat(300)}`,
      "",
      42,
    ]
  ) {
    assert.equal(isBusAddress(bad), false, String(bad));
    assert.throws(
      () => parseRequest(JSON.stringify({ v: PROTOCOL_VERSION, op: "status", bus: bad })),
      /bad agent request: bus must be a unix:path= or unix:abstract= D-Bus address/,
    );
  }
  assert.throws(
    () =>
      parseRequest(JSON.stringify({
        v: PROTOCOL_VERSION,
        op: "adopt",
        session: {
          url: "https://jim.example.com",
          key: "https://jim.example.com:443",
          authMethod: "ApiKey",
          apiKey: "jim_ak_x",
          authorised: true,
          httpTimeoutMs: 1000,
          keyring: { backend: "auto", bus: "tcp:host=evil.example,port=1" },
        },
      })),
    /session keyring must name a backend/,
  );
});

Deno.test("disconnect ends the session even when the agent cannot say what it holds", async () => {
  const sent: string[] = [];
  const err: string[] = [];
  const deps = {
    io: { out: () => {}, err: (line: string) => err.push(line), readStdin: () => "" },
    env: { get: (name: string) => (name === "JIM_KEYRING" ? "none" : undefined) },
    platform: "linux",
    agent: {
      send: (request: { op: string }) => {
        sent.push(request.op);
        if (request.op === "status") {
          return Promise.reject(
            new JimError("agent", "the session agent failed: Invalid time value"),
          );
        }
        return Promise.resolve({
          connected: true,
          url: "https://jim.example.com",
          key: "https://jim.example.com:443",
          authMethod: "OAuth",
        });
      },
    },
  } as unknown as Deps;
  assert.equal(await runDisconnect({ all: false, json: false }, deps), 0);
  assert.deepEqual(sent, ["status", "disconnect"]);
  assert.match(err.join("\n"), /^Disconnected from https:\/\/jim\.example\.com\.$/m);
});

Deno.test("a remembered bus is used for a secret only while it is this user's socket, or an abstract name with its guid", async () => {
  const { busIsOwn } = await import("../lib/session/bus_address.ts");
  const dir = await Deno.makeTempDir({ prefix: "jim-bus-" });
  const path = `${dir}/bus`;
  const listener = Deno.listen({ transport: "unix", path });
  try {
    assert.equal(busIsOwn(`unix:path=${path}`), true);
    assert.equal(busIsOwn(`unix:path=${path},guid=0123456789abcdef0123456789abcdef`), true);
    await Deno.writeTextFile(`${dir}/file`, "");
    assert.equal(busIsOwn(`unix:path=${dir}/file`), false, "not a socket");
    assert.equal(busIsOwn(`unix:path=${dir}/gone`), false, "an ended session's path");
    if (Deno.uid() === 0) {
      // Root can hand the socket to another uid: a path someone else bound is refused.
      Deno.chownSync(path, 4242, 4242);
      assert.equal(busIsOwn(`unix:path=${path}`), false, "another user's socket");
    }
    assert.equal(busIsOwn("unix:abstract=/tmp/dbus-AbC123"), false, "no guid to verify");
    assert.equal(
      busIsOwn("unix:abstract=/tmp/dbus-AbC123,guid=0123456789abcdef0123456789abcdef"),
      true,
    );
  } finally {
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a request's instance is a bounded string", () => {
  assert.throws(
    () =>
      parseRequest(
        JSON.stringify({
          v: PROTOCOL_VERSION,
          op: "status",
          instance: `https://${"a".repeat(3000)}`,
        }),
      ),
    /instance must be a string of at most 2048 characters/,
  );
  const ok = parseRequest(
    JSON.stringify({ v: PROTOCOL_VERSION, op: "status", instance: "https://j:443" }),
  ) as { instance?: string };
  assert.equal(ok.instance, "https://j:443");
});
