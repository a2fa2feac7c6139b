// Loads a module when it is needed. A string-literal import() makes Deno read that module and
// everything it imports before the program starts; a computed specifier defers all of it, so a
// command pays only for the modules it uses. The compile task lists lib/ with --include so the
// binary still carries every module.

export function lazyImport<T>(from: string, path: string): Promise<T> {
  return import(new URL(path, from).href) as Promise<T>;
}
