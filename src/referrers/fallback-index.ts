/**
 * Writing a referrer so that both look-ups find it at the target
 * (distribution-spec §Pushing Manifests with Subject): a registry with the
 * referrers API indexes the pushed manifest by its `subject` itself; for a
 * registry without it, and for an OCI layout, the client keeps the
 * `sha256-<hex>` fallback tag: an image index listing every referrer of
 * the subject. It is MERGED: entries already there (pushed by anyone) stay,
 * the new one is appended once, and nothing else of the index changes.
 */
import { Readable } from "node:stream";
import type { Digest } from "../core/digest.js";
import { isIndexMediaType, MediaType } from "../core/media-types.js";
import type { Descriptor } from "../core/oci-types.js";
import type { CallOptions, ContentWriter } from "../oci/content.js";
import { RegistryRepository, referrersTag } from "../oci/registry/index.js";
import { MANIFEST_SIZE_LIMIT, readAllLimited, sha256Digest } from "../oci/verify.js";
import { ReferrerError } from "../core/referrer-errors.js";

/** What {@link attachReferrer} did: the registry indexes referrers itself, the fallback index gained the entry, or already had it. */
export type AttachOutcome = "api" | "added" | "present";

/** One writer at a time per fallback tag in this process: two referrers of one subject must not overwrite each other's entry. */
const queues = new Map<string, Promise<unknown>>();

async function serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
  const before = queues.get(key) ?? Promise.resolve();
  const run = before.then(work, work);
  const settled = run.catch(() => undefined);
  queues.set(key, settled);
  try {
    return await run;
  } finally {
    if (queues.get(key) === settled) queues.delete(key);
  }
}

async function readBytes(target: ContentWriter, descriptor: Descriptor, options: CallOptions): Promise<Buffer> {
  return readAllLimited(await target.fetch(descriptor, options), MANIFEST_SIZE_LIMIT, `${target.name}@${descriptor.digest}`);
}

/** The referrers-list entry of a manifest: its artifactType (else its config's media type) and its annotations (spec §Listing Referrers). */
export function referrerDescriptor(root: Descriptor, bytes: Buffer): Descriptor {
  const json = JSON.parse(bytes.toString("utf8")) as { artifactType?: unknown; config?: { mediaType?: unknown }; annotations?: unknown };
  const artifactType = typeof json.artifactType === "string" ? json.artifactType : typeof json.config?.mediaType === "string" ? json.config.mediaType : undefined;
  const annotations = typeof json.annotations === "object" && json.annotations !== null ? (json.annotations as Record<string, string>) : undefined;
  return { mediaType: root.mediaType, digest: root.digest, size: root.size, ...(artifactType !== undefined ? { artifactType } : {}), ...(annotations !== undefined ? { annotations } : {}) };
}

/** True when the target is a registry that answers the referrers API (it then indexes `subject` on push). */
async function hasReferrersApi(target: ContentWriter, subject: string, options: CallOptions): Promise<boolean> {
  if (!(target instanceof RegistryRepository)) return false;
  const answer = await target.client.listReferrers(target.repository, subject, options);
  return answer.source === "api";
}

/**
 * What finds referrers of `subject` in `target`: `"api"` when the registry
 * indexes them itself, else the digests its fallback index lists (none when
 * there is no such index). A referrer pushed but not listed (an apply
 * stopped in between, or another tool) is then planned again, so apply
 * lists it.
 */
export async function listedAt(target: ContentWriter, subject: string, options: CallOptions = {}): Promise<"api" | ReadonlySet<string>> {
  if (await hasReferrersApi(target, subject, options)) return "api";
  const current = await target.resolve(referrersTag(subject as Digest), options);
  if (current === undefined || !isIndexMediaType(current.mediaType)) return new Set();
  const raw = JSON.parse((await readBytes(target, current, options)).toString("utf8")) as { manifests?: unknown };
  return new Set(Array.isArray(raw.manifests) ? (raw.manifests as Descriptor[]).map((d) => d.digest) : []);
}

/**
 * Makes a pushed referrer (`root`, already in `target`) findable by its
 * subject: nothing to do on a registry with the referrers API; otherwise
 * the fallback index tag is read, the entry appended when missing, and the
 * index pushed and tagged. Refuses, naming the tag, when the tag holds
 * something other than an index (overwriting it would lose what is there).
 */
export async function attachReferrer(target: ContentWriter, root: Descriptor, subject: string, options: CallOptions = {}): Promise<AttachOutcome> {
  if (await hasReferrersApi(target, subject, options)) return "api";
  const tag = referrersTag(subject as Digest);
  return serialized(`${target.name}\u0000${tag}`, async () => {
    const entry = referrerDescriptor(root, await readBytes(target, root, options));
    const current = await target.resolve(tag, options);
    let raw: Record<string, unknown> = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
    if (current !== undefined) {
      if (!isIndexMediaType(current.mediaType)) {
        throw new ReferrerError(
          "REFERRER_TAG_NOT_INDEX",
          `${target.name}:${tag} is the referrers fallback tag of ${subject}, but it holds a ${current.mediaType} (${current.digest}), not an image index; airgap will not overwrite it: remove that tag in the target, then apply again`,
        );
      }
      raw = JSON.parse((await readBytes(target, current, options)).toString("utf8")) as Record<string, unknown>;
    }
    const manifests = Array.isArray(raw["manifests"]) ? (raw["manifests"] as Descriptor[]) : [];
    if (manifests.some((d) => d.digest === root.digest)) return "present";
    const bytes = Buffer.from(JSON.stringify({ ...raw, manifests: [...manifests, entry] }));
    const index: Descriptor = { mediaType: current?.mediaType ?? MediaType.OciIndex, digest: sha256Digest(bytes), size: bytes.length };
    await target.push(index, Readable.from([bytes]), options);
    await target.tag(index, tag, options);
    return "added";
  });
}
