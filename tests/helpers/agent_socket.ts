// Raw exchanges with a session agent, for tests that send what jim itself never would
// (malformed, unauthenticated, oversized or bare protocol messages). Bounded in time: an agent
// that stays silent fails the test instead of hanging the suite.

/** The agent's Unix socket, or (the Windows transport) its loopback port. */
export type AgentAddress = { path: string } | { port: number };

/** Sends `payload` and returns everything the agent writes back before it hangs up. */
export async function rawExchange(
  address: AgentAddress,
  payload: Uint8Array | string,
  timeoutMs = 10_000,
): Promise<string> {
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  const conn = "path" in address
    ? await Deno.connect({ transport: "unix", path: address.path })
    : await Deno.connect({ hostname: "127.0.0.1", port: address.port });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, timeoutMs);
  try {
    // Write in pieces: a huge message may be answered (and the socket closed) before it lands.
    for (let offset = 0; offset < bytes.length; offset += 65536) {
      try {
        await conn.write(bytes.subarray(offset, offset + 65536));
      } catch {
        break;
      }
    }
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(65536);
    for (let n; (n = await conn.read(buffer).catch(() => null)) !== null;) {
      chunks.push(buffer.slice(0, n));
    }
    if (timedOut) throw new Error(`the agent did not finish answering within ${timeoutMs} ms`);
    const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    let offset = 0;
    for (const chunk of chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    return new TextDecoder().decode(all);
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
}
