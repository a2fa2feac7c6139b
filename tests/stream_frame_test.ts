// The agent's page frames: the server's page forwarded as it came, on one line, and read back by
// the client as the same items.

import assert from "node:assert/strict";
import { pageFrameBytes, parseStreamFrame } from "../lib/session/protocol.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The frame's one line, checked to end at its only newline. */
function oneLine(frame: Uint8Array): string {
  assert.equal(frame.at(-1), 10, "a frame ends with a newline");
  assert.equal(frame.indexOf(10), frame.length - 1, "and holds no other");
  return decode(frame.subarray(0, -1));
}

Deno.test("a page frame carries a pretty-printed page on one line, and the client reads the same items", () => {
  const items = [
    { id: 1, name: "HR Feed", description: "line one\nline two\r\n\ttabbed" },
    {
      id: 2,
      name: "Z\u00fcrich \u{1F600} \u2028\u2029",
      tags: ["a", "b"],
      nested: { deep: [1, {}] },
    },
    { id: 3, name: 'quote " and backslash \\', empty: "" },
  ];
  const page = { items, totalCount: 3, page: 1, pageSize: 100, hasNextPage: false };
  for (
    const text of [
      JSON.stringify(page),
      JSON.stringify(page, null, 2),
      JSON.stringify(page, null, "\t").replaceAll("\n", "\r\n"),
    ]
  ) {
    const body = new TextEncoder().encode(text);
    const frame = parseStreamFrame(oneLine(pageFrameBytes(body)));
    assert.ok(frame.ok && "page" in frame);
    assert.deepEqual(frame.page, items);
  }
});

Deno.test("a page frame drops a leading byte-order mark, keeps its trace lines, and takes a bare array", () => {
  const withMark = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('[{"id":7}]')]);
  const frame = parseStreamFrame(oneLine(pageFrameBytes(withMark, ["GET /x -> 200 (3 ms)"])));
  assert.ok(frame.ok && "page" in frame);
  assert.deepEqual(frame.page, [{ id: 7 }]);
  assert.deepEqual(frame.trace, ["GET /x -> 200 (3 ms)"]);
});

Deno.test("a frame whose body is no list is a malformed answer, not items", () => {
  for (
    const body of [
      '{"v":5,"ok":true,"body":{"items":3}}',
      '{"v":5,"ok":true,"body":"x"}',
      '{"v":5,"ok":true,"body":null}',
    ]
  ) {
    assert.throws(() => parseStreamFrame(body), /stream/, body);
  }
});
