/**
 * Content digests (OCI image-spec "descriptor.md#digests").
 *
 * A digest is carried as a branded string so that a value which has been
 * checked can never be confused with any other string in the type system.
 */

/** A validated `algorithm:encoded` content digest, e.g. `sha256:9f86…`. */
export type Digest = string & { readonly __brand: "Digest" };

/** Hex lengths of the registered algorithms; others are refused, since registries refuse them too. */
const ENCODED_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

const DIGEST_PATTERN = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/** Why a string is not a usable digest. */
export type DigestProblem = { readonly ok: false; readonly reason: string };

/** Parses and checks a digest; returns a reason instead of throwing, because bad digests are expected input. */
export function parseDigest(value: string): { readonly ok: true; readonly digest: Digest } | DigestProblem {
  const match = DIGEST_PATTERN.exec(value);
  if (!match) return { ok: false, reason: `"${value}" is not a digest (expected algorithm:hex, e.g. sha256:…)` };
  const [, algorithm = "", encoded = ""] = match;
  const length = ENCODED_LENGTH[algorithm];
  if (length === undefined) return { ok: false, reason: `unsupported digest algorithm "${algorithm}" (use sha256 or sha512)` };
  if (!/^[a-f0-9]+$/.test(encoded) || encoded.length !== length) {
    return { ok: false, reason: `${algorithm} digest must be ${length} lowercase hex characters, got "${encoded}"` };
  }
  return { ok: true, digest: value as Digest };
}

/** True when `value` is a well-formed sha256 or sha512 digest. */
export function isDigest(value: string): value is Digest {
  return parseDigest(value).ok;
}

/** The algorithm part of a digest (`sha256`). */
export function digestAlgorithm(digest: Digest): string {
  return digest.slice(0, digest.indexOf(":"));
}

/** The hex part of a digest, as used for blob file names in an OCI layout. */
export function digestEncoded(digest: Digest): string {
  return digest.slice(digest.indexOf(":") + 1);
}

/** A short form for humans (`sha256:9f86d081884c`), as Terraform shortens ids in plans. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(":");
  return colon < 0 ? digest.slice(0, 12) : digest.slice(0, colon + 13);
}
