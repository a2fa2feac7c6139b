// The V8 flags jim runs with, under `deno run` and in the compiled binary alike (a comma-separated
// list, as --v8-flags and DENO_V8_FLAGS take them). V8 rejects code cached under other flags (and
// Deno then writes the cache again), so every command shares them; only flags outside V8's check
// (--max-semi-space-size) may differ without that. The agent differs in one that is inside it
// (below), and so runs without the code cache.
//
// --no-lazy: V8 normally compiles a function on its first call, and Deno writes a module's code
// cache when the module is compiled, before anything is called, so without this flag every
// command recompiles each function it touches on every run. Compiling eagerly puts them all in
// the cache (measured side by side: 0.8 ms off `jim api`, 1.4 ms off `jim test-connection`).
//
// --optimize-for-size: smaller heaps; it costs a command nothing measurable.
export const JIM_V8_FLAGS = "--no-lazy,--optimize-for-size";

// The agent adds a small young generation, so its heap does not creep up with each request
// (~75 MiB flat over 10,000 requests instead of ~140 MiB), and turns --optimize-for-size off: a
// long export through it took 1.53x to 1.59x of a plain page loop with it and 1.48x to 1.50x
// without, for 71 MiB after 2000 requests instead of ~66 (bench/: budget 80). As that flag is
// inside V8's code cache check, the agent runs with --no-code-cache (agent_spawn.ts) rather than
// rewrite the commands' cache each time it starts (measured: the connect that starts it took
// about 10 ms more, and the first command after it 8 ms more, instead of 20 and 17). In the
// compiled binary jim's flags are built in and this list comes through DENO_V8_FLAGS, which adds
// to them.
export const AGENT_V8_FLAGS = `${JIM_V8_FLAGS},--no-optimize-for-size,--max-semi-space-size=1`;

// Commands import their modules lazily with string-literal import(), which deno info, deno check
// and deno compile can follow. Plain `deno run` would read and parse every one of them
// (oauth4webapi included) before the first line runs; under this flag it reads each when its
// import() runs. The flag is passed here, not listed under "unstable" in deno.json, because deno
// compile obeys both and then leaves every lazily imported module, npm packages included, out of
// the binary. The binary needs no flag: it reads each embedded module when it is imported.
export const LAZY_IMPORTS_FLAG = "--unstable-lazy-dynamic-imports";

/**
 * The `deno run` arguments that start a script as jim runs from a checkout: the binary's
 * permission set, the V8 flags, lazy dynamic imports and the project's deno.json. `extra` goes before the script
 * (`--cached-only`, say); a `--log-level` there takes the place of `-q`.
 */
export function denoRunArgs(v8Flags = JIM_V8_FLAGS, extra: string[] = []): string[] {
  const config = pathFromFileUrl(new URL("../deno.json", import.meta.url));
  const quiet = extra.some((arg) => arg.startsWith("--log-level")) ? [] : ["-q"];
  return [
    "run",
    ...quiet,
    ...extra,
    "--no-prompt",
    "-P=jim",
    `--v8-flags=${v8Flags}`,
    LAZY_IMPORTS_FLAG,
    "--config",
    config,
  ];
}

/** A file: URL as a path for `os`: URL.pathname keeps a Windows drive as "/C:/...". */
export function pathFromFileUrl(url: URL, os: string = Deno.build.os): string {
  const path = decodeURIComponent(url.pathname);
  return os === "windows" ? path.replace(/^\/([A-Za-z]:)/, "$1") : path;
}
