/**
 * The executor: runs exactly the changes of a plan. Prerequisites first,
 * then content through one copy coordinator (every blob moves once across
 * the whole plan, later repositories mount it) and cluster settings files,
 * deletions last. Work is spread across changes, bounded by `parallelism`,
 * which also bounds the blob transfers in flight. One failed change does not
 * stop the others; an abort stops everything in flight, and no tag ever
 * points at an incomplete image because tags are written last.
 *
 * It switches on the plan's union: each variant carries exactly what its
 * step needs, so nothing is re-checked here.
 */
import { AirgapError, failureFacts, type FailureFacts } from "../core/errors.js";
import type { Descriptor } from "../core/oci-types.js";
import { parsePlatform } from "../core/oci-types.js";
import { mapLimit } from "../core/concurrency.js";
import { toFileChange, writeOutputChange } from "../cluster/index.js";
import type { ContentReader } from "../oci/content.js";
import { CopyCoordinator, copyGraph } from "../oci/copy/index.js";
import { Readable } from "node:stream";
import { EMPTY_CONFIG, fileArtifactManifest, fileArtifactPlace } from "../oci/file-artifact.js";
import { registryOf, type ArtifactCreate, type ArtifactDelete, type ArtifactUpdate, type FileChange, type FileCreate, type FileDelete, type FileUpdate, type Plan, type PlannedChange, type PrerequisiteChange } from "../plan/model.js";
import type { Provider, WriteLock, WriteLockOptions } from "../sdk/provider.js";
import type { ApplyEvent, ApplySummary } from "./events.js";
import { attachReferrer } from "../referrers/fallback-index.js";

/** Everything the executor needs besides the plan. */
export interface ExecutorOptions {
  readonly providers: ReadonlyMap<string, Provider>;
  /** The upstream reader for an artifact change. */
  openSource(change: ArtifactCreate | ArtifactUpdate): Promise<ContentReader>;
  /** A fresh stream of a file change's bytes, from its start (called again on a retry). */
  openFile?(change: FileCreate | FileUpdate, signal?: AbortSignal): Promise<Readable>;
  /** Changes in flight at once, and blob transfers in flight at once. */
  readonly parallelism: number;
  /** Directory that cluster output paths are relative to (airgap.yaml's). */
  readonly baseDir?: string;
  readonly signal: AbortSignal;
  readonly onEvent: (event: ApplyEvent) => void;
}

/** A step cannot run as planned (no provider for it, upstream moved since the plan); the facts go to change-failed. */
export class ApplyStepError extends AirgapError {
  constructor(message: string) {
    super("APPLY_STEP", message);
  }
}

/**
 * Who the plan said moves each blob (`registry|digest` → address): bytes
 * are credited to that change whichever copy happens to upload them, so
 * apply's per-change account matches the plan's.
 */
function uploadOwners(plan: Plan): Map<string, string> {
  const owners = new Map<string, string>();
  for (const c of plan.changes) {
    if ((c.kind === "image" || c.kind === "chart" || c.kind === "referrer") && (c.action === "create" || c.action === "update")) {
      for (const u of c.uploads) owners.set(`${c.registry}|${u.digest}`, c.address);
    }
  }
  return owners;
}

/**
 * Takes the write lock of every target that `changes` write to and that
 * offers one (`Provider.lockForWrite`), for the caller to hold around the
 * stale-plan check and {@link executePlan} and release in a `finally`.
 * The executor itself does not lock, so that a saved plan's staleness is
 * checked under the same lock as the writes that follow it. Locks are taken
 * in the order of the targets' display names, the same in every process, so
 * two applies into the same two layouts cannot each hold one and wait for
 * the other; if one cannot be had, those already taken are released.
 */
export async function lockTargets(changes: readonly PlannedChange[], providers: ReadonlyMap<string, Provider>, options: WriteLockOptions): Promise<WriteLock> {
  const writing = [...new Set(changes.filter((c) => c.action !== "no-op").flatMap((c) => registryOf(c) ?? []))]
    .flatMap((name) => {
      const provider = providers.get(name);
      return provider?.lockForWrite ? [provider] : [];
    })
    .sort((a, b) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
  const held: WriteLock[] = [];
  const releaseAll = async (): Promise<void> => {
    for (const lock of held.splice(0).reverse()) await lock.release();
  };
  try {
    for (const provider of writing) held.push(await provider.lockForWrite!(options));
  } catch (error) {
    await releaseAll();
    throw error;
  }
  return { release: releaseAll };
}

/** Runs a plan's changes; never throws for a failed change: the summary lists failures. The caller holds the targets' write locks ({@link lockTargets}). */
export async function executePlan(plan: Plan, options: ExecutorOptions): Promise<ApplySummary> {
  const work = plan.changes.filter((c) => c.action !== "no-op");
  const parallelism = Math.max(1, options.parallelism);
  const coordinator = new CopyCoordinator({ concurrency: parallelism });
  const owners = uploadOwners(plan);
  const credited = new Map<string, number>();
  const credit = (registry: string, digest: string, runner: string, bytes: number) => {
    const owner = owners.get(`${registry}|${digest}`) ?? runner;
    credited.set(owner, (credited.get(owner) ?? 0) + bytes);
  };
  const failures: { address: string; error: FailureFacts }[] = [];
  let done = 0;
  let started = 0;
  options.onEvent({ type: "apply-start", changes: work.length, bytes: plan.summary.transferBytes });

  const run = async (change: PlannedChange): Promise<void> => {
    if (options.signal.aborted) return;
    started++;
    const planned = "transfer" in change ? change.transfer : 0;
    options.onEvent({ type: "change-start", address: change.address, action: change.action, bytes: planned });
    try {
      const digest = await applyChange(change, options, coordinator, credit);
      done++;
      options.onEvent({ type: "change-done", address: change.address, action: change.action, bytesMoved: credited.get(change.address) ?? 0, ...(digest ? { digest } : {}) });
    } catch (error) {
      const facts = options.signal.aborted ? { message: "interrupted" } : failureFacts(error);
      failures.push({ address: change.address, error: facts });
      options.onEvent({ type: "change-failed", address: change.address, error: facts });
    }
  };

  // Prerequisites before content, deletions after it: each phase completes before the next starts.
  const phases = [work.filter((c) => c.kind === "prerequisite"), work.filter((c) => c.kind !== "prerequisite" && c.action !== "delete"), work.filter((c) => c.action === "delete")];
  for (const phase of phases) await mapLimit(phase, parallelism, run);

  const summary: ApplySummary = {
    done,
    failed: failures.length,
    notStarted: work.length - started,
    bytesMoved: [...credited.values()].reduce((a, b) => a + b, 0),
    interrupted: options.signal.aborted,
    failures: failures.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)),
  };
  options.onEvent({ type: "apply-done", summary });
  return summary;
}

type Credit = (registry: string, digest: string, runner: string, bytes: number) => void;

/** Applies one change; returns the digest written, when there is one. */
async function applyChange(change: PlannedChange, options: ExecutorOptions, coordinator: CopyCoordinator, credit: Credit): Promise<string | undefined> {
  switch (change.kind) {
    case "prerequisite":
      return applyPrerequisite(change, options);
    case "output":
      if (change.action === "no-op") return undefined;
      await writeOutputChange(options.baseDir ?? ".", toFileChange(change));
      return change.action === "delete" ? undefined : change.after;
    case "file":
      return applyFile(change, options, credit);
    case "image":
    case "chart":
    case "referrer":
      switch (change.action) {
        case "no-op":
          return undefined;
        case "delete":
          await deleteArtifact(change, options);
          return undefined;
        case "create":
        case "update":
          return copyArtifact(change, options, coordinator, credit);
      }
  }
}

async function applyFile(change: FileChange, options: ExecutorOptions, credit: Credit): Promise<string | undefined> {
  switch (change.action) {
    case "no-op":
      return undefined;
    case "delete":
      await deleteFile(change, options);
      return undefined;
    case "create":
    case "update":
      await putFile(change, options);
      credit(change.registry, change.after, change.address, change.size);
      return change.after;
  }
}

function providerFor(registry: string, options: ExecutorOptions): Provider {
  const provider = options.providers.get(registry);
  if (!provider) throw new ApplyStepError(`no provider for registry ${registry}`);
  return provider;
}

async function applyPrerequisite(change: PrerequisiteChange, options: ExecutorOptions): Promise<undefined> {
  const provider = providerFor(change.registry, options);
  if (!provider.applyPrerequisite) throw new ApplyStepError(`the provider of registry ${change.registry} cannot apply ${change.address}`);
  const result = await provider.applyPrerequisite({ key: change.address, reason: change.reason, data: change.provider.data }, { signal: options.signal });
  if (result.status === "failed") throw new ApplyStepError(result.error);
  return undefined;
}

/**
 * Publishes one file: through the provider's own `putFile` (a file server
 * writes to a temp name, checks the sha256 and moves it into place), else as
 * an OCI artifact in an OCI target (layer and config first, the manifest,
 * the tag last). Either way the bytes are checked against the planned
 * sha256 before they become visible.
 */
async function putFile(change: FileCreate | FileUpdate, options: ExecutorOptions): Promise<void> {
  const provider = providerFor(change.registry, options);
  const openFile = options.openFile;
  if (!openFile) throw new ApplyStepError(`${change.address}: no source for files was given`);
  const sha256 = change.after.replace(/^sha256:/, "");
  if (change.chart) {
    if (!provider.publishCharts) throw new ApplyStepError(`registry ${change.registry} cannot hold a Helm repository`);
    await provider.publishCharts(change.chart.repository, [{ sha256, size: change.size, open: (o) => openFile(change, o?.signal ?? options.signal) }], { signal: options.signal });
    return;
  }
  if (provider.putFile) {
    await provider.putFile(
      change.path,
      { sha256, size: change.size, open: (o) => openFile(change, o?.signal ?? options.signal) },
      { signal: options.signal, ...(change.mode !== undefined ? { mode: parseInt(change.mode, 8) } : {}), onProgress: (bytes) => options.onEvent({ type: "change-progress", address: change.address, bytes: Math.min(bytes, change.size) }) },
    );
    return;
  }
  if (!provider.repository) throw new ApplyStepError(`registry ${change.registry} cannot hold files`);
  const place = fileArtifactPlace(change.path);
  const artifact = fileArtifactManifest(change.path, sha256, change.size);
  const target = provider.repository(place.repository);
  const call = { signal: options.signal };
  if (!(await target.exists(artifact.content, call))) await target.push(artifact.content, await openFile(change, options.signal), call);
  if (!(await target.exists(EMPTY_CONFIG.descriptor, call))) await target.push(EMPTY_CONFIG.descriptor, Readable.from([EMPTY_CONFIG.bytes]), call);
  await target.push(artifact.manifest, Readable.from([artifact.manifestBytes]), call);
  options.signal.throwIfAborted();
  await target.tag(artifact.manifest, place.tag, call);
}

async function deleteFile(change: FileDelete, options: ExecutorOptions): Promise<void> {
  const provider = providerFor(change.registry, options);
  if (!provider.deleteFile) throw new ApplyStepError(`the provider of registry ${change.registry} cannot delete ${change.address}`);
  await provider.deleteFile(change.path, { signal: options.signal });
}

async function deleteArtifact(change: ArtifactDelete, options: ExecutorOptions): Promise<void> {
  const provider = providerFor(change.registry, options);
  if (!provider.deleteTag) throw new ApplyStepError(`the provider of registry ${change.registry} cannot delete ${change.address}`);
  await provider.deleteTag(change.repository, change.tag, change.before, { signal: options.signal });
}

async function copyArtifact(change: ArtifactCreate | ArtifactUpdate, options: ExecutorOptions, coordinator: CopyCoordinator, credit: Credit): Promise<string> {
  const provider = providerFor(change.registry, options);
  if (!provider.repository) throw new ApplyStepError(`registry ${change.registry} holds no OCI content`);
  const spec = change.copy;
  const source = await options.openSource(change);
  const target = provider.repository(change.repository);
  const root: Descriptor = { mediaType: spec.sourceMediaType, digest: spec.sourceDigest as Descriptor["digest"], size: spec.sourceSize };
  const platforms = spec.platforms?.map((p) => {
    const parsed = parsePlatform(p);
    if (!parsed.ok) throw new ApplyStepError(parsed.reason);
    return parsed.platform;
  });
  // Where the plan found blobs in other repositories of this target: mounted from there, never read from the source.
  const mountFrom = new Map<string, string[]>();
  for (const m of change.mounts ?? []) mountFrom.set(m.digest, [...(mountFrom.get(m.digest) ?? []), m.from]);
  // What the plan saw missing from this repository: apply does not ask the target again before writing it.
  const absent = new Set([...change.uploads, ...(change.mounts ?? [])].map((b) => b.digest));
  const inFlight = new Map<string, number>();
  let moved = 0;
  const progress = () => {
    const bytes = moved + [...inFlight.values()].reduce((a, b) => a + b, 0);
    options.onEvent({ type: "change-progress", address: change.address, bytes: Math.min(bytes, change.transfer) });
  };
  const result = await copyGraph(source, target, root, {
    signal: options.signal,
    preserveDigests: spec.preserveDigests,
    ...(platforms ? { platforms } : {}),
    coordinator,
    ...(mountFrom.size > 0 ? { mountCandidates: (d: Descriptor) => mountFrom.get(d.digest) ?? [] } : {}),
    knownAbsent: (d: Descriptor) => absent.has(d.digest),
    onEvent(event) {
      if (event.type === "blob-progress") {
        inFlight.set(event.descriptor.digest, event.bytes);
        progress();
      } else if (event.type === "blob-done") {
        inFlight.delete(event.descriptor.digest);
        if (event.how === "uploaded") {
          moved += event.bytes;
          credit(change.registry, event.descriptor.digest, change.address, event.bytes);
        }
        progress();
      } else if (event.type === "manifest-done" && event.how === "pushed") {
        credit(change.registry, event.descriptor.digest, change.address, event.descriptor.size);
      }
    },
  });
  if (result.root.digest !== change.after) {
    throw new ApplyStepError(`the source now yields ${result.root.digest}, not the planned ${change.after}: the upstream content changed since the plan; nothing was tagged. Run \`airgap plan\` again`);
  }
  options.signal.throwIfAborted();
  // The tag last: only now does the target point at the complete image. Digest-pinned content stays untagged.
  if (change.tag !== undefined) await target.tag(result.root, change.tag, { signal: options.signal });
  // A referrer found by its subject must be found so at the target too: the API does it, else the fallback index tag.
  if (change.kind === "referrer" && change.subject !== undefined && change.tag === undefined) await attachReferrer(target, result.root, change.subject, { signal: options.signal });
  return result.root.digest;
}
