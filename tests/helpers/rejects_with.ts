// Asserts that a promise rejects with a JimError of a given code and message: lib/ signals every
// failure that way, so tests of lib/api and lib/auth check both the code and the one-line text.

import assert from "node:assert/strict";
import { JimError } from "../../lib/errors.ts";

/** The JimError the promise rejects with; `message` is matched exactly (string) or by pattern. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  message: RegExp | string,
): Promise<JimError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof JimError, `expected a JimError, got ${error}`);
    assert.equal(error.code, code, `code of: ${error.message}`);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return error;
  }
  assert.fail("expected the promise to reject");
}
