/**
 * Input checks made before any request: a bad repository name, tag or
 * digest is the caller's mistake and is reported as such, not as a
 * registry error after a round trip (providers-notes §1.1 "validate before any request").
 */
import { parseDigest, type Digest } from "../../core/digest.js";
import { UsageError } from "../../core/errors.js";
import { isValidRepository, isValidTag } from "../../core/reference.js";

/** A manifest reference: a tag or a digest (distribution-spec `<reference>`). */
export type ManifestReference = { readonly kind: "tag"; readonly tag: string } | { readonly kind: "digest"; readonly digest: Digest };

/** Checks a repository name against the distribution-spec grammar; throws {@link UsageError}. */
export function checkRepository(name: string): string {
  if (!isValidRepository(name)) {
    const hint = name !== name.toLowerCase() ? " (repository names must be lowercase)" : "";
    throw new UsageError(`invalid repository name "${name}"${hint}`);
  }
  return name;
}

/** Parses a tag-or-digest reference; anything with a `:` must be a valid digest. Throws {@link UsageError}. */
export function parseManifestReference(reference: string): ManifestReference {
  if (reference.includes(":") || reference.includes("@")) {
    const parsed = parseDigest(reference.replace(/^@/, ""));
    if (!parsed.ok) throw new UsageError(`invalid digest reference "${reference}": ${parsed.reason}`);
    return { kind: "digest", digest: parsed.digest };
  }
  if (!isValidTag(reference)) throw new UsageError(`invalid tag "${reference}" (tags match [A-Za-z0-9_][A-Za-z0-9._-]{0,127})`);
  return { kind: "tag", tag: reference };
}

/** Checks a digest string; throws {@link UsageError}. */
export function checkDigest(value: string): Digest {
  const parsed = parseDigest(value);
  if (!parsed.ok) throw new UsageError(`invalid digest "${value}": ${parsed.reason}`);
  return parsed.digest;
}

/** The reference as it goes in a URL path. */
export function referencePath(reference: ManifestReference): string {
  return reference.kind === "tag" ? reference.tag : reference.digest;
}
