// Doctor's loopback-port check: browser sign-in listens on localhost:8400 (else the first free
// of 8401-8409). JIM's identity-provider registrations list 8400 only, so a busy 8400 is the
// usual reason a sign-in "never comes back". On Linux the holder is named when it is the user's.

import { findPortHolder } from "../auth/port_holder.ts";
import { DEFAULT_REDIRECT_PORTS, redirectPortBusy } from "../auth/loopback_server.ts";
import { type Check, fail, pass } from "./check.ts";

export const FIRST_PORT = DEFAULT_REDIRECT_PORTS[0];
export const LAST_PORT = DEFAULT_REDIRECT_PORTS[DEFAULT_REDIRECT_PORTS.length - 1];

export interface PortHolder {
  pid: number;
  name: string;
}

export async function checkPorts(platform: typeof Deno.build.os): Promise<Check> {
  const busy: number[] = [];
  for (const port of DEFAULT_REDIRECT_PORTS) {
    if (redirectPortBusy(port)) busy.push(port);
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

/** The user's own processes that listen on the ports (the sign-in's own lookup, per port). */
async function linuxHolders(ports: number[]): Promise<Map<number, PortHolder>> {
  const holders = new Map<number, PortHolder>();
  for (const port of ports) {
    const holder = await findPortHolder(port, "linux");
    if (holder?.kind === "own") holders.set(port, { pid: holder.pid, name: holder.name });
  }
  return holders;
}
