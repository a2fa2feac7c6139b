// The dependencies object a command receives: built once per command from this process
// (buildDeps in lib/cli/run.ts) and passed down, so that a test can build the same object from
// fakes and run the command in process (tests/connect_decisions_test.ts does, for connect).
//
// What goes through it: the streams (io), the environment, the clock, HTTP (to JIM and to the
// identity provider), the session agent and its start, and, for connect, the credential store,
// the per-instance lock, the browser, the terminal's Ctrl-C and the waits of a device-code
// sign-in. What does not: the browser sign-in's loopback listener (a real port on this machine,
// which a test's scripted browser calls), its time limit and its forwarding page (written into
// handoffDir); the pause while an old agent stops (adopt.ts); disconnect's credential store,
// which it opens itself (lib/session/stored_sign_in.ts); doctor's probes of the real machine,
// which are its purpose.
//
// It lives with the commands because it names their streams (Io) and the commands' runner builds
// it. The session layer declares the part it reads (SessionDeps, lib/session/session_deps.ts) and
// this object extends it, so imports run downward: lib/cli → lib/session → lower layers.

import type { Io } from "./io.ts";
import type { SessionDeps } from "../session/session_deps.ts";
import type { usableKeyring } from "../session/stored_sign_in.ts";
import type { OpenResult } from "../auth/browser_opener.ts";
import type { OnInterrupt } from "../auth/waiting.ts";

export interface Deps extends SessionDeps {
  io: Io;
  /** Epoch ms: connect's reuse decisions, the expiry of signed-in and refreshed tokens. */
  now(): number;
  /** Reads a file as text, refusing one larger than `limit` bytes. */
  readFile(path: string, limit: number): Promise<string>;
  /** The PEM CA from --ca-cert / JIM_CA_CERT, handed to the agent with the session. */
  caCertPem(): Promise<string | undefined>;
  /**
   * The OS credential store that keeps refresh tokens, probed: null with the reason when it is
   * missing, locked, hung, or turned off (JIM_KEYRING=none).
   */
  credentialStore(): ReturnType<typeof usableKeyring>;
  /** Runs `fn` holding this user's lock on the instance, across processes (instance_lock.ts). */
  withInstanceLock<T>(instanceKey: string, fn: () => Promise<T>): Promise<T>;
  /** Starts the user's browser at `url`; returns once it started or failed, not when it closes. */
  openBrowser(url: string): Promise<OpenResult>;
  /**
   * A directory private to the user for the browser's one-time forwarding page
   * (browser_handoff.ts); undefined hands openBrowser the authorization URL itself, which only
   * a browser inside this process may receive.
   */
  handoffDir(): Promise<string | undefined>;
  /** Names the program holding a loopback port, when it can (port_holder.ts). */
  describePortHolder(port: number): Promise<string | undefined>;
  /** This machine's name, for the SSH forwarding advice; undefined when it cannot be read. */
  hostName(): string | undefined;
  /** Subscribes to Ctrl-C for the length of a sign-in's wait. */
  onInterrupt: OnInterrupt;
  /** Waits between a device-code sign-in's polls. */
  sleep(ms: number): Promise<void>;
}
