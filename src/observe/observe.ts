/**
 * Observation: what the targets really hold, read-only and concurrent.
 * "Not found" and "repository unknown" are absence; anything else (401, 403,
 * 5xx, a timeout) is `unknown` with the failure's facts and stops the plan:
 * an error is never a reason to re-upload or to blame a bundle.
 *
 * A provider with an `observe` capability answers for its objects in one
 * batched listing (Harbor's artifacts API, ECR's DescribeImages); the rest
 * are resolved one by one through the provider's repository store. A
 * provider with `prerequisites` says what must exist before content lands,
 * and those become changes of their own.
 */
import { failureFacts, type FailureFacts } from "../core/errors.js";
import { isImageManifestMediaType, isIndexMediaType } from "../core/media-types.js";
import type { Logger } from "../core/logger.js";
import type { Observation } from "../core/observation.js";
import type { Descriptor } from "../core/oci-types.js";
import { mapLimit } from "../core/concurrency.js";
import { formatAddress } from "../plan/address.js";
import type { BlobRef, PrerequisiteChange } from "../plan/model.js";
import { ObservationError, type DesiredArtifact, type DesiredFile, type DesiredItem, type PruneCandidate } from "../plan/diff.js";
import { UNVERIFIED } from "../plan/model.js";
import { fileArtifactManifest, fileArtifactPlace } from "../oci/file-artifact.js";
import type { FileObservation, Provider, TargetItem } from "../sdk/provider.js";
import type { PruneScope } from "../desired/desired-state.js";

/** What observation needs to know about the targets. */
export interface ObserveInput {
  readonly desired: readonly DesiredItem[];
  /** The instantiated provider per target registry name. */
  readonly providers: ReadonlyMap<string, Provider>;
  /** Repositories to list for prune. */
  readonly prune?: readonly PruneScope[];
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
  /** Requests in flight at once across all targets (each host also has its own limit). */
  readonly concurrency: number;
  /** The provider (plugin) name of each registry, recorded with its prerequisites. */
  readonly pluginNames?: ReadonlyMap<string, string>;
  /**
   * What an earlier pass of the same run observed: objects by address and the
   * prune candidates. Their answers are kept, not asked again (what a target
   * holds under an address does not depend on what is wanted there); only
   * new addresses and the blobs of changes are observed.
   */
  readonly earlier?: Pick<ObservedState, "observed" | "pruneCandidates">;
}

/** Everything the diff needs from the targets. */
export interface ObservedState {
  readonly observed: ReadonlyMap<string, Observation>;
  /** Per registry: blobs and manifests the target already holds, among those the changes need. */
  readonly presentBlobs: ReadonlyMap<string, ReadonlySet<string>>;
  /** Per registry: the repository each of those was found in (a change in another repository mounts it from there). */
  readonly blobLocations: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly pruneCandidates: readonly PruneCandidate[];
  readonly prerequisites: readonly PrerequisiteChange[];
}

function targetItem(item: DesiredItem): TargetItem {
  return item.kind === "file"
    ? { address: item.address, kind: "file", path: item.path, digest: item.digest }
    : { address: item.address, kind: item.kind === "referrer" ? "image" : item.kind, repository: item.repository, ...(item.tag !== undefined ? { tag: item.tag } : {}), digest: item.digest };
}

function byRegistry<T extends { readonly registry: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    let group = groups.get(item.registry);
    if (!group) groups.set(item.registry, (group = []));
    group.push(item);
  }
  return groups;
}

/** Observes every desired object, the blobs that changing objects need, prune candidates and prerequisites. */
export async function observeTargets(input: ObserveInput): Promise<ObservedState> {
  const concurrency = Math.max(1, input.concurrency);
  const call = input.signal ? { signal: input.signal } : {};
  const observed = new Map<string, Observation>();
  const earlier = input.earlier?.observed;
  const fresh = earlier === undefined ? input.desired : input.desired.filter((i) => !earlier.has(i.address));
  for (const item of input.desired) {
    const known = earlier?.get(item.address);
    if (known !== undefined) observed.set(item.address, known);
  }
  const groups = byRegistry(fresh);

  // Prerequisites first: what must be created says nothing about what is missing inside it.
  const prerequisites: PrerequisiteChange[] = [];
  for (const [registry, items] of byRegistry(input.desired)) {
    const provider = input.providers.get(registry);
    if (!provider?.prerequisites) continue;
    for (const p of await provider.prerequisites(items.map(targetItem), call)) {
      prerequisites.push({
        address: formatAddress({ scope: "registry", name: registry, kind: "prerequisite", key: p.key }),
        kind: "prerequisite",
        action: "create",
        registry,
        reason: p.reason,
        provider: { name: input.pluginNames?.get(registry) ?? registry, ...(p.data !== undefined ? { data: p.data } : {}) },
      });
    }
  }

  // Objects: a batched listing where the provider has one, else one resolve per object.
  const rest: DesiredItem[] = [];
  for (const [registry, items] of groups) {
    const provider = input.providers.get(registry);
    if (!provider?.observe) {
      rest.push(...items);
      continue;
    }
    let answers: ReadonlyMap<string, Observation>;
    try {
      answers = await provider.observe(items.map(targetItem), call);
    } catch (error) {
      const facts = failureFacts(error);
      for (const item of items) observed.set(item.address, { state: "unknown", error: facts });
      continue;
    }
    for (const item of items) {
      const answer = answers.get(item.address);
      if (answer) observed.set(item.address, answer);
      else rest.push(item);
    }
  }
  const files = rest.filter((i): i is DesiredFile => i.kind === "file");
  // Chart archives in a Helm repository: one index.yaml read per repository.
  for (const item of files) {
    if (!item.chart || observed.has(item.address)) continue;
    const provider = input.providers.get(item.registry);
    const group = files.filter((f) => f.registry === item.registry && f.chart?.repository === item.chart!.repository);
    if (!provider?.observeCharts) {
      for (const f of group) observed.set(f.address, { state: "unknown", error: { message: `registry ${item.registry} cannot hold a Helm repository` } });
      continue;
    }
    let answers: ReadonlyMap<string, FileObservation>;
    try {
      answers = await provider.observeCharts(item.chart.repository, group.map((f) => ({ name: f.chart!.name, version: f.chart!.version })), call);
    } catch (error) {
      answers = new Map(group.map((f) => [f.path, { state: "unknown", error: failureFacts(error).message }] as const));
    }
    for (const f of group) observed.set(f.address, fromFileObservation(answers.get(f.path)));
  }
  for (const [registry, items] of byRegistry(files.filter((f) => !f.chart))) {
    const provider = input.providers.get(registry);
    if (!provider?.observeFiles) continue;
    let answers: ReadonlyMap<string, FileObservation>;
    try {
      answers = await provider.observeFiles(items.map((i) => i.path), call);
    } catch (error) {
      answers = new Map(items.map((i) => [i.path, { state: "unknown", error: failureFacts(error).message }] as const));
    }
    for (const item of items) observed.set(item.address, fromFileObservation(answers.get(item.path)));
  }
  const single = rest.filter((i) => !observed.has(i.address));
  for (const [address, observation] of await absentByListing(single, input.providers, concurrency, call)) observed.set(address, observation);
  await mapLimit(
    single.filter((i) => !observed.has(i.address)),
    concurrency,
    async (item) => observed.set(item.address, await observeOne(item, input.providers.get(item.registry), call)),
  );

  // Where a prerequisite is still to be created (a Harbor project, an ECR repository), an absent object's
  // repository cannot hold its blobs yet, and asking would only be refused: count them all as to upload.
  const pending = new Set(prerequisites.map((p) => p.registry));
  const { present: presentBlobs, locations: blobLocations } = await observeBlobs(input, observed, concurrency, call, (item) => pending.has(item.registry) && observed.get(item.address)?.state === "absent");
  const pruneCandidates = input.earlier?.pruneCandidates ?? (await observePrune(input, concurrency, call));
  return { observed, presentBlobs, blobLocations, pruneCandidates, prerequisites };
}

/** From this many tags wanted in one repository on, its tag list is read first. */
export const LIST_TAGS_FROM = 8;

/**
 * Tags a repository's tag list does not name, as absent: one listing instead
 * of a HEAD per tag, so a cold mirror of 1,000 tags asks the target about
 * twice, not 1,000 times (issue 14). Only where a repository has enough tags
 * wanted for the listing to pay (a warm rerun of a few tags would only add a
 * request); the tags it does name are still resolved one by one, since a
 * list has no digests.
 *
 * A list is trusted only after one check: the first tag it leaves out is
 * resolved as usual. Listing is optional in the distribution spec (a registry
 * may answer 404 for every repository), a list may lag behind a push, and a
 * store may name tags in ways its listing does not show (an OCI layout's
 * containerd-style names): if that tag turns out to be there, the listing
 * decides nothing for the repository and every tag is asked one by one. A
 * listing that fails decides nothing either.
 */
async function absentByListing(
  items: readonly DesiredItem[],
  providers: ReadonlyMap<string, Provider>,
  concurrency: number,
  call: { signal?: AbortSignal },
): Promise<Map<string, Observation>> {
  const groups = new Map<string, { registry: string; repository: string; items: DesiredArtifact[] }>();
  for (const item of items) {
    if (item.kind === "file" || item.tag === undefined || !providers.get(item.registry)?.listTags) continue;
    const key = `${item.registry}|${item.repository}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { registry: item.registry, repository: item.repository, items: [] }));
    group.items.push(item);
  }
  const answers = new Map<string, Observation>();
  const worth = [...groups.values()].filter((g) => new Set(g.items.map((i) => i.tag)).size >= LIST_TAGS_FROM);
  await mapLimit(worth, concurrency, async (group) => {
    const provider = providers.get(group.registry)!;
    let tags: ReadonlySet<string>;
    try {
      tags = new Set(await provider.listTags!(group.repository, call));
    } catch (error) {
      if (call.signal?.aborted === true) throw error;
      return;
    }
    const unlisted = group.items.filter((i) => !tags.has(i.tag!));
    const probe = unlisted[0];
    if (probe === undefined) return;
    const checked = await observeOne(probe, provider, call);
    answers.set(probe.address, checked);
    if (checked.state !== "absent") return; // the list is not the whole truth here: ask tag by tag
    for (const item of unlisted) if (!answers.has(item.address)) answers.set(item.address, { state: "absent" });
  });
  return answers;
}

/** A provider's answer about a file, as an observation (`unverified` is something to replace). */
function fromFileObservation(answer: FileObservation | undefined): Observation {
  if (!answer) return { state: "unknown", error: { message: "the target gave no answer for this file" } };
  switch (answer.state) {
    case "present":
      return { state: "present", digest: `sha256:${answer.sha256}` };
    case "unverified":
      return { state: "present", digest: UNVERIFIED };
    case "absent":
      return { state: "absent" };
    case "unknown":
      return { state: "unknown", error: { message: answer.error } };
  }
}

/** A file in an OCI target is an artifact: present when its tag holds exactly the file's artifact. */
async function observeFileArtifact(item: DesiredFile, provider: Provider | undefined, call: { signal?: AbortSignal }): Promise<Observation> {
  if (!provider?.repository) return { state: "unknown", error: { message: `registry ${item.registry} cannot hold files` } };
  const place = fileArtifactPlace(item.path);
  const expected = fileArtifactManifest(item.path, item.digest.replace(/^sha256:/, ""), item.size).manifest.digest;
  try {
    const found = await provider.repository(place.repository).resolve(place.tag, call);
    if (!found) return { state: "absent" };
    return { state: "present", digest: found.digest === expected ? item.digest : found.digest };
  } catch (error) {
    return { state: "unknown", error: failureFacts(error) };
  }
}

async function observeOne(item: DesiredItem, provider: Provider | undefined, call: { signal?: AbortSignal }): Promise<Observation> {
  if (item.kind === "file") return observeFileArtifact(item, provider, call);
  if (!provider?.repository) return { state: "unknown", error: { message: `registry ${item.registry} holds no OCI content` } };
  try {
    // Content pinned by digest only is stored untagged: observe it by digest.
    const found = await provider.repository(item.repository).resolve(item.tag ?? item.digest, call);
    return found ? { state: "present", digest: found.digest } : { state: "absent" };
  } catch (error) {
    return { state: "unknown", error: failureFacts(error) };
  }
}

/** At most this many other repositories are asked for a blob the changing artifact's own repository lacks. */
const MAX_HOLDERS_ASKED = 3;

/**
 * Which blobs and manifests of changing artifacts each target already holds,
 * and where. Each is asked for once per registry, in the repository of the
 * first change that needs it; a blob that repository lacks is then looked
 * for in the repositories of desired artifacts the target already holds
 * complete (their manifests are there, so their blobs are), where a registry
 * keeps blobs per repository: a change mounts it from there. That is what
 * lets a differential bundle leave out a layer that an image in another
 * repository already brought. A failed check stops the plan.
 */
async function observeBlobs(
  input: ObserveInput,
  observed: ReadonlyMap<string, Observation>,
  concurrency: number,
  call: { signal?: AbortSignal },
  unchecked: (item: DesiredItem) => boolean,
): Promise<{ present: Map<string, Set<string>>; locations: Map<string, Map<string, string>> }> {
  const checks = new Map<string, { registry: string; repository: string; address: string; blob: BlobRef }>();
  const holders = new Map<string, string[]>();
  for (const item of input.desired) {
    if (item.kind === "file" || unchecked(item)) continue;
    const o = observed.get(item.address);
    if (o?.state === "present" && o.digest === item.digest) {
      for (const blob of item.content) {
        const key = `${item.registry}|${blob.digest}`;
        const known = holders.get(key);
        if (!known) holders.set(key, [item.repository]);
        else if (!known.includes(item.repository)) known.push(item.repository);
      }
      continue;
    }
    if (o?.state === "unknown") continue;
    for (const blob of item.content) {
      const key = `${item.registry}|${blob.digest}`;
      if (!checks.has(key)) checks.set(key, { registry: item.registry, repository: item.repository, address: item.address, blob });
    }
  }
  const present = new Map<string, Set<string>>();
  const locations = new Map<string, Map<string, string>>();
  const failures: { address: string; error: FailureFacts }[] = [];
  await mapLimit([...checks.entries()], concurrency, async ([key, { registry, repository, address, blob }]) => {
    const provider = input.providers.get(registry);
    if (!provider?.repository) return;
    const descriptor = { mediaType: blob.mediaType, digest: blob.digest, size: blob.size } as Descriptor;
    // Manifests are pushed from the source's bytes, never mounted: only their own repository counts.
    const places = [repository, ...(isManifestRef(blob) ? [] : (holders.get(key) ?? []).filter((r) => r !== repository).slice(0, MAX_HOLDERS_ASKED))];
    for (const place of places) {
      let has: boolean;
      try {
        has = await provider.repository(place).exists(descriptor, call);
      } catch (error) {
        failures.push({ address: `${address} (${blob.digest}${place === repository ? "" : ` in ${place}`})`, error: failureFacts(error) });
        return;
      }
      if (!has) continue;
      let set = present.get(registry);
      if (!set) present.set(registry, (set = new Set()));
      set.add(blob.digest);
      let where = locations.get(registry);
      if (!where) locations.set(registry, (where = new Map()));
      where.set(blob.digest, place);
      return;
    }
  });
  if (failures.length > 0) throw new ObservationError(failures.sort((a, b) => (a.address < b.address ? -1 : 1)));
  return { present, locations };
}

function isManifestRef(blob: BlobRef): boolean {
  return isIndexMediaType(blob.mediaType) || isImageManifestMediaType(blob.mediaType);
}

/** Every tag of a pruned repository, with its digest. */
async function observePrune(input: ObserveInput, concurrency: number, call: { signal?: AbortSignal }): Promise<PruneCandidate[]> {
  const candidates: PruneCandidate[] = [];
  const failures: { address: string; error: FailureFacts }[] = [];
  await mapLimit(input.prune ?? [], concurrency, async (scope) => {
    const provider = input.providers.get(scope.registry);
    if (scope.kind === "file") {
      if (!provider?.listFiles || !provider.observeFiles) return;
      const where = `registry.${scope.registry}: ${scope.repository || "/"}`;
      try {
        const paths = await provider.listFiles(scope.repository, call);
        const found = await provider.observeFiles(paths, call);
        for (const path of paths) {
          const o = found.get(path);
          const digest = o?.state === "present" ? `sha256:${o.sha256}` : o?.state === "unverified" ? UNVERIFIED : undefined;
          if (digest === undefined) continue;
          candidates.push({ address: formatAddress({ scope: "bundle", name: scope.bundle, kind: "file", key: `${scope.registry}/${path}` }), kind: "file", registry: scope.registry, path, digest });
        }
      } catch (error) {
        failures.push({ address: where, error: failureFacts(error) });
      }
      return;
    }
    if (!provider?.listTags || !provider.repository) return;
    const where = `registry.${scope.registry}: ${scope.repository}`;
    let tags: readonly string[];
    try {
      tags = await provider.listTags(scope.repository, call);
    } catch (error) {
      failures.push({ address: where, error: failureFacts(error) });
      return;
    }
    const store = provider.repository(scope.repository);
    const kind = scope.kind;
    await mapLimit(tags, concurrency, async (tag) => {
      try {
        const found = await store.resolve(tag, call);
        if (!found) return;
        candidates.push({
          address: formatAddress({ scope: "bundle", name: scope.bundle, kind, key: `${scope.registry}/${scope.repository}:${tag}` }),
          kind,
          registry: scope.registry,
          repository: scope.repository,
          tag,
          digest: found.digest,
        });
      } catch (error) {
        failures.push({ address: `${where}:${tag}`, error: failureFacts(error) });
      }
    });
  });
  if (failures.length > 0) throw new ObservationError(failures.sort((a, b) => (a.address < b.address ? -1 : 1)));
  return candidates.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}
