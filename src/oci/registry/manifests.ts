/**
 * Manifest endpoints (distribution-spec end-3, end-7, end-9): HEAD, GET
 * (always with the full Accept list, verified against every digest that is
 * known, limited to 4 MiB), PUT (exact bytes, Content-Type = media type)
 * and DELETE by digest.
 */
import type { Digest } from "../../core/digest.js";
import { parseDigest } from "../../core/digest.js";
import { AirgapError } from "../../core/errors.js";
import { redactUrl } from "../../core/redact.js";
import { MANIFEST_MEDIA_TYPES, MediaType } from "../../core/media-types.js";
import type { Descriptor } from "../../core/oci-types.js";
import { ContentVerificationError, MANIFEST_SIZE_LIMIT, digestOf, readAllLimited, sha256Digest } from "../verify.js";
import type { RegistryConnection } from "./connection.js";
import { RegistryError } from "./errors.js";
import { checkDigest, checkRepository, parseManifestReference, referencePath, type ManifestReference } from "./names.js";
import { discard, responseError } from "./response.js";
import { repositoryScope } from "./scope.js";
import { headerValue } from "./transport.js";

/** The Accept header for manifests: all four types, so the registry never converts (providers-notes §1.3). */
export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(", ");

/** Options of every call. */
export interface CallSignal {
  readonly signal?: AbortSignal;
}

/** What HEAD tells about a manifest; digest and size may be missing on old registries. */
export interface ManifestHead {
  readonly found: true;
  readonly mediaType: string | undefined;
  readonly digest: Digest | undefined;
  readonly size: number | undefined;
}

/** HEAD outcome: present (with what the registry said) or absent. */
export type ManifestHeadResult = ManifestHead | { readonly found: false };

/** A manifest's exact bytes and its descriptor (digest computed locally). */
export interface FetchedManifest {
  readonly descriptor: Descriptor;
  readonly bytes: Buffer;
}

/** GET outcome: the verified manifest, or absent. */
export type ManifestGetResult = { readonly found: true; readonly manifest: FetchedManifest } | { readonly found: false };

/** What the registry answered to a manifest PUT. */
export interface PutManifestResult {
  readonly digest: Digest;
  /** `OCI-Subject` response header: the registry processed the `subject` (has the referrers API). */
  readonly subject: Digest | undefined;
}

/** DELETE outcome. */
export type DeleteResult = { readonly deleted: true } | { readonly deleted: false; readonly reason: "absent" };

/** The media type without parameters, lowercased. */
export function bareMediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const bare = contentType.split(";")[0]?.trim().toLowerCase();
  return bare === "" ? undefined : bare;
}

/**
 * The media type of manifest bytes: the `mediaType` field when present, else
 * the response Content-Type when it is a manifest type, else inferred from
 * the shape (an OCI manifest or index may omit `mediaType`).
 */
export function detectManifestMediaType(bytes: Uint8Array, contentType: string | undefined): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    return bareMediaType(contentType);
  }
  if (typeof json !== "object" || json === null) return bareMediaType(contentType);
  const record = json as Record<string, unknown>;
  if (typeof record.mediaType === "string" && record.mediaType !== "") return record.mediaType;
  const header = bareMediaType(contentType);
  if (header !== undefined && MANIFEST_MEDIA_TYPES.includes(header)) return header;
  if (Array.isArray(record.manifests)) return MediaType.OciIndex;
  if (typeof record.config === "object" && record.config !== null) return MediaType.OciManifest;
  return header;
}

function hasMediaTypeField(bytes: Uint8Array): boolean {
  try {
    const json: unknown = JSON.parse(Buffer.from(bytes).toString("utf8"));
    return typeof json === "object" && json !== null && typeof (json as { mediaType?: unknown }).mediaType === "string";
  } catch {
    return false;
  }
}

function manifestPath(repository: string, reference: ManifestReference): string {
  return `/v2/${repository}/manifests/${referencePath(reference)}`;
}

function describe(repository: string, reference: ManifestReference): string {
  return reference.kind === "tag" ? `${repository}:${reference.tag}` : `${repository}@${reference.digest}`;
}

/** Sends a manifest HEAD or GET with every manifest type in Accept; undefined when the registry answers 404. */
async function requestManifest(conn: RegistryConnection, method: "HEAD" | "GET", repository: string, ref: ManifestReference, options: CallSignal) {
  const res = await conn.send({
    method,
    url: manifestPath(repository, ref),
    headers: { accept: MANIFEST_ACCEPT },
    scopes: [repositoryScope(repository, ["pull"])],
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  if (res.status !== 404) return res;
  await discard(res);
  return undefined;
}

/** HEAD a manifest by tag or digest. Absent (404) is a result. */
export async function headManifest(conn: RegistryConnection, repository: string, reference: string, options: CallSignal = {}): Promise<ManifestHeadResult> {
  checkRepository(repository);
  const ref = parseManifestReference(reference);
  const res = await requestManifest(conn, "HEAD", repository, ref, options);
  if (res === undefined) return { found: false };
  if (res.status !== 200) throw await responseError(res, { registry: conn.registry, method: "HEAD", action: `check manifest ${describe(repository, ref)}` });
  await discard(res);
  const digestHeader = headerValue(res.headers, "docker-content-digest");
  const parsed = digestHeader !== undefined ? parseDigest(digestHeader) : undefined;
  const length = Number(headerValue(res.headers, "content-length"));
  return {
    found: true,
    mediaType: bareMediaType(headerValue(res.headers, "content-type")),
    digest: parsed?.ok ? parsed.digest : ref.kind === "digest" ? ref.digest : undefined,
    size: Number.isInteger(length) && length > 0 ? length : undefined,
  };
}

/**
 * GET a manifest by tag or digest, with every manifest type in Accept.
 * The digest is computed locally from the exact bytes and checked against
 * `Docker-Content-Digest` (when sent) and the requested digest (when the
 * reference was one). Manifests over 4 MiB are refused.
 */
export async function getManifest(conn: RegistryConnection, repository: string, reference: string, options: CallSignal = {}): Promise<ManifestGetResult> {
  checkRepository(repository);
  const ref = parseManifestReference(reference);
  const what = `manifest ${describe(repository, ref)}`;
  const res = await requestManifest(conn, "GET", repository, ref, options);
  if (res === undefined) return { found: false };
  if (res.status !== 200) throw await responseError(res, { registry: conn.registry, method: "GET", action: `get ${what}` });
  const declared = Number(headerValue(res.headers, "content-length"));
  if (Number.isFinite(declared) && declared > MANIFEST_SIZE_LIMIT) {
    res.body.destroy();
    throw new AirgapError("TOO_LARGE", `${what} on ${conn.registry} is ${declared} bytes, more than the ${MANIFEST_SIZE_LIMIT}-byte (4 MiB) manifest limit; refusing it`);
  }
  let bytes: Buffer;
  try {
    bytes = await readAllLimited(res.body as AsyncIterable<Uint8Array>, MANIFEST_SIZE_LIMIT, `${what} on ${conn.registry}`);
  } finally {
    res.body.destroy();
  }
  const headerDigest = headerValue(res.headers, "docker-content-digest");
  const expected = ref.kind === "digest" ? ref.digest : undefined;
  const digest = expected !== undefined ? digestOf(bytes, expected) : sha256Digest(bytes);
  if (expected !== undefined && digest !== expected) {
    throw new ContentVerificationError(`${what} from ${conn.registry}: content has digest ${digest}, expected ${expected}`, expected, digest);
  }
  if (headerDigest !== undefined) {
    const parsedHeader = parseDigest(headerDigest);
    if (parsedHeader.ok && digestOf(bytes, parsedHeader.digest) !== parsedHeader.digest) {
      throw new ContentVerificationError(
        `${what} from ${conn.registry}: the registry's Docker-Content-Digest ${parsedHeader.digest} does not match the content it sent`,
        parsedHeader.digest,
        digestOf(bytes, parsedHeader.digest),
      );
    }
  }
  const contentType = headerValue(res.headers, "content-type");
  const mediaType = detectManifestMediaType(bytes, contentType);
  const header = bareMediaType(contentType);
  if (mediaType !== undefined && header !== undefined && header !== mediaType && MANIFEST_MEDIA_TYPES.includes(header) && MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    // distribution-spec: clients SHOULD reject when mediaType and Content-Type disagree.
    throw new RegistryError({
      code: "REGISTRY_PROTOCOL",
      message: `${what} on ${conn.registry}: Content-Type ${header} does not match the manifest's mediaType ${mediaType}`,
      registry: conn.registry,
      method: "GET",
      url: redactUrl(res.url),
      status: res.status,
      temporary: false,
    });
  }
  return { found: true, manifest: { descriptor: { mediaType: mediaType ?? "application/octet-stream", digest, size: bytes.length }, bytes } };
}

/**
 * PUT a manifest's exact bytes under a tag or its digest, with Content-Type
 * set to its media type. Refuses manifests over 4 MiB before sending, and
 * checks the registry's `Docker-Content-Digest` against the local digest.
 */
export async function putManifest(
  conn: RegistryConnection,
  repository: string,
  reference: string,
  bytes: Uint8Array,
  mediaType: string,
  options: CallSignal = {},
): Promise<PutManifestResult> {
  checkRepository(repository);
  const ref = parseManifestReference(reference);
  const what = `manifest ${describe(repository, ref)}`;
  if (bytes.length > MANIFEST_SIZE_LIMIT) {
    throw new AirgapError("TOO_LARGE", `${what} is ${bytes.length} bytes, more than the ${MANIFEST_SIZE_LIMIT}-byte (4 MiB) limit registries accept; refusing to push it`);
  }
  const digest = ref.kind === "digest" ? digestOf(bytes, ref.digest) : sha256Digest(bytes);
  if (ref.kind === "digest" && digest !== ref.digest) {
    throw new ContentVerificationError(`${what}: the bytes to push have digest ${digest}, not ${ref.digest}`, ref.digest, digest);
  }
  const declared = detectManifestMediaType(bytes, undefined);
  if (declared !== undefined && hasMediaTypeField(bytes) && declared !== mediaType) {
    // spec: a manifest with a mediaType field MUST be sent with that Content-Type.
    throw new ContentVerificationError(`${what}: its mediaType is ${declared}, but it was described as ${mediaType}`, digest);
  }
  const res = await conn.send({
    method: "PUT",
    url: manifestPath(repository, ref),
    headers: { "content-type": mediaType },
    body: bytes,
    scopes: [repositoryScope(repository, ["pull", "push"])],
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  if (res.status !== 201 && res.status !== 200 && res.status !== 202) {
    throw await responseError(res, { registry: conn.registry, method: "PUT", action: `push ${what}` });
  }
  await discard(res);
  const returned = headerValue(res.headers, "docker-content-digest");
  if (returned !== undefined && returned !== digest) {
    const parsed = parseDigest(returned);
    if (parsed.ok && parsed.digest.split(":")[0] === digest.split(":")[0]) {
      throw new RegistryError({
        code: "REGISTRY_PROTOCOL",
        message: `push ${what}: ${conn.registry} stored it as ${returned}, but its bytes have digest ${digest} (the registry rewrote the manifest?)`,
        registry: conn.registry,
        method: "PUT",
        url: redactUrl(res.url),
        status: res.status,
        temporary: false,
      });
    }
  } else if (returned === undefined) {
    conn.logger.log("debug", "manifest PUT answer has no Docker-Content-Digest", { registry: conn.registry, repository });
  }
  const subjectHeader = headerValue(res.headers, "oci-subject");
  const subject = subjectHeader !== undefined && parseDigest(subjectHeader).ok ? (subjectHeader as Digest) : undefined;
  return { digest, subject };
}

/** DELETE a manifest by digest (tags cannot be deleted portably: spec §Deleting tags). */
export async function deleteManifest(conn: RegistryConnection, repository: string, digest: string, options: CallSignal = {}): Promise<DeleteResult> {
  checkRepository(repository);
  const checked = checkDigest(digest);
  const res = await conn.send({
    method: "DELETE",
    url: `/v2/${repository}/manifests/${checked}`,
    scopes: [repositoryScope(repository, ["pull", "push", "delete"])],
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  if (res.status === 404) {
    await discard(res);
    return { deleted: false, reason: "absent" };
  }
  if (res.status !== 202 && res.status !== 200 && res.status !== 204) {
    throw await responseError(res, { registry: conn.registry, method: "DELETE", action: `delete manifest ${repository}@${checked}` });
  }
  await discard(res);
  return { deleted: true };
}
