// The output helpers on their own: nested values as text, terminal-safe text, which echoes are
// hidden as possible secrets, and wildcard semantics (`*`, `?`, sets and ranges, any case).

import assert from "node:assert/strict";
import { formatList, formatTable, formatValue, pascalCaseDeep } from "../lib/cli/format.ts";
import { echoInput, HIDDEN_INPUT, oneLineText, terminalSafeText } from "../lib/text.ts";
import { compileWildcard } from "../lib/cli/wildcard.ts";

Deno.test("nested values read as text: Name (Id), comma-separated lists, Key=Value", () => {
  assert.equal(formatValue({ id: 2, name: "JIM File Connector" }), "JIM File Connector (2)");
  assert.equal(
    formatValue([{ id: 1, name: "user" }, { Id: 2, Name: "group" }]),
    "user (1), group (2)",
  );
  assert.equal(formatValue({ isDrifted: true, since: null }), "IsDrifted=True; Since=");
  assert.equal(formatValue(["a", 1, false]), "a, 1, False");
  assert.equal(formatValue({ a: { b: { c: { d: { e: 1 } } } } }), "A=B=C=D=...");
  assert.deepEqual(pascalCaseDeep({ a: [{ bC: 1 }] }), { A: [{ BC: 1 }] });
});

Deno.test("list and table names are sanitised like their values", () => {
  const list = formatList({ "na\u001b[2Jme": "v\u009b1", "x\u061cy": "\u202eok" });
  for (const ch of ["\u001b", "\u009b", "\u061c", "\u202e"]) assert.ok(!list.includes(ch), list);
  const table = formatTable([{ "a\u202eb": 1 }]);
  assert.ok(!table.includes("\u202e"), table);
  assert.equal(oneLineText("a\u061cb"), "a b");
});

Deno.test("terminalSafeText keeps lines and tabs and shows every other control escaped", () => {
  assert.equal(
    terminalSafeText("a\tb\nc\u001b[2J\u009b\u202e\u061c"),
    "a\tb\nc\\x1b[2J\\x9b\\u202e\\u061c",
  );
  assert.equal(terminalSafeText("héllo ✓"), "héllo ✓");
});

Deno.test("echoes hide keys, JWTs and opaque tokens, not URLs, paths or GUIDs", () => {
  for (
    const secret of [
      "jim_ak_abc",
      "JIM_AK_abc",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig",
      "Zk3n9QxV0pLr8Tb2Wm5Yc7Hd1Js4Ga6E",
      "prefix-Zk3n9QxV0pLr8Tb2Wm5Yc7Hd1Js4Ga6E",
    ]
  ) assert.equal(echoInput(secret), HIDDEN_INPUT, secret);
  for (
    const plain of [
      "https://jim.example.com/some/long/path/segment/here",
      "/api/v1/synchronisation/connected-systems/123",
      "07503bb0-ddbe-46e8-8750-3bb0ddbee6e8",
      "--no-such-option",
      "averyveryverylongwordwithoutanydigitsatall",
    ]
  ) assert.notEqual(echoInput(plain, 200), HIDDEN_INPUT, plain);
});

Deno.test("wildcards: * ? [set] [range], case-insensitive, anchored, literal otherwise", () => {
  const cases: [string, string, boolean][] = [
    ["HR*", "hr feed 01", true],
    ["hr feed 0?", "HR Feed 01", true],
    ["hr feed 0?", "HR Feed 010", false],
    ["*directory*", "OpenLDAP Directory 02", true],
    ["[ab]*", "Badge Access 01", true],
    ["[c-e]*", "Badge", false],
    ["[C-E]ntra*", "entra id", true],
    ["a.b", "a.b", true],
    ["a.b", "axb", false],
    ["[", "[", true],
    ["(x)+", "(x)+", true],
    ["*", "", true],
    ["?", "", false],
    ["**a**", "xax", true],
    ["*a*b", "aaaa", false],
  ];
  for (const [pattern, text, expected] of cases) {
    assert.equal(compileWildcard(pattern)(text), expected, `${pattern} vs ${text}`);
  }
  const started = performance.now();
  assert.equal(compileWildcard("*a*a*a*a*a*a*a*a*a*a*b")("a".repeat(40)), false);
  assert.ok(performance.now() - started < 2000, "no exponential backtracking");
});
