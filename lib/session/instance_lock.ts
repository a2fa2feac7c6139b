// A per-instance lock across processes, so two `jim connect`s never redeem the same stored
// refresh token at once (with rotation, the loser would get the whole token family revoked).
// The lock file holds nothing; it lives beside the agent socket, in the private directory.

import { ensurePrivateDir } from "./socket_path.ts";

export async function withInstanceLock<T>(
  dir: string,
  uid: number | null,
  key: string,
  fn: () => Promise<T>,
): Promise<T> {
  await ensurePrivateDir(dir, uid);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  const name = Array.from(
    new Uint8Array(digest).slice(0, 8),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
  const file = await Deno.open(`${dir}/connect-${name}.lock`, {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
  try {
    await file.lock(true);
    return await fn();
  } finally {
    file.close();
  }
}
