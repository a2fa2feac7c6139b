// When to retry after a 429: the server's Retry-After (delta-seconds or HTTP-date, RFC 9110
// section 10.2.3), else exponential backoff, always clamped to 1–60 seconds. Pure functions.

export const MIN_RETRY_DELAY_MS = 1_000;
export const MAX_RETRY_DELAY_MS = 60_000;

/**
 * Milliseconds the server asks us to wait, or undefined when the header is absent or not a
 * valid Retry-After. A date in the past gives 0.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = parseHttpDate(text, nowMs);
  if (at === undefined) return undefined;
  return Math.max(0, at - nowMs);
}

export interface RetryPlan {
  /** How long to sleep before the next attempt, within 1–60 s. */
  readonly delayMs: number;
  /** The wait the server asked for, when it sent a usable Retry-After. */
  readonly requestedMs?: number;
}

/** The wait before retry number `retryIndex` (0 for the first retry). */
export function planRateLimitRetry(
  retryAfter: string | null | undefined,
  retryIndex: number,
  nowMs: number,
): RetryPlan {
  const requestedMs = parseRetryAfter(retryAfter, nowMs);
  if (requestedMs !== undefined) return { delayMs: clampDelay(requestedMs), requestedMs };
  return { delayMs: clampDelay(1000 * 2 ** Math.min(retryIndex, 30)) };
}

function clampDelay(ms: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, Math.max(MIN_RETRY_DELAY_MS, Math.ceil(ms)));
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
// Sun, 06 Nov 1994 08:49:37 GMT
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ([A-Za-z]{3}) (\\d{4}) ${TIME} GMT$`, "i");
// Sunday, 06-Nov-94 08:49:37 GMT
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-([A-Za-z]{3})-(\\d{2}) ${TIME} GMT$`, "i");
// Sun Nov  6 08:49:37 1994
const ASCTIME_DATE = new RegExp(`^${DAY} ([A-Za-z]{3}) ([ \\d]\\d) ${TIME} (\\d{4})$`, "i");

/**
 * The three HTTP-date forms of RFC 9110 section 5.6.7, all in UTC, as epoch milliseconds;
 * undefined if invalid. `nowMs` places the two-digit years of the obsolete RFC 850 form.
 */
export function parseHttpDate(text: string, nowMs: number): number | undefined {
  let m = IMF_FIXDATE.exec(text);
  if (m) return utc(Number(m[3]), m[2], Number(m[1]), m[4], m[5], m[6]);
  m = RFC850_DATE.exec(text);
  if (m) {
    // Two-digit years: RFC 9110 says a year more than 50 years ahead is in the past century.
    const nowYear = new Date(nowMs).getUTCFullYear();
    let year = 2000 + Number(m[3]);
    if (year > nowYear + 50) year -= 100;
    return utc(year, m[2], Number(m[1]), m[4], m[5], m[6]);
  }
  m = ASCTIME_DATE.exec(text);
  if (m) return utc(Number(m[6]), m[1], Number(m[2].trim()), m[3], m[4], m[5]);
  return undefined;
}

function utc(
  year: number,
  monthName: string,
  day: number,
  hh: string,
  mm: string,
  ss: string,
): number | undefined {
  const month = MONTHS.indexOf(monthName.toLowerCase());
  const [h, mi, s] = [Number(hh), Number(mm), Number(ss)];
  if (month < 0 || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = Date.UTC(year, month, day, h, mi, s);
  // Reject dates such as 31 Feb that Date.UTC would roll over.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  return ms;
}
