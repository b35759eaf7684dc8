/**
 * The planning pipeline shared by `plan` and `apply`:
 * lock → desired → providers → observe → diff. Each arrow is a module
 * boundary with plain data between; this file only wires them.
 */
import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import type { Diagnostic } from "../core/diagnostics.js";
import { AirgapError, UsageError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { observeTargets } from "../observe/observe.js";
import { preflightTargets, reachTargets, type PreflightProblem } from "../observe/preflight.js";
import { matchesTarget } from "../plan/address.js";
import { diff, protectedContent } from "../plan/diff.js";
import type { OutputChange, Plan } from "../plan/model.js";
import { createProvider } from "../providers/load.js";
import { createOciToolkit } from "../providers/toolkit.js";
import { desiredContent, desiredState, withoutReferrers, type DesiredContent, type DesiredState } from "../desired/desired-state.js";
import type { Observation } from "../core/observation.js";
import { compareLock, readLockFile, type AirgapLock } from "../lock/index.js";
import { type SourceOpener } from "../sources/index.js";
import { problemToDiagnostic, resolveDesired } from "../resolve/index.js";
import type { Provider } from "../sdk/provider.js";
import type { Transport } from "../oci/registry/index.js";
import { blobInBundle, DAMAGED_FIX, describeDamage, type OpenBundle } from "../bundle/read-bundle.js";
import { isImageManifestMediaType, isIndexMediaType } from "../core/media-types.js";
import type { DesiredItem } from "../plan/diff.js";
import { observeAttachments } from "../referrers/observe-attached.js";
import type { Session } from "./session.js";

/** The lock in use and the hash of its bytes (for the plan file). */
export interface LockInUse {
  readonly lock: AirgapLock;
  readonly sha256?: string;
}

/** A command-level failure with diagnostics to show first. */
export class PipelineError extends AirgapError {
  readonly diagnostics: readonly Diagnostic[];

  constructor(message: string, diagnostics: readonly Diagnostic[] = []) {
    super("PIPELINE", message);
    this.diagnostics = diagnostics;
  }
}

/**
 * The lock plan works from: airgap.lock when present (refusing it, with what
 * differs, when the config asks for entries it lacks), else a resolution in
 * memory (nothing is written; `airgap lock` writes the file).
 */
export async function lockForPlan(session: Session, opener: SourceOpener, options: { signal: AbortSignal; logger: Logger; refresh: boolean; bundle?: OpenBundle }): Promise<LockInUse> {
  if (options.bundle) {
    // The bundle's lock says what it carries; the config may ask only for what it holds.
    const comparison = compareLock(session.config, options.bundle.lock);
    if (comparison.missing.length > 0) {
      const diagnostics = comparison.missing.map((gap) => session.place({ severity: "error", message: `${gap.subject} is not carried by ${options.bundle!.path}`, pointer: gap.pointer }));
      throw new PipelineError(
        `${options.bundle.path} does not carry everything airgap.yaml asks for: limit the plan to what it carries with --target; or, on the connected side, run \`airgap lock\` and \`airgap bundle\` with this airgap.yaml and bring the new bundle`,
        diagnostics,
      );
    }
    return { lock: options.bundle.lock };
  }
  const read = options.refresh ? { found: false as const } : await readLockFile(session.lockPath, "airgap.lock");
  if (read.found) {
    const comparison = compareLock(session.config, read.lock);
    if (comparison.missing.length > 0) {
      const diagnostics = comparison.missing.map((gap) => session.place({ severity: "error", message: gap.reason, pointer: gap.pointer }));
      throw new PipelineError("airgap.lock is out of date with airgap.yaml: run `airgap lock` (or plan with --refresh-lock)", diagnostics);
    }
    return { lock: read.lock, sha256: createHash("sha256").update(read.text).digest("hex") };
  }
  const resolved = await resolveDesired(session.config, { opener, signal: options.signal, logger: options.logger });
  const diagnostics = resolved.problems.map((p) => session.place(problemToDiagnostic(p)));
  if (resolved.problems.some((p) => p.severity === "error")) throw new PipelineError("cannot resolve the desired content", diagnostics);
  return { lock: resolved.lock };
}

/** Instantiates the provider of every registry the desired state or prune uses, on the command's transport. */
export async function openProviders(session: Session, registries: Iterable<string>, logger: Logger, transport: Transport): Promise<Map<string, Provider>> {
  const oci = createOciToolkit({ logger, transport });
  const providers = new Map<string, Provider>();
  for (const name of new Set(registries)) {
    const registry = session.config.registries.get(name);
    if (!registry) throw new UsageError(`no registry named ${name}`);
    providers.set(name, await createProvider(registry.provider, registry.settings, { registryName: name, baseDir: session.config.baseDir, logger, oci }));
  }
  return providers;
}

/** Checks `--target` values: each must name a bundle, a registry, or be an address prefix of one. */
export function checkTargets(session: Session, targets: readonly string[]): void {
  for (const target of targets) {
    const [scope, name] = target.split(/[.[]/);
    if (scope === "bundle" && name && session.config.bundles.some((b) => b.name === name)) continue;
    if (scope === "registry" && name && session.config.registries.has(name)) continue;
    if (scope === "cluster" && session.config.cluster) continue;
    if (session.config.registries.has(target)) continue;
    const bundles = session.config.bundles.map((b) => `bundle.${b.name}`);
    const registries = [...session.config.registries.keys()].map((r) => `registry.${r}`);
    const cluster = session.config.cluster ? ["cluster"] : [];
    throw new UsageError(`--target ${target} names nothing in the configuration; use one of: ${[...bundles, ...registries, ...cluster].join(", ")}, or a full address from the plan`);
  }
}

/** True when an item is selected by the --target values (all when none). */
function selected(targets: readonly string[], address: string, registry: string): boolean {
  return targets.length === 0 || targets.some((t) => matchesTarget(address, t) || t === registry || t === `registry.${registry}`);
}

/** Everything planning produced. */
export interface Planned {
  readonly plan: Plan;
  readonly desired: DesiredState;
  readonly providers: ReadonlyMap<string, Provider>;
  readonly lock: LockInUse;
  readonly warnings: readonly Diagnostic[];
}

/** Runs the pipeline up to the plan. */
export async function makePlan(
  session: Session,
  opener: SourceOpener,
  options: { signal: AbortSignal; logger: Logger; targets: readonly string[]; refreshLock: boolean; parallelism: number; transport: Transport; bundle?: OpenBundle },
): Promise<Planned> {
  checkTargets(session, options.targets);
  const lock = await lockForPlan(session, opener, { signal: options.signal, logger: options.logger, refresh: options.refreshLock, ...(options.bundle ? { bundle: options.bundle } : {}) });
  const isSelected = (address: string, registry: string | undefined) => selected(options.targets, address, registry ?? "");
  const { prune: allPrune, content } = desiredContent(session.config, lock.lock);
  const prune = allPrune.filter((p) => isSelected(`bundle.${p.bundle}.${p.kind}`, p.registry));
  // Filters never widen an action: what prune must keep comes from every bundle that lands in a pruned repository.
  const pruned = new Set(prune.map((p) => `${p.registry}|${p.repository}`));
  // Cluster outputs describe everything the nodes pull, whatever --target shows.
  const outputsWanted = (session.config.cluster?.outputs.length ?? 0) > 0 && (options.targets.length === 0 || options.targets.some((t) => t === "cluster" || t.startsWith("cluster.")));
  // A locked entry is taken from the lock without reading the source (a locked no-op asks the source nothing),
  // except from a bundle (what it lacks must be found now) and in pruned repositories (what prune keeps
  // comes from every manifest an artifact contains, which only the source's bytes give).
  const describe = async (defer: boolean) => {
    const state = await desiredState(session.config, lock.lock, opener, {
      signal: options.signal,
      concurrency: options.parallelism,
      ...(options.bundle ? { bundlePath: options.bundle.path } : {}),
      needed: (c) => outputsWanted || isSelected(c.address, c.bundle.registry) || pruned.has(`${c.bundle.registry ?? ""}|${c.targetRepository}`),
      ...(defer && !options.bundle ? { deferLocked: (c: DesiredContent) => !pruned.has(`${c.bundle.registry ?? ""}|${c.targetRepository}`) } : {}),
    });
    const problems = state.problems.map((p) => session.place({ severity: p.severity, message: p.message, pointer: p.pointer }));
    if (problems.some((d) => d.severity === "error")) throw new PipelineError("cannot determine what the targets should hold", problems);
    return { state, problems };
  };
  // A lock resolved in memory just now has read every source manifest already (the client keeps them):
  // deferring would only observe twice.
  const first = await describe(lock.sha256 !== undefined);
  let desired = first.state;
  const problems = first.problems;
  let outputs: readonly OutputChange[] = [];
  if (outputsWanted) {
    const digests = new Map(desired.items.map((i) => [i.address, i.digest] as const));
    // Loaded only when the configuration has cluster outputs: a plan without them never needs the renderers.
    const { planClusterOutputs } = await import("../cluster/index.js");
    const cluster = await planClusterOutputs(session.config, withoutReferrers(content).map((c) => ({ ...c, ...(digests.has(c.address) ? { digest: digests.get(c.address)! } : {}) })));
    const diagnostics = cluster.diagnostics.map((d) => session.place(d));
    if (diagnostics.some((d) => d.severity === "error")) throw new PipelineError("cannot render the cluster settings", diagnostics);
    problems.push(...diagnostics);
    outputs = cluster.changes.filter((c) => isSelected(c.address, undefined));
  }
  let items = desired.items.filter((i) => isSelected(i.address, i.registry));
  const providers = await openProviders(session, [...items.map((i) => i.registry), ...prune.map((p) => p.registry)], options.logger, options.transport);
  const unreachable = await reachTargets(providers, options.signal);
  if (unreachable.length > 0) throw new PipelineError(`${unreachable.length} target(s) cannot be used; nothing was observed or written`, unreachable.map(preflightDiagnostic));
  const pluginNames = new Map([...session.config.registries].map(([name, r]) => [name, r.provider] as const));
  const observe = (desiredItems: readonly DesiredItem[], earlier?: Awaited<ReturnType<typeof observeTargets>>) =>
    observeTargets({ desired: desiredItems, providers, prune, signal: options.signal, logger: options.logger, concurrency: options.parallelism, pluginNames, ...(earlier ? { earlier } : {}) });
  // A referrer is present only when its subject lists it there too (observe-attached.ts).
  const attachedIn = (o: Awaited<ReturnType<typeof observe>>) => observeAttachments(items, o.observed, providers, { signal: options.signal, concurrency: options.parallelism });
  let observed = await observe(items);
  let attached = await attachedIn(observed);
  if (items.some((i) => changesDeferred(i, attached.get(i.address)))) {
    // Something taken from the lock changes: read the sources and observe again, so the plan (uploads,
    // mounts, sizes) is exactly the one a full read gives. Only the all-no-op run is cut short.
    // Reading the sources can add warnings (a referrer left out of a rewritten index): say each once.
    const full = await describe(false);
    desired = full.state;
    for (const p of full.problems) if (!problems.some((q) => q.message === p.message)) problems.push(p);
    items = desired.items.filter((i) => isSelected(i.address, i.registry));
    observed = await observe(items, observed);
    attached = await attachedIn(observed);
  }
  const blobs = withListedOnlyContent(items, observed.observed, attached, observed);
  const plan = diff({
    desired: items,
    observed: attached,
    presentBlobs: blobs.presentBlobs,
    blobLocations: blobs.blobLocations,
    pruneCandidates: observed.pruneCandidates,
    protected: protectedContent(desired.items),
    prerequisites: observed.prerequisites,
    outputs,
  });
  if (options.bundle) await assertBundleSuffices(options.bundle, plan, items, blobs.presentBlobs);
  const refused = await preflightTargets(plan, items, providers, options.signal);
  if (refused.length > 0) {
    throw new PipelineError(`${refused.length} problem(s) found before anything was written: the targets cannot take this plan`, refused.map(preflightDiagnostic));
  }
  return { plan, desired, providers, lock, warnings: problems };
}

/**
 * A referrer whose manifest the target holds by digest but whose subject does
 * not list it yet (an apply stopped between the two) is planned again, only
 * to be listed. Its content is there (a registry stores a manifest only after
 * its blobs), so it is counted present in its own repository: the plan moves
 * no bytes for it, and a differential bundle that left them out still serves.
 */
function withListedOnlyContent(
  items: readonly DesiredItem[],
  before: ReadonlyMap<string, Observation>,
  after: ReadonlyMap<string, Observation>,
  observed: { readonly presentBlobs: ReadonlyMap<string, ReadonlySet<string>>; readonly blobLocations: ReadonlyMap<string, ReadonlyMap<string, string>> },
): { presentBlobs: ReadonlyMap<string, ReadonlySet<string>>; blobLocations: ReadonlyMap<string, ReadonlyMap<string, string>> } {
  const present = new Map([...observed.presentBlobs].map(([registry, set]) => [registry, new Set(set)] as const));
  const locations = new Map([...observed.blobLocations].map(([registry, map]) => [registry, new Map(map)] as const));
  for (const item of items) {
    if (item.kind !== "referrer") continue;
    const was = before.get(item.address);
    if (was?.state !== "present" || was.digest !== item.digest || after.get(item.address)?.state !== "absent") continue;
    let set = present.get(item.registry);
    if (!set) present.set(item.registry, (set = new Set()));
    let where = locations.get(item.registry);
    if (!where) locations.set(item.registry, (where = new Map()));
    for (const blob of item.content) {
      set.add(blob.digest);
      if (!where.has(blob.digest)) where.set(blob.digest, item.repository);
    }
  }
  return { presentBlobs: present, blobLocations: locations };
}

/** One plan-time problem of a target, as one line naming the registry. */
function preflightDiagnostic(p: PreflightProblem): Diagnostic {
  return { severity: "error", message: `registry ${p.registry}${p.subject !== undefined ? ` (${p.subject})` : ""}: ${p.message}` };
}

/** True for an artifact taken from the lock that the target does not hold as it is (so it must be read from its source). */
function changesDeferred(item: DesiredItem, observation: Observation | undefined): boolean {
  if (item.kind === "file" || item.deferred !== true) return false;
  if (observation?.state === "unknown") return false; // the diff stops on it, whatever the source says
  return !(observation?.state === "present" && observation.digest === item.digest);
}

/**
 * Every blob a change needs must be in the bundle or already in the target
 * (in the change's repository, or in another one it is mounted from).
 * Manifests are not asked for: a bundle carries every source manifest (desired
 * state has read them from it), and the indexes that platform filtering
 * makes are written by apply, not read. What is absent is told apart by the
 * bundle's record of what `--since` left out: left out, so the target should
 * have had it (a differential bundle over the wrong target); or not, so the
 * bundle is damaged. Lists every blob, naming it, before anything is written.
 */
async function assertBundleSuffices(bundle: OpenBundle, plan: Plan, items: readonly DesiredItem[], present: ReadonlyMap<string, ReadonlySet<string>>): Promise<void> {
  const changing = new Set(plan.changes.filter((c) => c.action === "create" || c.action === "update").map((c) => c.address));
  const damaged: Diagnostic[] = [];
  const lacking: Diagnostic[] = [];
  const registries = new Set<string>();
  for (const item of items) {
    if (!changing.has(item.address)) continue;
    const needed = item.kind === "file" ? [{ digest: item.digest, size: item.size }] : item.content.filter((b) => !isManifestMediaType(b.mediaType));
    for (const blob of needed) {
      if (item.kind !== "file" && present.get(item.registry)?.has(blob.digest)) continue;
      const found = await blobInBundle(bundle, blob);
      if (found.state === "held") continue;
      if (found.state === "missing" || found.state === "wrong-size") {
        damaged.push({ severity: "error", message: `${item.address}: ${describeDamage(blob, found)}` });
        continue;
      }
      registries.add(item.registry);
      const why = found.state === "left-out" ? "was left out of the bundle (--since)" : "is not in the bundle";
      lacking.push({ severity: "error", message: `${item.address}: blob ${blob.digest} (${blob.size} bytes) ${why} and is not in registry ${item.registry}` });
    }
  }
  if (damaged.length > 0) {
    throw new PipelineError(`${bundle.path} is damaged: ${damaged.length} blob(s) the plan needs are missing or cut short; nothing was written; ${DAMAGED_FIX}`, [...damaged, ...lacking]);
  }
  if (lacking.length === 0) return;
  const where = [...registries].sort().join(", ");
  if (bundle.leftOut !== undefined) {
    throw new PipelineError(
      `${bundle.path} is a differential bundle (made with --since) and ${where} lacks ${lacking.length} blob(s) it left out: apply the bundle it builds on first; or, on the connected side, make a full bundle (\`airgap bundle\` without --since) and bring that`,
      lacking,
    );
  }
  throw new PipelineError(
    `${bundle.path} lacks ${lacking.length} blob(s) that ${where} does not have either, and does not say whether it left them out on purpose (it was written by an older airgap): if it is a differential bundle, apply the bundle it builds on first; otherwise it is damaged: ${DAMAGED_FIX}`,
    lacking,
  );
}

function isManifestMediaType(mediaType: string): boolean {
  return isIndexMediaType(mediaType) || isImageManifestMediaType(mediaType);
}

/** The sha256 of the lock file's bytes now, or undefined when there is none. */
export async function currentLockSha256(path: string): Promise<string | undefined> {
  try {
    return createHash("sha256").update(await readFile(path)).digest("hex");
  } catch {
    return undefined;
  }
}

/** Closes providers and sources, ignoring errors: the command's outcome is already decided. */
export async function closeAll(providers: ReadonlyMap<string, Provider> | undefined, opener: SourceOpener): Promise<void> {
  for (const provider of providers?.values() ?? []) await provider.close?.().catch(() => undefined);
  await opener.close().catch(() => undefined);
}
