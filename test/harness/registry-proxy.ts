/**
 * Building blocks of the spec-built Harbor and ECR test servers: a wire log,
 * small request/response helpers, and a streaming forwarder that passes `/v2`
 * to the real distribution registry behind them (so pushes really land there).
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { RunningRegistry } from "./registry.js";

/** One request a test server received, for wire assertions. */
export interface WireRecord {
  readonly method: string;
  /** Raw request target (path and query, as sent). */
  readonly url: string;
  /** Path without the query, percent-encoding kept. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Status the server answered (0 while the answer is pending). */
  status: number;
  /** Request body of JSON API calls (not of blob uploads). */
  body?: string;
}

/** Starts a wire record for a request; the status is filled in when the answer is sent. */
export function record(log: WireRecord[], req: IncomingMessage, res: ServerResponse): WireRecord {
  const url = req.url ?? "/";
  const parsed = new URL(url, "http://placeholder");
  const entry: WireRecord = { method: req.method ?? "", url, path: url.split("?")[0] ?? "/", query: parsed.searchParams, headers: req.headers, status: 0 };
  log.push(entry);
  res.on("finish", () => {
    entry.status = res.statusCode;
  });
  return entry;
}

/** Reads a request body up to `limit` bytes (more is an error). */
export async function readBody(req: IncomingMessage, limit = 8 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Sends a JSON answer with an exact Content-Length. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}, contentType = "application/json"): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The user and password of a Basic Authorization header, if it is one. */
export function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? "");
  if (!match?.[1]) return undefined;
  const text = Buffer.from(match[1], "base64").toString("utf8");
  const colon = text.indexOf(":");
  return colon < 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The parts of a `/v2/<name>/<kind>/<reference>` path. */
export interface V2Path {
  readonly repository: string;
  readonly kind: "manifests" | "blobs" | "tags" | "referrers";
  /** Tag, digest, `uploads/...` or `list`. */
  readonly rest: string;
}

/** Parses a distribution API path below `/v2/`; undefined for `/v2/` itself and `_catalog`. */
export function parseV2Path(path: string): V2Path | undefined {
  const match = /^\/v2\/(.+?)\/(manifests|blobs|tags|referrers)\/(.*)$/.exec(path);
  if (!match) return undefined;
  return { repository: decodeURIComponent(match[1]!), kind: match[2] as V2Path["kind"], rest: decodeURIComponent(match[3]!) };
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "host", "authorization", "cookie", "proxy-authorization", "upgrade", "te", "trailer"]);

/** A forwarder from a test server's `/v2` to the real registry behind it. */
export interface RegistryForwarder {
  /**
   * Sends the request to the registry and streams the answer back, with
   * upload Locations rewritten to the test server's origin. With `body`, that
   * buffer is sent instead of the request stream (already read by the caller).
   * Resolves with the registry's status once the answer is complete.
   */
  forward(req: IncomingMessage, res: ServerResponse, options?: { readonly body?: Buffer; readonly status?: (upstream: number) => number; readonly path?: string }): Promise<number>;
  /** Fetches a path from the registry for the server's own use (blob bytes for a fake S3). */
  open(path: string, method?: string): Promise<IncomingMessage>;
  /** Removes a tag from the registry's storage: what Harbor's and ECR's tag deletion do, and distribution's API cannot. */
  removeTag(repository: string, tag: string): Promise<void>;
  close(): void;
}

/** Creates the forwarder; `publicOrigin()` is the test server's own origin (known once it listens). */
export function createForwarder(registry: RunningRegistry, publicOrigin: () => string): RegistryForwarder {
  const upstream = new URL(registry.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const send = (method: string, path: string, headers: Record<string, string | string[]>): ReturnType<typeof httpRequest> =>
    httpRequest({ host: upstream.hostname, port: upstream.port, method, path, headers, agent });
  return {
    forward(req, res, options = {}) {
      return new Promise<number>((resolve, reject) => {
        const headers: Record<string, string | string[]> = {};
        for (const [key, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(key)) headers[key] = value;
        if (options.body !== undefined) headers["content-length"] = String(options.body.length);
        const out = send(req.method ?? "GET", options.path ?? req.url ?? "/", headers);
        out.on("error", reject);
        out.on("response", (answer) => {
          const status = options.status ? options.status(answer.statusCode ?? 502) : (answer.statusCode ?? 502);
          const back: Record<string, string | string[]> = {};
          for (const [key, value] of Object.entries(answer.headers)) {
            if (value === undefined || key === "connection" || key === "keep-alive" || key === "transfer-encoding") continue;
            back[key] = key === "location" && typeof value === "string" && value.startsWith(upstream.origin) ? publicOrigin() + value.slice(upstream.origin.length) : value;
          }
          res.writeHead(status, back);
          answer.pipe(res);
          answer.on("end", () => resolve(answer.statusCode ?? 502));
          answer.on("error", reject);
        });
        if (options.body !== undefined) out.end(options.body);
        else req.pipe(out);
      });
    },
    open(path, method = "GET") {
      return new Promise<IncomingMessage>((resolve, reject) => {
        const out = send(method, path, {});
        out.on("error", reject);
        out.on("response", resolve);
        out.end();
      });
    },
    async removeTag(repository, tag) {
      await rm(join(registry.dataDir, "docker", "registry", "v2", "repositories", repository, "_manifests", "tags", tag), { recursive: true, force: true });
    },
    close() {
      agent.destroy();
    },
  };
}

/** Facts about a manifest a Harbor or ECR server records when it accepts one. */
export interface ManifestFacts {
  readonly mediaType: string;
  /** Config media type (`application/vnd.cncf.helm.config.v1+json` for charts). */
  readonly configMediaType: string | undefined;
  readonly artifactType: string | undefined;
  /** Config and layers (empty for indexes). */
  readonly blobs: readonly { readonly digest: string; readonly size: number }[];
  /** Children of an index. */
  readonly children: readonly { readonly digest: string; readonly size: number; readonly platform?: Record<string, unknown> }[];
  readonly subject: string | undefined;
}

/** Reads what a server needs from manifest bytes; the media type comes from the body or the Content-Type header. */
export function manifestFacts(bytes: Buffer, contentType: string | undefined): ManifestFacts {
  const json = JSON.parse(bytes.toString("utf8")) as {
    mediaType?: string;
    artifactType?: string;
    config?: { mediaType?: string; digest: string; size: number };
    layers?: { digest: string; size: number }[];
    manifests?: { digest: string; size: number; platform?: Record<string, unknown> }[];
    subject?: { digest: string };
  };
  const blobs = [...(json.config ? [json.config] : []), ...(json.layers ?? [])].map((d) => ({ digest: d.digest, size: d.size }));
  return {
    mediaType: json.mediaType ?? contentType ?? "application/octet-stream",
    configMediaType: json.config?.mediaType,
    artifactType: json.artifactType,
    blobs,
    children: (json.manifests ?? []).map((m) => ({ digest: m.digest, size: m.size, ...(m.platform ? { platform: m.platform } : {}) })),
    subject: json.subject?.digest,
  };
}
