/**
 * Platform filtering of an index (bundle `platforms`, without
 * `preserveDigests`): the index is fetched, its entries are selected with
 * platform-match.ts, nested indexes are filtered the same way, and when
 * anything was left out a NEW index is written:
 *
 * - the document is the source JSON with only `manifests` replaced, so its
 *   `mediaType` (a Docker manifest list stays a Docker manifest list),
 *   `annotations`, `subject` and any unknown fields are kept; kept entries
 *   keep their exact JSON and their order; a rewritten nested index's entry
 *   gets its new digest and size; the result is compact JSON;
 * - when every entry is kept, the original bytes are used and the digest
 *   does not change.
 *
 * Image-manifest entries need a platform that matches: entries without one,
 * and `unknown/unknown` attestation manifests of buildx, are dropped.
 */
import { isIndexMediaType } from "../../core/media-types.js";
import type { Descriptor, Platform } from "../../core/oci-types.js";
import { digestOf } from "../verify.js";
import type { CopyContext, GraphNode, ManifestNode } from "./context.js";
import { CopyError } from "./errors.js";
import { parseManifestContent } from "./manifest-content.js";
import { describePlatform, matchesAnyPlatform } from "./platform-match.js";
import { childNodes, fetchManifest } from "./store-calls.js";

/** Nested indexes deeper than this are refused (real images nest one level, if at all). */
export const MAX_INDEX_DEPTH = 8;

/** The filtered form of an index: the node to copy (undefined when nothing matched) and every platform it offered. */
export interface FilteredIndex {
  readonly node: ManifestNode | undefined;
  /** Platforms of all entries, nested ones included, in document order without repeats: for the "no match" message. */
  readonly available: readonly string[];
}

/** Fetches and filters the index `descriptor` names, recursively. */
export async function planFilteredIndex(ctx: CopyContext, descriptor: Descriptor, platforms: readonly Platform[], depth = 0): Promise<FilteredIndex> {
  if (depth > MAX_INDEX_DEPTH) {
    throw new CopyError({
      code: "COPY_UNSUPPORTED",
      operation: "filter",
      side: "source",
      location: ctx.source.name,
      descriptor,
      message: `index ${descriptor.digest} in ${ctx.source.name} is nested more than ${MAX_INDEX_DEPTH} levels deep`,
    });
  }
  const bytes = await ctx.coordinator.limiter.run(() => fetchManifest(ctx, descriptor), ctx.signal);
  const parsed = parseManifestContent(bytes, descriptor, ctx.source.name);
  if (parsed.kind !== "index") {
    // An index media type over manifest content: nothing to filter, copy it as it is.
    return { node: { kind: "manifest", descriptor, source: descriptor, bytes, children: childNodes(parsed.children) }, available: [] };
  }
  const available = new Set<string>();
  const kept: Array<{ readonly raw: Readonly<Record<string, unknown>>; readonly node: GraphNode }> = [];
  let changed = false;
  for (const entry of parsed.entries) {
    const child = entry.descriptor;
    if (isIndexMediaType(child.mediaType)) {
      // A nested index is filtered in turn, unless its own platform already rules it out.
      if (child.platform !== undefined && !matchesAnyPlatform(platforms, child.platform)) {
        available.add(describePlatform(child.platform));
        changed = true;
        continue;
      }
      const nested = await planFilteredIndex(ctx, child, platforms, depth + 1);
      for (const p of nested.available) available.add(p);
      if (nested.node === undefined) {
        changed = true;
        continue;
      }
      const rewritten = nested.node.descriptor;
      if (rewritten.digest === child.digest) kept.push({ raw: entry.raw, node: nested.node });
      else {
        changed = true;
        kept.push({ raw: { ...entry.raw, digest: rewritten.digest, size: rewritten.size }, node: nested.node });
      }
      continue;
    }
    available.add(describePlatform(child.platform));
    if (matchesAnyPlatform(platforms, child.platform)) kept.push({ raw: entry.raw, node: childNodes([child])[0] ?? { kind: "blob", descriptor: child } });
    else changed = true;
  }
  if (kept.length === 0) return { node: undefined, available: [...available] };
  const children = kept.map((k) => k.node);
  if (!changed) return { node: { kind: "manifest", descriptor, source: descriptor, bytes, children }, available: [...available] };
  const rewrittenBytes = Buffer.from(JSON.stringify({ ...parsed.document, manifests: kept.map((k) => k.raw) }), "utf8");
  const rewritten: Descriptor = { ...descriptor, digest: digestOf(rewrittenBytes, descriptor.digest), size: rewrittenBytes.length };
  ctx.logger.log("debug", "index filtered by platform", { source: descriptor.digest, target: rewritten.digest, kept: kept.length, of: parsed.entries.length });
  return { node: { kind: "manifest", descriptor: rewritten, source: descriptor, bytes: rewrittenBytes, children }, available: [...available] };
}
