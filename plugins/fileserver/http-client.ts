/**
 * The HTTP side of a WebDAV target: one keep-alive connection pool per
 * target (its TLS settings apply to it alone), Basic or Bearer credentials
 * sent to that origin only and never printed, retries of transient failures
 * for requests whose body can be sent again, and errors that carry the
 * server's own message (nginx's "413 Request Entity Too Large" page, an
 * Apache error document).
 */
import { readFile } from "node:fs/promises";
import { STATUS_CODES } from "node:http";
import { Readable } from "node:stream";
import { rootCertificates } from "node:tls";
import { Agent, type Dispatcher } from "undici";
import { httpAuthorization, type CredentialSettings, type TlsSettings } from "airgap/sdk";
import { FileServerError } from "./errors.js";

/** A request body: bytes, or a factory called once per attempt (a stream can be sent only once). */
export type RequestBody = Uint8Array | string | (() => Promise<AsyncIterable<Uint8Array>>);

/** One request. */
export interface DavRequest {
  readonly method: "GET" | "HEAD" | "PUT" | "DELETE" | "MKCOL" | "MOVE";
  /** Path below the base URL, already split into segments; `collection` adds the trailing `/`. */
  readonly path: readonly string[];
  readonly collection?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: RequestBody;
  readonly signal?: AbortSignal | undefined;
  /** False: a failure is final (the caller cleans up instead). Default true. */
  readonly retry?: boolean;
}

/** A response whose headers arrived; the caller consumes or dumps `body`. */
export interface DavResponse {
  readonly status: number;
  readonly headers: Dispatcher.ResponseData["headers"];
  readonly body: Dispatcher.ResponseData["body"];
}

/** Injected for tests: how to wait between retries. */
export interface HttpClientOptions {
  readonly sleep?: (ms: number) => Promise<void>;
  /** Attempts per request when retrying is allowed. Default 3. */
  readonly attempts?: number;
}

/** The target's settings that concern HTTP. */
export interface HttpTargetSettings {
  readonly url: string;
  readonly credentials?: CredentialSettings;
  readonly tls?: TlsSettings;
  readonly concurrency?: number;
}

const RETRY_STATUSES = new Set([408, 429, 502, 503, 504]);
const RETRY_CODES = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);
/** Longest Retry-After honoured; a server asking for more gets its answer reported instead. */
const MAX_RETRY_AFTER_MS = 30_000;

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (current.message && !parts.includes(current.message)) parts.push(current.message);
    current = current.cause;
  }
  return parts.join(": ") || String(error);
}

/**
 * The text of an error body, short: HTML pages (nginx, Apache) are reduced
 * to their distinct text pieces, so nginx's 413 page reads
 * "413 Request Entity Too Large — nginx/1.22.1".
 */
export function serverMessage(body: string, contentType: string | undefined): string {
  let text = body;
  if (/html/i.test(contentType ?? "") || /^\s*<(!doctype|html)/i.test(body)) {
    const pieces = body
      .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
      .split(/<[^>]*>/)
      .map((p) => p.replace(/&nbsp;/g, " ").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&").replace(/\s+/g, " ").trim())
      .filter((p) => p !== "");
    text = [...new Set(pieces)].join(" — ");
  }
  text = text.replace(/\s+/g, " ").trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** What to do about a status, for people. */
function hint(method: string, status: number): string {
  if (status === 401) return "the server wants credentials (set `credentials.username`/`password` of this registry)";
  if (status === 403) return "the credentials were refused or lack write access to this path";
  if (status === 413) return "the server refuses a body this large: raise its upload limit (nginx: client_max_body_size, Apache: LimitRequestBody)";
  if (status === 507) return "the server is out of space";
  if (status === 405 && method === "PUT") return "the server does not accept PUT here: is WebDAV enabled for this location (nginx: dav_methods PUT DELETE MKCOL COPY MOVE)?";
  if (status === 409 && method === "PUT") return "a parent collection is missing or is a file";
  return "";
}

async function connectOptions(tls: TlsSettings | undefined): Promise<NonNullable<Agent.Options["connect"]>> {
  if (tls === undefined) return {};
  const read = async (file: string, what: string): Promise<string> => {
    try {
      return await readFile(file, "utf8");
    } catch (error) {
      throw new FileServerError("FILE_IO", `cannot read the ${what} ${file}: ${(error as Error).message}`, { cause: error });
    }
  };
  return {
    ...(tls.caFile !== undefined ? { ca: [...rootCertificates, await read(tls.caFile, "CA file")] } : {}),
    ...(tls.certFile !== undefined ? { cert: await read(tls.certFile, "client certificate") } : {}),
    ...(tls.keyFile !== undefined ? { key: await read(tls.keyFile, "client key") } : {}),
    rejectUnauthorized: tls.insecureSkipVerify !== true,
  };
}

/** An HTTP client for one WebDAV base URL. */
export class DavHttpClient {
  /** The base URL as shown to people: no credentials, ends with `/`. */
  readonly display: string;
  private readonly base: URL;
  private readonly agent: Agent;
  private readonly authorization: string | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly attempts: number;

  private constructor(base: URL, agent: Agent, authorization: string | undefined, options: HttpClientOptions) {
    this.base = base;
    this.display = base.href;
    this.agent = agent;
    this.authorization = authorization;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.attempts = Math.max(1, options.attempts ?? 3);
  }

  /** Builds the client: reads the TLS files, takes credentials from the settings or the URL's userinfo. */
  static async create(settings: HttpTargetSettings, options: HttpClientOptions = {}): Promise<DavHttpClient> {
    let base: URL;
    try {
      base = new URL(settings.url);
    } catch {
      throw new FileServerError("FILE_UNSUPPORTED", "the fileserver `url` is not a valid URL");
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") throw new FileServerError("FILE_UNSUPPORTED", `the fileserver \`url\` must be http:// or https://, not ${base.protocol}`);
    let authorization = httpAuthorization(settings.credentials);
    if (authorization === undefined && base.username !== "") authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString("base64")}`;
    base.username = "";
    base.password = "";
    base.search = "";
    base.hash = "";
    if (!base.pathname.endsWith("/")) base.pathname = `${base.pathname}/`;
    const concurrency = settings.concurrency ?? 4;
    const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000, connect: base.protocol === "https:" ? await connectOptions(settings.tls) : {} });
    return new DavHttpClient(base, agent, authorization, options);
  }

  /** The URL of a path below the base, each segment percent-encoded. */
  url(path: readonly string[], collection = false): URL {
    const encoded = path.map((s) => encodeURIComponent(s)).join("/");
    return new URL(`${encoded}${collection && path.length > 0 ? "/" : ""}`, this.base);
  }

  /** `METHOD url` for messages (no credentials ever: they travel in a header). */
  describe(method: string, path: readonly string[], collection = false): string {
    return `${method} ${this.url(path, collection).href}`;
  }

  /**
   * Sends a request and returns the response whatever its status, retrying
   * connection failures and 408/429/502/503/504 when the body can be sent
   * again. Throws FILE_NETWORK when no answer came, or the body source's own
   * error (a digest mismatch) when that is why the request failed.
   */
  async send(req: DavRequest): Promise<DavResponse> {
    const url = this.url(req.path, req.collection);
    const attempts = req.retry === false ? 1 : this.attempts;
    const headers: Record<string, string> = { "user-agent": "airgap", ...req.headers };
    if (this.authorization !== undefined) headers["authorization"] = this.authorization;
    for (let attempt = 1; ; attempt++) {
      let sourceError: unknown;
      let body: string | Uint8Array | Readable | null = null;
      if (typeof req.body === "function") {
        const source = await req.body();
        body = Readable.from(
          (async function* () {
            try {
              yield* source;
            } catch (error) {
              sourceError = error;
              throw error;
            }
          })(),
          { objectMode: false },
        );
      } else if (req.body !== undefined) {
        body = req.body;
      }
      let res: Dispatcher.ResponseData;
      try {
        res = await this.agent.request({ origin: url.origin, path: `${url.pathname}`, method: req.method, headers, body, signal: req.signal ?? null });
      } catch (error) {
        if (sourceError !== undefined) throw sourceError;
        if (req.signal?.aborted) throw req.signal.reason ?? error;
        if (attempt < attempts && RETRY_CODES.has(errorCode(error) ?? "")) {
          await this.sleep(this.delay(attempt, undefined));
          continue;
        }
        throw new FileServerError("FILE_NETWORK", `${req.method} ${url.href} failed: ${errorText(error)}`, { cause: error });
      }
      if (attempt < attempts && RETRY_STATUSES.has(res.statusCode)) {
        const retryAfter = retryAfterMs(res.headers["retry-after"]);
        if (retryAfter === undefined || retryAfter <= MAX_RETRY_AFTER_MS) {
          await res.body.dump().catch(() => undefined);
          await this.sleep(this.delay(attempt, retryAfter));
          continue;
        }
      }
      return { status: res.statusCode, headers: res.headers, body: res.body };
    }
  }

  private delay(attempt: number, retryAfter: number | undefined): number {
    return retryAfter ?? Math.min(5_000, 250 * 2 ** (attempt - 1));
  }

  /**
   * The error for an unexpected answer, with the server's own text and a hint.
   * Consumes the response body.
   */
  async failure(method: string, path: readonly string[], res: DavResponse, collection = false, context = ""): Promise<FileServerError> {
    let text = "";
    try {
      text = await readLimited(res.body, 16 * 1024);
    } catch {
      // the body broke off: the status still says what happened
    }
    const contentType = res.headers["content-type"];
    const message = serverMessage(text, Array.isArray(contentType) ? contentType[0] : contentType);
    const reason = STATUS_CODES[res.status] ?? "";
    const advice = hint(method, res.status);
    const full = `${this.describe(method, path, collection)} answered ${res.status}${reason ? ` ${reason}` : ""}${message ? `: "${message}"` : ""}${context}${advice ? ` (${advice})` : ""}`;
    return new FileServerError("FILE_HTTP", full, { status: res.status });
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  // Seconds only: an HTTP date would need a clock, and the backoff is a fine answer to it.
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** Reads a body as text, at most `limit` bytes (the rest is discarded). */
export async function readLimited(body: AsyncIterable<Uint8Array> & { dump?: () => Promise<void> }, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < limit) parts.push(Buffer.from(chunk).subarray(0, limit - size));
    size += chunk.length;
  }
  return Buffer.concat(parts).toString("utf8");
}
