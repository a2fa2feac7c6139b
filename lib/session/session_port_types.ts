// What a command can ask of its session, whichever carries it (the agent, or stateless mode):
// apart from session_port.ts, which opens either, so the stateless one can name this shape
// without importing the module that loads it.

import type { PageSink } from "../api/paging.ts";
import type { ApiCall, ApiResult, SessionStatus } from "./protocol.ts";

export interface SessionPort {
  readonly mode: "agent" | "stateless";
  /** Throws JimError("not_connected") when there is no session. */
  call(call: ApiCall): Promise<ApiResult>;
  /** The calls at once, then the status: one round trip to the agent. */
  batch(calls: ApiCall[]): Promise<Batch>;
  /**
   * Every page of a GET list endpoint, each handed to `onPage` as it arrives; the next page is
   * fetched while `onPage` works, no further until it settles, and no more once it returns false.
   * Resolves with the number of items handed over.
   */
  stream(call: ApiCall, onPage: PageSink): Promise<number>;
}

export interface Batch {
  outcomes: PromiseSettledResult<ApiResult>[];
  status: SessionStatus;
}
