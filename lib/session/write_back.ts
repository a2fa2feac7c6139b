// Writing a rotated refresh token back to the credential store from the agent. Rotation spends
// the stored token, so a write that fails must not pass unseen: it is retried at later requests,
// through the most recent D-Bus session a command handed over first (the shell that started the
// agent may be gone), and when no store takes the new token the spent one is removed — a spent
// token is worse than none, since the provider may treat its reuse as theft and revoke the
// family — and the user is told at the next command and in the status.

import { describeError } from "../errors.ts";

export interface StoreAccess {
  /** Writes the token through `bus` (undefined: the agent's own environment). */
  store(refreshToken: string, bus: string | undefined): Promise<void>;
  /** Removes the stored token through `bus`. */
  forget(bus: string | undefined): Promise<void>;
}

const MAX_BUSES = 4;

export class WriteBack {
  #access: StoreAccess;
  #buses: string[] = [];
  /** Bumped when a new bus arrives, so a write that failed meanwhile is tried again with it. */
  #busesSeen = 0;
  #pending: string | null = null;
  #running: Promise<void> | null = null;
  #busy = false;
  #warning: string | null = null;
  #notice: string | null = null;

  constructor(access: StoreAccess, bus?: string) {
    this.#access = access;
    if (bus) this.#buses.push(bus);
  }

  /** Remembers a command's bus address; the newest is tried first. */
  noteBus(bus: string): void {
    if (this.#buses[0] === bus) return;
    this.#buses = [bus, ...this.#buses.filter((known) => known !== bus)].slice(0, MAX_BUSES);
    this.#busesSeen++;
  }

  /** What status reports while the stored sign-in is stale or missing. */
  get warning(): string | null {
    return this.#warning;
  }

  /** The line for the next command's stderr, given once per change. */
  takeNotice(): string | undefined {
    const notice = this.#notice ?? undefined;
    this.#notice = null;
    return notice;
  }

  /** Writes `refreshToken`, waiting for the outcome (the refresh that made it waits too). */
  save(refreshToken: string): Promise<void> {
    this.#pending = refreshToken;
    return this.#drain();
  }

  /** Tries again a write that failed; nothing when none is pending. */
  retry(): Promise<void> {
    return this.#pending === null ? Promise.resolve() : this.#drain();
  }

  #drain(): Promise<void> {
    // One write at a time; a token rotated (or a bus noted) meanwhile is handled by the loop
    // below. #busy is cleared as the loop ends, not a tick later, so a caller arriving just
    // then starts a new loop instead of joining one that has already given up.
    if (!this.#busy) this.#running = this.#writePending();
    return this.#running!;
  }

  async #writePending(): Promise<void> {
    this.#busy = true;
    try {
      while (this.#pending !== null) {
        const token = this.#pending;
        const seen = this.#busesSeen;
        const failure = await this.#tryEachBus((bus) => this.#access.store(token, bus));
        if (failure === null) {
          if (this.#pending === token) this.#pending = null;
          if (this.#warning !== null) {
            this.#notice = "Notice: the renewed sign-in is now saved to the credential store.";
          }
          this.#warning = null;
          continue;
        }
        if (this.#pending !== token || this.#busesSeen !== seen) continue;
        const removed = await this.#tryEachBus((bus) => this.#access.forget(bus)) === null;
        this.#warning = `the renewed sign-in could not be saved to the credential store (${
          describeError(failure)
        }); ${
          removed
            ? "the spent stored sign-in was removed, so a new session will sign in through the browser"
            : "the stored sign-in is spent and could not be removed; a new session will have to sign in again"
        }. jim tries to save it again at the next command.`;
        this.#notice = `Warning: ${this.#warning}`;
        // A newer token (or bus) that arrived during the forget goes round again.
        if (this.#busesSeen === seen && this.#pending === token) return;
      }
    } finally {
      // In the same turn as the loop's last check, so a caller arriving after it starts a new
      // loop instead of joining one that has already given up (see #drain).
      this.#busy = false;
    }
  }

  async #tryEachBus(attempt: (bus: string | undefined) => Promise<void>): Promise<unknown> {
    const buses: (string | undefined)[] = this.#buses.length > 0 ? [...this.#buses] : [undefined];
    let failure: unknown = null;
    for (const bus of buses) {
      try {
        await attempt(bus);
        return null;
      } catch (error) {
        failure = error;
      }
    }
    return failure;
  }
}
