/**
 * Writing a bundle: one tar that is an OCI image layout at its root, holding
 * every image (filtered to its bundle's platforms) under its full upstream
 * name, plus the config (secrets removed) and the lock. skopeo
 * (`oci-archive:`) and containerd (`ctr images import`, k0s) read it as is.
 *
 * Nothing is staged: index entries come from describeCopy, blob bytes stream
 * from the sources straight into the tar (rewritten indexes from memory),
 * each verified on the way. The tar is deterministic and written to a temp
 * name, then renamed.
 */
import { MediaType } from "../core/media-types.js";
import { Annotation, type Descriptor, type ImageIndex, type Platform } from "../core/oci-types.js";
import { mapLimit } from "../core/concurrency.js";
import { Readable } from "node:stream";
import type { ContentReader } from "../oci/content.js";
import { CopyCoordinator, describeCopy } from "../oci/copy/index.js";
import { writeLayoutTar, type ExtraFile, type WriteLayoutTarResult } from "../oci/layout/index.js";
import { MANIFEST_SIZE_LIMIT, readAllLimited } from "../oci/verify.js";
import { LEFT_OUT_FILE, serializeLeftOut } from "./left-out.js";
import { needsTwin, ociTwin, TWIN_OF_ANNOTATION } from "./oci-twin.js";

/** Names a file artifact in index.json without making it an image name for containerd. */
export const FILE_NAME_ANNOTATION = "dev.airgap.file.name";

/** One image to put in the bundle. */
export interface BundleImage {
  /** The full upstream name written to index.json (`docker.io/library/nginx:1.25`, or `…@sha256:…`). */
  readonly name: string;
  readonly reader: ContentReader;
  /** The upstream root manifest. */
  readonly root: Descriptor;
  readonly platforms?: readonly Platform[];
  readonly preserveDigests: boolean;
  /**
   * A referrer (signature, SBOM): listed in index.json under
   * {@link REFERRER_NAME_ANNOTATION}, not as an image name, so containerd
   * does not import (and try to unpack) it; `plan --from` finds it by digest.
   */
  readonly referrer?: boolean;
}

/** Names a referrer in index.json without making it an image name for containerd. */
export const REFERRER_NAME_ANNOTATION = "dev.airgap.referrer.name";

/** Options for writing. */
export interface WriteBundleOptions {
  readonly signal?: AbortSignal;
  /** Manifests read at once while planning the tar. */
  readonly concurrency?: number;
  /** Running byte count of blobs written, and the total. */
  readonly onProgress?: (bytes: number, total: number) => void;
  /** Blobs to leave out because the far side already has them (`bundle --since`). */
  readonly exclude?: ReadonlySet<string>;
  /** Other artifacts to carry (files): index entries (named by an airgap annotation, not ref.name) and their blobs. */
  readonly artifacts?: {
    readonly entries: readonly { readonly name: string; readonly descriptor: Descriptor }[];
    readonly blobs: readonly { readonly descriptor: Descriptor; open(options: { readonly signal?: AbortSignal }): Promise<Readable> | Readable }[];
  };
}

/** What was written. */
export interface WriteBundleResult extends WriteLayoutTarResult {
  /** index.json image entries: name → root descriptor in the bundle. */
  readonly images: ReadonlyMap<string, Descriptor>;
  /** Referrers carried (listed under {@link REFERRER_NAME_ANNOTATION}). */
  readonly referrers: number;
  /** Distinct blobs left out by `exclude` (listed in the bundle's {@link LEFT_OUT_FILE}). */
  readonly excluded: number;
}

/** What the bundle holds for one image: its root there, and everything under it. */
export interface CarriedImage {
  readonly root: Descriptor;
  readonly content: readonly Descriptor[];
}

/**
 * Writes the bundle tar at `path`. `files` is called once the content is
 * known, so that the lock riding along can describe what the bundle holds.
 */
export async function writeBundle(
  path: string,
  images: readonly BundleImage[],
  files: (carried: ReadonlyMap<string, CarriedImage>) => readonly ExtraFile[],
  options: WriteBundleOptions = {},
): Promise<WriteBundleResult> {
  const coordinator = new CopyCoordinator({ concurrency: options.concurrency ?? 8 });
  const call = options.signal ? { signal: options.signal } : {};
  const described = await mapLimit(images, options.concurrency ?? 8, async (image) => ({
    image,
    description: await describeCopy(image.reader, image.root, { ...call, coordinator, preserveDigests: image.preserveDigests, ...(image.platforms ? { platforms: image.platforms } : {}) }),
  }));

  const blobs = new Map<string, { descriptor: Descriptor; reader?: ContentReader; bytes?: Buffer; open?: (options: { readonly signal?: AbortSignal }) => Promise<Readable> | Readable }>();
  const roots = new Map<string, Descriptor>();
  const referrers = new Set(images.filter((i) => i.referrer === true).map((i) => i.name));
  const carried = new Map<string, CarriedImage>();
  // What `exclude` left out, recorded in the bundle so that the far side can tell it from damage.
  const leftOut = new Set<string>();
  for (const { image, description } of described) {
    roots.set(image.name, description.root);
    carried.set(image.name, { root: description.root, content: description.content });
    for (const descriptor of description.content) {
      if (blobs.has(descriptor.digest)) continue;
      const bytes = description.generated.get(descriptor.digest);
      const isRoot = descriptor.digest === description.root.digest;
      // A differential bundle leaves out blobs the far side has; manifests always ride along (they are small, and index.json needs its roots).
      if (!isRoot && !bytes && options.exclude?.has(descriptor.digest) && !isManifest(descriptor)) {
        leftOut.add(descriptor.digest);
        continue;
      }
      blobs.set(descriptor.digest, { descriptor, reader: image.reader, ...(bytes ? { bytes } : {}) });
    }
  }
  for (const blob of options.artifacts?.blobs ?? []) {
    if (blobs.has(blob.descriptor.digest)) continue;
    if (options.exclude?.has(blob.descriptor.digest) && !isManifest(blob.descriptor)) {
      leftOut.add(blob.descriptor.digest);
      continue;
    }
    blobs.set(blob.descriptor.digest, { descriptor: blob.descriptor, open: blob.open });
  }
  // Docker-format images get an OCI twin listed first, for skopeo (see oci-twin.ts).
  const twins = new Map<string, Descriptor>();
  for (const { image, description } of described) {
    if (!needsTwin(description.root)) continue;
    const read = async (d: Descriptor): Promise<Buffer> => description.generated.get(d.digest) ?? readAllLimited(await image.reader.fetch(d, call), MANIFEST_SIZE_LIMIT, `manifest ${d.digest}`);
    const twin = await ociTwin(description.root, read);
    twins.set(image.name, twin.root);
    for (const [digest, bytes] of twin.manifests) {
      if (!blobs.has(digest)) blobs.set(digest, { descriptor: { mediaType: digest === twin.root.digest ? twin.root.mediaType : MediaType.OciManifest, digest: digest as Descriptor["digest"], size: bytes.length }, reader: image.reader, bytes });
    }
  }
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [...roots.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([name, root]): Descriptor[] => {
        if (referrers.has(name)) return [{ ...root, annotations: { ...(root.annotations ?? {}), [REFERRER_NAME_ANNOTATION]: name } }];
        const twin = twins.get(name);
        const original = { ...root, annotations: { ...(root.annotations ?? {}), [Annotation.RefName]: name, [Annotation.ContainerdImageName]: name } };
        // containerd would import the twin under the same name and then lose its content to garbage
        // collection when the original replaces it, failing the unpack: give containerd a name of its own.
        const twinEntry = twin ? { ...twin, annotations: { [Annotation.RefName]: name, [Annotation.ContainerdImageName]: twinContainerdName(name, root), [TWIN_OF_ANNOTATION]: root.digest } } : undefined;
        return twinEntry ? [twinEntry, original] : [original];
      })
      .concat(
        [...(options.artifacts?.entries ?? [])]
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
          // No ref.name: containerd imports named entries as images, and unpacking a file artifact fails.
          .map((e) => ({ ...e.descriptor, annotations: { ...(e.descriptor.annotations ?? {}), [FILE_NAME_ANNOTATION]: e.name } })),
      ),
  };
  const result = await writeLayoutTar(
    path,
    {
      index,
      blobs: [...blobs.values()].map((b) => b.descriptor),
      files: [...files(carried), { name: LEFT_OUT_FILE, content: serializeLeftOut(leftOut) }],
      open(descriptor, openOptions) {
        const entry = blobs.get(descriptor.digest);
        if (!entry) throw new Error(`no source for ${descriptor.digest}`);
        if (entry.bytes) return Readable.from([entry.bytes]);
        if (entry.open) return entry.open(openOptions);
        if (!entry.reader) throw new Error(`no source for ${descriptor.digest}`);
        return entry.reader.fetch(descriptor, openOptions);
      },
    },
    { ...call, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  );
  const named = new Map([...roots].filter(([name]) => !referrers.has(name)));
  return { ...result, images: named, referrers: referrers.size, excluded: leftOut.size };
}

/** containerd's name for a twin: the tag with `-oci` appended (`nginx:1.25-oci`), or `repo:oci-<digest prefix>` for digest-pinned images. */
function twinContainerdName(name: string, root: Descriptor): string {
  const at = name.indexOf("@");
  if (at >= 0) return `${name.slice(0, at)}:oci-${root.digest.slice(root.digest.indexOf(":") + 1, root.digest.indexOf(":") + 13)}`;
  return `${name}-oci`;
}

function isManifest(descriptor: Descriptor): boolean {
  return [MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifest, MediaType.DockerManifestList].includes(descriptor.mediaType as never);
}
