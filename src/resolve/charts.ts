/**
 * Resolving chart entries. OCI charts resolve like images (a version range
 * is matched against the repository's tags, Helm writing `+` as `_` in
 * tags). Charts from a classic Helm repository are chosen from index.yaml
 * (the exact version, or the newest matching a range; pre-releases only when
 * the range names one) and their `.tgz` is downloaded once to record its
 * sha256 and size: the index's `digest` field is optional and written by
 * whoever published the index, so airgap records what the bytes really are,
 * and refuses the chart when the index states a different digest.
 *
 * With a previous lock, a locked Helm chart is verified without downloading
 * it: the index (read once per repository) must still list the version with
 * the same digest, and a HEAD on its URL must find it.
 */
import semver from "semver";
import type { ChartEntry } from "../config/normalize.js";
import type { Digest } from "../core/digest.js";
import { formatReference } from "../core/reference.js";
import type { ResolveContext } from "./context.js";
import { chartDownloadCredentials, chartDownloadUrl, fetchHelmIndex, type HelmIndex } from "../sources/helm-index.js";
import { chartKey, ociChartRef, originSource } from "../lock/keys.js";
import type { LockedChart, LockedHelmChart, LockedOciChart } from "../lock/model.js";
import { manifestFacts } from "./manifest-facts.js";
import { summarizeTags } from "./images.js";
import { newestInRange, SEMVER_OPTIONS } from "../config/version-order.js";

type OciChartEntry = Extract<ChartEntry, { type: "oci" }>;
type HelmChartEntry = Extract<ChartEntry, { type: "helm" }>;

/** True when `version` is one version (or not a range at all): it is then used as the tag itself. */
function isExactVersion(version: string): boolean {
  return semver.valid(version, { loose: true }) !== null || semver.validRange(version, SEMVER_OPTIONS) === null;
}

function pointersOf(entries: readonly ChartEntry[]): string[] {
  return entries.map((e) => e.pointer);
}

async function resolveOci(ctx: ResolveContext, entry: OciChartEntry, entries: readonly ChartEntry[], key: string): Promise<LockedOciChart | undefined> {
  const ref = ociChartRef(entry);
  const subject = entry.version !== "" ? `${ref}:${entry.version}` : ref;
  const refresh = ctx.refresh.chart(entry);
  const previous = ctx.lockedCharts.get(key);
  const locked = previous?.type === "oci" ? previous : undefined;
  const source = originSource(entry.origin);
  if (locked !== undefined && !refresh) {
    await ctx.attempt(pointersOf(entries), subject, async () => {
      const repo = await ctx.open(entry.reference, entry.origin);
      if (!(await repo.hasManifest(locked.digest as Digest, ctx.call))) {
        ctx.report(pointersOf(entries), "locked-digest-missing", subject, `airgap.lock pins chart ${subject} to ${locked.digest}, which ${repo.name} no longer has; run \`airgap lock --update ${ref}\``);
      }
    });
    return locked;
  }
  const fresh = await ctx.attempt(pointersOf(entries), subject, async (): Promise<LockedOciChart | undefined> => {
    const repo = await ctx.open(entry.reference, entry.origin);
    let wanted: string;
    let resolvedVersion: string | undefined;
    if (entry.reference.digest !== undefined) {
      wanted = entry.reference.digest;
    } else if (isExactVersion(entry.version)) {
      resolvedVersion = entry.version;
      wanted = entry.version.replace(/\+/g, "_");
    } else {
      const tags = await repo.listTags(ctx.call);
      if (tags.length === 0) {
        ctx.report(pointersOf(entries), "repository-not-found", subject, `chart repository ${ref} not found in ${repo.name} (it lists no tags)`);
        return undefined;
      }
      const chosen = newestInRange(tags.map((t) => t.replace(/_/g, "+")), entry.version);
      if (chosen === undefined) {
        ctx.report(pointersOf(entries), "chart-version-not-found", subject, `no version of chart ${ref} matches "${entry.version}"; it has: ${summarizeTags(tags.map((t) => t.replace(/_/g, "+")))}`);
        return undefined;
      }
      resolvedVersion = chosen;
      wanted = chosen.replace(/\+/g, "_");
    }
    const root = await repo.getManifest(wanted, ctx.call);
    if (root === undefined) {
      const tags = entry.reference.digest === undefined ? await repo.listTags(ctx.call) : [];
      const why = entry.reference.digest !== undefined ? `${repo.name} has no manifest ${entry.reference.digest}` : tags.length === 0 ? `repository ${formatReference({ registry: entry.reference.registry, repository: entry.reference.repository })} not found (it lists no tags)` : `version ${entry.version} not found; it has: ${summarizeTags(tags)}`;
      ctx.report(pointersOf(entries), entry.reference.digest !== undefined ? "digest-not-found" : tags.length === 0 ? "repository-not-found" : "chart-version-not-found", subject, `chart ${subject}: ${why}`);
      return undefined;
    }
    const { manifests: _children, ...facts } = await manifestFacts(repo, root, ctx.call);
    return {
      type: "oci",
      ref,
      ...(source !== undefined ? { source } : {}),
      version: entry.version,
      ...(resolvedVersion !== undefined ? { resolvedVersion } : {}),
      ...facts,
    };
  });
  return fresh ?? locked;
}

function chooseVersion(index: HelmIndex, name: string, requested: string): { readonly kind: "no-chart" } | { readonly kind: "no-version"; readonly versions: readonly string[] } | { readonly kind: "ok"; readonly version: string } {
  const versions = index.entries.get(name);
  if (versions === undefined || versions.length === 0) return { kind: "no-chart" };
  const names = versions.map((v) => v.version);
  const exact = names.find((v) => v === requested) ?? (semver.valid(requested, { loose: true }) !== null ? names.find((v) => semver.valid(v, { loose: true }) !== null && semver.eq(v, requested, { loose: true })) : undefined);
  if (exact !== undefined) return { kind: "ok", version: exact };
  if (semver.validRange(requested, SEMVER_OPTIONS) === null) return { kind: "no-version", versions: names };
  const chosen = newestInRange(names, requested);
  return chosen !== undefined ? { kind: "ok", version: chosen } : { kind: "no-version", versions: names };
}

async function resolveHelm(ctx: ResolveContext, entry: HelmChartEntry, entries: readonly ChartEntry[], key: string, index: (entry: HelmChartEntry) => Promise<HelmIndex>): Promise<LockedHelmChart | undefined> {
  const repository = entry.repositoryUrl;
  const subject = `${entry.name} ${entry.version} (${repository})`;
  const refresh = ctx.refresh.chart(entry);
  const previous = ctx.lockedCharts.get(key);
  const locked = previous?.type === "helm" ? previous : undefined;
  const indexUrl = `${repository.replace(/\/+$/, "")}/index.yaml`;
  if (locked !== undefined && !refresh) {
    await ctx.attempt(pointersOf(entries), subject, async () => {
      const listed = (await index(entry)).entries.get(entry.name)?.find((v) => v.version === locked.resolvedVersion);
      if (listed === undefined) {
        ctx.report(pointersOf(entries), "locked-digest-missing", subject, `airgap.lock pins chart ${entry.name} ${locked.resolvedVersion}, which ${indexUrl} no longer lists; run \`airgap lock --update ${entry.name}\``);
        return;
      }
      if (listed.digest !== undefined && listed.digest !== locked.sha256) {
        ctx.report(pointersOf(entries), "locked-content-changed", subject, `chart ${entry.name} ${locked.resolvedVersion}: ${indexUrl} now states sha256 ${listed.digest}, airgap.lock recorded ${locked.sha256} (the chart was republished); run \`airgap lock --update ${entry.name}\` if the new content is trusted`);
        return;
      }
      const url = chartDownloadUrl(entry.repositoryUrl, listed);
      const head = await ctx.opener.http.head(url, download(ctx, entry, url));
      if (!head.found) {
        ctx.report(pointersOf(entries), "locked-digest-missing", subject, `chart ${entry.name} ${locked.resolvedVersion}: ${url} answered ${head.status}`);
      } else if (head.size !== undefined && head.size !== locked.size) {
        ctx.report(pointersOf(entries), "locked-content-changed", subject, `chart ${entry.name} ${locked.resolvedVersion}: ${url} is ${head.size} bytes, airgap.lock recorded ${locked.size}; run \`airgap lock --update ${entry.name}\``);
      }
    });
    return locked;
  }
  const fresh = await ctx.attempt(pointersOf(entries), subject, async (): Promise<LockedHelmChart | undefined> => {
    const helmIndex = await index(entry);
    const chosen = chooseVersion(helmIndex, entry.name, entry.version);
    if (chosen.kind === "no-chart") {
      const names = [...helmIndex.entries.keys()].sort();
      ctx.report(pointersOf(entries), "chart-not-found", subject, `chart "${entry.name}" is not in ${indexUrl}${names.length > 0 ? ` (it has ${names.length} chart${names.length === 1 ? "" : "s"}: ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", …" : ""})` : " (it lists no charts)"}`);
      return undefined;
    }
    if (chosen.kind === "no-version") {
      ctx.report(pointersOf(entries), "chart-version-not-found", subject, `no version of chart ${entry.name} in ${indexUrl} matches "${entry.version}"; it has: ${summarizeTags(chosen.versions)}`);
      return undefined;
    }
    const listed = helmIndex.entries.get(entry.name)?.find((v) => v.version === chosen.version);
    if (listed === undefined) return undefined;
    const url = chartDownloadUrl(entry.repositoryUrl, listed);
    const got = await ctx.opener.http.digest(url, download(ctx, entry, url));
    if (!got.found) {
      ctx.report(pointersOf(entries), "chart-not-found", subject, `chart ${entry.name} ${chosen.version} is listed in ${indexUrl}, but ${url} answered ${got.status}`);
      return undefined;
    }
    if (listed.digest !== undefined && listed.digest !== got.sha256) {
      ctx.report(pointersOf(entries), "checksum-mismatch", subject, `chart ${entry.name} ${chosen.version}: ${indexUrl} states sha256 ${listed.digest}, but ${url} has sha256 ${got.sha256}`);
      return undefined;
    }
    return {
      type: "helm",
      repository,
      name: entry.name,
      version: entry.version,
      resolvedVersion: chosen.version,
      url,
      sha256: got.sha256,
      size: got.size,
    };
  });
  return fresh ?? locked;
}

/** How to download a chart's archive: the run's signal, and the repository's credentials when the URL is on its origin. */
function download(ctx: ResolveContext, entry: HelmChartEntry, url: string): { signal?: AbortSignal; credentials?: NonNullable<HelmChartEntry["credentials"]> } {
  const credentials = chartDownloadCredentials(entry.repositoryUrl, url, entry.credentials);
  return { ...ctx.call, ...(credentials ? { credentials } : {}) };
}

/** Resolves every chart entry (see the module comment); problems go to the context. */
export async function resolveCharts(ctx: ResolveContext, entries: readonly ChartEntry[]): Promise<LockedChart[]> {
  const groups = new Map<string, ChartEntry[]>();
  for (const entry of entries) {
    const key = chartKey(entry);
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  const indexes = new Map<string, Promise<HelmIndex>>();
  const index = (entry: HelmChartEntry): Promise<HelmIndex> => {
    let pending = indexes.get(entry.repositoryUrl);
    if (pending === undefined) {
      pending = fetchHelmIndex(ctx.opener.http, entry.repositoryUrl, entry.credentials, ctx.call);
      indexes.set(entry.repositoryUrl, pending);
    }
    return pending;
  };
  const results = await Promise.all(
    [...groups.entries()].map(([key, group]) => {
      const first = group[0] as ChartEntry;
      return first.type === "oci" ? resolveOci(ctx, first, group, key) : resolveHelm(ctx, first, group, key, index);
    }),
  );
  return results.filter((c): c is LockedChart => c !== undefined);
}
