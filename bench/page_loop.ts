// The paging baseline: one Deno process fetching every page of the connected-systems list in a
// loop (fetch, parse, count), with jim's flags and nothing else — what a streamed export is
// measured against. The key comes in JIM_API_KEY, the base URL as the only argument.

const base = Deno.args[0];
const key = Deno.env.get("JIM_API_KEY") ?? "";
let items = 0;
for (let page = 1;; page++) {
  const url = `${base}/api/v1/synchronisation/connected-systems?page=${page}&pageSize=100`;
  const response = await fetch(url, { headers: { "x-api-key": key, accept: "application/json" } });
  if (!response.ok) throw new Error(`page ${page} answered ${response.status}`);
  const body = await response.json() as { items: unknown[]; hasNextPage: boolean };
  items += body.items.length;
  if (!body.hasNextPage || body.items.length === 0) break;
}
console.log(items);
