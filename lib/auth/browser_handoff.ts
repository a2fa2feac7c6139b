// How the browser learns where to sign in without the authorization URL on any command line.
//
// A browser opener (xdg-open, open, rundll32, $BROWSER) receives its URL as an argument, and every
// local user can read every process's arguments (/proc/<pid>/cmdline on Linux, `ps` on macOS).
// An authorization URL there hands its `state` to another user, who signs in at the provider
// with their own account and delivers that code to our listener: login CSRF, the victim signed
// in as the attacker. So the opener gets a file:// URL instead, naming a page in the user's
// private session directory (0700 directory, 0600 file, created exclusively) that forwards the
// browser to a one-time /start address on the listener, which forwards to the provider. Another
// user sees only the file's name and cannot read it.
//
// Why not a one-time start URL on the command line, bound to the first browser by a cookie the
// callback requires: whatever is on the command line an attacker can visit first. They watch
// for the opener, visit the start URL before the victim's browser has even started (a browser
// takes a second or more, a poll of /proc a millisecond), and complete the sign-in with their
// own account at once; the victim's browser then fails, but the terminal is already signed in
// as the attacker. The cookie would also refuse the printed URL and a pasted address, which
// reach jim from no cookie-carrying browser. A private file holds on Linux and macOS (the
// directory's mode) and on Windows (the profile directory's ACL). Where the browser cannot read
// the file (a snap-confined browser does not see the runtime directory), it shows an error and
// the user opens the URL jim printed on stderr, which other users cannot read.
//
// The file holds only the start address, not the state; the listener deletes it at the first
// visit, and the flow deletes it when it ends.

import { JimError } from "../errors.ts";
import { escapeHtml } from "./loopback_server.ts";

export interface Handoff {
  /** The file:// URL for the opener's command line. */
  readonly url: string;
  /** Deletes the page; safe to call more than once. */
  remove(): void;
}

/** Writes the forwarding page for `startUrl` into `dir` (a private directory the caller checked). */
export function writeHandoffPage(dir: string, startUrl: string): Handoff {
  const name = `sign-in-${crypto.randomUUID()}.html`;
  const path = `${dir.replace(/[\\/]+$/, "")}/${name}`;
  try {
    Deno.writeTextFileSync(path, forwardingPage(startUrl), { createNew: true, mode: 0o600 });
  } catch (error) {
    throw new JimError(
      "failed",
      `cannot write the sign-in page in ${dir}: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
  let removed = false;
  return {
    url: fileUrl(path),
    remove() {
      if (removed) return;
      removed = true;
      try {
        Deno.removeSync(path);
      } catch {
        // already gone
      }
    },
  };
}

/** The page: a meta refresh for browsers, a link for text browsers that ask first. */
export function forwardingPage(startUrl: string): string {
  const href = escapeHtml(startUrl);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=${href}">
<title>Signing in to JIM</title></head>
<body><p>Continuing to your identity provider... <a href="${href}">Continue</a></p></body></html>
`;
}

/** file:// URL of an absolute path (POSIX, or Windows with a drive letter). */
export function fileUrl(path: string): string {
  const slashed = path.replace(/\\/g, "/");
  const rooted = /^[A-Za-z]:\//.test(slashed) ? `/${slashed}` : slashed;
  return `file://${
    rooted.split("/").map((part) => encodeURIComponent(part)).join("/")
      .replace(/^\/([A-Za-z])%3A\//, "/$1:/")
  }`;
}
