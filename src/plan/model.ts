/**
 * The plan: plain, JSON-serialisable data that the diff produces, the views
 * render, the plan file stores and the executor runs. Nothing here does I/O.
 * Fields document what apply may rely on (Terraform's plans package).
 */

/** Version of the plan file format; readers refuse newer versions. */
export const PLAN_FORMAT_VERSION = 1 as const;

/** What a change does to its target. */
export type ChangeAction = "create" | "update" | "delete" | "no-op";

/** What a change is about. */
export type ChangeKind = "image" | "chart" | "file" | "prerequisite" | "output";

/** One blob an artifact needs, for deduplicated transfer sizes. */
export interface BlobRef {
  readonly digest: string;
  readonly size: number;
}

/** How apply copies an image or chart: the upstream root and the filtering that yields `after`. */
export interface CopySpec {
  /** The upstream root manifest (before platform filtering). */
  readonly sourceDigest: string;
  readonly sourceMediaType: string;
  readonly sourceSize: number;
  /** Platforms to keep (`os/arch[/variant]`); absent keeps all. */
  readonly platforms?: readonly string[];
  readonly preserveDigests: boolean;
}

/** One change to one target object. */
export interface PlannedChange {
  /** Stable key shared by views, plan file and events. */
  readonly address: string;
  readonly kind: ChangeKind;
  readonly action: ChangeAction;
  /** Target registry name (from airgap.yaml). */
  readonly registry: string;
  /** Target repository, for images and charts. */
  readonly repository?: string;
  /** Target tag, for images and charts. */
  readonly tag?: string;
  /** Target path, for files and cluster outputs. */
  readonly path?: string;
  /** Where the content comes from (upstream reference or URL), for display and for apply. */
  readonly source?: string;
  /** Digest observed in the target at plan time; absent when the target had nothing. apply refuses if this moved (stale plan). */
  readonly before?: string;
  /** Desired digest; absent for deletions. */
  readonly after?: string;
  /** Bytes of the whole artifact. */
  readonly size?: number;
  /** Bytes that must still move (blobs the target lacks, counted once per registry across the plan). */
  readonly transfer?: number;
  /** Why: "not in the target", "tag moved", "not desired (prune)", "already up to date". */
  readonly reason: string;
  /** For images and charts: what to copy, so apply reproduces exactly the planned digest. */
  readonly copy?: CopySpec;
  /** Provider-owned data that round-trips through the plan file (Terraform's `Private`); views never read it. */
  readonly provider?: { readonly name: string; readonly data?: unknown };
}

/** Counts and bytes for the summary line. */
export interface PlanSummary {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly unchanged: number;
  /** Bytes that apply will move. */
  readonly transferBytes: number;
  /** Bytes of desired content that the targets already hold. */
  readonly presentBytes: number;
}

/** A complete plan. */
export interface Plan {
  readonly formatVersion: typeof PLAN_FORMAT_VERSION;
  /** Every change, no-ops included, ordered by registry, repository and address. */
  readonly changes: readonly PlannedChange[];
  readonly summary: PlanSummary;
}

/** True when applying the plan would change something. */
export function hasChanges(plan: Plan): boolean {
  return plan.changes.some((c) => c.action !== "no-op");
}
