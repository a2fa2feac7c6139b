// What every doctor check reports: one line, passed or failed, and for a failure what to do.

export interface Check {
  /** What was checked, e.g. "agent" or "credential store". */
  name: string;
  passed: boolean;
  /** What was found, in plain words. */
  message: string;
  /** For a failure: the change that would make the check pass. */
  fix?: string;
}

export const pass = (name: string, message: string): Check => ({ name, passed: true, message });

export const fail = (name: string, message: string, fix: string): Check => ({
  name,
  passed: false,
  message,
  fix,
});

/** "8 h", "90 s", "2 min": a duration as people say it. */
export function humanDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
