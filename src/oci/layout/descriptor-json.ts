/**
 * Checks JSON read from a layout against the shapes of the image spec
 * (descriptor, index, manifest) before any of it is trusted. Layouts come from
 * other tools and from removable media, so every field is validated, and the
 * message says where the problem is.
 */
import { parseDigest } from "../../core/digest.js";
import type { Descriptor, ImageIndex, Platform } from "../../core/oci-types.js";

/** The outcome of checking one JSON value. */
export type JsonCheck<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkStringMap(value: unknown, where: string): JsonCheck<Readonly<Record<string, string>>> {
  if (!isRecord(value)) return { ok: false, reason: `${where} must be an object of strings` };
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") return { ok: false, reason: `${where}["${key}"] must be a string` };
  }
  return { ok: true, value: value as Record<string, string> };
}

function checkPlatform(value: unknown, where: string): JsonCheck<Platform> {
  if (!isRecord(value) || typeof value.architecture !== "string" || typeof value.os !== "string") {
    return { ok: false, reason: `${where} must have string "architecture" and "os"` };
  }
  if (value.variant !== undefined && typeof value.variant !== "string") return { ok: false, reason: `${where}.variant must be a string` };
  if (value["os.version"] !== undefined && typeof value["os.version"] !== "string") {
    return { ok: false, reason: `${where}["os.version"] must be a string` };
  }
  const features = value["os.features"];
  if (features !== undefined && (!Array.isArray(features) || features.some((f) => typeof f !== "string"))) {
    return { ok: false, reason: `${where}["os.features"] must be an array of strings` };
  }
  return { ok: true, value: value as unknown as Platform };
}

/**
 * Checks a content descriptor. Unknown fields are kept (the object is returned
 * as is), so that entries written by other tools survive a rewrite of index.json.
 */
export function checkDescriptor(value: unknown, where: string): JsonCheck<Descriptor> {
  if (!isRecord(value)) return { ok: false, reason: `${where} must be an object` };
  if (typeof value.mediaType !== "string" || value.mediaType === "") return { ok: false, reason: `${where}.mediaType must be a non-empty string` };
  if (typeof value.digest !== "string") return { ok: false, reason: `${where}.digest must be a string` };
  const digest = parseDigest(value.digest);
  if (!digest.ok) return { ok: false, reason: `${where}.digest: ${digest.reason}` };
  if (typeof value.size !== "number" || !Number.isSafeInteger(value.size) || value.size < 0) {
    return { ok: false, reason: `${where}.size must be a non-negative integer` };
  }
  if (value.annotations !== undefined) {
    const annotations = checkStringMap(value.annotations, `${where}.annotations`);
    if (!annotations.ok) return annotations;
  }
  if (value.platform !== undefined) {
    const platform = checkPlatform(value.platform, `${where}.platform`);
    if (!platform.ok) return platform;
  }
  if (value.urls !== undefined && (!Array.isArray(value.urls) || value.urls.some((u) => typeof u !== "string"))) {
    return { ok: false, reason: `${where}.urls must be an array of strings` };
  }
  if (value.artifactType !== undefined && typeof value.artifactType !== "string") {
    return { ok: false, reason: `${where}.artifactType must be a string` };
  }
  return { ok: true, value: value as unknown as Descriptor };
}

function checkDescriptorList(value: unknown, where: string): JsonCheck<readonly Descriptor[]> {
  if (!Array.isArray(value)) return { ok: false, reason: `${where} must be an array` };
  const out: Descriptor[] = [];
  for (const [i, item] of value.entries()) {
    const checked = checkDescriptor(item, `${where}[${i}]`);
    if (!checked.ok) return checked;
    out.push(checked.value);
  }
  return { ok: true, value: out };
}

/** Checks an image index (index.json or an index manifest): schemaVersion 2 and valid descriptors. */
export function checkIndex(value: unknown): JsonCheck<ImageIndex> {
  if (!isRecord(value)) return { ok: false, reason: "an image index must be a JSON object" };
  if (value.schemaVersion !== 2) return { ok: false, reason: `schemaVersion must be 2, got ${JSON.stringify(value.schemaVersion)}` };
  const manifests = checkDescriptorList(value.manifests, "manifests");
  if (!manifests.ok) return manifests;
  if (value.annotations !== undefined) {
    const annotations = checkStringMap(value.annotations, "annotations");
    if (!annotations.ok) return annotations;
  }
  if (value.subject !== undefined) {
    const subject = checkDescriptor(value.subject, "subject");
    if (!subject.ok) return subject;
  }
  return { ok: true, value: value as unknown as ImageIndex };
}

/**
 * Checks an image manifest: schemaVersion 2, a config descriptor and a layers
 * array. Returned loosely typed so the caller keeps the fields it knows.
 */
export function checkImageManifest(value: unknown): JsonCheck<{ readonly config: Descriptor; readonly layers: readonly Descriptor[]; readonly subject?: Descriptor; readonly mediaType?: string }> {
  if (!isRecord(value)) return { ok: false, reason: "an image manifest must be a JSON object" };
  if (value.schemaVersion !== 2) return { ok: false, reason: `schemaVersion must be 2, got ${JSON.stringify(value.schemaVersion)}` };
  const config = checkDescriptor(value.config, "config");
  if (!config.ok) return config;
  const layers = checkDescriptorList(value.layers, "layers");
  if (!layers.ok) return layers;
  if (value.subject !== undefined) {
    const subject = checkDescriptor(value.subject, "subject");
    if (!subject.ok) return subject;
  }
  if (value.mediaType !== undefined && typeof value.mediaType !== "string") return { ok: false, reason: "mediaType must be a string" };
  return { ok: true, value: value as unknown as { config: Descriptor; layers: readonly Descriptor[] } };
}

/** Parses JSON text, reporting a syntax error as a reason instead of throwing. */
export function parseJson(bytes: Uint8Array): JsonCheck<unknown> {
  try {
    return { ok: true, value: JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")) as unknown };
  } catch (error) {
    return { ok: false, reason: `not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** True for plain JSON objects (not arrays, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return isRecord(value);
}
