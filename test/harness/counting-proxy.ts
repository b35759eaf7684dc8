/**
 * A TCP proxy on 127.0.0.1 that passes bytes through untouched and counts
 * what the client did: connections opened, and each HTTP/1.1 request (method,
 * path, connection number), read from the client's byte stream without
 * changing it. Unlike an HTTP proxy, it cannot alter keep-alive: a
 * connection the client opens is exactly one connection here, so tests can
 * prove reuse (issue 14) from the server side.
 */
import { createConnection, createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/** One request seen on the wire. */
export interface CountedRequest {
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  /** 1-based number of the connection it came on. */
  readonly connection: number;
}

/** A running counting proxy. */
export interface CountingProxy {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  /** Connections accepted since the last reset. */
  readonly connections: number;
  /** Requests since the last reset, in arrival order. */
  readonly requests: readonly CountedRequest[];
  /** `METHOD kind` counts (kind: manifests, blobs, uploads, tags, other) since the last reset. */
  counts(filter?: (r: CountedRequest) => boolean): Record<string, number>;
  /** Forgets what was counted (open connections keep counting as new ones would not). */
  reset(): void;
  stop(): Promise<void>;
}

/** What kind of registry endpoint a path is. */
export function endpointKind(path: string): string {
  if (/\/manifests\/[^/]+$/.test(path)) return "manifests";
  if (/\/blobs\/uploads\//.test(path)) return "uploads";
  if (/\/blobs\/[^/]+$/.test(path)) return "blobs";
  if (/\/tags\/list$/.test(path)) return "tags";
  return "other";
}

/**
 * Reads HTTP/1.1 requests out of a client byte stream: request line and
 * headers, then a Content-Length or chunked body, which is skipped.
 */
class RequestReader {
  private buffer: Buffer = Buffer.alloc(0);
  private bodyLeft = 0;
  private chunked = false;
  private chunkState: "size" | "data" | "crlf" | "trailer" = "size";

  private readonly onRequest: (method: string, path: string) => void;

  constructor(onRequest: (method: string, path: string) => void) {
    this.onRequest = onRequest;
  }

  push(data: Buffer): void {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    for (;;) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, this.buffer.length);
        this.buffer = this.buffer.subarray(take);
        this.bodyLeft -= take;
        if (this.bodyLeft > 0) return;
        if (this.chunked) this.chunkState = "crlf";
        continue;
      }
      if (this.chunked) {
        if (!this.stepChunked()) return;
        continue;
      }
      const end = this.buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = this.buffer.subarray(0, end).toString("latin1");
      this.buffer = this.buffer.subarray(end + 4);
      const [line = "", ...headers] = head.split("\r\n");
      const [method = "", target = ""] = line.split(" ");
      this.onRequest(method, target.split("?")[0] ?? target);
      const header = (name: string) => headers.find((h) => h.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
      if (header("transfer-encoding")?.toLowerCase().includes("chunked")) {
        this.chunked = true;
        this.chunkState = "size";
      } else {
        this.bodyLeft = Number(header("content-length") ?? 0) || 0;
      }
    }
  }

  /** Advances through a chunked body; false when more bytes are needed. */
  private stepChunked(): boolean {
    const eol = this.buffer.indexOf("\r\n");
    if (this.chunkState === "crlf") {
      if (this.buffer.length < 2) return false;
      this.buffer = this.buffer.subarray(2);
      this.chunkState = "size";
      return true;
    }
    if (eol < 0) return false;
    const text = this.buffer.subarray(0, eol).toString("latin1");
    this.buffer = this.buffer.subarray(eol + 2);
    if (this.chunkState === "trailer") {
      if (text === "") this.chunked = false;
      return true;
    }
    const size = parseInt(text.split(";")[0] ?? "0", 16);
    if (size === 0) this.chunkState = "trailer";
    else {
      this.bodyLeft = size;
      this.chunkState = "data";
    }
    return true;
  }
}

/** Starts a counting proxy in front of `upstream` (`host:port` on loopback). */
export async function startCountingProxy(upstream: { readonly host: string }): Promise<CountingProxy> {
  const [upstreamHost = "127.0.0.1", upstreamPort = "0"] = upstream.host.split(":");
  let connections = 0;
  let requests: CountedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const number = ++connections;
    const reader = new RequestReader((method, path) => requests.push({ method, path, connection: number }));
    const server = createConnection({ host: upstreamHost, port: Number(upstreamPort) });
    for (const s of [client, server]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        server.destroy();
      });
    }
    client.on("data", (data: Buffer) => reader.push(data));
    client.pipe(server);
    server.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    counts(filter = () => true) {
      const out: Record<string, number> = {};
      for (const r of requests.filter(filter)) {
        const key = `${r.method} ${endpointKind(r.path)}`;
        out[key] = (out[key] ?? 0) + 1;
      }
      return out;
    },
    reset() {
      connections = 0;
      requests = [];
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
