/**
 * The pure diff: desired state × observed state → plan. No I/O, no clock, no
 * randomness, so the same inputs always give the same plan.
 */
import { AirgapError } from "../core/errors.js";
import { PLAN_FORMAT_VERSION, type BlobRef, type ChangeKind, type CopySpec, type Plan, type PlannedChange, type PlanSummary } from "./model.js";

/** One thing that should exist in a target. */
export interface DesiredItem {
  readonly address: string;
  readonly kind: Exclude<ChangeKind, "prerequisite">;
  readonly registry: string;
  readonly repository?: string;
  readonly tag?: string;
  readonly path?: string;
  readonly source: string;
  /** Digest the target must end up with (for images: after any platform filtering). */
  readonly digest: string;
  readonly size: number;
  /** Blobs the artifact needs in the target, for transfer sizes; files list themselves. */
  readonly blobs: readonly BlobRef[];
  /** For images and charts: what apply copies. */
  readonly copy?: CopySpec;
}

/** What observation found for one desired address. */
export type Observation =
  | { readonly state: "present"; readonly digest: string }
  | { readonly state: "absent" }
  | { readonly state: "unknown"; readonly error: string };

/** A tag found in a pruned repository, which may be deleted when nothing desires it. */
export interface PruneCandidate {
  readonly address: string;
  readonly kind: "image" | "chart";
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
}

/** A change a provider needs before content can land (a Harbor project, an ECR repository). */
export interface Prerequisite {
  readonly address: string;
  readonly registry: string;
  readonly reason: string;
  readonly provider: { readonly name: string; readonly data?: unknown };
}

/** Everything the diff reads. */
export interface DiffInput {
  readonly desired: readonly DesiredItem[];
  /** Observation per desired address; a missing entry counts as absent. */
  readonly observed: ReadonlyMap<string, Observation>;
  /** Blobs each target registry already holds (`registry` → digests), for transfer sizes. */
  readonly presentBlobs?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Tags present in repositories whose bundle has `prune: true`. */
  readonly pruneCandidates?: readonly PruneCandidate[];
  readonly prerequisites?: readonly Prerequisite[];
}

/** Observations that failed: the plan cannot be trusted for them. */
export class ObservationError extends AirgapError {
  readonly failures: readonly { address: string; error: string }[];

  constructor(failures: readonly { address: string; error: string }[]) {
    super("OBSERVATION_FAILED", `could not observe ${failures.length} target object(s): ${failures.map((f) => `${f.address}: ${f.error}`).join("; ")}`);
    this.failures = failures;
  }
}

function order(a: PlannedChange, b: PlannedChange): number {
  const rank = (c: PlannedChange) => (c.kind === "prerequisite" ? 0 : 1);
  return (
    rank(a) - rank(b) ||
    a.registry.localeCompare(b.registry) ||
    (a.repository ?? a.path ?? "").localeCompare(b.repository ?? b.path ?? "") ||
    a.address.localeCompare(b.address)
  );
}

/**
 * Computes the plan. Throws ObservationError when any desired object could
 * not be observed: planning over an unknown state would be a guess.
 */
export function diff(input: DiffInput): Plan {
  const failures = input.desired.flatMap((d) => {
    const o = input.observed.get(d.address);
    return o?.state === "unknown" ? [{ address: d.address, error: o.error }] : [];
  });
  if (failures.length > 0) throw new ObservationError(failures);

  const changes: PlannedChange[] = [];
  // Blobs counted once per registry across the whole plan, like the executor moves them.
  const counted = new Map<string, Set<string>>();
  const transferOf = (item: DesiredItem): number => {
    const present = input.presentBlobs?.get(item.registry);
    let seen = counted.get(item.registry);
    if (!seen) counted.set(item.registry, (seen = new Set()));
    let bytes = 0;
    for (const blob of item.blobs) {
      if (present?.has(blob.digest) || seen.has(blob.digest)) continue;
      seen.add(blob.digest);
      bytes += blob.size;
    }
    return bytes;
  };

  for (const p of input.prerequisites ?? []) {
    changes.push({ address: p.address, kind: "prerequisite", action: "create", registry: p.registry, reason: p.reason, provider: p.provider });
  }
  const desiredKeys = new Set<string>();
  const desiredDigests = new Set<string>();
  for (const item of input.desired) {
    desiredKeys.add(`${item.registry}|${item.repository ?? ""}|${item.tag ?? item.path ?? ""}`);
    desiredDigests.add(`${item.registry}|${item.repository ?? ""}|${item.digest}`);
    const observed = input.observed.get(item.address) ?? { state: "absent" };
    const base = {
      address: item.address,
      kind: item.kind,
      registry: item.registry,
      ...(item.repository !== undefined ? { repository: item.repository } : {}),
      ...(item.tag !== undefined ? { tag: item.tag } : {}),
      ...(item.path !== undefined ? { path: item.path } : {}),
      source: item.source,
      ...(item.copy ? { copy: item.copy } : {}),
      after: item.digest,
      size: item.size,
    };
    if (observed.state === "present" && observed.digest === item.digest) {
      changes.push({ ...base, action: "no-op", before: observed.digest, transfer: 0, reason: "up to date" });
    } else if (observed.state === "present") {
      changes.push({ ...base, action: "update", before: observed.digest, transfer: transferOf(item), reason: `${item.kind === "file" ? "content" : "tag"} points at another digest` });
    } else {
      changes.push({ ...base, action: "create", transfer: transferOf(item), reason: "not in the target" });
    }
  }
  for (const c of input.pruneCandidates ?? []) {
    if (desiredKeys.has(`${c.registry}|${c.repository}|${c.tag}`)) continue;
    // Registries delete manifests by digest, taking every tag on it: never delete what a desired tag points at.
    if (desiredDigests.has(`${c.registry}|${c.repository}|${c.digest}`)) continue;
    changes.push({ address: c.address, kind: c.kind, action: "delete", registry: c.registry, repository: c.repository, tag: c.tag, before: c.digest, reason: "not desired (prune)" });
  }
  changes.sort(order);
  return { formatVersion: PLAN_FORMAT_VERSION, changes, summary: summarize(changes, presentBytes(input)) };
}

/** Bytes of desired blobs the targets already hold, each blob counted once per registry. */
function presentBytes(input: DiffInput): number {
  const seen = new Set<string>();
  let bytes = 0;
  for (const item of input.desired) {
    const present = input.presentBlobs?.get(item.registry);
    for (const blob of item.blobs) {
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
    transferBytes += c.transfer ?? 0;
  }
  return { add, change, destroy, unchanged, transferBytes, presentBytes };
}
