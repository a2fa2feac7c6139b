// The parts of the browser sign-in that decide what a jump-host user sees and what a pasted line
// may do: SSH detection and the forwarding command, pasted-address parsing, bounded line reading,
// file URLs of the forwarding page, durations, and Ctrl-C.

import assert from "node:assert/strict";
import { forwardingCommand, remoteSessionWithoutDisplay } from "../lib/auth/remote_session.ts";
import { boundedLines, parsePastedCallback } from "../lib/auth/paste_back.ts";
import { fileUrl } from "../lib/auth/browser_handoff.ts";
import { clockTimeUtc, duration, untilInterrupted } from "../lib/auth/waiting.ts";
import { describePortHolder } from "../lib/auth/port_holder.ts";
import { rejectsWith } from "./helpers/rejects_with.ts";

const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });

Deno.test("SSH without a display: detected from SSH_CONNECTION or SSH_TTY; a display wins on Linux only", () => {
  const ssh = { SSH_CONNECTION: "192.0.2.1 50000 192.0.2.9 22", USER: "alice" };
  assert.deepEqual(remoteSessionWithoutDisplay(env(ssh), "linux", "jump01"), {
    user: "alice",
    host: "jump01",
    sshPort: undefined,
  });
  assert.equal(
    remoteSessionWithoutDisplay(env({ ...ssh, DISPLAY: "localhost:10.0" }), "linux", "j"),
    null,
  );
  assert.equal(
    remoteSessionWithoutDisplay(env({ ...ssh, WAYLAND_DISPLAY: "wayland-0" }), "linux", "j"),
    null,
  );
  assert.ok(remoteSessionWithoutDisplay(env({ ...ssh, DISPLAY: ":0" }), "darwin", "mac"));
  assert.ok(remoteSessionWithoutDisplay(env({ SSH_TTY: "/dev/pts/1" }), "linux", "j"));
  assert.equal(remoteSessionWithoutDisplay(env({ USER: "alice" }), "linux", "j"), null);
  // No usable host name: the address the SSH client connected to, and its port when not 22.
  const bare = remoteSessionWithoutDisplay(
    env({ SSH_CONNECTION: "192.0.2.1 50000 192.0.2.9 2222", USER: "bob" }),
    "linux",
    "localhost",
  );
  assert.equal(forwardingCommand(bare, 8401), "ssh -p 2222 -L 8401:localhost:8401 bob@192.0.2.9");
  assert.equal(
    forwardingCommand(remoteSessionWithoutDisplay(env(ssh), "linux", "jump01"), 8400),
    "ssh -L 8400:localhost:8400 alice@jump01",
  );
  // Nothing odd from the environment reaches the printed command.
  const odd = remoteSessionWithoutDisplay(
    env({ SSH_TTY: "x", USER: "a;rm -rf ~" }),
    "linux",
    "h$(x)",
  );
  assert.equal(forwardingCommand(odd, 8400), "ssh -L 8400:localhost:8400 <this host>");
});

Deno.test("paste-back: a callback URL, its query with or without ?, else not a callback", () => {
  const full = parsePastedCallback("  http://localhost:8400/callback/?code=C&state=S&iss=I \r");
  assert.equal(full.kind, "params");
  if (full.kind === "params") assert.equal(full.params.get("iss"), "I");
  assert.equal(parsePastedCallback("?code=C&state=S").kind, "params");
  assert.equal(parsePastedCallback("error=access_denied&state=S").kind, "params");
  assert.equal(parsePastedCallback("").kind, "empty");
  for (
    const line of ["code=C", "hello", "http://localhost:8400/other?code=C&state=S", "http://["]
  ) {
    assert.equal(parsePastedCallback(line).kind, "not_callback", line);
  }
});

Deno.test("paste-back: lines are bounded; an overlong line is reported, not kept", async () => {
  const text = `short\n${"x".repeat(50)}\nafter\r\nlast`;
  const stream = new Blob([text]).stream();
  const lines: (string | null)[] = [];
  for await (const line of boundedLines(stream, new AbortController().signal, 20)) lines.push(line);
  assert.deepEqual(lines, ["short", null, "after", "last"]);
});

Deno.test("paste-back: aborting stops the reading and releases the stream", async () => {
  let pull = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull: () => {
      pull++;
      return new Promise(() => {}); // a terminal nobody types on
    },
  });
  const stop = new AbortController();
  const reading = (async () => {
    for await (const _ of boundedLines(stream, stop.signal)) { /* none */ }
  })();
  await new Promise((resolve) => setTimeout(resolve, 10));
  stop.abort();
  await reading;
  assert.ok(pull >= 1);
  assert.equal(stream.locked, false);
});

Deno.test("forwarding page: file URLs for POSIX and Windows paths", () => {
  assert.equal(
    fileUrl("/run/user/1000/jim/sign-in-a b.html"),
    "file:///run/user/1000/jim/sign-in-a%20b.html",
  );
  assert.equal(
    fileUrl("C:\\Users\\Ada\\AppData\\Local\\jim\\sign-in-x.html"),
    "file:///C:/Users/Ada/AppData/Local/jim/sign-in-x.html",
  );
});

Deno.test("waiting: durations and clock times", () => {
  assert.equal(duration(300), "5 minutes");
  assert.equal(duration(60), "1 minute");
  assert.equal(duration(90), "90 seconds");
  assert.equal(duration(1), "1 second");
  assert.equal(clockTimeUtc(Date.UTC(2026, 0, 1, 15, 42, 59)), "15:42 UTC");
});

Deno.test("waiting: Ctrl-C ends the wait with 'interrupted' and unsubscribes", async () => {
  let cancel: (() => void) | undefined;
  let unsubscribed = false;
  const never = new Promise<never>(() => {});
  const wait = untilInterrupted(never, (c) => {
    cancel = c;
    return () => unsubscribed = true;
  });
  cancel!();
  await rejectsWith(wait, "interrupted", "sign-in cancelled");
  assert.ok(unsubscribed);
  assert.equal(await untilInterrupted(Promise.resolve(7), undefined), 7);
});

Deno.test("port holder: ss and ps output name the holder; another user's socket by uid", async () => {
  const run = (answers: Record<string, string | undefined>) => (cmd: string) =>
    Promise.resolve(answers[cmd]);
  assert.equal(
    await describePortHolder(
      8400,
      "linux",
      run({
        ss: 'LISTEN 0 128 127.0.0.1:8400 0.0.0.0:* users:(("python3",pid=4242,fd=3)) ino:1 sk:2\n',
        ps: "python3 -m http.server 8400\n",
      }),
    ),
    "python3 (pid 4242)",
  );
  assert.equal(
    await describePortHolder(
      8400,
      "linux",
      run({ ss: "LISTEN 0 128 127.0.0.1:8400 0.0.0.0:* uid:64999 ino:1 sk:2\n" }),
    ),
    "a program of another user (uid 64999)",
  );
  assert.equal(await describePortHolder(8400, "linux", run({})), undefined);
  assert.equal(await describePortHolder(8400, "darwin", run({ ss: "x" })), undefined);
});
