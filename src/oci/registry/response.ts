/**
 * Reading registry responses: bounded body reads, and turning an unexpected
 * status into a {@link RegistryError} with the registry's own explanation.
 */
import { redactUrl } from "../../core/redact.js";
import { readAllLimited } from "../verify.js";
import { RegistryError, describeErrorBody, errorBodyFields, isTemporaryStatus, parseErrorBody, type ParsedErrorBody, type RegistryErrorCode } from "./errors.js";
import { headerValue, type TransportResponse } from "./transport.js";

/** Error bodies are read up to this size; the rest is discarded. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** Reads an error body (bounded), never throwing: a broken body just yields what was read. */
export async function readErrorBody(res: TransportResponse): Promise<ParsedErrorBody> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      const room = ERROR_BODY_LIMIT - total;
      if (room <= 0) break;
      const buf = Buffer.from(chunk);
      chunks.push(room < buf.length ? buf.subarray(0, room) : buf);
      total += buf.length;
    }
  } catch {
    // A reset while reading an error body must not hide the status.
  } finally {
    res.body.destroy();
  }
  return parseErrorBody(Buffer.concat(chunks).toString("utf8"), headerValue(res.headers, "content-type"));
}

/** Reads a whole body that is expected to be small JSON or text (tags lists, tokens), with a limit. */
export async function readBodyText(res: TransportResponse, limit: number, what: string): Promise<string> {
  const buf = await readAllLimited(res.body as AsyncIterable<Uint8Array>, limit, what);
  return buf.toString("utf8");
}

/** What {@link responseError} needs besides the response. */
export interface ResponseErrorContext {
  readonly registry: string;
  readonly method: string;
  /** What was being done, for the message (`push manifest team/app:1.0`). */
  readonly action?: string;
  readonly code?: RegistryErrorCode;
}

/**
 * Builds the error for an unexpected response, reading (and closing) its
 * body. The message names the action, method, redacted URL and status, then
 * the registry's codes and messages or an excerpt of a non-JSON body.
 */
export async function responseError(res: TransportResponse, context: ResponseErrorContext): Promise<RegistryError> {
  const body = await readErrorBody(res);
  return errorFromParsed(res, body, context);
}

/** As {@link responseError}, for a body that was already read. */
export function errorFromParsed(res: TransportResponse, body: ParsedErrorBody, context: ResponseErrorContext): RegistryError {
  const url = redactUrl(res.url);
  const retryAfterMs = res.retryAfterMs;
  const prefix = context.action !== undefined ? `${context.action}: ` : "";
  const attempts = res.attempts > 1 ? ` (after ${res.attempts} attempts)` : "";
  const wait = res.status === 429 && retryAfterMs !== undefined ? ` (the registry asks to retry after ${Math.ceil(retryAfterMs / 1000)} s)` : "";
  return new RegistryError({
    code: context.code ?? "REGISTRY_HTTP",
    message: `${prefix}${context.method} ${url} answered ${res.status}: ${describeErrorBody(body)}${wait}${attempts}`,
    registry: context.registry,
    method: context.method,
    url,
    status: res.status,
    ...errorBodyFields(body),
    temporary: isTemporaryStatus(res.status),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** Discards a response body so its connection returns to the pool. */
export async function discard(res: TransportResponse): Promise<void> {
  await res.body.dump().catch(() => undefined);
}
