// The long export's simulator, in a process of its own so the benchmark's own work (counting
// jim's output) takes nothing from it: serves `items` generated connected systems, prints its
// URL as one line, and stops when its standard input closes.

import { DEMO_API_KEY, startJimServer } from "../fixtures/jim_server.ts";

const server = await startJimServer({
  apiKeys: [{ key: DEMO_API_KEY, name: "bench" }],
  generatedConnectedSystems: Number(Deno.args[0]),
});
console.log(server.url);
await Deno.stdin.readable.pipeTo(new WritableStream());
await server.close();
