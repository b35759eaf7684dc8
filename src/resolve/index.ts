/**
 * Resolution: every image, chart and file of the configuration resolved
 * through sources/ to what its source holds (digests, sizes, sha256), as the
 * data of airgap.lock (lock/). Expected failures are collected as problems
 * across all entries; only aborts and bugs throw.
 *
 * Pipeline: config → sources → (resolve) → lock → desired/observe → diff → plan → apply.
 * The step between sources and the lock: run by `airgap lock` and when a plan needs a fresh lock.
 */
import type { NormalizedConfig } from "../config/normalize.js";
import { resolveCharts } from "./charts.js";
import { ResolveContext, type ResolveContextInit } from "./context.js";
import { resolveFiles } from "./files.js";
import { resolveImages } from "./images.js";
import { bundleReferrers } from "../lock/referrer-filter.js";
import { sameLockContent } from "../lock/file.js";
import { LOCK_VERSION, sortLock, type AirgapLock } from "../lock/model.js";
import { sortProblems, type ResolveProblem } from "./problems.js";

export { problemToDiagnostic, hasErrorProblems, sortProblems, type ResolveProblem, type ResolveProblemKind } from "./problems.js";
export { DEFAULT_RESOLVE_CONCURRENCY } from "./context.js";

/** What {@link resolveDesired} needs besides the config. */
export interface ResolveDeps extends ResolveContextInit {
  /** The clock for `generated` (tests fix it). */
  readonly now?: () => Date;
}

/** The lock as resolved, and every expected failure (sorted by entry). */
export interface ResolveResult {
  readonly lock: AirgapLock;
  readonly problems: readonly ResolveProblem[];
}

/**
 * Resolves the whole configuration. Entries already in `deps.lock` are only
 * verified unless `refresh` names them; new entries are resolved; entries
 * the config no longer has are dropped. An entry whose resolution failed
 * keeps its previous lock entry (if any) and has a problem. `generated` is
 * the previous lock's when the facts did not change.
 */
export async function resolveDesired(config: NormalizedConfig, deps: ResolveDeps): Promise<ResolveResult> {
  const ctx = new ResolveContext(deps);
  const images = config.bundles.flatMap((b) => b.images);
  const charts = config.bundles.flatMap((b) => b.charts);
  const files = config.bundles.flatMap((b) => b.files);
  const [resolvedImages, resolvedCharts, resolvedFiles] = await Promise.all([resolveImages(ctx, images, (entry) => {
    const bundle = config.bundles.find((b) => b.name === entry.bundle);
    return bundle !== undefined ? bundleReferrers(bundle) : false;
  }), resolveCharts(ctx, charts), resolveFiles(ctx, config.baseDir, files)]);
  for (const selector of ctx.refresh.unmatched()) {
    ctx.report([], "refresh-unmatched", selector, `--update ${selector}: no image, chart or file of the configuration matches it`);
  }
  let lock = sortLock({
    lockVersion: LOCK_VERSION,
    generated: (deps.now?.() ?? new Date()).toISOString(),
    images: [...resolvedImages.selections, ...resolvedImages.images],
    charts: resolvedCharts,
    files: resolvedFiles,
  });
  if (deps.lock !== undefined && sameLockContent(deps.lock, lock)) lock = { ...lock, generated: deps.lock.generated };
  return { lock, problems: sortProblems(ctx.allProblems()) };
}
