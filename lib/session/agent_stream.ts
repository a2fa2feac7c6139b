// The agent's side of `stream`: each page goes to the client as soon as it is fetched, as the
// server sent it; the next page is fetched while this one is written to the socket, and none
// further; a client that hangs up stops the walk at once (the page in flight is abandoned).

import { encodeLine, writeBytes, writeLine } from "./framing.ts";
import { type ApiCall, endFrame, errorResponse, pageFrame, pageFrameBytes } from "./protocol.ts";
import type { SessionHolder } from "./session_holder.ts";

export async function serveStream(
  conn: Deno.Conn,
  call: ApiCall,
  holder: SessionHolder,
): Promise<void> {
  const gone = new AbortController();
  watchHangUp(conn, gone);
  try {
    const end = await holder.stream(call, {
      signal: gone.signal,
      onPage: async (items, trace, bytes) => {
        if (gone.signal.aborted) return false;
        // Resolves once the socket took the frame: the kernel's buffer is all the read-ahead
        // there is, and a write to a closed connection fails here, ending the walk.
        await writeBytes(
          conn,
          bytes ? pageFrameBytes(bytes, trace) : encodeLine(pageFrame(items, trace)),
        );
      },
    });
    await writeLine(conn, endFrame(end.items, end.trace));
  } catch (error) {
    if (gone.signal.aborted) return;
    await writeLine(conn, errorResponse(error)).catch(() => {});
  }
}

/**
 * A client sends nothing after its request and keeps its side open while it reads, so the end
 * of its side (or an error reading it) means it has gone: killed, or done reading.
 */
function watchHangUp(conn: Deno.Conn, gone: AbortController): void {
  const buffer = new Uint8Array(512);
  (async () => {
    try {
      while (await conn.read(buffer) !== null) { /* nothing is expected; nothing is kept */ }
    } catch { /* reset, or closed by the agent itself once the answer is done */ }
    gone.abort();
  })();
}
