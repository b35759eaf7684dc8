/**
 * The pure diff: desired state × observed state → plan. No I/O, no clock, no
 * randomness, so the same inputs always give the same plan.
 *
 * Filters never widen an action: the caller may diff only the objects a
 * `--target` selects, but what prune protects is computed from the whole
 * configuration ({@link protectedContent}) and passed in separately.
 */
import { AirgapError, type FailureFacts } from "../core/errors.js";
import { isIndexMediaType, isImageManifestMediaType } from "../core/media-types.js";
import type { Observation } from "../core/observation.js";
import {
  PLAN_FORMAT_VERSION,
  transferOf,
  type ArtifactChange,
  type ArtifactLocation,
  type BlobMount,
  type BlobRef,
  type ChartInRepository,
  type CopySpec,
  type FileChange,
  type OutputChange,
  type Plan,
  type PlannedChange,
  type PlanSummary,
  type PrerequisiteChange,
} from "./model.js";
import { cosignSubject, fallbackTagSubject } from "../core/referrer-tags.js";

/** An OCI artifact that should exist in a target. */
export interface DesiredArtifact extends ArtifactLocation {
  /** For referrers: the address of the image it refers to (not carried into the plan). */
  readonly subjectAddress?: string;
  readonly source: string;
  /** Digest the target must end up with (after any platform filtering). */
  readonly digest: string;
  /** Every distinct manifest and blob under the root, root included. */
  readonly content: readonly BlobRef[];
  readonly copy: CopySpec;
  /** Bytes of the whole artifact when `content` does not list them all (a deferred artifact). */
  readonly size?: number;
  /**
   * Taken from the lock without reading the source: `content` lists only
   * manifests. Enough to find it up to date; planning a write from it is a
   * bug (the caller describes it first), and diff refuses to.
   */
  readonly deferred?: true;
}

/** A file that should exist in a target. */
export interface DesiredFile {
  readonly address: string;
  readonly kind: "file";
  readonly registry: string;
  readonly path: string;
  readonly source: string;
  /** `sha256:<hex>`. */
  readonly digest: string;
  readonly size: number;
  /** File mode as written in airgap.yaml (`"0755"`), for targets that keep one. */
  readonly mode?: string;
  /** A chart archive in the Helm HTTP repository at `chart.repository` (index.yaml kept current). */
  readonly chart?: ChartInRepository;
}

/** One thing that should exist in a target. */
export type DesiredItem = DesiredArtifact | DesiredFile;

/** Something found in a pruned scope, which may be deleted when nothing desires it. */
export type PruneCandidate =
  | { readonly address: string; readonly kind: "image" | "chart"; readonly registry: string; readonly repository: string; readonly tag: string; readonly digest: string }
  | { readonly address: string; readonly kind: "file"; readonly registry: string; readonly path: string; readonly digest: string };

/** What no prune may delete, computed from every bundle of the configuration. */
export interface ProtectedContent {
  /** `registry|repository|tag` and `registry|path` of every desired object. */
  readonly places: ReadonlySet<string>;
  /** `registry|repository|digest` of every manifest a desired artifact is or contains. */
  readonly manifests: ReadonlySet<string>;
}

/** Everything the diff reads. */
export interface DiffInput {
  /** The desired objects to plan (possibly narrowed by `--target`). */
  readonly desired: readonly DesiredItem[];
  /** Observation per desired address; a missing entry counts as absent. */
  readonly observed: ReadonlyMap<string, Observation>;
  /** Blobs and manifests each target registry already holds (`registry` → digests), for transfer sizes. */
  readonly presentBlobs?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Where each of those was found (`registry` → digest → repository): a change in another repository mounts it. */
  readonly blobLocations?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Objects found in scopes whose bundle has `prune: true`. */
  readonly pruneCandidates?: readonly PruneCandidate[];
  /** What prune must keep: from the WHOLE configuration, whatever `desired` was narrowed to. Default: from `desired`. */
  readonly protected?: ProtectedContent;
  readonly prerequisites?: readonly PrerequisiteChange[];
  /** Cluster settings files, already compared with what is on disk. */
  readonly outputs?: readonly OutputChange[];
}

/** Observations that failed: the plan cannot be trusted for them. */
export class ObservationError extends AirgapError {
  readonly failures: readonly { readonly address: string; readonly error: FailureFacts }[];

  constructor(failures: readonly { address: string; error: FailureFacts }[]) {
    // One line per distinct cause (an unreachable registry fails every object the same way), naming what it hit.
    const causes = new Map<string, string[]>();
    for (const f of failures) {
      const list = causes.get(f.error.message);
      if (list) list.push(f.address);
      else causes.set(f.error.message, [f.address]);
    }
    const lines = [...causes].map(([message, addresses]) => (addresses.length === 1 ? `  ${addresses[0]}: ${message}` : `  ${message} (${addresses.length} objects, e.g. ${addresses[0]})`));
    super("OBSERVATION_FAILED", `could not observe ${failures.length} target object(s):\n${lines.join("\n")}`);
    this.failures = failures;
  }
}

/** Desired content the target refuses to take: a new digest under an immutable tag. */
export class ImmutableTagError extends AirgapError {
  readonly conflicts: readonly { readonly address: string; readonly before: string; readonly after: string }[];

  constructor(conflicts: readonly { address: string; before: string; after: string }[]) {
    super(
      "IMMUTABLE_TAG",
      `${conflicts.length} tag(s) are immutable in the target and hold another digest:\n${conflicts.map((c) => `  ${c.address}: holds ${c.before}, desired ${c.after}`).join("\n")}\nPush under a new tag, or lift the target's immutability rule for it.`,
    );
    this.conflicts = conflicts;
  }
}

const isManifest = (b: BlobRef) => isIndexMediaType(b.mediaType) || isImageManifestMediaType(b.mediaType) || b.mediaType.includes("manifest");

/** What prune must keep, from every desired object of the configuration. */
export function protectedContent(desired: readonly DesiredItem[]): ProtectedContent {
  const places = new Set<string>();
  const manifests = new Set<string>();
  for (const item of desired) {
    if (item.kind === "file") {
      places.add(`${item.registry}|${item.path}`);
      continue;
    }
    places.add(`${item.registry}|${item.repository}|${item.tag ?? item.digest}`);
    manifests.add(`${item.registry}|${item.repository}|${item.digest}`);
    for (const blob of item.content) if (isManifest(blob)) manifests.add(`${item.registry}|${item.repository}|${blob.digest}`);
  }
  return { places, manifests };
}

function groupKey(c: PlannedChange): string {
  if (c.kind === "prerequisite") return `0|${c.registry}`;
  if (c.kind === "output") return `2|${c.path}`;
  return `1|${c.registry}|${c.kind === "file" ? c.path : c.repository}`;
}

function order(a: PlannedChange, b: PlannedChange): number {
  const ka = groupKey(a);
  const kb = groupKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

/**
 * Computes the plan. Throws ObservationError when any desired object could
 * not be observed (planning over an unknown state would be a guess), and
 * ImmutableTagError when a desired digest would move an immutable tag.
 */
export function diff(input: DiffInput): Plan {
  const failures = input.desired.flatMap((d) => {
    const o = input.observed.get(d.address);
    return o?.state === "unknown" ? [{ address: d.address, error: o.error }] : [];
  });
  if (failures.length > 0) throw new ObservationError(failures);
  const conflicts = input.desired.flatMap((d) => {
    const o = input.observed.get(d.address);
    return o?.state === "present" && o.immutable === true && o.digest !== d.digest ? [{ address: d.address, before: o.digest, after: d.digest }] : [];
  });
  if (conflicts.length > 0) throw new ImmutableTagError(conflicts);

  // Blobs are claimed once per registry across the whole plan, in plan order, as the executor moves them.
  const claimed = new Map<string, Set<string>>();
  const uploadsOf = (item: DesiredArtifact): Transfers => {
    const present = input.presentBlobs?.get(item.registry);
    const where = input.blobLocations?.get(item.registry);
    let seen = claimed.get(item.registry);
    if (!seen) claimed.set(item.registry, (seen = new Set()));
    const uploads: BlobRef[] = [];
    const mounts: BlobMount[] = [];
    for (const blob of item.content) {
      if (present?.has(blob.digest)) {
        // Found in another repository of this target: apply mounts it from there.
        const from = where?.get(blob.digest);
        if (from !== undefined && from !== item.repository && !isManifest(blob)) mounts.push({ ...blob, from });
        continue;
      }
      if (seen.has(blob.digest)) continue;
      seen.add(blob.digest);
      uploads.push(blob);
    }
    return { uploads, mounts };
  };

  const changes: PlannedChange[] = [...(input.prerequisites ?? []), ...(input.outputs ?? [])];
  // In plan order, so the change that owns a shared blob is the one apply reaches first.
  const place = (d: DesiredItem) => `${d.registry}|${d.kind === "file" ? d.path : d.repository}|${d.address}`;
  const desired = [...input.desired].sort((a, b) => (place(a) < place(b) ? -1 : place(a) > place(b) ? 1 : 0));
  for (const item of desired) {
    const observed = input.observed.get(item.address) ?? { state: "absent" };
    const before = observed.state === "present" ? observed.digest : undefined;
    changes.push(item.kind === "file" ? fileChange(item, before) : artifactChange(item, before, uploadsOf));
  }

  const keep = input.protected ?? protectedContent(input.desired);
  for (const c of input.pruneCandidates ?? []) {
    if (c.kind === "file") {
      if (keep.places.has(`${c.registry}|${c.path}`)) continue;
      changes.push({ address: c.address, kind: "file", action: "delete", registry: c.registry, path: c.path, before: c.digest, reason: "not desired (prune)" });
      continue;
    }
    if (keep.places.has(`${c.registry}|${c.repository}|${c.tag}`)) continue;
    // A referrers fallback tag or cosign tag travels with its subject: kept while the subject is wanted.
    const subject = cosignSubject(c.tag) ?? fallbackTagSubject(c.tag);
    if (subject !== undefined && keep.manifests.has(`${c.registry}|${c.repository}|${subject}`)) continue;
    // Registries delete manifests by digest, taking every tag on it: never delete what any desired artifact is or contains.
    if (keep.manifests.has(`${c.registry}|${c.repository}|${c.digest}`)) continue;
    changes.push({ address: c.address, kind: c.kind, action: "delete", registry: c.registry, repository: c.repository, tag: c.tag, before: c.digest, reason: "not desired (prune)" });
  }
  changes.sort(order);
  return { formatVersion: PLAN_FORMAT_VERSION, changes, summary: summarize(changes, presentBytes(input)) };
}

/** What one change moves: blobs it uploads, and blobs it mounts from another repository of its target. */
interface Transfers {
  readonly uploads: BlobRef[];
  readonly mounts: BlobMount[];
}

function artifactChange(item: DesiredArtifact, before: string | undefined, uploadsOf: (item: DesiredArtifact) => Transfers): ArtifactChange {
  const place = {
    address: item.address,
    kind: item.kind,
    registry: item.registry,
    repository: item.repository,
    ...(item.tag !== undefined ? { tag: item.tag } : {}),
    ...(item.subject !== undefined ? { subject: item.subject } : {}),
    source: item.source,
    after: item.digest,
    size: item.size ?? item.content.reduce((n, b) => n + b.size, 0),
  };
  if (before === item.digest) return { ...place, action: "no-op", before, reason: "up to date" };
  if (item.deferred) throw new Error(`internal error: ${item.address} changes but was not read from its source`);
  const { uploads, mounts } = uploadsOf(item);
  const write = { ...place, uploads, ...(mounts.length > 0 ? { mounts } : {}), transfer: uploads.reduce((n, b) => n + b.size, 0), copy: item.copy };
  return before === undefined ? { ...write, action: "create", reason: "not in the target" } : { ...write, action: "update", before, reason: "tag points at another digest" };
}

function fileChange(item: DesiredFile, before: string | undefined): FileChange {
  const place = { address: item.address, kind: "file" as const, registry: item.registry, path: item.path, source: item.source, after: item.digest, size: item.size };
  if (before === item.digest) return { ...place, action: "no-op", before, reason: "up to date" };
  const write = { ...place, transfer: item.size, ...(item.mode !== undefined ? { mode: item.mode } : {}), ...(item.chart !== undefined ? { chart: item.chart } : {}) };
  return before === undefined ? { ...write, action: "create", reason: "not in the target" } : { ...write, action: "update", before, reason: "content differs" };
}

/** Bytes of desired blobs the targets already hold, each blob counted once per registry. */
function presentBytes(input: DiffInput): number {
  const seen = new Set<string>();
  let bytes = 0;
  for (const item of input.desired) {
    if (item.kind === "file") continue;
    const present = input.presentBlobs?.get(item.registry);
    for (const blob of item.content) {
      const key = `${item.registry}|${blob.digest}`;
      if (!present?.has(blob.digest) || seen.has(key)) continue;
      seen.add(key);
      bytes += blob.size;
    }
  }
  return bytes;
}

/** Counts changes and bytes. */
export function summarize(changes: readonly PlannedChange[], presentBytes: number): PlanSummary {
  let add = 0;
  let change = 0;
  let destroy = 0;
  let unchanged = 0;
  let transferBytes = 0;
  for (const c of changes) {
    if (c.action === "create") add++;
    else if (c.action === "update") change++;
    else if (c.action === "delete") destroy++;
    else unchanged++;
    transferBytes += transferOf(c);
  }
  return { add, change, destroy, unchanged, transferBytes, presentBytes };
}
