/**
 * The one error family of the distribution client: a registry (or its token
 * endpoint, or the network in between) did not do what was asked. Expected
 * outcomes such as "manifest absent" are return values, never this error.
 */
import { AirgapError } from "../../core/errors.js";

/** One entry of the registry's JSON error body (`{"errors":[{code,message,detail}]}`, distribution-spec §Error Codes). */
export interface OciErrorEntry {
  readonly code: string;
  readonly message: string;
  readonly detail?: unknown;
}

/**
 * Sub-kinds of {@link RegistryError}, so callers and tests can branch without
 * parsing messages:
 * - `REGISTRY_HTTP`: the registry answered with an unexpected status;
 * - `REGISTRY_AUTH`: credentials are missing or were refused;
 * - `REGISTRY_NETWORK`: the connection failed (after retries);
 * - `REGISTRY_TLS`: the registry's certificate was refused (the message names the setting that fixes it);
 * - `REGISTRY_PROTOCOL`: the answer was unusable (no Location, a redirect loop, a digest that does not match).
 */
export type RegistryErrorCode = "REGISTRY_HTTP" | "REGISTRY_AUTH" | "REGISTRY_NETWORK" | "REGISTRY_TLS" | "REGISTRY_PROTOCOL";

/** What {@link RegistryError} is built from; `url` must already be redacted. */
export interface RegistryErrorInit {
  readonly code: RegistryErrorCode;
  readonly message: string;
  readonly registry: string;
  readonly method: string;
  readonly url: string;
  readonly status?: number;
  readonly errors?: readonly OciErrorEntry[];
  readonly temporary: boolean;
  readonly bodyExcerpt?: string;
  /** The message of a JSON body that is not the OCI envelope (token servers' `details`, `error`). */
  readonly bodyMessage?: string;
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

/**
 * A failed exchange with a registry. Carries everything an operator needs to
 * act as fields, not only in the message: the HTTP status, the registry's own
 * error code and message as it wrote them, the request (method and redacted
 * URL), and whether retrying later may help. Wrappers (CopyError) keep it as
 * their `cause`, so these facts reach the change-failed event intact.
 */
export class RegistryError extends AirgapError {
  declare readonly code: RegistryErrorCode;
  /** Registry host (`127.0.0.1:5000`) or token endpoint host the failure concerns. */
  readonly registry: string;
  readonly method: string;
  /** The request URL with credentials and signatures redacted. */
  readonly url: string;
  /** HTTP status; undefined when no response was received. */
  readonly status: number | undefined;
  /** The OCI error entries of the response body, empty when there were none. */
  readonly errors: readonly OciErrorEntry[];
  /** True when the same request may succeed later (429, 5xx, connection failures). */
  readonly temporary: boolean;
  /** A short excerpt of a non-JSON body (HTML from a proxy, plain text). */
  readonly bodyExcerpt: string | undefined;
  /** The registry's requested wait, when it sent Retry-After. */
  readonly retryAfterMs: number | undefined;
  /** The registry's own error code: the first `errors[].code` of its answer (`MANIFEST_BLOB_UNKNOWN`, `DENIED`). */
  readonly registryCode: string | undefined;
  /**
   * The registry's own words, as it wrote them: the `errors[].message`s of its
   * answer (joined by "; "), else the message of another JSON body, else an
   * excerpt of a text or HTML body; undefined when it said nothing.
   */
  readonly registryMessage: string | undefined;

  constructor(init: RegistryErrorInit) {
    super(init.code, init.message, init.cause !== undefined ? { cause: init.cause } : undefined);
    this.registry = init.registry;
    this.method = init.method;
    this.url = init.url;
    this.status = init.status;
    this.errors = init.errors ?? [];
    this.temporary = init.temporary;
    this.bodyExcerpt = init.bodyExcerpt;
    this.retryAfterMs = init.retryAfterMs;
    this.registryCode = this.errors[0]?.code;
    const ociMessages = this.errors.map((e) => e.message).filter((m) => m !== "");
    this.registryMessage = ociMessages.length > 0 ? ociMessages.join("; ") : (init.bodyMessage ?? init.bodyExcerpt);
  }

  /** True when the registry reported the given OCI error code (e.g. `MANIFEST_BLOB_UNKNOWN`). */
  hasCode(code: string): boolean {
    return this.errors.some((e) => e.code === code);
  }
}

/** The registry's error body, understood as far as it can be. */
export type ParsedErrorBody =
  | { readonly kind: "empty" }
  | { readonly kind: "oci"; readonly errors: readonly OciErrorEntry[] }
  /** JSON, but not the OCI envelope (token servers: `{"details": …}`, `{"error": …}`). */
  | { readonly kind: "json"; readonly message: string | undefined; readonly excerpt: string }
  | { readonly kind: "html"; readonly excerpt: string }
  | { readonly kind: "text"; readonly excerpt: string };

const EXCERPT_LENGTH = 200;

/** Collapses white space and cuts a text to a short excerpt for error messages. */
export function excerpt(text: string, length = EXCERPT_LENGTH): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > length ? `${flat.slice(0, length)}…` : flat;
}

function htmlText(html: string): string {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1];
  const body = html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
  const text = excerpt(body);
  return title !== undefined && !text.startsWith(excerpt(title)) ? excerpt(`${title.trim()}: ${text}`) : text;
}

function stringField(value: unknown, ...keys: string[]): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  for (const key of keys) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field === "string" && field !== "") return field;
  }
  return undefined;
}

/**
 * Parses an error response body. Registries answer `{"errors":[…]}`; proxies
 * and load balancers in front of them answer HTML or plain text, which is
 * reported as such with an excerpt instead of a JSON parse failure.
 */
export function parseErrorBody(text: string, contentType?: string): ParsedErrorBody {
  const trimmed = text.trim();
  if (trimmed === "") return { kind: "empty" };
  const looksHtml = /html/i.test(contentType ?? "") || /^<(!doctype|html|head|body|\?xml)/i.test(trimmed) || /^<[a-z]/i.test(trimmed);
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      const json: unknown = JSON.parse(trimmed);
      const errors = typeof json === "object" && json !== null ? (json as { errors?: unknown }).errors : undefined;
      if (Array.isArray(errors)) {
        const entries = errors
          .filter((e): e is Record<string, unknown> => typeof e === "object" && e !== null)
          .map((e): OciErrorEntry => {
            const code = typeof e.code === "string" ? e.code : "UNKNOWN";
            const message = typeof e.message === "string" ? e.message : "";
            return e.detail !== undefined && e.detail !== null ? { code, message, detail: e.detail } : { code, message };
          });
        if (entries.length > 0) return { kind: "oci", errors: entries };
      }
      return { kind: "json", message: stringField(json, "details", "detail", "message", "error_description", "error"), excerpt: excerpt(trimmed) };
    } catch {
      // Not JSON after all: fall through to text.
    }
  }
  if (looksHtml) return { kind: "html", excerpt: htmlText(trimmed) };
  return { kind: "text", excerpt: excerpt(trimmed) };
}

/** A one-line human description of a parsed body, for error messages. */
export function describeErrorBody(body: ParsedErrorBody): string {
  switch (body.kind) {
    case "empty":
      return "no error details in the response";
    case "oci":
      return body.errors.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join("; ");
    case "json":
      return body.message ?? `unexpected JSON: ${body.excerpt}`;
    case "html":
      return `the registry answered HTML instead of a JSON error (a proxy or web server in front of it?): "${body.excerpt}"`;
    case "text":
      return `the registry answered non-JSON text: "${body.excerpt}"`;
  }
}

/** The registry's own message, preferring the OCI message text over codes (for "authentication failed for …: <message>"). */
export function registryMessage(body: ParsedErrorBody): string {
  switch (body.kind) {
    case "oci":
      return body.errors.map((e) => e.message || e.code).join("; ");
    case "json":
      return body.message ?? body.excerpt;
    case "empty":
      return "no message";
    default:
      return describeErrorBody(body);
  }
}

/** The fields of a {@link RegistryError} that describe the body of the answer. */
export function errorBodyFields(body: ParsedErrorBody): Pick<RegistryErrorInit, "errors" | "bodyExcerpt" | "bodyMessage"> {
  switch (body.kind) {
    case "oci":
      return { errors: body.errors };
    case "json":
      return { bodyExcerpt: body.excerpt, ...(body.message !== undefined ? { bodyMessage: body.message } : {}) };
    case "html":
    case "text":
      return { bodyExcerpt: body.excerpt };
    case "empty":
      return {};
  }
}

/** True for statuses worth retrying later (the `temporary` flag of {@link RegistryError}). */
export function isTemporaryStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}
