// How jim reads its environment: a lookup by name, so that settings, store and browser choices,
// and the agent's location can be read from a test's table as well as from the process.

export interface Env {
  get(name: string): string | undefined;
}
