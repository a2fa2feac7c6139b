// The native credential-store path inside jim itself, so that the run against the compiled
// binary (JIM_BIN, see .ci/run and the CI lanes) proves the binary carries it: the
// @napi-rs/keyring addon on Linux and macOS (embedded by deno compile, extracted when first
// loaded), advapi32 through FFI on Windows. The command asks about one instance nobody signed
// in to, so a developer's real entries are never touched.

import assert from "node:assert/strict";
import { JimEnv } from "./helpers/run_jim.ts";
import { keyringTest, startKeyringSession } from "./helpers/keyring_session.ts";

const PROBE = "https://jim-native-probe.invalid";

async function disconnectProbe(extra: Record<string, string>) {
  const env = await JimEnv.create({ JIM_KEYRING: "native", ...extra });
  try {
    return await env.run(["disconnect", "--url", PROBE]);
  } finally {
    await env.dispose();
  }
}

function assertAnswered(result: { code: number; stderr: string }) {
  assert.doesNotMatch(result.stderr, /could not be (loaded|opened)/, result.stderr);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, `There was no stored sign-in for ${PROBE}:443.\n`);
}

const nativeStoreTest: Deno.TestDefinition = {
  name: "JIM_KEYRING=native: jim loads the native store and it answers",
  fn: async () => {
    if (Deno.build.os !== "linux") {
      // macOS: the Keychain (CI makes a throwaway one the default); Windows: advapi32.
      assertAnswered(await disconnectProbe({}));
      return;
    }
    const session = await startKeyringSession();
    try {
      assertAnswered(await disconnectProbe(session.env));
    } finally {
      await session.close();
    }
  },
};

// Linux: the addon talks to the Secret Service, so the test needs a private gnome-keyring.
Deno.test(Deno.build.os === "linux" ? keyringTest(nativeStoreTest) : nativeStoreTest);
