// Reading a response body under the size cap, on both paths: a declared length read in one step,
// and a body of unknown (or encoded) length read chunk by chunk. Neither lets more than the cap in.

import assert from "node:assert/strict";
import { readBodyText } from "../lib/api/response_body.ts";
import { rejectsWith } from "./helpers/rejects_with.ts";

const TOO_LARGE = /^the response to GET \/x is larger than 50 bytes; jim refuses it$/;

function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.subarray(i, i + 7));
      controller.close();
    },
  });
}

Deno.test("a body within the cap reads whole, with its length declared or not, encoded or not", async () => {
  const text = '{"items":["é",2]}';
  const length = String(new TextEncoder().encode(text).length);
  for (
    const headers of <Record<string, string>[]> [{ "content-length": length }, {}, {
      "content-length": length,
      "content-encoding": "gzip",
    }]
  ) {
    assert.equal(await readBodyText(new Response(chunked(text), { headers }), 50, "GET /x"), text);
  }
});

Deno.test("a body over the cap is refused, even one longer than the length it declares", async () => {
  const big = "x".repeat(51);
  for (
    const headers of <Record<string, string>[]> [
      { "content-length": "51" },
      { "content-length": "10" },
      {},
      {
        "content-length": "10",
        "content-encoding": "gzip",
      },
    ]
  ) {
    await rejectsWith(
      readBodyText(new Response(chunked(big), { headers }), 50, "GET /x"),
      "protocol",
      TOO_LARGE,
    );
  }
});
