// Where the agent's socket goes without XDG_RUNTIME_DIR: not a fixed name in the shared temporary
// directory, which another user could create first and so lock jim out for good, but under the
// home directory, where no other user can create anything.

import assert from "node:assert/strict";
import { assertClean, TEST_KEY, withCli } from "./helpers/cli_fixture.ts";
import { otherUserTest, withOtherUser } from "./helpers/other_user.ts";

Deno.test(otherUserTest({
  name:
    "without XDG_RUNTIME_DIR, a jim-<uid> directory another user made in TMPDIR does not stop " +
    "connect: the socket goes to ~/.cache/jim, 0700",
  fn: () =>
    withOtherUser(async (user) => {
      await withCli(async ({ server, env, jim }) => {
        const noRuntime = { env: { XDG_RUNTIME_DIR: "" } };
        // The old fallback, taken first by the other user.
        const squatted = `${env.vars.TMPDIR}/jim-${Deno.uid()}`;
        await Deno.mkdir(squatted, { mode: 0o700 });
        await Deno.chown(squatted, user.uid, user.gid);
        try {
          const connected = await jim(["connect", server.url, "--api-key-stdin"], {
            ...noRuntime,
            stdin: TEST_KEY,
          });
          assertClean(connected);
          assert.equal(connected.code, 0, connected.stderr);
          const dir = `${env.vars.HOME}/.cache/jim`;
          const info = await Deno.lstat(dir);
          assert.ok(info.isDirectory);
          assert.equal(info.uid, Deno.uid());
          assert.equal(info.mode! & 0o777, 0o700);
          assert.ok((await Deno.lstat(`${dir}/agent.sock`)).isSocket);
          const who = await jim(["whoami", "--json"], noRuntime);
          assertClean(who);
          assert.equal(JSON.parse(who.stdout).Name, "ci-key");
        } finally {
          await jim(["disconnect"], noRuntime);
        }
      });
    }),
}));
