// The agent's sessions, one per JIM instance, each with its own token keeper and write-back, so
// single flight, refresh and write-back hold per instance. A connect to a second instance keeps
// the first; the current session (the one commands that name no instance use) is the one most
// recently connected, and when it ends, the most recent of those left.

import { JimError } from "../errors.ts";
import type { SessionRecord, SessionStatus, SessionSummary } from "./protocol.ts";
import { SessionHolder, type SessionHolderDeps } from "./session_holder.ts";

export const MAX_SESSIONS = 64;
export class SessionSet {
  #deps: SessionHolderDeps;
  /** In the order they became current, the current one last. */
  #holders = new Map<string, SessionHolder>();
  /** The newest command's bus, handed to a session adopted later. */
  #lastBus: string | undefined;
  /** Answers for an instance with no session: every use of it is "not connected". */
  #none: SessionHolder;

  constructor(deps: SessionHolderDeps) {
    this.#deps = deps;
    this.#none = new SessionHolder(deps);
  }

  get size(): number {
    return this.#holders.size;
  }

  adopt(session: SessionRecord): SessionStatus {
    let holder = this.#holders.get(session.key);
    if (!holder) {
      // One per instance an administrator works with: a bound, not a working limit.
      if (this.#holders.size >= MAX_SESSIONS) {
        throw new JimError(
          "agent",
          `the session agent already holds ${MAX_SESSIONS} sessions; disconnect one (jim disconnect --url URL) first`,
        );
      }
      holder = new SessionHolder(this.#deps);
      holder.noteBus(this.#lastBus);
    }
    holder.adopt(session);
    this.#makeCurrent(session.key, holder);
    return this.status(session.key);
  }

  select(instance: string): SessionStatus {
    const holder = this.#holders.get(instance);
    if (!holder) throw new JimError("not_connected", "You are not connected to that JIM instance.");
    this.#makeCurrent(instance, holder);
    return this.status(instance);
  }

  /** The instance's session (the current one without an instance); an empty one when none. */
  pick(instance?: string): SessionHolder {
    const key = instance ?? this.#currentKey();
    return (key !== undefined ? this.#holders.get(key) : undefined) ?? this.#none;
  }

  noteBus(bus: string | undefined): void {
    if (bus === undefined) return;
    this.#lastBus = bus;
    for (const holder of this.#holders.values()) holder.noteBus(bus);
    this.#none.noteBus(bus);
  }

  /** Ends the instance's session (the current one without an instance). */
  end(instance?: string): void {
    const key = instance ?? this.#currentKey();
    if (key === undefined) return;
    this.#holders.get(key)?.clear();
    this.#holders.delete(key);
  }

  clear(): void {
    for (const holder of this.#holders.values()) holder.clear();
    this.#holders.clear();
  }

  keys(): string[] {
    return [...this.#holders.keys()];
  }

  status(instance?: string): SessionStatus {
    return { ...this.pick(instance).status(), sessions: this.#summaries() };
  }

  #summaries(): SessionSummary[] {
    const current = this.#currentKey();
    const list: SessionSummary[] = [];
    for (const [key, holder] of this.#holders) {
      const status = holder.status();
      if (!status.connected || !status.url || !status.authMethod) continue;
      list.push({ url: status.url, key, authMethod: status.authMethod, current: key === current });
    }
    return list;
  }

  #makeCurrent(key: string, holder: SessionHolder): void {
    this.#holders.delete(key);
    this.#holders.set(key, holder);
  }

  #currentKey(): string | undefined {
    let last: string | undefined;
    for (const key of this.#holders.keys()) last = key;
    return last;
  }
}
