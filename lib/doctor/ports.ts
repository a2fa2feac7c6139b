// Doctor's loopback-port check: browser sign-in listens on localhost:8400 (else the first free
// of 8401-8409). JIM's identity-provider registrations list 8400 only, so a busy 8400 is the
// usual reason a sign-in "never comes back". On Linux the holder is named when it is the user's.

import { commandRunner } from "../keyring/system_deps.ts";
import { type Check, fail, pass } from "./check.ts";

export const FIRST_PORT = 8400;
export const LAST_PORT = 8409;

export interface PortHolder {
  pid: number;
  name: string;
}

export async function checkPorts(platform: typeof Deno.build.os): Promise<Check> {
  const busy: number[] = [];
  for (let port = FIRST_PORT; port <= LAST_PORT; port++) {
    if (!canListen(port)) busy.push(port);
  }
  const range = `${FIRST_PORT}-${LAST_PORT}`;
  if (busy.length === 0) return pass("loopback ports", `${range} are free`);
  const holders = platform === "linux" ? await linuxHolders(busy) : new Map();
  const describe = (port: number) => {
    const holder = holders.get(port);
    return holder
      ? `${port} is held by your process ${holder.name} (pid ${holder.pid})`
      : `${port} is held by another user's process (or one jim may not inspect)`;
  };
  const detail = busy.map(describe).join("; ");
  if (!busy.includes(FIRST_PORT)) {
    return pass("loopback ports", `${FIRST_PORT} is free (${detail})`);
  }
  const free = LAST_PORT - FIRST_PORT + 1 - busy.length;
  const holder = holders.get(FIRST_PORT);
  return fail(
    "loopback ports",
    `${detail}${free > 0 ? `; ${free} of ${range} are free` : `; none of ${range} is free`}`,
    `${
      holder ? `stop ${holder.name} (kill ${holder.pid})` : `free port ${FIRST_PORT}`
    }: the identity provider's registration usually lists only http://localhost:${FIRST_PORT}/callback/; ` +
      "or sign in with --device-code, or --redirect-port N where the registration lists N",
  );
}

/** Whether the loopback sign-in listener could bind `port` (127.0.0.1, as connect does). */
function canListen(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Which of this user's processes listen on the ports, from `ss -ltnp` (iproute2): it names only
 * the processes the caller may inspect, which for a normal user are their own. (Deno refuses to
 * read /proc/net without full permissions, so jim asks the tool.)
 */
export async function linuxHolders(ports: number[]): Promise<Map<number, PortHolder>> {
  const holders = new Map<number, PortHolder>();
  const result = await commandRunner()("ss", ["-H", "-l", "-t", "-n", "-p"], {
    timeoutMs: SS_TIMEOUT_MS,
  });
  if (result.kind !== "exited" || result.code !== 0) return holders;
  for (const line of result.stdout.split("\n")) {
    // State Recv-Q Send-Q Local:Port Peer:Port users:(("name",pid=N,fd=M),...)
    const fields = line.trim().split(/\s+/);
    const port = Number(/:(\d+)$/.exec(fields[3] ?? "")?.[1]);
    if (!ports.includes(port) || holders.has(port)) continue;
    const user = /\("((?:[^"\\]|\\.)*)",pid=(\d+)/.exec(line);
    if (user) holders.set(port, { pid: Number(user[2]), name: printableName(user[1]) });
  }
  return holders;
}

const SS_TIMEOUT_MS = 3_000;

function printableName(name: string): string {
  return name.replace(/[^\x21-\x7e]/g, "?").slice(0, 40) || "a process";
}
