// Files the user names (--data @file, --ca-cert), read with a size limit: /dev/zero or a wrong
// multi-gigabyte file must be a clear error, not a process that eats memory until it dies.

import { readStreamBytes } from "./stream_bytes.ts";

export class FileTooLarge extends Error {}

export async function readFileBounded(path: string, limit: number): Promise<string> {
  const file = await Deno.open(path, { read: true });
  const info = await file.stat().catch(() => null);
  if (info?.isDirectory) {
    file.close();
    throw new Error("it is a directory");
  }
  const bytes = await readStreamBytes(
    file.readable,
    limit,
    () => new FileTooLarge(`it is larger than ${limit} bytes`),
  );
  return new TextDecoder().decode(bytes);
}
