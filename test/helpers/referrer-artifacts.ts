/**
 * Signatures, SBOMs and attestations for tests, made here as OCI artifacts
 * with the media types cosign and syft use (no network, no keys: the bytes
 * only have to look like theirs to the registry and to airgap):
 *
 * - a cosign signature attached the OCI 1.1 way (`subject`, artifactType
 *   `application/vnd.dev.cosign.artifact.sig.v1+json`, a simplesigning layer);
 * - a syft SBOM attached with `subject` (artifactType `application/spdx+json`);
 * - a cosign signature the classic way: no `subject`, under the tag
 *   `sha256-<hex>.sig`;
 * - the referrers fallback index (`sha256-<hex>`) listing attached ones,
 *   as a client without the referrers API writes it.
 *
 * Each is a {@link TestImage}, so `pushImages` and `writeOciLayout` place it.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { TestDescriptor, TestImage, TestIndex, TestManifest } from "../harness/image-model.js";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

/** cosign's artifact types and layer media types, syft's SPDX type. */
export const ArtifactTypes = {
  cosignSignature: "application/vnd.dev.cosign.artifact.sig.v1+json",
  cosignSimpleSigning: "application/vnd.dev.cosign.simplesigning.v1+json",
  spdx: "application/spdx+json",
  empty: "application/vnd.oci.empty.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
} as const;

/** What a referrer names as its subject. */
export interface Subject {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

function digest(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function blob(mediaType: string, data: Buffer): TestDescriptor & { diffId: string } {
  return { mediaType, digest: digest(data), size: data.length, data, diffId: digest(data) };
}

const EMPTY = blob(ArtifactTypes.empty, Buffer.from("{}"));

function manifest(json: Record<string, unknown>, config: TestDescriptor, layers: (TestDescriptor & { diffId: string })[]): TestManifest {
  const bytes = Buffer.from(JSON.stringify(json));
  return { kind: "manifest", mediaType: OCI_MANIFEST, digest: digest(bytes), size: bytes.length, bytes, platform: { os: "", architecture: "" }, config, layers };
}

const ref = (d: { mediaType: string; digest: string; size: number }) => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });

/** A cosign signature attached to `subject` through `subject` (cosign's OCI 1.1 mode). */
export function attachedSignature(subject: Subject, seed: string): TestManifest {
  const payload = blob(ArtifactTypes.cosignSimpleSigning, Buffer.from(JSON.stringify({ critical: { identity: { "docker-reference": seed }, image: { "docker-manifest-digest": subject.digest }, type: "cosign container image signature" }, optional: null })));
  const annotations = { "dev.cosignproject.cosign/signature": Buffer.from(`sig-${seed}`).toString("base64") };
  return manifest(
    { schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: ArtifactTypes.cosignSignature, config: ref(EMPTY), layers: [{ ...ref(payload), annotations }], subject: ref(subject), annotations: { "org.opencontainers.image.created": "2026-01-01T00:00:00Z" } },
    EMPTY,
    [payload],
  );
}

/** A syft SPDX SBOM attached to `subject`. */
export function attachedSbom(subject: Subject, seed: string): TestManifest {
  const sbom = blob(ArtifactTypes.spdx, Buffer.from(JSON.stringify({ spdxVersion: "SPDX-2.3", name: seed, packages: [{ name: "busybox", versionInfo: "1.36.1" }] })));
  return manifest({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: ArtifactTypes.spdx, config: ref(EMPTY), layers: [ref(sbom)], subject: ref(subject) }, EMPTY, [sbom]);
}

/** A classic cosign signature (no `subject`), to be pushed under `sha256-<hex>.sig`. */
export function taggedSignature(subject: Subject, seed: string): TestManifest {
  const payload = blob(ArtifactTypes.cosignSimpleSigning, Buffer.from(JSON.stringify({ critical: { image: { "docker-manifest-digest": subject.digest }, type: "cosign container image signature" }, seed })));
  const config = blob(ArtifactTypes.ociConfig, Buffer.from(JSON.stringify({ architecture: "", os: "", rootfs: { type: "layers", diff_ids: [payload.digest] } })));
  return manifest({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: ref(config), layers: [{ ...ref(payload), annotations: { "dev.cosignproject.cosign/signature": "c2ln" } }] }, config, [payload]);
}

/** The fallback tag of a subject: `sha256-<hex>`. */
export function fallbackTag(subject: Pick<Subject, "digest">): string {
  return subject.digest.replace(":", "-");
}

/** The referrers fallback index listing `referrers` (their artifactType and annotations copied, as the spec says), under `sha256-<hex>` of `subject`. */
export function fallbackIndex(repository: string, subject: Pick<Subject, "digest">, referrers: readonly TestManifest[]): TestImage {
  const entries = referrers.map((r) => {
    const json = JSON.parse(r.bytes.toString("utf8")) as { artifactType?: string; config: { mediaType: string }; annotations?: Record<string, string> };
    return { ...ref(r), artifactType: json.artifactType ?? json.config.mediaType, ...(json.annotations ? { annotations: json.annotations } : {}) };
  });
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }));
  const root: TestIndex = { kind: "index", mediaType: OCI_INDEX, digest: digest(bytes), size: bytes.length, bytes, manifests: [...referrers] };
  return { repository, tags: [fallbackTag(subject)], format: "oci", root };
}

/** A manifest as an image of its own under `tags` (a cosign tag, or its digest to push it untagged). */
export function asImage(repository: string, m: TestManifest, tags: readonly string[]): TestImage {
  return { repository, tags, format: "oci", root: m };
}

/**
 * An imgpkg bundle as `imgpkg push -b` makes it: a Docker image whose config
 * carries the label `dev.carvel.imgpkg.bundle`, with one gzipped tar layer
 * holding `.imgpkg/images.yml` (an ImagesLock naming `images` by digest)
 * and the bundle's configuration.
 */
export function imgpkgBundle(repository: string, tag: string, images: readonly string[]): TestImage {
  const lock = ["apiVersion: imgpkg.carvel.dev/v1alpha1", "kind: ImagesLock", "images:", ...images.flatMap((i) => [`- image: ${i}`, "  annotations:", `    kbld.carvel.dev/id: ${i.split("@")[0] ?? i}`]), ""].join("\n");
  const files = [
    { name: ".imgpkg/images.yml", body: Buffer.from(lock) },
    { name: "config/app.yml", body: Buffer.from("apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app }\n") },
  ];
  const tar = Buffer.concat([...files.flatMap((f) => [tarHeader(f.name, f.body.length), f.body, Buffer.alloc((512 - (f.body.length % 512)) % 512)]), Buffer.alloc(1024)]);
  const layer = { ...blob("application/vnd.docker.image.rootfs.diff.tar.gzip", gzipSync(tar)), diffId: digest(tar) };
  const config = blob("application/vnd.docker.container.image.v1+json", Buffer.from(JSON.stringify({ architecture: "", os: "", config: { Labels: { "dev.carvel.imgpkg.bundle": "true" } }, rootfs: { type: "layers", diff_ids: [layer.diffId] } })));
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.v2+json", config: ref(config), layers: [ref(layer)] }));
  const root: TestManifest = { kind: "manifest", mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: digest(bytes), size: bytes.length, bytes, platform: { os: "", architecture: "" }, config, layers: [layer] };
  return { repository, tags: [tag], format: "docker", root };
}

/** A ustar header for a regular file. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148);
  h.write("0", 156);
  h.write("ustar\0", 257);
  h.write("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return h;
}
