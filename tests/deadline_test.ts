// The deadline helper every time-boxed wait in jim uses (lib/deadline.ts): it expires, it is
// cancelled, the work's own outcome wins when it comes first, and a deadline never keeps a
// process alive by itself unless it is asked to (startHeldDeadline).

import assert from "node:assert/strict";
import {
  type StartDeadline,
  startDeadline,
  startHeldDeadline,
  withDeadline,
} from "../lib/deadline.ts";
import { runGuarded } from "../fixtures/child_process.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A deadline never holds the process open, so something else must while a test waits on one. */
async function heldOpen(test: () => Promise<void>): Promise<void> {
  const keepAlive = setInterval(() => {}, 1_000);
  try {
    await test();
  } finally {
    clearInterval(keepAlive);
  }
}
const never = () => new Promise<never>(() => {});

Deno.test("a deadline fires once its time is up, and not at all once cancelled", async () => {
  const fired: string[] = [];
  startDeadline(20, () => fired.push("armed"));
  startDeadline(0, () => fired.push("zero"));
  startDeadline(-5, () => fired.push("negative"));
  startDeadline(20, () => fired.push("cancelled")).cancel();
  startDeadline(0, () => fired.push("zero, cancelled")).cancel();
  const held: string[] = [];
  startHeldDeadline(20, () => held.push("armed"));
  startHeldDeadline(20, () => held.push("cancelled")).cancel();
  await pause(200);
  assert.deepEqual(fired, ["zero", "negative", "armed"]);
  assert.deepEqual(held, ["armed"]);
});

Deno.test("withDeadline: work that ends in time settles as the work did, and the deadline is cancelled", async () => {
  let expired = 0;
  const onExpire = () => {
    expired++;
    return "late";
  };
  assert.equal(await withDeadline(Promise.resolve("on time"), 20, onExpire), "on time");
  await assert.rejects(
    withDeadline(Promise.reject(new Error("refused")), 20, onExpire),
    /^Error: refused$/,
  );
  await pause(100);
  assert.equal(expired, 0);
});

Deno.test("withDeadline: past the deadline it settles as onExpire does, returning or throwing", () =>
  heldOpen(async () => {
    assert.equal(await withDeadline(never(), 10, () => "running" as const), "running");
    await assert.rejects(
      withDeadline(never(), 10, () => {
        throw new Error("did not answer in time");
      }),
      /did not answer in time/,
    );
    // A zero deadline has passed already: work still pending loses at once.
    assert.equal(await withDeadline(never(), 0, () => "expired"), "expired");
    // Work that settles after the deadline changes nothing.
    let late!: (value: string) => void;
    const slow = new Promise<string>((resolve) => late = resolve);
    const outcome = withDeadline(slow, 10, () => "expired");
    await pause(50);
    late("too late");
    assert.equal(await outcome, "expired");
  }));

Deno.test("withDeadline: the deadline is started by the starter given, with the time given", async () => {
  const started: number[] = [];
  let expire = () => {};
  const start: StartDeadline = (ms, onExpire) => {
    started.push(ms);
    expire = onExpire;
    return { cancel: () => {} };
  };
  const outcome = withDeadline(never(), 300_000, () => "expired", start);
  assert.deepEqual(started, [300_000]);
  expire();
  assert.equal(await outcome, "expired");
});

/** Runs `body` (after importing lib/deadline.ts) in a fresh process that must exit 0: its stdout. */
async function inChild(body: string): Promise<string> {
  const source = `import { startDeadline, startHeldDeadline, withDeadline } from ${
    JSON.stringify(new URL("../lib/deadline.ts", import.meta.url).href)
  };\n${body}`;
  // A guard against a hang, not a timing assertion: every deadline below is ten minutes away.
  const out = await runGuarded([Deno.execPath(), "eval", "-q", "--ext=ts", source], {
    killAfterMs: 30_000,
  });
  assert.equal(out.code, 0, out.stderr);
  return out.stdout;
}

Deno.test("a pending deadline does not keep a process alive", async () => {
  const stdout = await inChild(
    `startDeadline(600_000, () => console.log("fired"));
     withDeadline(new Promise(() => {}), 600_000, () => console.log("expired"));
     console.log("done");`,
  );
  assert.equal(stdout, "done\n");
});

Deno.test("a held deadline keeps its process alive until it fires, and a cancelled one does not", async () => {
  const stdout = await inChild(
    `startHeldDeadline(600_000, () => console.log("cancelled, yet fired")).cancel();
     startHeldDeadline(20, () => console.log("fired"));
     console.log("done");`,
  );
  assert.equal(stdout, "done\nfired\n");
});
