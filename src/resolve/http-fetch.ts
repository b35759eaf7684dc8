/**
 * Plain HTTP(S) reads for Helm repositories and file URLs, over the same
 * transport as the registry client (pooled connections, retries of 5xx/429
 * and resets, redirects that drop credentials when they leave the origin).
 * Credentials written in a URL (`https://user:pass@host/…`) are sent as
 * Basic auth and never appear in messages.
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { STATUS_CODES } from "node:http";
import { redactUrl } from "../core/redact.js";
import { readAllLimited } from "../oci/verify.js";
import type { Transport, TransportResponse } from "../oci/registry/index.js";
import { headerValue } from "../oci/registry/transport.js";
import { ResolveError } from "./errors.js";

/** HEAD outcome: present (with its length when the server sent one), or absent (404/410). */
export type HttpHeadResult = { readonly found: true; readonly size: number | undefined } | { readonly found: false; readonly status: number };

/** A streamed download's digest and size, or absent. */
export type HttpDigestResult = { readonly found: true; readonly sha256: string; readonly size: number } | { readonly found: false; readonly status: number };

/** A small body read whole, or absent. */
export type HttpTextResult = { readonly found: true; readonly text: string; readonly url: string } | { readonly found: false; readonly status: number };

const ABSENT = new Set([404, 410]);

function splitCredentials(url: string): { readonly target: URL; readonly headers: Record<string, string> } {
  const target = new URL(url);
  const headers: Record<string, string> = {};
  if (target.username !== "" || target.password !== "") {
    const user = decodeURIComponent(target.username);
    const password = decodeURIComponent(target.password);
    headers["authorization"] = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    target.username = "";
    target.password = "";
  }
  return { target, headers };
}

/** Reads files and indexes over HTTP(S). */
export class HttpFetcher {
  private readonly transport: Transport;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  private async send(method: "GET" | "HEAD", url: string, signal: AbortSignal | undefined): Promise<TransportResponse> {
    let parsed;
    try {
      parsed = splitCredentials(url);
    } catch {
      throw new ResolveError("SOURCE_INVALID", `"${redactUrl(url)}" is not a valid URL`);
    }
    return this.transport.request({ method, url: parsed.target, headers: parsed.headers, ...(signal !== undefined ? { signal } : {}), registry: parsed.target.host });
  }

  private async unexpected(method: string, url: string, res: TransportResponse): Promise<ResolveError> {
    await res.body.dump().catch(() => undefined);
    const reason = STATUS_CODES[res.status];
    const hint = res.status === 401 || res.status === 403 ? " (credentials missing or refused: give them in the source URL, e.g. https://user:${PASSWORD}@host/path)" : "";
    return new ResolveError("SOURCE_HTTP", `${method} ${redactUrl(url)} answered ${res.status}${reason !== undefined ? ` ${reason}` : ""}${hint}`);
  }

  /** HEAD: does the URL exist, and how long is it? */
  async head(url: string, signal?: AbortSignal): Promise<HttpHeadResult> {
    const res = await this.send("HEAD", url, signal);
    await res.body.dump().catch(() => undefined);
    if (ABSENT.has(res.status)) return { found: false, status: res.status };
    if (res.status < 200 || res.status >= 300) throw await this.unexpected("HEAD", url, res);
    const length = Number(headerValue(res.headers, "content-length"));
    return { found: true, size: Number.isSafeInteger(length) && length >= 0 ? length : undefined };
  }

  /** GET a small body (index.yaml), refusing more than `limit` bytes. */
  async text(url: string, limit: number, signal?: AbortSignal): Promise<HttpTextResult> {
    const res = await this.send("GET", url, signal);
    if (ABSENT.has(res.status)) {
      await res.body.dump().catch(() => undefined);
      return { found: false, status: res.status };
    }
    if (res.status < 200 || res.status >= 300) throw await this.unexpected("GET", url, res);
    const bytes = await readAllLimited(res.body as AsyncIterable<Uint8Array>, limit, redactUrl(url));
    return { found: true, text: bytes.toString("utf8"), url: res.url.href };
  }

  /** GET a body whole (a Helm chart archive), refusing more than `limit` bytes. */
  async bytes(url: string, limit: number, signal?: AbortSignal): Promise<{ readonly found: true; readonly bytes: Buffer } | { readonly found: false; readonly status: number }> {
    const res = await this.send("GET", url, signal);
    if (ABSENT.has(res.status)) {
      await res.body.dump().catch(() => undefined);
      return { found: false, status: res.status };
    }
    if (res.status < 200 || res.status >= 300) throw await this.unexpected("GET", url, res);
    return { found: true, bytes: await readAllLimited(res.body as AsyncIterable<Uint8Array>, limit, redactUrl(url)) };
  }

  /** GET a body as a stream (a file of any size); the caller verifies it. */
  async stream(url: string, signal?: AbortSignal): Promise<Readable> {
    const res = await this.send("GET", url, signal);
    if (res.status < 200 || res.status >= 300) throw await this.unexpected("GET", url, res);
    return res.body as unknown as Readable;
  }

  /** Streams a download through sha256 without keeping it: its digest and size. */
  async digest(url: string, signal?: AbortSignal): Promise<HttpDigestResult> {
    const res = await this.send("GET", url, signal);
    if (ABSENT.has(res.status)) {
      await res.body.dump().catch(() => undefined);
      return { found: false, status: res.status };
    }
    if (res.status < 200 || res.status >= 300) throw await this.unexpected("GET", url, res);
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { found: true, sha256: hash.digest("hex"), size };
  }
}
