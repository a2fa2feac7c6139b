// Raw exchanges with a session agent, for tests that send what jim itself never would
// (malformed, unauthenticated, oversized or bare protocol messages). Bounded in time: an agent
// that stays silent fails the test instead of hanging the suite.

import { createHmac, randomBytes } from "node:crypto";
import { PROTOCOL_VERSION } from "../../lib/session/protocol.ts";

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

/**
 * The loopback transport's handshake, written out here apart from lib/ so the tests check the
 * wire itself: hello with the client's nonce; the agent's nonce and its proof; the client's
 * proof (computed from `secret`, right or wrong); then `message`. Returns the agent's answer to
 * the hello and everything it writes after the client's proof.
 */
export async function tcpExchange(
  port: number,
  secret: string,
  message: string,
  timeoutMs = 10_000,
): Promise<{ hello: Record<string, unknown>; answer: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    const clientNonce = randomBytes(32).toString("hex");
    await conn.write(
      new TextEncoder().encode(`{"v":${PROTOCOL_VERSION},"op":"hello","nonce":"${clientNonce}"}\n`),
    );
    const buffer = new Uint8Array(65536);
    let text = "";
    while (!text.includes("\n")) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const hello = JSON.parse(text.slice(0, text.indexOf("\n")));
    const agentNonce = String(hello.result?.nonce);
    const proof = hmac(secret, `jim-client-proof:${clientNonce}:${agentNonce}`);
    await conn.write(
      new TextEncoder().encode(
        `{"v":${PROTOCOL_VERSION},"op":"auth","proof":"${proof}"}\n${message}`,
      ),
    );
    const chunks: string[] = [];
    for (let n; (n = await conn.read(buffer).catch(() => null)) !== null;) {
      chunks.push(new TextDecoder().decode(buffer.subarray(0, n)));
    }
    return { hello, answer: chunks.join("") };
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
}

/** What a genuine agent's proof for these nonces is (to check one, and to fake one badly). */
export function agentProofFor(secret: string, clientNonce: string, agentNonce: string): string {
  return hmac(secret, `jim-agent-proof:${clientNonce}:${agentNonce}`);
}

function hmac(key: string, text: string): string {
  return createHmac("sha256", key).update(text).digest("hex");
}
