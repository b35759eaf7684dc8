/**
 * The plan: plain, JSON-serialisable data that the diff produces, the views
 * render, the plan file stores and the executor runs. Nothing here does I/O.
 *
 * A change is a discriminated union by `kind` and `action`, as Terraform's
 * `plans.Change` is: each variant has exactly the fields it needs (a delete
 * has a `before` and nothing to copy; a create has no `before`), so the
 * executor and the views switch on the type and never check shapes at run
 * time, and the plan file's JSON Schema (schema/plan.schema.json) follows the
 * same union.
 */

/** Version of the plan file format; readers refuse newer versions. */
export const PLAN_FORMAT_VERSION = 2 as const;

/** What a change does to its target. */
export type ChangeAction = "create" | "update" | "delete" | "no-op";

/** One blob or manifest, for deduplicated transfer sizes and presence checks. */
export interface BlobRef {
  readonly digest: string;
  readonly size: number;
  /** Tells manifests from blobs: registries answer for them on different endpoints. */
  readonly mediaType: string;
}

/** A blob the target already holds in another of its repositories: apply mounts it from there instead of reading it from the source. */
export interface BlobMount extends BlobRef {
  /** The repository of the same target that holds it. */
  readonly from: string;
}

/** How apply copies an OCI artifact: the upstream root and the filtering that yields `after`. */
export interface CopySpec {
  /** The upstream root manifest (before platform filtering). */
  readonly sourceDigest: string;
  readonly sourceMediaType: string;
  readonly sourceSize: number;
  /** Platforms to keep (`os/arch[/variant]`); absent keeps all. */
  readonly platforms?: readonly string[];
  readonly preserveDigests: boolean;
}

/** Provider-owned data that round-trips through the plan file (Terraform's `Private`); views never read it. */
export interface ProviderData {
  readonly name: string;
  readonly data?: unknown;
}

// ---------------------------------------------------------------- artifacts

/** OCI content in a registry or layout: an image, a chart, or an artifact that refers to one. */
export type ArtifactKind = "image" | "chart" | "referrer";

/** Where an artifact lands, shared by what is desired and what the plan changes. */
export interface ArtifactLocation {
  /** Stable key shared by views, plan file, events and `--target`. */
  readonly address: string;
  readonly kind: ArtifactKind;
  /** Target registry name (from airgap.yaml). */
  readonly registry: string;
  readonly repository: string;
  /** Absent for content pinned by digest only (it lands untagged). */
  readonly tag?: string;
  /** For referrers: the digest of the manifest this one refers to. */
  readonly subject?: string;
}

interface ArtifactPlace extends ArtifactLocation {
  /** Why: "not in the target", "tag points at another digest", "not desired (prune)", "up to date". */
  readonly reason: string;
}

interface ArtifactWrite extends ArtifactPlace {
  /** Upstream reference the content comes from. */
  readonly source: string;
  /** The digest the target will hold. */
  readonly after: string;
  /** Bytes of the whole artifact (every distinct blob and manifest). */
  readonly size: number;
  /** Blobs and manifests this change writes, each counted once across the whole plan; `transfer` is their sum. */
  readonly uploads: readonly BlobRef[];
  /**
   * Blobs found in another repository of the target, mounted from there (no
   * bytes move; a differential bundle may have left them out). Absent when none.
   */
  readonly mounts?: readonly BlobMount[];
  readonly transfer: number;
  /** What to copy, so apply reproduces exactly the planned digest. */
  readonly copy: CopySpec;
}

/** The target lacks the artifact. */
export interface ArtifactCreate extends ArtifactWrite {
  readonly action: "create";
}

/** The tag points at another digest. */
export interface ArtifactUpdate extends ArtifactWrite {
  readonly action: "update";
  /** Digest observed at plan time; apply refuses when it moved (stale plan). */
  readonly before: string;
}

/** Already as desired. */
export interface ArtifactNoop extends ArtifactPlace {
  readonly action: "no-op";
  readonly source: string;
  readonly before: string;
  readonly after: string;
  readonly size: number;
}

/** Not desired by any bundle (prune). */
export interface ArtifactDelete extends ArtifactPlace {
  readonly action: "delete";
  readonly tag: string;
  readonly before: string;
}

/** Any change to OCI content. */
export type ArtifactChange = ArtifactCreate | ArtifactUpdate | ArtifactNoop | ArtifactDelete;

// -------------------------------------------------------------------- files

interface FilePlace {
  readonly address: string;
  readonly kind: "file";
  readonly registry: string;
  /** Path inside the target. */
  readonly path: string;
  readonly reason: string;
}

interface FileWrite extends FilePlace {
  /** URL or local path the file comes from. */
  readonly source: string;
  /** `sha256:<hex>` of the content the target will hold. */
  readonly after: string;
  readonly size: number;
  readonly transfer: number;
  /** File mode as written in airgap.yaml (`"0755"`), for targets that keep one. */
  readonly mode?: string;
  /** A chart archive published into a Helm HTTP repository (the provider keeps its index.yaml current). */
  readonly chart?: ChartInRepository;
}

/** Where a chart archive lands in a Helm HTTP repository on a file server. */
export interface ChartInRepository {
  /** The repository's directory (where index.yaml is). */
  readonly repository: string;
  readonly name: string;
  readonly version: string;
}

/** The target lacks the file. */
export interface FileCreate extends FileWrite {
  readonly action: "create";
}

/** The target holds other content at that path. */
export interface FileUpdate extends FileWrite {
  readonly action: "update";
  /** `sha256:<hex>` of what is there, or {@link UNVERIFIED} when the target keeps no checksum that agrees with it. */
  readonly before: string;
}

/** What a file's `before` says when something is there but its checksum cannot be trusted. */
export const UNVERIFIED = "unverified";

/** Already as desired. */
export interface FileNoop extends FilePlace {
  readonly action: "no-op";
  readonly source: string;
  readonly before: string;
  readonly after: string;
  readonly size: number;
}

/** Not desired (prune). */
export interface FileDelete extends FilePlace {
  readonly action: "delete";
  readonly before: string;
}

/** Any change to a published file. */
export type FileChange = FileCreate | FileUpdate | FileNoop | FileDelete;

// ------------------------------------------------------------ prerequisites

/** Something a provider must create before content lands (a Harbor project, an ECR repository). */
export interface PrerequisiteChange {
  readonly address: string;
  readonly kind: "prerequisite";
  readonly action: "create" | "update";
  readonly registry: string;
  readonly reason: string;
  /** Round-trips to the provider's `applyPrerequisite`. */
  readonly provider: ProviderData;
}

// ------------------------------------------------------------------ outputs

interface OutputPlace {
  readonly address: string;
  readonly kind: "output";
  /** The output type (`containerd`, `k0s`, …). */
  readonly format: string;
  /** Local file path, relative to airgap.yaml's directory. */
  readonly path: string;
  /** Index of the output in `cluster.outputs`. */
  readonly output: number;
  readonly reason: string;
}

/** A cluster settings file to write. */
export interface OutputWrite extends OutputPlace {
  readonly action: "create" | "update";
  /** `sha256:<hex>` of what is on disk now; absent when there is no file. */
  readonly before?: string;
  readonly after: string;
  /** The whole new content: apply writes exactly what was reviewed. */
  readonly content: string;
  /** Unified diff of the old and new content, for review. */
  readonly diff: string;
}

/** The file on disk is already as rendered. */
export interface OutputNoop extends OutputPlace {
  readonly action: "no-op";
  readonly before: string;
  readonly after: string;
}

/** A file airgap wrote earlier that the outputs no longer render (only files carrying airgap's marker). */
export interface OutputDelete extends OutputPlace {
  readonly action: "delete";
  readonly before: string;
  readonly diff: string;
}

/** Any change to a cluster settings file. */
export type OutputChange = OutputWrite | OutputNoop | OutputDelete;

// --------------------------------------------------------------------- plan

/** One change to one target object. */
export type PlannedChange = ArtifactChange | FileChange | PrerequisiteChange | OutputChange;

/** What a change is about. */
export type ChangeKind = PlannedChange["kind"];

/** Counts and bytes for the summary line. */
export interface PlanSummary {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly unchanged: number;
  /** Bytes that apply will move: the sum of every change's `transfer`. */
  readonly transferBytes: number;
  /** Bytes of desired content that the targets already hold. */
  readonly presentBytes: number;
}

/** A complete plan. */
export interface Plan {
  readonly formatVersion: typeof PLAN_FORMAT_VERSION;
  /** Every change, no-ops included: prerequisites first, then by registry, repository or path, and address. */
  readonly changes: readonly PlannedChange[];
  readonly summary: PlanSummary;
}

/** True when applying the plan would change something. */
export function hasChanges(plan: Plan): boolean {
  return plan.changes.some((c) => c.action !== "no-op");
}

/** True for changes to OCI content. */
export function isArtifactChange(change: PlannedChange): change is ArtifactChange {
  return change.kind === "image" || change.kind === "chart" || change.kind === "referrer";
}

/** Bytes a change moves: the one definition plan summaries and apply progress share. */
export function transferOf(change: PlannedChange): number {
  return (change.action === "create" || change.action === "update") && "transfer" in change ? change.transfer : 0;
}

/** The target registry a change writes to; undefined for local files (cluster outputs). */
export function registryOf(change: PlannedChange): string | undefined {
  return change.kind === "output" ? undefined : change.registry;
}
