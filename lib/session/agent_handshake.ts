// The loopback transport's mutual challenge–response. Any local user can connect to a 127.0.0.1
// port, and after an agent dies another user's program may hold its port, so each side proves it
// holds the per-start secret from the private port file, and the secret itself never crosses the
// socket:
//
//   client → agent  {"v":3,"op":"hello","nonce":Nc}
//   agent → client  {"v":3,"ok":true,"result":{"nonce":Na,"proof":HMAC(secret, agent:Nc:Na)}}
//   client → agent  {"v":3,"op":"auth","proof":HMAC(secret, client:Nc:Na)}, then the request
//
// The client sends nothing secret before the agent's proof checks out; an endpoint that cannot
// prove itself is no agent at all. The labels keep one side's proof from serving as the other's,
// and each side's fresh nonce keeps an old proof from being replayed. HMAC-SHA256 through
// WebCrypto, whose verify compares in constant time (node:crypto would cost every command
// ~20 ms of start-up to load).

import { JimError } from "../errors.ts";
import { encodeLine, FrameTooLarge, type LineReader, readLine, writeBytes } from "./framing.ts";
import { okResponse, PROTOCOL_VERSION } from "./protocol.ts";
import { startDeadline } from "../deadline.ts";

/** The largest handshake frame either side reads: a few hundred bytes, nothing to buffer. */
export const HANDSHAKE_FRAME_BYTES = 512;

const NONCE = /^[0-9a-f]{64}$/;

/** What a failed hello found: nothing that proves itself, or an agent too busy to try. */
export type HandshakeOutcome = "proved" | "unproved" | "busy";

/** The answer the agent gives when more connections than it admits wait to prove themselves. */
export const BUSY_MESSAGE = "bad agent request: too many connections waiting";

/** The client's side: "proved" once the agent has proved itself and the client's proof is sent. */
export async function proveAgent(
  conn: Deno.Conn,
  secret: string,
  ms: number,
): Promise<HandshakeOutcome> {
  // A listener that accepts and never answers is not an agent either: give up at the deadline.
  const deadline = startDeadline(ms, () => {
    try {
      conn.close();
    } catch { /* already closed */ }
  });
  try {
    const clientNonce = newNonce();
    await writeBytes(conn, encodeLine({ v: PROTOCOL_VERSION, op: "hello", nonce: clientNonce }));
    const line = await readLine(conn, HANDSHAKE_FRAME_BYTES);
    if (line !== null && isBusy(line)) return "busy";
    const agentNonce = line === null ? null : await checkChallenge(line, secret, clientNonce);
    if (agentNonce === null) return "unproved";
    const proof = await sign(secret, "client", clientNonce, agentNonce);
    await writeBytes(conn, encodeLine({ v: PROTOCOL_VERSION, op: "auth", proof }));
    return "proved";
  } catch (error) {
    if (error instanceof FrameTooLarge || error instanceof Deno.errors.BadResource) {
      return "unproved";
    }
    if (error instanceof Deno.errors.Interrupted) return "unproved";
    throw error;
  } finally {
    deadline.cancel();
  }
}

/**
 * Whether the answer is the agent's "too many waiting" refusal. Anyone can send it, so it proves
 * nothing: the client only waits and tries again, and sends nothing secret.
 */
function isBusy(line: string): boolean {
  try {
    const value = JSON.parse(line) as { ok?: unknown; error?: { message?: unknown } } | null;
    return value?.ok === false && value.error?.message === BUSY_MESSAGE;
  } catch {
    return false;
  }
}

/** The agent's nonce, if the answer to our hello proves the agent holds the secret. */
async function checkChallenge(
  line: string,
  secret: string,
  clientNonce: string,
): Promise<string | null> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const result = (value as { ok?: unknown; result?: Record<string, unknown> } | null)?.result;
  const { nonce, proof } = result ?? {};
  if (typeof nonce !== "string" || !NONCE.test(nonce) || typeof proof !== "string") return null;
  return await verify(secret, "agent", clientNonce, nonce, proof) ? nonce : null;
}

/**
 * The agent's side, on a connection whose first bytes have not been read: answers the hello
 * with its proof and checks the client's. Throws a protocol JimError (for the error response)
 * when the client does not prove itself.
 */
export async function answerHandshake(
  conn: Deno.Conn,
  reader: LineReader,
  secret: string,
): Promise<void> {
  const hello = frame(await reader.readLine(HANDSHAKE_FRAME_BYTES));
  if (hello.op !== "hello" || typeof hello.nonce !== "string" || !NONCE.test(hello.nonce)) {
    throw bad("this transport starts with the handshake's hello");
  }
  const clientNonce = hello.nonce;
  const agentNonce = newNonce();
  const proof = await sign(secret, "agent", clientNonce, agentNonce);
  await writeBytes(conn, encodeLine(okResponse({ nonce: agentNonce, proof })));
  const auth = frame(await reader.readLine(HANDSHAKE_FRAME_BYTES));
  if (
    auth.op !== "auth" || typeof auth.proof !== "string" ||
    !await verify(secret, "client", clientNonce, agentNonce, auth.proof)
  ) {
    throw bad("not authorised");
  }
}

function frame(line: string | null): Record<string, unknown> {
  if (line === null) throw bad("the connection closed during the handshake");
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw bad("the request is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw bad("the request must be a JSON object");
  }
  const record = value as Record<string, unknown>;
  if (record.v !== PROTOCOL_VERSION) {
    throw bad(
      `unsupported protocol version ${
        JSON.stringify(record.v)
      }; this agent speaks ${PROTOCOL_VERSION}`,
    );
  }
  return record;
}

function bad(message: string): JimError {
  return new JimError("protocol", `bad agent request: ${message}`);
}

function newNonce(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

function key(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

function label(
  side: "agent" | "client",
  clientNonce: string,
  agentNonce: string,
): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`jim-${side}-proof:${clientNonce}:${agentNonce}`);
}

async function sign(
  secret: string,
  side: "agent" | "client",
  clientNonce: string,
  agentNonce: string,
): Promise<string> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await key(secret),
    label(side, clientNonce, agentNonce),
  );
  return toHex(new Uint8Array(mac));
}

async function verify(
  secret: string,
  side: "agent" | "client",
  clientNonce: string,
  agentNonce: string,
  proof: string,
): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(proof)) return false;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(proof.slice(i * 2, i * 2 + 2), 16);
  return crypto.subtle.verify(
    "HMAC",
    await key(secret),
    bytes,
    label(side, clientNonce, agentNonce),
  );
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
