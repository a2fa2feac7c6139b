// The memory floor: a `deno run` with jim's flags that does nothing. It prints "ready", then
// waits for its standard input to close, so the benchmark can read its resident memory.
console.log("ready");
await Deno.stdin.readable.pipeTo(new WritableStream());
