/**
 * Tag listing and catalog (distribution-spec end-8, and distribution's
 * `/v2/_catalog`), paginated by the `Link: <…>; rel="next"` header with the
 * `last` parameter as a fallback for registries that send no Link.
 */
import { redactUrl } from "../../core/redact.js";
import type { RegistryConnection } from "./connection.js";
import { RegistryError } from "./errors.js";
import { nextPageUrl } from "./link.js";
import { withQuery } from "./location.js";
import type { CallSignal } from "./manifests.js";
import { checkRepository } from "./names.js";
import { discard, readBodyText, responseError } from "./response.js";
import { CATALOG_SCOPE, repositoryScope } from "./scope.js";
import { headerValues } from "./transport.js";

/** Paging options. */
export interface ListOptions extends CallSignal {
  /** `n`: entries per page. Default: the registry's own page size. ECR rejects more than 1000. */
  readonly pageSize?: number;
  /** Safety bound against a registry that loops. Default 10 000 pages. */
  readonly maxPages?: number;
}

const PAGE_LIMIT = 16 * 1024 * 1024;

async function* pages(conn: RegistryConnection, path: string, field: "tags" | "repositories", scopes: readonly string[], what: string, options: ListOptions): AsyncGenerator<readonly string[]> {
  const first = conn.url(path);
  let url: URL | undefined = options.pageSize !== undefined ? withQuery(first, { n: String(options.pageSize) }) : first;
  const seen = new Set<string>();
  const seenEntries = new Set<string>();
  const maxPages = options.maxPages ?? 10_000;
  for (let page = 0; url !== undefined; page++) {
    if (page >= maxPages || seen.has(url.href)) {
      throw new RegistryError({ code: "REGISTRY_PROTOCOL", message: `${what}: pagination did not end after ${page} pages`, registry: conn.registry, method: "GET", url: redactUrl(url), temporary: false });
    }
    seen.add(url.href);
    const res = await conn.send({ method: "GET", url, scopes, ...(options.signal !== undefined ? { signal: options.signal } : {}) });
    if (res.status === 404 && field === "tags") {
      await discard(res);
      return; // no such repository: no tags
    }
    if (res.status !== 200) throw await responseError(res, { registry: conn.registry, method: "GET", action: what });
    const text = await readBodyText(res, PAGE_LIMIT, what);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RegistryError({ code: "REGISTRY_PROTOCOL", message: `${what}: ${conn.registry} answered something that is not JSON`, registry: conn.registry, method: "GET", url: redactUrl(url), status: 200, temporary: false });
    }
    const list = typeof json === "object" && json !== null ? (json as Record<string, unknown>)[field] : undefined;
    const all = Array.isArray(list) ? list.filter((t): t is string => typeof t === "string") : []; // `null` for an empty repository on some registries
    const entries = all.filter((e) => !seenEntries.has(e));
    for (const e of entries) seenEntries.add(e);
    if (entries.length > 0 || page === 0) yield entries;
    const next = nextPageUrl(headerValues(res.headers, "link"), res.url);
    if (next !== undefined) {
      url = next;
    } else if (options.pageSize !== undefined && all.length === options.pageSize && entries.length > 0) {
      // No Link but exactly a full page: ask for what follows the last entry (spec fallback). A
      // registry that ignores `n` (distribution 2.8 for tags) answers everything at once: then
      // the page is larger than n and there is nothing more to ask.
      url = withQuery(first, { n: String(options.pageSize), last: all[all.length - 1] ?? "" });
    } else {
      url = undefined;
    }
  }
}

/** The tags of a repository page by page (an absent repository yields nothing). */
export function tagPages(conn: RegistryConnection, repository: string, options: ListOptions = {}): AsyncGenerator<readonly string[]> {
  checkRepository(repository);
  return pages(conn, `/v2/${repository}/tags/list`, "tags", [repositoryScope(repository, ["pull"])], `list tags of ${repository}`, options);
}

/** All tags of a repository, following every page; an absent repository has none. */
export async function listTags(conn: RegistryConnection, repository: string, options: ListOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const page of tagPages(conn, repository, options)) out.push(...page);
  return out;
}

/**
 * All repositories of the registry (`/v2/_catalog`). Not part of the OCI
 * spec: Harbor needs admin rights and Docker Hub refuses it, so prefer a
 * provider's own API where there is one.
 */
export async function listCatalog(conn: RegistryConnection, options: ListOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const page of pages(conn, "/v2/_catalog", "repositories", [CATALOG_SCOPE], `list the catalog of ${conn.registry}`, options)) out.push(...page);
  return out;
}
