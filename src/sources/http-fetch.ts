/**
 * Plain HTTP(S) reads for Helm repositories and file URLs, over the same
 * transport as the registry client (pooled connections, retries of 5xx/429
 * and resets, redirects that drop credentials when they leave the origin).
 * A helm/http source's credentials are passed with the call and sent as
 * Basic auth; a URL holding credentials itself (`https://user:pass@host`) is
 * refused: validate rejects them in airgap.yaml, and one listed in a Helm
 * index is neither sent nor stored.
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { STATUS_CODES } from "node:http";
import type { BasicCredentials } from "../config/normalize.js";
import { redactUrl } from "../core/redact.js";
import { readAllLimited } from "../oci/verify.js";
import type { Transport, TransportResponse } from "../oci/registry/index.js";
import { headerValue } from "../oci/registry/transport.js";
import { basicAuthorization } from "./credentials.js";
import { ResolveError } from "./errors.js";

/** Options of one HTTP read. */
export interface HttpCallOptions {
  readonly signal?: AbortSignal;
  /** The source's credentials, sent as Basic auth (and dropped by a redirect to another origin). */
  readonly credentials?: BasicCredentials;
}

/** HEAD outcome: present (with its length when the server sent one), or absent (404/410). */
export type HttpHeadResult = { readonly found: true; readonly size: number | undefined } | { readonly found: false; readonly status: number };

/** A streamed download's digest and size, or absent. */
export type HttpDigestResult = { readonly found: true; readonly sha256: string; readonly size: number } | { readonly found: false; readonly status: number };

/** A small body read whole, or absent. */
export type HttpTextResult = { readonly found: true; readonly text: string; readonly url: string } | { readonly found: false; readonly status: number };

const ABSENT = new Set([404, 410]);

function parseUrl(url: string): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new ResolveError("SOURCE_INVALID", `"${redactUrl(url)}" is not a valid URL`);
  }
  if (target.username !== "" || target.password !== "") {
    throw new ResolveError("SOURCE_INVALID", `${redactUrl(url)} holds credentials in the URL; airgap neither sends nor stores those: give them in the source's \`credentials\` block`);
  }
  return target;
}

/** Reads files and indexes over HTTP(S). */
export class HttpFetcher {
  private readonly transport: Transport;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  private async send(method: "GET" | "HEAD", url: string, options: HttpCallOptions): Promise<TransportResponse> {
    const target = parseUrl(url);
    const headers: Record<string, string> = options.credentials ? { authorization: basicAuthorization(options.credentials) } : {};
    return this.transport.request({ method, url: target, headers, ...(options.signal !== undefined ? { signal: options.signal } : {}), registry: target.host });
  }

  private async unexpected(method: string, url: string, res: TransportResponse, credentials: BasicCredentials | undefined): Promise<ResolveError> {
    await res.body.dump().catch(() => undefined);
    const reason = STATUS_CODES[res.status];
    const refused = credentials ? ` (the credentials of user ${credentials.username} were refused)` : " (credentials missing: give them in the source's `credentials` block, password as ${VAR})";
    const hint = res.status === 401 || res.status === 403 ? refused : "";
    return new ResolveError("SOURCE_HTTP", `${method} ${redactUrl(url)} answered ${res.status}${reason !== undefined ? ` ${reason}` : ""}${hint}`);
  }

  /** HEAD: does the URL exist, and how long is it? */
  async head(url: string, options: HttpCallOptions = {}): Promise<HttpHeadResult> {
    const res = await this.send("HEAD", url, options);
    if (ABSENT.has(res.status)) {
      await res.body.dump().catch(() => undefined);
      return { found: false, status: res.status };
    }
    if (res.status < 200 || res.status >= 300) throw await this.unexpected("HEAD", url, res, options.credentials);
    await res.body.dump().catch(() => undefined);
    const length = Number(headerValue(res.headers, "content-length"));
    return { found: true, size: Number.isSafeInteger(length) && length >= 0 ? length : undefined };
  }

  /** GET a small body (index.yaml), refusing more than `limit` bytes. */
  async text(url: string, limit: number, options: HttpCallOptions = {}): Promise<HttpTextResult> {
    const res = await this.send("GET", url, options);
    if (ABSENT.has(res.status)) {
      await res.body.dump().catch(() => undefined);
      return { found: false, status: res.status };
    }
    if (res.status < 200 || res.status >= 300) throw await this.unexpected("GET", url, res, options.credentials);
    const bytes = await readAllLimited(res.body as AsyncIterable<Uint8Array>, limit, redactUrl(url));
    return { found: true, text: bytes.toString("utf8"), url: res.url.href };
  }

  /** GET a body whole (a Helm chart archive), refusing more than `limit` bytes. */
  async bytes(url: string, limit: number, options: HttpCallOptions = {}): Promise<{ readonly found: true; readonly bytes: Buffer } | { readonly found: false; readonly status: number }> {
    const res = await this.send("GET", url, options);
    if (ABSENT.has(res.status)) {
      await res.body.dump().catch(() => undefined);
      return { found: false, status: res.status };
    }
    if (res.status < 200 || res.status >= 300) throw await this.unexpected("GET", url, res, options.credentials);
    return { found: true, bytes: await readAllLimited(res.body as AsyncIterable<Uint8Array>, limit, redactUrl(url)) };
  }

  /** GET a body as a stream (a file of any size); the caller verifies it. */
  async stream(url: string, options: HttpCallOptions = {}): Promise<Readable> {
    const res = await this.send("GET", url, options);
    if (res.status < 200 || res.status >= 300) throw await this.unexpected("GET", url, res, options.credentials);
    return res.body as unknown as Readable;
  }

  /** Streams a download through sha256 without keeping it: its digest and size. */
  async digest(url: string, options: HttpCallOptions = {}): Promise<HttpDigestResult> {
    const res = await this.send("GET", url, options);
    if (ABSENT.has(res.status)) {
      await res.body.dump().catch(() => undefined);
      return { found: false, status: res.status };
    }
    if (res.status < 200 || res.status >= 300) throw await this.unexpected("GET", url, res, options.credentials);
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { found: true, sha256: hash.digest("hex"), size };
  }
}
