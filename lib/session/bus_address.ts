// The D-Bus session address a command hands the agent, so the agent can write rotated refresh
// tokens through a bus that works now (the one of the shell that started it may be gone). Not a
// secret, but it names where secret-tool connects, so only local socket forms are taken.

import type { Env } from "../env.ts";

const MAX_BUS_ADDRESS_LENGTH = 256;
// unix:path=/run/user/1000/bus  /  unix:abstract=/tmp/dbus-XXXX,guid=<32 hex>
const BUS_ADDRESS = /^unix:(?:path|abstract)=[A-Za-z0-9/._%+-]+(?:,guid=[0-9a-fA-F]{32})?$/;

export function isBusAddress(value: unknown): value is string {
  return typeof value === "string" && value.length <= MAX_BUS_ADDRESS_LENGTH &&
    BUS_ADDRESS.test(value);
}

/**
 * Whether a remembered bus may still be used for a secret: a socket path must exist, be a socket
 * and be this user's (an ended session's path in /tmp could since have been bound by another
 * user's fake Secret Service); an abstract name has no owner to check, so it is used only with
 * the server's guid, which D-Bus clients verify on connecting.
 */
export function busIsOwn(address: string): boolean {
  const path = /^unix:path=([^,]+)/.exec(address)?.[1];
  if (path === undefined) return /,guid=[0-9a-fA-F]{32}$/.test(address);
  try {
    const info = Deno.lstatSync(decodeURIComponent(path));
    const uid = Deno.uid();
    return info.isSocket === true && (uid === null || info.uid === uid);
  } catch {
    return false;
  }
}

/** The command's session bus address, when it is one the agent would accept. */
export function commandBusAddress(
  env: Env,
): string | undefined {
  const value = env.get("DBUS_SESSION_BUS_ADDRESS");
  return isBusAddress(value) ? value : undefined;
}
