/**
 * From the lock to what the targets should hold: for every locked image and
 * OCI chart, the target repository (the bundle's naming), the tag, and the
 * digest the target will end up with after platform filtering, computed by
 * describeCopy from the source's manifests. Also where each change's content
 * comes from, so apply can open the same source for a saved plan.
 */
import type { ContentOrigin, ImageEntry, NormalizedBundle, NormalizedConfig } from "../config/normalize.js";
import { mapLimit } from "../core/concurrency.js";
import { targetRepository } from "../core/naming.js";
import { formatPlatform, type Descriptor, type Platform } from "../core/oci-types.js";
import { parseReference, type ImageReference } from "../core/reference.js";
import { describeCopy, CopyCoordinator } from "../oci/copy/index.js";
import { formatAddress } from "../plan/address.js";
import type { DesiredArtifact, DesiredFile, DesiredItem } from "../plan/diff.js";
import { chartAsFile } from "./chart-files.js";
import { LockIndex } from "../lock/lookup.js";
import type { AirgapLock, LockedChildManifest, LockedImage, LockedManifest } from "../lock/model.js";
import { isIndexMediaType } from "../core/media-types.js";
import type { SourceOpener } from "../sources/opener.js";
import { chartDownloadCredentials } from "../sources/helm-index.js";
import { keepAttached, referrerContent } from "../referrers/desired.js";
import { imgpkgContent } from "../referrers/imgpkg.js";

/** Where one change's content comes from. */
export interface ContentSource {
  readonly name: { readonly registry: string; readonly repository: string };
  readonly origin: ContentOrigin;
}

/** A repository whose undesired tags may be deleted. */
export interface PruneScope {
  readonly registry: string;
  /** A repository for images and charts; for files, the directory the bundle publishes into. */
  readonly repository: string;
  readonly bundle: string;
  readonly kind: "image" | "chart" | "file";
}

/** A desired entry that could not be turned into a target object. */
export interface DesiredProblem {
  readonly pointer: string;
  readonly severity: "error" | "warning";
  readonly message: string;
}

/** Where a file's bytes come from: its URL or local path, or a blob of a source repository (a chart's archive); offline, the bundle's blob with its sha256. */
export interface FileSource {
  readonly url?: string;
  readonly path?: string;
  readonly blob?: ContentSource;
  /** Lower-case hex. */
  readonly sha256: string;
  readonly size: number;
}

/** What the targets should hold. */
export interface DesiredState {
  readonly items: readonly DesiredItem[];
  readonly sources: ReadonlyMap<string, ContentSource>;
  /** Where each file change's bytes come from, by address. */
  readonly fileSources: ReadonlyMap<string, FileSource>;
  readonly prune: readonly PruneScope[];
  readonly problems: readonly DesiredProblem[];
}

/** One image or chart a bundle wants in its target, before its target digest is known. */
export interface DesiredContent {
  readonly bundle: NormalizedBundle;
  readonly kind: "image" | "chart" | "referrer";
  readonly pointer: string;
  readonly address: string;
  readonly upstream: ImageReference;
  /** The upstream root; undefined for a Helm-repository chart, whose artifact is made from its archive. */
  readonly locked: LockedManifest | undefined;
  readonly source: ContentSource;
  readonly targetRepository: string;
  readonly tag?: string;
  readonly platforms?: readonly Platform[];
  readonly preserveDigests: boolean;
  readonly label: string;
  /** For referrers: the image digest it refers to, and that image's address. */
  readonly subject?: string;
  readonly subjectAddress?: string;
  /** For an image an imgpkg bundle brings along: that bundle's reference. */
  readonly relocatedWith?: string;
}

/** What the cluster pulls by name: images and charts, without referrers and imgpkg-relocated images (they travel with their image or bundle). */
export function withoutReferrers(content: readonly DesiredContent[]): (DesiredContent & { readonly kind: "image" | "chart" })[] {
  return content.flatMap((c) => (c.kind === "referrer" || c.relocatedWith !== undefined ? [] : [{ ...c, kind: c.kind }]));
}

function parsed(ref: string): ImageReference {
  const result = parseReference(ref);
  if (!result.ok) throw new Error(`airgap.lock holds an invalid reference ${ref}: ${result.reason}`);
  return result.reference;
}

/**
 * Builds the desired state. With `describe: false` it skips reading
 * manifests (digests stay the upstream ones): enough to know each change's
 * source when applying a saved plan.
 */
export async function desiredState(
  config: NormalizedConfig,
  lock: AirgapLock,
  opener: SourceOpener,
  options: {
    readonly signal?: AbortSignal;
    readonly concurrency?: number;
    readonly describe?: boolean;
    /** Which entries to describe (read manifests for); the rest only give their sources. Default: all. */
    readonly needed?: (content: DesiredContent) => boolean;
    /** The bundle that `opener` reads only (`plan --from`): what it lacks is damage, not something to lock again. */
    readonly bundlePath?: string;
    /**
     * Entries that may be taken from the lock without reading the source
     * (see {@link deferredArtifact}); the caller describes those that turn
     * out to change. Default: none.
     */
    readonly deferLocked?: (content: DesiredContent) => boolean;
  } = {},
): Promise<DesiredState> {
  const { content: all, files, problems, prune } = desiredContent(config, lock);
  const pending = options.needed ? all.filter(options.needed) : all;
  const coordinator = new CopyCoordinator({ concurrency: options.concurrency ?? 8 });
  const call = options.signal ? { signal: options.signal } : {};
  // With describe: false only the sources are wanted (a saved plan carries its own digests).
  const isFileserver = (registry: string | undefined) => registry !== undefined && config.registries.get(registry)?.provider === "fileserver";
  const chartFiles: { item: DesiredFile; source: FileSource }[] = [];
  const items = options.describe === false ? [] : await mapLimit(pending, options.concurrency ?? 8, async (p): Promise<DesiredArtifact | undefined> => {
    if (options.deferLocked?.(p) && !(p.kind === "chart" && isFileserver(p.bundle.registry))) {
      const deferred = deferredArtifact(p);
      if (deferred !== undefined) return deferred;
    }
    let repository: Awaited<ReturnType<typeof opener.open>> | undefined;
    let root: Descriptor | undefined = p.locked ? { mediaType: p.locked.mediaType, digest: p.locked.digest as Descriptor["digest"], size: p.locked.size } : undefined;
    try {
      repository = await opener.open(p.source.name, p.source.origin, call);
      root ??= await repository.reader.resolve(p.tag ?? "", call);
      if (!root) throw new Error(`${repository.name} has no ${p.tag ?? "root"}`);
      if (p.kind === "chart" && isFileserver(p.bundle.registry)) {
        chartFiles.push(await chartAsFile(p, repository.reader, root, call));
        return undefined;
      }
      const described = await describeCopy(repository.reader, root, { ...call, preserveDigests: p.preserveDigests, ...(p.platforms ? { platforms: p.platforms } : {}), coordinator });
      return {
        address: p.address,
        kind: p.kind,
        registry: p.bundle.registry!,
        repository: p.targetRepository,
        ...(p.tag !== undefined ? { tag: p.tag } : {}),
        ...(p.subject !== undefined ? { subject: p.subject, subjectAddress: p.subjectAddress } : {}),
        source: p.label,
        digest: described.root.digest,
        content: described.content.map((d) => ({ digest: d.digest, size: d.size, mediaType: d.mediaType })),
        copy: {
          sourceDigest: root.digest,
          sourceMediaType: root.mediaType,
          sourceSize: root.size,
          ...(p.platforms && !p.preserveDigests ? { platforms: p.platforms.map(formatPlatform) } : {}),
          preserveDigests: p.preserveDigests,
        },
      };
    } catch (error) {
      const gone = repository && root && p.locked ? !(await repository.hasManifest(root.digest, call).catch(() => true)) : false;
      const message = gone && options.bundlePath !== undefined
        ? `${options.bundlePath} is damaged: it lacks the manifest ${root?.digest ?? ""} of ${p.label} that its own airgap.lock pins; copy it across again, or make it again on the connected side with \`airgap bundle\``
        : gone
        ? `airgap.lock pins ${p.label} to ${root?.digest ?? ""}, which ${repository?.name ?? "the source"} no longer has; run \`airgap lock --update ${p.label}\``
        : `${p.label}: ${error instanceof Error ? error.message : String(error)}`;
      problems.push({ pointer: p.pointer, severity: "error", message });
      return undefined;
    }
  });
  const sources = new Map(all.map((p) => [p.address, p.source] as const));
  const { kept, dangling } = keepAttached(items.filter((i): i is DesiredArtifact => i !== undefined), (address) => all.find((p) => p.address === address));
  for (const d of dangling) problems.push({ pointer: d.pointer, severity: "warning", message: d.message });
  const fileSources = new Map([...files, ...chartFiles].map((f) => [f.item.address, f.source] as const));
  return { items: [...kept, ...files.map((f) => f.item), ...chartFiles.map((f) => f.item)], sources, fileSources, prune, problems };
}

/**
 * A locked entry whose target digest is its locked digest (the whole image
 * is copied, or its root is a single manifest), from the lock alone: no
 * source request. Its content lists only the manifests the lock records and
 * its size is the lock's sum, so it is `deferred`: good for deciding that
 * nothing changes (a locked no-op asks the source nothing, issue 14), never
 * for planning a write; the caller describes the ones that change.
 * Undefined when the lock cannot say (an index filtered to some platforms
 * gets a new digest that only its bytes give).
 */
function deferredArtifact(p: DesiredContent): DesiredArtifact | undefined {
  const locked = p.locked as (LockedManifest & { readonly manifests?: readonly LockedChildManifest[] }) | undefined;
  if (locked === undefined || p.bundle.registry === undefined) return undefined;
  if (!p.preserveDigests && p.platforms !== undefined && isIndexMediaType(locked.mediaType)) return undefined;
  const content = [
    { digest: locked.digest, size: locked.size, mediaType: locked.mediaType },
    ...(locked.manifests ?? []).map((m) => ({ digest: m.digest, size: m.size, mediaType: m.mediaType })),
  ];
  return {
    address: p.address,
    kind: p.kind,
    registry: p.bundle.registry,
    repository: p.targetRepository,
    ...(p.tag !== undefined ? { tag: p.tag } : {}),
    ...(p.subject !== undefined ? { subject: p.subject, subjectAddress: p.subjectAddress } : {}),
    source: p.label,
    digest: locked.digest,
    content,
    size: locked.size + (locked.contentSize ?? 0),
    deferred: true,
    copy: {
      sourceDigest: locked.digest,
      sourceMediaType: locked.mediaType,
      sourceSize: locked.size,
      ...(p.platforms && !p.preserveDigests ? { platforms: p.platforms.map(formatPlatform) } : {}),
      preserveDigests: p.preserveDigests,
    },
  };
}

/**
 * What every bundle wants in its target, from the lock: images (each tag a
 * filter selected) and charts, with where each comes from. No I/O; the
 * same image listed twice in a bundle is one entry. Bundles without a
 * registry carry only files and contribute nothing here.
 */
export function desiredContent(config: NormalizedConfig, lock: AirgapLock): { content: DesiredContent[]; files: { item: DesiredFile; source: FileSource }[]; problems: DesiredProblem[]; prune: PruneScope[] } {
  const index = new LockIndex(lock);
  const problems: DesiredProblem[] = [];
  const pending: DesiredContent[] = [];
  const prune: PruneScope[] = [];
  const files = new Map<string, { item: DesiredFile; source: FileSource }>();

  for (const bundle of config.bundles) {
    // Prune of files: the directories this bundle publishes into, on each file target.
    if (bundle.prune) {
      const dirs = new Set(bundle.files.map((f) => `${f.to.registry}\u0000${f.to.path.split("/").slice(0, -1).join("/")}`));
      for (const key of dirs) {
        const [registry = "", directory = ""] = key.split("\u0000");
        prune.push({ registry, repository: directory, bundle: bundle.name, kind: "file" });
      }
    }
    for (const file of bundle.files) {
      const locked = index.fileFor(file, config.baseDir);
      if (!locked) {
        problems.push({ pointer: file.pointer, severity: "error", message: `file ${file.url ?? file.path ?? ""} is not in airgap.lock; run \`airgap lock\`` });
        continue;
      }
      const address = formatAddress({ scope: "bundle", name: bundle.name, kind: "file", key: `${file.to.registry}/${file.to.path}` });
      files.set(address, {
        item: { address, kind: "file", registry: file.to.registry, path: file.to.path, source: file.url ?? file.path ?? "", digest: `sha256:${locked.sha256}`, size: locked.size, ...(file.mode !== undefined ? { mode: file.mode } : {}) },
        source: { ...(file.url !== undefined ? { url: file.url } : {}), ...(file.path !== undefined ? { path: file.path } : {}), sha256: locked.sha256, size: locked.size },
      });
    }
    if (bundle.registry === undefined) continue;
    const repositories = new Map<string, "image" | "chart">();
    const add = (entry: ImageEntry, image: LockedImage) => {
      const upstream = parsed(image.ref);
      const repository = targetRepository(upstream, bundle.path, bundle.naming, entry.as);
      repositories.set(repository, "image");
      const address = formatAddress({ scope: "bundle", name: bundle.name, kind: "image", key: image.ref });
      // What refers to the image lands beside it, in the same repository, read from the same source.
      for (const r of referrerContent(bundle, image, upstream, address)) {
        pending.push({ bundle, pointer: entry.pointer, source: { name: { registry: upstream.registry, repository: upstream.repository }, origin: entry.origin }, targetRepository: repository, ...r });
      }
      // An imgpkg bundle brings the images of its ImagesLock into its own repository.
      for (const i of imgpkgContent(config, bundle, image, entry.origin, upstream.registry)) pending.push({ bundle, pointer: entry.pointer, targetRepository: repository, ...i });
      pending.push({
        bundle,
        kind: "image",
        pointer: entry.pointer,
        address,
        upstream,
        locked: image,
        source: { name: { registry: upstream.registry, repository: upstream.repository }, origin: entry.origin },
        targetRepository: repository,
        ...(upstream.tag !== undefined ? { tag: upstream.tag } : {}),
        ...(entry.platforms ? { platforms: entry.platforms } : {}),
        preserveDigests: entry.preserveDigests,
        label: image.ref,
      });
    };
    for (const entry of bundle.images) {
      const found = index.imagesFor(entry);
      if (!found.found) {
        problems.push({ pointer: entry.pointer, severity: "error", message: `${found.reason}; run \`airgap lock\`` });
        continue;
      }
      for (const image of found.images) add(entry, image);
    }
    for (const chart of bundle.charts) {
      if (chart.type === "helm") {
        const locked = index.chartFor(chart);
        if (!locked || locked.type !== "helm") {
          problems.push({ pointer: chart.pointer, severity: "error", message: `chart ${chart.name} ${chart.version} is not in airgap.lock; run \`airgap lock\`` });
          continue;
        }
        const tag = locked.resolvedVersion.replace(/\+/g, "_");
        const upstream: ImageReference = { registry: new URL(chart.repositoryUrl).host, repository: chart.name, tag };
        const repository = targetRepository(upstream, bundle.path, bundle.naming, chart.as);
        repositories.set(repository, "chart");
        const url = locked.url;
        const credentials = chartDownloadCredentials(chart.repositoryUrl, url, chart.credentials);
        pending.push({
          bundle,
          kind: "chart",
          pointer: chart.pointer,
          address: formatAddress({ scope: "bundle", name: bundle.name, kind: "chart", key: `${upstream.registry}/${chart.name}:${tag}` }),
          upstream,
          locked: undefined,
          source: { name: { registry: upstream.registry, repository: upstream.repository }, origin: { type: "helm-chart", url, sha256: locked.sha256, version: locked.resolvedVersion, ...(credentials ? { credentials } : {}) } },
          targetRepository: repository,
          tag,
          preserveDigests: true,
          label: `${upstream.registry}/${chart.name}:${tag}`,
        });
        continue;
      }
      const locked = index.chartFor(chart);
      if (!locked || locked.type !== "oci") {
        problems.push({ pointer: chart.pointer, severity: "error", message: `chart ${chart.reference.registry}/${chart.reference.repository} ${chart.version} is not in airgap.lock; run \`airgap lock\`` });
        continue;
      }
      const tag = locked.resolvedVersion?.replace(/\+/g, "_");
      const upstream: ImageReference = { ...chart.reference, ...(tag !== undefined ? { tag } : {}) };
      const repository = targetRepository(upstream, bundle.path, bundle.naming, chart.as);
      repositories.set(repository, "chart");
      pending.push({
        bundle,
        kind: "chart",
        pointer: chart.pointer,
        address: formatAddress({ scope: "bundle", name: bundle.name, kind: "chart", key: `${locked.ref}:${tag ?? locked.digest}` }),
        upstream,
        locked,
        source: { name: { registry: upstream.registry, repository: upstream.repository }, origin: chart.origin },
        targetRepository: repository,
        ...(tag !== undefined ? { tag } : {}),
        preserveDigests: true,
        label: `${locked.ref}:${tag ?? locked.digest}`,
      });
    }
    if (bundle.prune) for (const [repository, kind] of repositories) prune.push({ registry: bundle.registry, repository, bundle: bundle.name, kind });
  }

  // The same image listed twice (validate warns) is one target object.
  const seen = new Set<string>();
  const unique = pending.filter((p) => !seen.has(p.address) && seen.add(p.address));
  return { content: unique, files: [...files.values()], problems, prune };
}
