/**
 * cosign's tag convention, older than the OCI referrers API and still what
 * most signed images carry: the signature, attestations and SBOM of
 * `sha256:<hex>` live under the tags `sha256-<hex>.sig`, `.att` and `.sbom`
 * of the same repository, in manifests WITHOUT a `subject`. They are found
 * and copied by tag.
 */
import { parseDigest } from "./digest.js";

/** A cosign tag suffix and the artifact type cosign gives the same artifact in the referrers API (used for `artifactTypes` filters). */
export const COSIGN_SUFFIXES: readonly { readonly suffix: string; readonly artifactType: string }[] = [
  { suffix: "sig", artifactType: "application/vnd.dev.cosign.artifact.sig.v1+json" },
  { suffix: "att", artifactType: "application/vnd.dev.cosign.artifact.att.v1+json" },
  { suffix: "sbom", artifactType: "application/vnd.dev.cosign.artifact.sbom.v1+json" },
];

/** The cosign tags of a subject digest (none for an algorithm cosign does not tag). */
export function cosignTags(subject: string): { readonly tag: string; readonly artifactType: string }[] {
  const parsed = parseDigest(subject);
  if (!parsed.ok || !subject.startsWith("sha256:")) return [];
  const [algorithm, hex] = subject.split(":");
  return COSIGN_SUFFIXES.map((s) => ({ tag: `${algorithm ?? ""}-${hex ?? ""}.${s.suffix}`, artifactType: s.artifactType }));
}

/** The subject digest a cosign tag names (`sha256-<hex>.sig` → `sha256:<hex>`), or undefined for any other tag. */
export function cosignSubject(tag: string): string | undefined {
  const match = /^(sha256)-([a-f0-9]{64})\.(sig|att|sbom)$/.exec(tag);
  return match ? `${match[1] ?? ""}:${match[2] ?? ""}` : undefined;
}

/** The subject digest a referrers fallback tag names (`sha256-<hex>` → `sha256:<hex>`), or undefined. */
export function fallbackTagSubject(tag: string): string | undefined {
  const match = /^(sha256)-([a-f0-9]{64})$/.exec(tag);
  return match ? `${match[1] ?? ""}:${match[2] ?? ""}` : undefined;
}
