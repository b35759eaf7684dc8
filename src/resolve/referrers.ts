/**
 * Finding what refers to an image in its source, for the lock: the OCI
 * referrers API (`GET /v2/<name>/referrers/<digest>`, filtered by
 * `artifactType` when asked), its `sha256-<hex>` fallback tag when the API
 * answers 404 (and always for OCI layouts, which have no API), and cosign's
 * `sha256-<hex>.sig|.att|.sbom` tags. Every referrer found by subject is
 * fetched and checked to name the image in its `subject`: a list that
 * claims otherwise is refused, naming the referrer.
 */
import type { Digest } from "../core/digest.js";
import { isIndexMediaType } from "../core/media-types.js";
import type { Descriptor } from "../core/oci-types.js";
import type { CallOptions } from "../oci/content.js";
import { RegistryRepository, referrersTag } from "../oci/registry/index.js";
import type { LockedReferrer } from "../lock/model.js";
import { manifestFacts } from "./manifest-facts.js";
import type { SourceRepository } from "../sources/source-repository.js";
import { cosignTags } from "../core/referrer-tags.js";
import { ReferrerError } from "../core/referrer-errors.js";
import type { ReferrerFilter } from "../lock/referrer-filter.js";

/** Options of {@link discoverReferrers}. */
export interface DiscoverOptions extends CallOptions {
  readonly filter: ReferrerFilter;
}

/** The referrers list of one subject: descriptors, from the API or the fallback tag. */
async function listed(repo: SourceRepository, subject: string, artifactType: string | undefined, options: CallOptions): Promise<readonly Descriptor[]> {
  const tag = referrersTag(subject as Digest);
  if (repo.reader instanceof RegistryRepository) {
    const call = { ...options, ...(artifactType !== undefined ? { artifactType } : {}) };
    const result = await repo.reader.client.listReferrers(repo.reader.repository, subject, call);
    if (result.notAnIndex !== undefined) throw notAnIndex(repo, tag, result.notAnIndex);
    return result.descriptors;
  }
  // Layouts have no API: the fallback tag is where referrers are listed.
  const found = await repo.getManifest(tag, options);
  if (found === undefined) return [];
  if (!isIndexMediaType(found.descriptor.mediaType)) throw notAnIndex(repo, tag, found.descriptor);
  const list = parseJson(found.bytes, `${repo.name}:${tag}`) as { manifests?: unknown };
  const all = Array.isArray(list.manifests) ? (list.manifests as Descriptor[]).filter((d) => typeof d?.digest === "string") : [];
  return artifactType === undefined ? all : all.filter((d) => d.artifactType === artifactType);
}

function notAnIndex(repo: SourceRepository, tag: string, held: Descriptor): ReferrerError {
  return new ReferrerError(
    "REFERRER_TAG_NOT_INDEX",
    `${repo.name}:${tag} is the referrers fallback tag of ${tag.replace("-", ":")}, but it holds a ${held.mediaType} (${held.digest}), not the image index the tag schema calls for; remove or retag it upstream, or turn referrers off for this bundle`,
  );
}

function parseJson(bytes: Buffer, where: string): unknown {
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch {
    throw new ReferrerError("REFERRER_INVALID", `${where} is not JSON`);
  }
}

/** The artifact type of a referrer manifest: its own `artifactType`, else its config's media type (distribution-spec §Listing Referrers). */
function artifactTypeOf(json: Record<string, unknown>, listed: Descriptor | undefined): string | undefined {
  if (typeof json["artifactType"] === "string") return json["artifactType"];
  const config = json["config"] as { mediaType?: unknown } | undefined;
  if (typeof config?.mediaType === "string") return config.mediaType;
  return listed?.artifactType;
}

/**
 * Every referrer of `subject` in `repo` that the filter keeps, sorted by
 * digest then tag. Throws {@link ReferrerError} when the source's referrers
 * contradict themselves.
 */
export async function discoverReferrers(repo: SourceRepository, subject: string, options: DiscoverOptions): Promise<LockedReferrer[]> {
  const call = options.signal !== undefined ? { signal: options.signal } : {};
  const types = options.filter === true ? [undefined] : [...new Set(options.filter)];
  const byDigest = new Map<string, Descriptor>();
  for (const type of types) for (const d of await listed(repo, subject, type, call)) byDigest.set(d.digest, d);

  const found: LockedReferrer[] = [];
  for (const d of byDigest.values()) {
    const manifest = await repo.getManifest(d.digest, call);
    if (manifest === undefined) throw new ReferrerError("REFERRER_MISSING", `the referrers list of ${repo.name}@${subject} names ${d.digest}, which ${repo.name} does not have`);
    const json = parseJson(manifest.bytes, `referrer ${repo.name}@${d.digest}`) as Record<string, unknown>;
    const named = (json["subject"] as { digest?: unknown } | undefined)?.digest;
    if (named !== subject) {
      throw new ReferrerError(
        "REFERRER_SUBJECT_MISMATCH",
        `referrer ${repo.name}@${d.digest} is listed as referring to ${subject}, but its subject is ${typeof named === "string" ? named : "missing"}; the source's referrers list is wrong (fix or remove the fallback tag ${referrersTag(subject as Digest)} upstream)`,
      );
    }
    const facts = await manifestFacts(repo, manifest, call);
    const artifactType = artifactTypeOf(json, d);
    found.push({ digest: facts.digest, mediaType: facts.mediaType, size: facts.size, ...(facts.contentSize !== undefined ? { contentSize: facts.contentSize } : {}), ...(artifactType !== undefined ? { artifactType } : {}) });
  }

  for (const cosign of cosignTags(subject)) {
    if (options.filter !== true && !options.filter.includes(cosign.artifactType)) continue;
    const manifest = await repo.getManifest(cosign.tag, call);
    if (manifest === undefined) continue;
    const facts = await manifestFacts(repo, manifest, call);
    found.push({ digest: facts.digest, mediaType: facts.mediaType, size: facts.size, ...(facts.contentSize !== undefined ? { contentSize: facts.contentSize } : {}), artifactType: cosign.artifactType, tag: cosign.tag });
  }
  const key = (r: LockedReferrer) => `${r.digest} ${r.tag ?? ""}`;
  return found.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
