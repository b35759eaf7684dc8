/**
 * Rules about the content of bundles: references parse the way docker parses
 * them, filters compile, and no two entries land on the same destination.
 */
import semver from "semver";
import { parsePlatform } from "../../core/oci-types.js";
import { formatReference, isValidRepository, parseReference, type ImageReference } from "../../core/reference.js";
import { DEFAULT_NAMING, targetRepository, type NamingPolicy } from "../../core/naming.js";
import type { Bundle, Image, TagFilter } from "../generated/airgap-config.js";
import { globProblem, rangeProblem, regexProblem } from "../strict-values.js";
import { entries, type Rule, type RuleContext } from "./context.js";

type Path = (string | number)[];

/** Parses the reference of one image entry, reporting problems; undefined when it does not parse. */
function imageReference(ctx: RuleContext, image: Image, path: Path): ImageReference | undefined {
  const text = typeof image === "string" ? image : image.ref;
  const refPath = typeof image === "string" ? path : [...path, "ref"];
  const parsed = parseReference(text);
  if (!parsed.ok) {
    ctx.report("error", refPath, `invalid image reference "${text}": ${parsed.reason.replace(` in "${text}"`, "")}`);
    return undefined;
  }
  if (typeof image !== "string" && image.tags !== undefined && (parsed.reference.tag !== undefined || parsed.reference.digest !== undefined)) {
    ctx.report("error", refPath, "with `tags`, `ref` names a repository only (no `:tag` or `@digest`)");
  }
  return parsed.reference;
}

function checkRegex(ctx: RuleContext, path: Path, pattern: string): void {
  const problem = regexProblem(pattern);
  if (problem) ctx.report("error", path, problem);
}

function checkTagFilter(ctx: RuleContext, filter: TagFilter, path: Path): void {
  if (Array.isArray(filter)) return;
  const selectors = (["list", "glob", "regex", "semver"] as const).filter((k) => filter[k] !== undefined);
  if (selectors.length > 1) ctx.report("error", path, `choose one of ${selectors.map((s) => `\`${s}\``).join(", ")}: a filter takes one selector (\`newest\` and \`exclude\` combine with any)`);
  if (filter.regex !== undefined) checkRegex(ctx, [...path, "regex"], filter.regex);
  if (filter.exclude !== undefined) checkRegex(ctx, [...path, "exclude"], filter.exclude);
  const range = filter.semver === undefined ? undefined : rangeProblem(filter.semver);
  if (range) ctx.report("error", [...path, "semver"], range);
  const glob = filter.glob === undefined ? undefined : globProblem(filter.glob);
  if (glob) ctx.report("error", [...path, "glob"], glob);
}

function checkPlatforms(ctx: RuleContext, platforms: readonly string[] | undefined, path: Path): void {
  (platforms ?? []).forEach((platform, i) => {
    const parsed = parsePlatform(platform);
    if (!parsed.ok) ctx.report("error", [...path, i], parsed.reason);
  });
}

/** The naming policy of a bundle with defaults applied. */
export function namingPolicy(bundle: Bundle): NamingPolicy {
  return {
    host: bundle.naming?.host ?? DEFAULT_NAMING.host,
    separator: bundle.naming?.separator ?? DEFAULT_NAMING.separator,
    ...(bundle.naming?.maxDepth !== undefined ? { maxDepth: bundle.naming.maxDepth } : {}),
  };
}

/** Parses `oci://host/path/name:version` charts into an image reference. */
export function parseOciChart(text: string): ReturnType<typeof parseReference> {
  return parseReference(text.replace(/^oci:\/\//, ""));
}

/** Where one entry lands, for the duplicate-destination rule. */
interface Landing {
  readonly upstream: string;
  readonly path: Path;
}

/** Image, chart and file entries are well-formed, and no two land on the same tag or file path. */
export const bundleContent: Rule = (ctx) => {
  const landings = new Map<string, Landing>();
  const land = (key: string, landing: Landing, what: string): void => {
    // Where an entry with an unknown value lands is unknown too.
    if (ctx.isUnknown(landing.path)) return;
    const first = landings.get(key);
    if (!first) {
      landings.set(key, landing);
      return;
    }
    if (first.upstream === landing.upstream) {
      ctx.report("warning", landing.path, `${what} is listed twice (also at /${first.path.join("/")})`);
    } else {
      ctx.report("error", landing.path, `${what} would overwrite what /${first.path.join("/")} puts there (${first.upstream}); give one of them another \`path\` or \`as\``);
    }
  };

  for (const [name, bundle] of entries(ctx.config.bundles)) {
    const base: Path = ["bundles", name];
    const policy = namingPolicy(bundle);
    checkPlatforms(ctx, bundle.platforms, [...base, "platforms"]);
    if (policy.maxDepth !== undefined && bundle.path !== undefined && bundle.path.split("/").length >= policy.maxDepth) {
      ctx.report("error", [...base, "naming", "maxDepth"], `\`path\` ${bundle.path} already has ${bundle.path.split("/").length} segment(s), leaving no room under maxDepth ${policy.maxDepth}`);
    }

    (bundle.images ?? []).forEach((image, i) => {
      const path: Path = [...base, "images", i];
      const ref = imageReference(ctx, image, path);
      if (typeof image !== "string") {
        if (image.tags !== undefined) checkTagFilter(ctx, image.tags, [...path, "tags"]);
        checkPlatforms(ctx, image.platforms, [...path, "platforms"]);
        if (image.as !== undefined && !isValidRepository(image.as)) ctx.report("error", [...path, "as"], `"${image.as}" is not a valid repository name (lowercase letters, digits, separators . _ - and /)`);
      }
      if (!ref) return;
      const target = targetRepository(ref, bundle.path, policy, typeof image === "string" ? undefined : image.as);
      if (!isValidRepository(target)) ctx.report("error", path, `target repository "${target}" is not a valid repository name`);
      const tags = typeof image !== "string" && image.tags !== undefined ? (Array.isArray(image.tags) ? image.tags : (image.tags.list ?? [])) : [ref.tag ?? (ref.digest ? undefined : "latest")];
      for (const tag of tags) {
        if (tag === undefined) continue;
        land(`${bundle.registry}|${target}:${tag}`, { upstream: formatReference({ registry: ref.registry, repository: ref.repository, ...(ref.digest ? { digest: ref.digest } : {}), tag }), path }, `${bundle.registry}/${target}:${tag}`);
      }
    });

    (bundle.charts ?? []).forEach((chart, i) => {
      const path: Path = [...base, "charts", i];
      let upstream: { registry: string; repository: string } | undefined;
      let version: string | undefined;
      let as: string | undefined;
      if (typeof chart === "string") {
        const parsed = parseOciChart(chart);
        if (!parsed.ok) return ctx.report("error", path, `invalid chart reference "${chart}": ${parsed.reason}`);
        if (parsed.reference.tag === undefined && parsed.reference.digest === undefined) return ctx.report("error", path, `chart "${chart}" needs a version: oci://host/path/name:VERSION`);
        upstream = parsed.reference;
        version = parsed.reference.tag;
      } else {
        as = chart.as;
        if ((chart.source === undefined) === (chart.ref === undefined)) {
          return ctx.report("error", path, "a chart needs exactly one of `source` (a Helm repository) or `ref` (oci://...)", { onKey: true });
        }
        if (chart.ref !== undefined) {
          const parsed = parseOciChart(`${chart.ref.replace(/\/$/, "")}/${chart.name}`);
          if (!parsed.ok || parsed.reference.tag !== undefined) return ctx.report("error", [...path, "ref"], `invalid chart repository "${chart.ref}": write oci://host/path (the chart name goes in \`name\`)`);
          upstream = parsed.reference;
        } else {
          upstream = { registry: chart.source ?? "", repository: chart.name };
        }
        const exact = semver.valid(chart.version, { loose: true }) !== null;
        const range = exact ? undefined : rangeProblem(chart.version);
        if (range) return ctx.report("error", [...path, "version"], `not a version, and not a semver range: ${range}`);
        version = exact ? chart.version : undefined;
      }
      const target = targetRepository(upstream, bundle.path, policy, as);
      if (!isValidRepository(target)) ctx.report("error", path, `target repository "${target}" is not a valid repository name`);
      if (version !== undefined) land(`${bundle.registry}|${target}:${version}`, { upstream: `${upstream.registry}/${upstream.repository}:${version}`, path }, `${bundle.registry}/${target}:${version}`);
    });

    (bundle.files ?? []).forEach((file, i) => {
      const path: Path = [...base, "files", i];
      if ((file.url === undefined) === (file.path === undefined)) {
        ctx.report("error", path, "a file needs exactly one of `url` or `path`", { onKey: true });
      }
      if (file.url !== undefined) {
        const absolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(file.url);
        if (absolute && file.source !== undefined) ctx.report("error", [...path, "url"], "with `source`, `url` is relative to the source's base URL; drop the scheme and host");
        if (!absolute && file.source === undefined) ctx.report("error", [...path, "url"], `"${file.url}" is not an absolute URL; write https://… or name an \`http\` source`);
        if (absolute && !/^https?:\/\//i.test(file.url)) ctx.report("error", [...path, "url"], "only http:// and https:// URLs can be downloaded; use `path` for local files");
        if (file.sha256 === undefined) ctx.report("error", path, "a downloaded file needs its `sha256`, so that what lands is what was reviewed", { onKey: true });
      }
      if (file.to.path.split("/").some((segment) => segment === ".." || segment === ".")) {
        ctx.report("error", [...path, "to", "path"], `"${file.to.path}" must not contain "." or ".." segments`);
      }
      const upstream = file.url ?? file.path ?? "";
      land(`file|${file.to.registry}|${file.to.path}`, { upstream: `${upstream}#${file.sha256 ?? ""}`, path }, `file ${file.to.registry}:${file.to.path}`);
    });
  }
};

/** The kapp-controller output names an image that some cluster bundle actually carries. */
export const clusterOutputs: Rule = (ctx) => {
  const cluster = ctx.config.cluster;
  if (!cluster) return;
  const names = cluster.bundles ?? entries(ctx.config.bundles).filter(([, b]) => b.registry === cluster.registry).map(([n]) => n);
  const carried = new Set<string>();
  for (const name of names) {
    for (const image of ctx.config.bundles?.[name]?.images ?? []) {
      const parsed = parseReference(typeof image === "string" ? image : image.ref);
      if (parsed.ok) carried.add(`${parsed.reference.registry}/${parsed.reference.repository}`);
    }
  }
  const paths = new Map<string, number>();
  cluster.outputs.forEach((output, i) => {
    const previous = paths.get(output.path);
    if (previous !== undefined) ctx.report("error", ["cluster", "outputs", i, "path"], `outputs ${previous} and ${i} both write ${output.path}`);
    paths.set(output.path, i);
    if (output.type !== "kapp-controller") return;
    const parsed = parseReference(output.image);
    if (!parsed.ok) return ctx.report("error", ["cluster", "outputs", i, "image"], `invalid image reference "${output.image}": ${parsed.reason}`);
    if (!carried.has(`${parsed.reference.registry}/${parsed.reference.repository}`)) {
      ctx.report("error", ["cluster", "outputs", i, "image"], `"${output.image}" is not carried by any bundle the cluster uses (${names.join(", ") || "none"}); add it to a bundle's images`);
    }
  });
};
