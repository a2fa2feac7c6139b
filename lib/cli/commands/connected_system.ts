// `jim connected-system list|get` / Get-JIMConnectedSystem [-Id N] [-Name PATTERN].

import { usageError } from "../../errors.ts";
import type { Deps } from "../../deps.ts";
import { optionName, type ParsedCommand } from "../parse.ts";
import { openSession } from "../../session/session_port.ts";
import {
  formatJson,
  formatList,
  formatTable,
  pascalCaseDeep,
  pascalCaseKeys,
  type Row,
} from "../format.ts";
import { compileWildcard } from "../wildcard.ts";

const COLLECTION = "/api/v1/synchronisation/connected-systems";
const TABLE_COLUMNS = ["Id", "Name", "ConnectorName", "Status", "ObjectCount"];

export interface ConnectedSystemOptions {
  id?: number;
  name?: string;
  json: boolean;
}

export function parseConnectedSystem(command: ParsedCommand): ConnectedSystemOptions {
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

export async function runConnectedSystem(
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
  const result = await session.call({ method: "GET", path: COLLECTION, paginate: true });
  let items = (Array.isArray(result.body) ? result.body : []) as Row[];
  if (options.name !== undefined) {
    const matches = compileWildcard(options.name);
    items = items.filter((item) => typeof item.name === "string" && matches(item.name));
  }
  if (options.json) {
    deps.io.out(formatJson(pascalCaseDeep(items)));
    return 0;
  }
  if (items.length === 0) return 0;
  const rows = items.map(pascalCaseKeys);
  const present = TABLE_COLUMNS.filter((col) => rows.some((row) => col in row));
  deps.io.out(formatTable(rows, present.length >= 2 ? present : undefined));
  return 0;
}
