// Who holds a loopback port jim wanted for the sign-in redirect, so the line saying it was busy
// can name the program ("another jim sign-in (pid 1234)") when it is the user's own. Linux only:
// /proc/net/tcp{,6} gives a listening socket's owner uid and inode, and /proc/<pid>/fd links
// name the socket as socket:[inode] for the processes the user may inspect (their own).
// Elsewhere, or when anything cannot be read, the answer is undefined and the line names no one.

import { printable } from "./safe_text.ts";

const LISTEN = "0A";
const MAX_PROCESSES = 10_000;

export function describePortHolder(port: number, platform: string): string | undefined {
  if (platform !== "linux") return undefined;
  try {
    const socket = listeningSocket(port);
    if (!socket) return undefined;
    const me = Deno.uid();
    if (me !== null && socket.uid !== me) return `a program of another user (uid ${socket.uid})`;
    const pid = processWithSocket(socket.inode);
    if (pid === undefined) return undefined;
    return `${programName(pid)} (pid ${pid})`;
  } catch {
    return undefined;
  }
}

interface ListeningSocket {
  uid: number;
  inode: string;
}

function listeningSocket(port: number): ListeningSocket | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== LISTEN) continue;
      if (!fields[1].endsWith(`:${hexPort}`)) continue;
      return { uid: Number(fields[7]), inode: fields[9] };
    }
  }
  return undefined;
}

function processWithSocket(inode: string): number | undefined {
  const target = `socket:[${inode}]`;
  let seen = 0;
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name) || ++seen > MAX_PROCESSES) continue;
    let fds: Iterable<Deno.DirEntry>;
    try {
      fds = Deno.readDirSync(`/proc/${entry.name}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    try {
      for (const fd of fds) {
        if (Deno.readLinkSync(`/proc/${entry.name}/fd/${fd.name}`) === target) {
          return Number(entry.name);
        }
      }
    } catch {
      continue;
    }
  }
  return undefined;
}

function commandLine(pid: number | "self"): string[] {
  return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter((arg, i, all) =>
    arg !== "" || i < all.length - 1
  );
}

/** "another jim sign-in" when the holder runs jim as this process does, else its program. */
function programName(pid: number): string {
  const theirs = commandLine(pid);
  try {
    const mine = commandLine("self");
    const launcher = mine.slice(0, mine.length - Deno.args.length);
    if (launcher.length > 0 && launcher.every((arg, i) => theirs[i] === arg)) {
      const command = theirs[launcher.length] ?? "";
      return /^(connect|connect-jim)$/i.test(command) ? "another jim sign-in" : "jim";
    }
  } catch {
    // fall back to the program's name
  }
  const program = (theirs[0] ?? "").split("/").pop() || "a program";
  return printable(program, 60);
}
