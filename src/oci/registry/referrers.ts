/**
 * Referrers (signatures, SBOMs, attestations) of a manifest: the OCI 1.1
 * referrers API, or — when a registry does not have it — the referrers tag
 * schema `<alg>-<hex>` (distribution-spec §Listing Referrers, §Referrers Tag Schema).
 */
import { digestAlgorithm, digestEncoded, type Digest } from "../../core/digest.js";
import { MediaType, isIndexMediaType } from "../../core/media-types.js";
import type { Descriptor } from "../../core/oci-types.js";
import { redactUrl } from "../../core/redact.js";
import type { RegistryConnection } from "./connection.js";
import { RegistryError } from "./errors.js";
import { nextPageUrl } from "./link.js";
import { withQuery } from "./location.js";
import { bareMediaType, getManifest, type CallSignal } from "./manifests.js";
import { checkDigest, checkRepository } from "./names.js";
import { discard, readBodyText, responseError } from "./response.js";
import { repositoryScope } from "./scope.js";
import { headerValue, headerValues } from "./transport.js";

/** Referrers of a subject and where the list came from. */
export interface ReferrersResult {
  readonly descriptors: readonly Descriptor[];
  /** `api`: the registry's referrers API; `tag-schema`: the fallback index tag (possibly absent: then empty). */
  readonly source: "api" | "tag-schema";
  /** True when the artifactType filter was applied (by the registry, or here for the tag schema). */
  readonly filtered: boolean;
  /**
   * The fallback tag exists but holds something other than an image index
   * (the spec then says "no referrers"; callers decide whether that is an
   * error): what it holds.
   */
  readonly notAnIndex?: Descriptor;
}

/** Options of {@link listReferrers}. */
export interface ReferrersOptions extends CallSignal {
  readonly artifactType?: string;
}

/** The fallback tag for a subject digest: `<alg>-<hex>`, alg cut to 32 and hex to 64 characters, other characters as `-`. */
export function referrersTag(digest: Digest): string {
  const clean = (s: string): string => s.replace(/[^a-zA-Z0-9._-]/g, "-");
  return `${clean(digestAlgorithm(digest)).slice(0, 32)}-${clean(digestEncoded(digest)).slice(0, 64)}`;
}

function descriptorsOf(json: unknown): Descriptor[] {
  const manifests = typeof json === "object" && json !== null ? (json as { manifests?: unknown }).manifests : undefined;
  return Array.isArray(manifests) ? manifests.filter((m): m is Descriptor => typeof m === "object" && m !== null && typeof (m as Descriptor).digest === "string") : [];
}

/**
 * Lists the referrers of `digest` in a repository. Uses the API when the
 * registry answers 200 with an OCI index (go-containerregistry's rule: a 200
 * HTML page from a proxy is not support); on 404 (or 400/405/406, or another
 * content type) reads the `sha256-<hex>` tag instead.
 */
export async function listReferrers(conn: RegistryConnection, repository: string, digest: string, options: ReferrersOptions = {}): Promise<ReferrersResult> {
  checkRepository(repository);
  const subject = checkDigest(digest);
  const scopes = [repositoryScope(repository, ["pull"])];
  const signal = options.signal !== undefined ? { signal: options.signal } : {};
  let url: URL | undefined = conn.url(`/v2/${repository}/referrers/${subject}`);
  if (options.artifactType !== undefined) url = withQuery(url, { artifactType: options.artifactType });
  const found: Descriptor[] = [];
  let filtered = false;
  let firstPage = true;
  while (url !== undefined) {
    const res = await conn.send({ method: "GET", url, headers: { accept: MediaType.OciIndex }, scopes, ...signal });
    const type = bareMediaType(headerValue(res.headers, "content-type"));
    if (firstPage && (res.status === 404 || res.status === 400 || res.status === 405 || res.status === 406 || (res.status === 200 && type !== MediaType.OciIndex))) {
      await discard(res);
      return fromTagSchema(conn, repository, subject, options);
    }
    if (res.status !== 200) throw await responseError(res, { registry: conn.registry, method: "GET", action: `list referrers of ${repository}@${subject}` });
    const text = await readBodyText(res, 4 * 1024 * 1024, `referrers of ${repository}@${subject}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RegistryError({ code: "REGISTRY_PROTOCOL", message: `list referrers of ${repository}@${subject}: the answer is not JSON`, registry: conn.registry, method: "GET", url: redactUrl(url), status: 200, temporary: false });
    }
    found.push(...descriptorsOf(json));
    if (/artifactType/i.test(headerValue(res.headers, "oci-filters-applied") ?? "")) filtered = true;
    url = nextPageUrl(headerValues(res.headers, "link"), res.url);
    firstPage = false;
  }
  if (options.artifactType !== undefined && !filtered) {
    return { descriptors: found.filter((d) => d.artifactType === options.artifactType), source: "api", filtered: true };
  }
  return { descriptors: found, source: "api", filtered };
}

async function fromTagSchema(conn: RegistryConnection, repository: string, subject: Digest, options: ReferrersOptions): Promise<ReferrersResult> {
  const tag = referrersTag(subject);
  const got = await getManifest(conn, repository, tag, options);
  if (!got.found) return { descriptors: [], source: "tag-schema", filtered: options.artifactType !== undefined };
  if (!isIndexMediaType(got.manifest.descriptor.mediaType)) {
    // spec: a 404 API and no valid index under the tag means no referrers; the caller hears what is there instead.
    return { descriptors: [], source: "tag-schema", filtered: options.artifactType !== undefined, notAnIndex: got.manifest.descriptor };
  }
  let all: Descriptor[];
  try {
    all = descriptorsOf(JSON.parse(got.manifest.bytes.toString("utf8")));
  } catch {
    all = [];
  }
  const descriptors = options.artifactType !== undefined ? all.filter((d) => d.artifactType === options.artifactType) : all;
  return { descriptors, source: "tag-schema", filtered: options.artifactType !== undefined };
}
