// Connect's decisions, in process, one row each: reuse a live session, have the agent refresh it,
// reconnect silently from the stored refresh token (writing a rotated one back under the lock),
// fall back to the browser when the stored token is refused or cannot be used, and keep the
// sign-in in memory when the credential store is unavailable. Each row runs the real connect
// command against the fakes of tests/helpers/connect_world.ts and asserts what the user sees
// (the printed result or the error and its exit code, the lines on stderr) and what the command
// left behind: the store's entries, the session handed to the agent, the order of every effect.
// The subprocess tests (cli_sso_test.ts, cli_refresh_test.ts, cli_persist_test.ts) cover the
// same ground against gnome-keyring, oidc-provider and a real agent.

import assert from "node:assert/strict";
import { parse as parseConnect, run as runConnect } from "../lib/cli/commands/connect.ts";
import { parseInvocation } from "../lib/cli/parse.ts";
import { describeError, exitCodeFor } from "../lib/errors.ts";
import type { OAuthSession } from "../lib/session/protocol.ts";
import {
  connectWorld,
  IDP_URL,
  JIM_URL,
  NOW,
  type StoreSetup,
  type WorldSetup,
} from "./helpers/connect_world.ts";

const KEY = `${JIM_URL}:443`;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (ms: number) => new Date(NOW + ms).toISOString();

const tokens = (body: Record<string, unknown>) => () =>
  Response.json({ token_type: "Bearer", expires_in: 3600, ...body });
const refused = () => Response.json({ error: "invalid_grant" }, { status: 400 });

/** The OAuth part of the session the agent is handed: one hour from the shared clock. */
const session = (accessToken: string, refreshToken: string, persist: boolean) => ({
  accessToken,
  refreshToken,
  expiresAt: NOW + HOUR,
  issuedAt: NOW,
  persist,
});
const renewed = (refreshToken: string, { persist }: { persist: boolean }) =>
  session("AT-renewed", refreshToken, persist);
const fromBrowser = ({ persist }: { persist: boolean }) =>
  session("AT-browser", "RT-browser", persist);

const BROWSER_LINES = [
  "Opening your browser to sign in to JIM...",
  "If it does not open, visit: <authorization URL>",
  "Waiting up to 5 minutes for the sign-in in the browser; Ctrl-C to cancel.",
];
const CACHED_LINE = "Connected to JIM using cached credentials";
/** What the agent saw before the sign-in when it holds no session for the instance. */
const NO_SESSION = ["agent status", "agent status"];
const ADOPT = ["agent hello", "agent adopt"];
const SILENT = (token: string) => [`lock ${KEY}`, "store get", `idp refresh_token ${token}`];
const UNLOCK = `unlock ${KEY}`;
const BROWSER = ["browser", "idp authorization_code"];

interface Row {
  name: string;
  flags?: string[];
  setup: WorldSetup;
  /** The object connect prints (--json), or the error it ends with. */
  result?: { Status: string; ExpiresAt: string };
  error?: { message: string; exit: number };
  err: string[];
  events: string[];
  stored: Record<string, string> | null;
  /** The OAuth part of the session handed to the agent; undefined when none was. */
  adopted?: Omit<OAuthSession, "context">;
}

const store = (
  entries: Record<string, string>,
  fails: { getFails?: string; setFails?: string } = {},
): StoreSetup => ({ entries, ...fails });

const ROWS: Row[] = [
  {
    name: "a live session with more than 5 minutes left is reused: no sign-in, the store untouched",
    setup: {
      session: { expiresInMs: 30 * MINUTE, credentialsWork: true },
      store: store({ [KEY]: "RT-1" }),
    },
    result: { Status: "Connected (cached)", ExpiresAt: at(30 * MINUTE) },
    err: ["Already connected to JIM; use --force to sign in again"],
    events: ["agent status", "agent batch", "agent select"],
    stored: { [KEY]: "RT-1" },
  },
  {
    name: "a session with 5 minutes or less left is refreshed in place by the agent",
    setup: {
      session: { expiresInMs: 2 * MINUTE, credentialsWork: true, refresh: "renews" },
      store: store({ [KEY]: "RT-1" }),
    },
    result: { Status: "Connected (refreshed)", ExpiresAt: at(HOUR) },
    err: ["Renewed the current session's access token; use --force to sign in again"],
    events: ["agent status", "agent status", "agent refresh", "agent batch", "agent select"],
    stored: { [KEY]: "RT-1" },
  },
  {
    name:
      "silent reconnect: the stored refresh token is redeemed under the instance lock, no browser",
    setup: {
      store: store({ [KEY]: "RT-1" }),
      refreshGrant: tokens({ access_token: "AT-renewed" }),
    },
    result: { Status: "Connected (cached)", ExpiresAt: at(HOUR) },
    err: [CACHED_LINE],
    events: [...NO_SESSION, "store open", ...SILENT("RT-1"), UNLOCK, ...ADOPT],
    stored: { [KEY]: "RT-1" },
    adopted: renewed("RT-1", { persist: true }),
  },
  {
    name: "a live session whose credentials no longer pass is not reused: silent reconnect",
    setup: {
      session: { expiresInMs: 30 * MINUTE, credentialsWork: false },
      store: store({ [KEY]: "RT-1" }),
      refreshGrant: tokens({ access_token: "AT-renewed" }),
    },
    result: { Status: "Connected (cached)", ExpiresAt: at(HOUR) },
    err: [CACHED_LINE],
    events: [
      "agent status",
      "agent batch",
      "agent status",
      "store open",
      ...SILENT("RT-1"),
      UNLOCK,
      ...ADOPT,
    ],
    stored: { [KEY]: "RT-1" },
    adopted: renewed("RT-1", { persist: true }),
  },
  {
    name:
      "rotation: the new refresh token is written back inside the lock, before the agent has it",
    setup: {
      store: store({ [KEY]: "RT-1" }),
      refreshGrant: tokens({ access_token: "AT-renewed", refresh_token: "RT-2" }),
    },
    result: { Status: "Connected (cached)", ExpiresAt: at(HOUR) },
    err: [CACHED_LINE],
    events: [...NO_SESSION, "store open", ...SILENT("RT-1"), "store set RT-2", UNLOCK, ...ADOPT],
    stored: { [KEY]: "RT-2" },
    adopted: renewed("RT-2", { persist: true }),
  },
  {
    name:
      "rotation the store cannot save: a notice, and the agent keeps the new token in memory only",
    setup: {
      store: store({ [KEY]: "RT-1" }, { setFails: "the collection is locked" }),
      refreshGrant: tokens({ access_token: "AT-renewed", refresh_token: "RT-2" }),
    },
    result: { Status: "Connected (cached)", ExpiresAt: at(HOUR) },
    err: [
      "Notice: the renewed sign-in could not be saved to the credential store (the collection is locked); it is kept in memory only.",
      CACHED_LINE,
    ],
    events: [...NO_SESSION, "store open", ...SILENT("RT-1"), "store set RT-2", UNLOCK, ...ADOPT],
    stored: { [KEY]: "RT-1" },
    adopted: renewed("RT-2", { persist: false }),
  },
  {
    name: "a refused stored token is deleted and the browser signs in; its refresh token is stored",
    setup: { store: store({ [KEY]: "RT-dead" }), refreshGrant: refused, browser: "signs in" },
    result: { Status: "healthy", ExpiresAt: at(HOUR) },
    err: [
      "Notice: the stored sign-in was rejected by the identity provider; signing in again.",
      ...BROWSER_LINES,
    ],
    events: [
      ...NO_SESSION,
      "store open",
      ...SILENT("RT-dead"),
      "store delete",
      UNLOCK,
      ...BROWSER,
      "store set RT-browser",
      ...ADOPT,
    ],
    stored: { [KEY]: "RT-browser" },
    adopted: fromBrowser({ persist: true }),
  },
  {
    name:
      "a refused stored token, then a refused browser sign-in: a clear error (exit 1), no session",
    setup: { store: store({ [KEY]: "RT-dead" }), refreshGrant: refused, browser: "refuses" },
    error: { message: "sign-in was refused by the identity provider: access_denied", exit: 1 },
    err: [
      "Notice: the stored sign-in was rejected by the identity provider; signing in again.",
      ...BROWSER_LINES,
    ],
    events: [...NO_SESSION, "store open", ...SILENT("RT-dead"), "store delete", UNLOCK, "browser"],
    stored: {},
  },
  {
    name: "a provider that is down (503) refuses nothing: the stored token is not deleted",
    setup: {
      store: store({ [KEY]: "RT-1" }),
      refreshGrant: () => new Response("down for maintenance", { status: 503 }),
      browser: "signs in",
    },
    result: { Status: "healthy", ExpiresAt: at(HOUR) },
    err: [
      "Notice: the stored sign-in could not be used just now (refreshing the sign-in failed: the identity provider answered HTTP 503); signing in again.",
      ...BROWSER_LINES,
    ],
    events: [
      ...NO_SESSION,
      "store open",
      ...SILENT("RT-1"),
      UNLOCK,
      ...BROWSER,
      "store set RT-browser",
      ...ADOPT,
    ],
    stored: { [KEY]: "RT-browser" },
    adopted: fromBrowser({ persist: true }),
  },
  {
    name: "a stored sign-in that cannot be read: a notice and the browser; the new token is stored",
    setup: { store: store({}, { getFails: "secret-tool timed out" }), browser: "signs in" },
    result: { Status: "healthy", ExpiresAt: at(HOUR) },
    err: [
      "Notice: could not read the stored sign-in (secret-tool timed out); signing in again.",
      ...BROWSER_LINES,
    ],
    events: [
      ...NO_SESSION,
      "store open",
      `lock ${KEY}`,
      "store get",
      UNLOCK,
      ...BROWSER,
      "store set RT-browser",
      ...ADOPT,
    ],
    stored: { [KEY]: "RT-browser" },
    adopted: fromBrowser({ persist: true }),
  },
  {
    name: "store unavailable: a notice that the sign-in lives in memory only; nothing is stored",
    setup: { store: { unavailable: "secret-tool is not installed" }, browser: "signs in" },
    result: { Status: "healthy", ExpiresAt: at(HOUR) },
    err: [
      "Notice: the OS credential store is unavailable (secret-tool is not installed); this sign-in is kept in memory only, in the session agent: it lasts until jim disconnect, the end of this login, or 8 hours without a command, and then you sign in again. Use an API key for unattended use.",
      ...BROWSER_LINES,
    ],
    events: [...NO_SESSION, "store open", ...BROWSER, ...ADOPT],
    stored: null,
    adopted: fromBrowser({ persist: false }),
  },
  {
    name: "a store turned off (JIM_KEYRING=none): no notice, the sign-in lives in memory only",
    setup: { store: "disabled", browser: "signs in" },
    result: { Status: "healthy", ExpiresAt: at(HOUR) },
    err: BROWSER_LINES,
    events: [...NO_SESSION, "store open", ...BROWSER, ...ADOPT],
    stored: null,
    adopted: fromBrowser({ persist: false }),
  },
  {
    name: "--force: neither the live session nor the stored token is used; the browser signs in",
    flags: ["--force"],
    setup: {
      session: { expiresInMs: 30 * MINUTE, credentialsWork: true },
      store: store({ [KEY]: "RT-1" }),
      browser: "signs in",
    },
    result: { Status: "healthy", ExpiresAt: at(HOUR) },
    err: BROWSER_LINES,
    events: ["store open", ...BROWSER, "store set RT-browser", ...ADOPT],
    stored: { [KEY]: "RT-browser" },
    adopted: fromBrowser({ persist: true }),
  },
  {
    name: "--no-persist: the store is neither opened nor changed; the sign-in lives in memory only",
    flags: ["--no-persist"],
    setup: { store: store({ [KEY]: "RT-1" }), browser: "signs in" },
    result: { Status: "healthy", ExpiresAt: at(HOUR) },
    err: BROWSER_LINES,
    events: [...NO_SESSION, ...BROWSER, ...ADOPT],
    stored: { [KEY]: "RT-1" },
    adopted: fromBrowser({ persist: false }),
  },
];

for (const row of ROWS) {
  Deno.test(`connect: ${row.name}`, async () => {
    const world = connectWorld(row.setup);
    const invocation = parseInvocation(["connect", JIM_URL, "--json", ...(row.flags ?? [])]);
    if (invocation.kind !== "command") throw new Error(`parsed as ${invocation.kind}`);
    let exit: number;
    let failure: string | undefined;
    try {
      exit = await runConnect(parseConnect(invocation.command, world.deps.env), world.deps);
    } catch (error) {
      exit = exitCodeFor(error);
      failure = describeError(error);
    } finally {
      await world.settled();
    }

    if (row.error) {
      assert.equal(failure, row.error.message);
      assert.equal(exit, row.error.exit);
      assert.deepEqual(world.out, []);
    } else {
      assert.equal(failure, undefined);
      assert.equal(exit, 0);
      assert.deepEqual(JSON.parse(world.out.join("")), {
        Url: JIM_URL,
        AuthMethod: "OAuth",
        Connected: true,
        ServerVersion: "0.9.1",
        ExpiresAt: row.result!.ExpiresAt,
        Authorised: true,
        Status: row.result!.Status,
        ApiKey: null,
      });
    }
    assert.deepEqual(world.err.map(generalised), row.err);
    assert.deepEqual(world.events, row.events);
    assert.deepEqual(world.stored(), row.stored);
    assert.deepEqual(
      world.adopted.map(({ oauth }) => {
        const { context: _, ...rest } = oauth!;
        return rest;
      }),
      row.adopted ? [row.adopted] : [],
    );
    // No token, stored or issued, on any stream.
    for (const line of [...world.out, ...world.err]) assert.doesNotMatch(line, /\b(AT|RT)-/);
  });
}

/** The authorization URL, whose state and challenge are random. */
function generalised(line: string): string {
  return line.replace(new RegExp(`${IDP_URL}/authorize\\?\\S+`), "<authorization URL>");
}
