// `jim api <path>`: any JIM REST call with the session's credentials, for what has no command.

import { JimError, usageError } from "../../errors.ts";
import type { Deps } from "../deps.ts";
import type { ParsedCommand } from "../parse.ts";
import { echoInput, hasSpaceOrControl, terminalSafeText } from "../../text.ts";
import { openSession } from "../../session/session_port.ts";
import { type ApiResult, MAX_REQUEST_BYTES } from "../../session/protocol.ts";
import { HTTP_METHODS } from "../../api/request_input.ts";
import { formatJson } from "../format.ts";

// The agent takes requests up to MAX_REQUEST_BYTES; leave room for the envelope around the body.
const MAX_BODY_BYTES = MAX_REQUEST_BYTES - 64 * 1024;

export interface ApiOptions {
  path: string;
  method: string;
  /** JSON text, a file to read (`@file`), or standard input (`-`). */
  data?: { kind: "text"; text: string } | { kind: "file"; path: string } | { kind: "stdin" };
  paginate: boolean;
  include: boolean;
}

export function parse(command: ParsedCommand): ApiOptions {
  const v = command.values;
  const raw = String(v.path ?? "");
  if (raw === "") throw usageError("a path is required, e.g. jim api /api/v1/health");
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith("//")) {
    throw usageError(`give a path such as /api/v1/health, not a URL ('${echoInput(raw)}')`);
  }
  if (hasSpaceOrControl(raw)) {
    throw usageError("the path contains whitespace or control characters");
  }
  const path = raw.startsWith("/") ? raw : `/${raw}`;
  let data: ApiOptions["data"];
  if (typeof v.data === "string") {
    if (v.data === "-") data = { kind: "stdin" };
    else if (v.data.startsWith("@")) {
      if (v.data.length === 1) throw usageError("--data @FILE needs a file name after @");
      data = { kind: "file", path: v.data.slice(1) };
    } else data = { kind: "text", text: v.data };
  }
  const method = typeof v.method === "string" ? v.method.toUpperCase() : data ? "POST" : "GET";
  if (!HTTP_METHODS.has(method)) {
    throw usageError(
      `unknown HTTP method '${echoInput(String(v.method))}'; use one of ${
        [...HTTP_METHODS].join(", ")
      }`,
    );
  }
  if (v.paginate && method !== "GET") throw usageError("--paginate works with GET only");
  if (v.paginate && v.include) throw usageError("--paginate and --include cannot be combined");
  return { path, method, data, paginate: v.paginate === true, include: v.include === true };
}

export async function run(options: ApiOptions, deps: Deps): Promise<number> {
  if (options.paginate) return await paginate(options, deps);
  const body = options.data ? await readBody(options.data, deps) : undefined;
  const result = await (await openSession(deps)).call({
    method: options.method,
    path: options.path,
    body,
    allowErrorStatus: options.include || undefined,
  });
  // As curl: what the server sent goes to a pipe untouched, but a terminal would act on its
  // escape sequences, so there every control and bidi character is shown escaped.
  const shown = (text: string) => deps.io.outIsTerminal ? terminalSafeText(text) : text;
  if (options.include) deps.io.out(shown(headerBlock(result)));
  const text = bodyText(result.body);
  if (text !== "") deps.io.out(shown(text));
  if (result.status >= 400) {
    throw new JimError("http", `the server answered ${result.status} ${result.statusText}`.trim(), {
      status: result.status,
    });
  }
  return 0;
}

/** --paginate: one JSON array of every page's items, written as the pages arrive. */
async function paginate(options: ApiOptions, deps: Deps): Promise<number> {
  // Only --paginate needs the array writer: a single call does not load it.
  const { JsonArrayWriter } = await import("../list_output.ts");
  const session = await openSession(deps);
  // Escaped on a terminal, as any other body (JSON leaves bidi and C1 characters as they are).
  const output = new JsonArrayWriter((text) =>
    deps.io.out(deps.io.outIsTerminal ? terminalSafeText(text) : text)
  );
  await session.stream({ method: "GET", path: options.path }, (items) => {
    output.add(items);
    return !deps.io.outClosed();
  });
  output.end();
  return 0;
}

async function readBody(data: NonNullable<ApiOptions["data"]>, deps: Deps): Promise<unknown> {
  let text: string;
  let where: string;
  if (data.kind === "text") {
    text = data.text;
    where = "--data";
  } else if (data.kind === "stdin") {
    text = await deps.io.readStdin(MAX_BODY_BYTES, "the request body");
    where = "standard input";
  } else {
    try {
      text = await deps.readFile(data.path, MAX_BODY_BYTES);
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound
        ? "no such file"
        : (error as Error).message.split("\n")[0];
      throw usageError(`cannot read --data file '${echoInput(data.path)}': ${reason}`);
    }
    where = `file '${echoInput(data.path)}'`;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw usageError(`the request body from ${where} is not valid JSON${whereInJson(error)}`);
  }
}

/**
 * Where the parser stopped, never what it read: V8's messages quote a snippet of the input,
 * and the file may hold a key or token.
 */
function whereInJson(error: unknown): string {
  const message = error instanceof Error ? error.message : "";
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message);
  if (lineColumn) return ` (line ${lineColumn[1]}, column ${lineColumn[2]})`;
  const position = /at position (\d+)/.exec(message);
  if (position) return ` (at character ${Number(position[1]) + 1})`;
  if (/end of JSON input/.test(message)) return " (it ends too early)";
  return "";
}

function headerBlock(result: ApiResult): string {
  const lines = [`HTTP ${result.status} ${result.statusText}`.trimEnd()];
  for (const [name, value] of Object.entries(result.headers)) lines.push(`${name}: ${value}`);
  // The blank line that ends a header block in HTTP, as curl --include prints it.
  return `${lines.join("\n")}\n\n`;
}

function bodyText(body: unknown): string {
  if (body === null || body === undefined) return "";
  if (typeof body === "string") return body;
  return formatJson(body);
}
