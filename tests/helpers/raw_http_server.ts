// A bare HTTP/1.1 server written on a TCP socket, for answers Deno.serve refuses to send: header
// values with C1 control bytes, bodies with terminal escapes, names no real server would use.
// One request per connection (connection: close); each answer comes from `answer(path)`.

export interface RawAnswer {
  status?: number;
  /** Header values are written byte for byte: each character's code below 256 is one byte. */
  headers?: Record<string, string>;
  body: string;
  contentType?: string;
}

export interface RawServer {
  url: string;
  /** Request targets (path and query) in arrival order. */
  paths: string[];
  close(): Promise<void>;
}

export function startRawServer(answer: (path: string) => RawAnswer | undefined): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const paths: string[] = [];
  const serving = (async () => {
    for await (const conn of listener) handle(conn).catch(() => {});
  })();
  async function handle(conn: Deno.Conn): Promise<void> {
    try {
      let head = "";
      const buf = new Uint8Array(8192);
      while (!head.includes("\r\n\r\n")) {
        const n = await conn.read(buf);
        if (n === null) return;
        head += new TextDecoder().decode(buf.subarray(0, n));
        if (head.length > 65536) return;
      }
      const target = head.split(" ")[1] ?? "/";
      paths.push(target);
      const found = answer(target) ??
        { status: 404, body: '{"message":"not found"}', contentType: "application/json" };
      const body = new TextEncoder().encode(found.body);
      const lines = [
        `HTTP/1.1 ${found.status ?? 200} ${found.status === 404 ? "Not Found" : "OK"}`,
        `content-type: ${found.contentType ?? "application/json"}`,
        ...Object.entries(found.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
        `content-length: ${body.length}`,
        "connection: close",
        "",
        "",
      ];
      const text = lines.join("\r\n");
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
      await conn.write(bytes);
      await conn.write(body);
    } finally {
      conn.close();
    }
  }
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    paths,
    async close() {
      listener.close();
      await serving.catch(() => {});
    },
  };
}
