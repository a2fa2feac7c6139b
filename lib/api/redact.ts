// Masks secrets in any text that leaves jim as a message or a --verbose trace line: header
// values, URL and form parameters, JSON fields, bearer tokens, JWTs and JIM API keys.

const MASK = "***";

// Header names: `Name: value` is a header line, so the unquoted value after a colon is masked.
const HEADER_NAMES = "authorization|proxy-authorization|x-api-key";
// Parameter and field names: masked as `name=value` (URLs, forms) and with a quoted value
// (JSON, JS objects). An unquoted value after a colon is prose ("password: must be 8 characters",
// "status code: 500" in a validation message) and is left alone.
const PARAM_NAMES = [
  "api[_-]?key",
  "(?:access|refresh|id)[_-]?token",
  "code[_-]?verifier",
  "device[_-]?code",
  "client[_-]?secret",
  "password",
  "code",
  "token",
].join("|");

const NAME_START = "(?<![A-Za-z0-9_-])";
const NAME_END = "(?![A-Za-z0-9_-])";
const UNQUOTED_VALUE = "(?![\"'])[^\\s\"',;&<>]+";

// "name": "value"  /  name='value'  /  'name': "value"
const QUOTED_VALUE = new RegExp(
  `${NAME_START}(["']?)(${HEADER_NAMES}|${PARAM_NAMES})${NAME_END}\\1(\\s*[:=]\\s*)` +
    `(?:"(?:[^"\\\\]|\\\\.)*"|'(?:[^'\\\\]|\\\\.)*')`,
  "gi",
);
// Authorization: Bearer abc  /  X-API-Key: abc
const HEADER_UNQUOTED = new RegExp(
  `${NAME_START}(${HEADER_NAMES})${NAME_END}(\\s*[:=]\\s*)` +
    `(?:(Bearer|Basic|Token|ApiKey|Digest)\\s+)?${UNQUOTED_VALUE}`,
  "gi",
);
// refresh_token=abc  /  code=abc
const PARAM_UNQUOTED = new RegExp(
  `${NAME_START}(${PARAM_NAMES})${NAME_END}(\\s*=\\s*)${UNQUOTED_VALUE}`,
  "gi",
);
const BEARER = /\b(Bearer)\s+[A-Za-z0-9\-._~+/]+=*/gi;
const JIM_API_KEY = /jim_ak_[A-Za-z0-9_\-]+/g;
const JWT = /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/**
 * Returns `text` with the values of Authorization, X-API-Key, refresh_token, access_token,
 * id_token, code, code_verifier (and a few kin) masked as `***`, in header, URL, form and JSON
 * notation, plus any bearer token, JWT or `jim_ak_` key found anywhere.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(QUOTED_VALUE, (match: string, quote: string, name: string, sep: string) => {
      const valueQuote = match.endsWith("'") ? "'" : '"';
      return `${quote}${name}${quote}${sep}${valueQuote}${MASK}${valueQuote}`;
    })
    .replace(
      HEADER_UNQUOTED,
      (_m: string, name: string, sep: string, scheme: string | undefined) =>
        `${name}${sep}${scheme ? `${scheme} ` : ""}${MASK}`,
    )
    .replace(PARAM_UNQUOTED, (_m: string, name: string, sep: string) => `${name}${sep}${MASK}`)
    .replace(BEARER, `$1 ${MASK}`)
    .replace(JIM_API_KEY, `jim_ak_${MASK}`)
    .replace(JWT, MASK);
}
