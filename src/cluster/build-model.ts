/**
 * Builds the renderers' model from the normalised config and the desired
 * content (what apply will push, each with its target repository from
 * `targetRepository()`), so that the cluster is told to pull exactly where
 * apply puts things. Pure.
 */
import semver from "semver";
import type { TagFilter } from "../config/generated/airgap-config.js";
import type { NormalizedConfig, TargetRegistry } from "../config/normalize.js";
import { targetRepository } from "../core/naming.js";
import type { ClusterArtifact, ClusterModel, ClusterRegistry } from "./model.js";

/**
 * One image or chart a bundle puts into its target. `DesiredContent` (src/resolve)
 * has this shape; `digest` is the digest the target will hold, when known.
 */
export interface ClusterContent {
  readonly bundle: { readonly name: string };
  readonly kind: "image" | "chart";
  readonly upstream: { readonly registry: string; readonly repository: string; readonly tag?: string };
  readonly targetRepository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** The model, or why the cluster's registry gives the nodes nothing to pull from. */
export type ClusterModelResult = { readonly ok: true; readonly model: ClusterModel } | { readonly ok: false; readonly message: string };

/** The names of the bundles the cluster uses: `cluster.bundles`, else every bundle landing in its registry. */
export function clusterBundles(config: NormalizedConfig): Set<string> {
  const cluster = config.cluster;
  if (!cluster) return new Set();
  return new Set(cluster.bundles ?? config.bundles.filter((b) => b.registry === cluster.registry).map((b) => b.name));
}

function registryUrl(target: TargetRegistry): string | undefined {
  const url = target.settings["url"];
  if (typeof url === "string") return url;
  const region = target.settings["region"];
  const id = target.settings["registryId"];
  if (target.provider === "ecr" && typeof region === "string" && typeof id === "string") return `https://${id}.dkr.ecr.${region}.amazonaws.com`;
  return undefined;
}

function clusterRegistry(config: NormalizedConfig): ClusterRegistry | string {
  const cluster = config.cluster!;
  const target = config.registries.get(cluster.registry);
  if (!target) return `\`cluster.registry\` names \`${cluster.registry}\`, which is not under \`registries\``;
  const url = registryUrl(target);
  const tls = (target.settings["tls"] ?? {}) as { caFile?: unknown; insecureSkipVerify?: unknown };
  const scheme: ClusterRegistry["scheme"] = url?.toLowerCase().startsWith("http://") ? "http" : "https";
  let host: string;
  let namespace = "";
  if (cluster.endpoint !== undefined) {
    const slash = cluster.endpoint.indexOf("/");
    host = slash < 0 ? cluster.endpoint : cluster.endpoint.slice(0, slash);
    namespace = slash < 0 ? "" : cluster.endpoint.slice(slash + 1).replace(/^\/+|\/+$/g, "");
  } else if (url !== undefined) {
    host = new URL(url).host;
  } else if (target.provider === "oci-layout" && typeof target.settings["path"] === "string") {
    return { host: "", scheme: "https", namespace: "", tls: {}, layout: target.settings["path"] };
  } else {
    return `registry \`${cluster.registry}\` (provider ${target.provider}) has no URL the nodes could pull from; set \`cluster.endpoint\`${target.provider === "ecr" ? " or the registry's `registryId`" : ""}`;
  }
  return {
    host,
    scheme,
    namespace,
    tls: {
      ...(typeof tls.caFile === "string" ? { caFile: tls.caFile } : {}),
      ...(typeof tls.insecureSkipVerify === "boolean" ? { insecureSkipVerify: tls.insecureSkipVerify } : {}),
    },
  };
}

/**
 * The model for `config.cluster`: the cluster's registry as the nodes reach
 * it, and every content entry of the cluster's bundles. `content` may hold
 * other bundles' entries; they are left out.
 */
export function buildClusterModel(config: NormalizedConfig, content: readonly ClusterContent[]): ClusterModelResult {
  if (!config.cluster) return { ok: false, message: "airgap.yaml has no `cluster` section" };
  const registry = clusterRegistry(config);
  if (typeof registry === "string") return { ok: false, message: registry };
  const bundles = clusterBundles(config);
  const artifacts: ClusterArtifact[] = content
    .filter((c) => bundles.has(c.bundle.name))
    .map((c) => {
      const tag = c.tag ?? c.upstream.tag;
      return {
        kind: c.kind,
        registry: c.upstream.registry,
        repository: c.upstream.repository,
        targetRepository: c.targetRepository,
        ...(tag !== undefined ? { tag } : {}),
        ...(c.digest !== undefined ? { digest: c.digest } : {}),
      };
    });
  const upstreamUrls = new Map([...config.registrySources.entries()].map(([host, settings]) => [host, settings.url] as const));
  return { ok: true, model: { registry, artifacts, upstreamUrls } };
}

/** The tags a filter names exactly (a list and nothing else); undefined for a pattern, range or none. */
function exactTags(filter: TagFilter | undefined): readonly string[] | undefined {
  if (filter === undefined) return undefined;
  if (Array.isArray(filter)) return filter;
  const keys = Object.keys(filter).filter((k) => (filter as Record<string, unknown>)[k] !== undefined);
  return keys.length === 1 && keys[0] === "list" ? filter.list : undefined;
}

/**
 * The content airgap.yaml pins exactly, without the lock: images with a tag,
 * a digest or a plain list of tags, and charts with an exact version. Entries
 * with a tag pattern or a version range need the lock and are left out. Enough for `validate` to
 * render (and so check) the cluster outputs before anything is resolved.
 */
export function contentFromConfig(config: NormalizedConfig): ClusterContent[] {
  const content: ClusterContent[] = [];
  for (const bundle of config.bundles) {
    if (bundle.registry === undefined) continue;
    for (const image of bundle.images) {
      const ref = image.reference;
      const target = targetRepository(ref, bundle.path, bundle.naming, image.as);
      const base = { bundle, kind: "image" as const, targetRepository: target };
      const upstream = { registry: ref.registry, repository: ref.repository };
      for (const tag of exactTags(image.tags) ?? []) content.push({ ...base, upstream: { ...upstream, tag } });
      if (image.tags !== undefined || (ref.tag === undefined && ref.digest === undefined)) continue;
      content.push({
        ...base,
        upstream: { ...upstream, ...(ref.tag !== undefined ? { tag: ref.tag } : {}) },
        // A digest-only entry lands under the upstream digest only when digests are preserved.
        ...(ref.tag === undefined && ref.digest !== undefined && image.preserveDigests ? { digest: ref.digest } : {}),
      });
    }
    for (const chart of bundle.charts) {
      if (semver.valid(chart.version, { loose: true }) === null) continue;
      const tag = chart.version.replace(/\+/g, "_");
      const upstream = chart.type === "oci" ? { registry: chart.reference.registry, repository: chart.reference.repository } : { registry: new URL(chart.repositoryUrl).host, repository: chart.name };
      content.push({ bundle, kind: "chart", upstream: { ...upstream, tag }, targetRepository: targetRepository(upstream, bundle.path, bundle.naming, chart.as) });
    }
  }
  return content;
}
