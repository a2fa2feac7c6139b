// `jim connected-system list|get` / Get-JIMConnectedSystem [-Id N] [-Name PATTERN].

import { usageError } from "../../errors.ts";
import type { Deps } from "../deps.ts";
import { optionName, type ParsedCommand } from "../parse.ts";
import { openSession } from "../../session/session_port.ts";
import { formatJson, formatList, pascalCaseDeep, pascalCaseKeys, type Row } from "../format.ts";
import { JsonArrayWriter, TableWriter } from "../list_output.ts";
import { compileWildcard } from "../wildcard.ts";

const COLLECTION = "/api/v1/synchronisation/connected-systems";
const TABLE_COLUMNS = ["Id", "Name", "ConnectorName", "Status", "ObjectCount"];

export interface ConnectedSystemOptions {
  id?: number;
  name?: string;
  json: boolean;
}

export function parse(command: ParsedCommand): ConnectedSystemOptions {
  const { id, name, json } = command.values;
  const idFlag = command.style === "cmdlet" ? "-Id" : "ID";
  if (id !== undefined && name !== undefined) {
    throw usageError(
      `${idFlag} and ${optionName(command, "name")} cannot be combined`,
    );
  }
  let parsedId: number | undefined;
  if (id !== undefined) {
    const text = String(id);
    if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
      throw usageError(`${idFlag} must be a positive whole number`);
    }
    parsedId = Number(text);
  }
  return {
    id: parsedId,
    name: typeof name === "string" ? name : undefined,
    json: json === true,
  };
}

export async function run(
  options: ConnectedSystemOptions,
  deps: Deps,
): Promise<number> {
  const session = await openSession(deps);
  if (options.id !== undefined) {
    const result = await session.call({ method: "GET", path: `${COLLECTION}/${options.id}` });
    const item = result.body as Row;
    deps.io.out(options.json ? formatJson(pascalCaseDeep(item)) : formatList(pascalCaseKeys(item)));
    return 0;
  }
  const matches = options.name === undefined ? null : compileWildcard(options.name);
  const wanted = (item: unknown) =>
    typeof (item as Row)?.name === "string" && matches!((item as Row).name as string);
  // JSON goes out page by page; a table waits for its first rows to align them (TableWriter).
  const output = options.json ? jsonWriter(deps) : tableWriter(deps);
  await session.stream({ method: "GET", path: COLLECTION }, (page) => {
    output.add(matches ? page.filter(wanted) : page);
    return !deps.io.outClosed();
  });
  output.end();
  return 0;
}

interface ListWriter {
  add(items: unknown[]): void;
  end(): void;
}

/** `--json` names what the list output names (PascalCase at every depth). */
function jsonWriter(deps: Deps): ListWriter {
  const json = new JsonArrayWriter(deps.io.out);
  return { add: (items) => json.add(items.map(pascalCaseDeep)), end: () => json.end() };
}

function tableWriter(deps: Deps): ListWriter {
  const table = new TableWriter(deps.io.out, (rows) => {
    const present = TABLE_COLUMNS.filter((col) => rows.some((row) => col in row));
    return present.length >= 2 ? present : undefined;
  });
  return {
    add: (items) =>
      table.add(
        items.filter((item): item is Row => typeof item === "object" && item !== null)
          .map(pascalCaseKeys),
      ),
    end: () => table.end(),
  };
}
