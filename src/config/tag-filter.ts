/**
 * Tag filters (airgap.yaml `tags`): which tags of a repository to mirror,
 * evaluated against the tag list the source reports. Pure.
 *
 * Semantics, in this order:
 * 1. candidates: the `list` tags (every one must exist: missing ones are
 *    reported instead of a selection), or all available tags;
 * 2. `glob` (picomatch, dots allowed, whole tag), `regex` (JavaScript, as
 *    written: anchor it yourself) and `semver` (a range; loose parsing, a
 *    leading `v` accepted; pre-releases only when the range names one)
 *    keep the candidates that match; the config rules allow one of them;
 * 3. `exclude` (a regex) drops matching tags;
 * 4. the result is ordered newest first (see version-order.ts: semver
 *    descending when every selected tag is a version, else natural name
 *    order descending), and `newest: N` keeps the first N.
 *
 * The output order is therefore always newest first, whatever the filter,
 * so a lock lists the same tags in the same order on every run.
 */
import picomatch from "picomatch";
import semver from "semver";
import type { TagFilter } from "./generated/airgap-config.js";
import { parseTagVersion, SEMVER_OPTIONS, sortNewestFirst } from "./version-order.js";

/** A filter in one shape: the list form `[a, b]` becomes `{ list: [a, b] }`. */
export interface CanonicalTagFilter {
  readonly list?: readonly string[];
  readonly glob?: string;
  readonly regex?: string;
  readonly semver?: string;
  readonly newest?: number;
  readonly exclude?: string;
}

/** The tags a filter selects (newest first), or the `list` tags the source does not have. */
export type TagSelection = { readonly tags: string[] } | { readonly missing: string[] };

/** The filter in its canonical object form, keys in a fixed order (for lock keys and comparisons). */
export function canonicalTagFilter(filter: TagFilter | CanonicalTagFilter): CanonicalTagFilter {
  if (Array.isArray(filter)) return { list: [...(filter as readonly string[])] };
  const f = filter as CanonicalTagFilter;
  return {
    ...(f.exclude !== undefined ? { exclude: f.exclude } : {}),
    ...(f.glob !== undefined ? { glob: f.glob } : {}),
    ...(f.list !== undefined ? { list: [...f.list] } : {}),
    ...(f.newest !== undefined ? { newest: f.newest } : {}),
    ...(f.regex !== undefined ? { regex: f.regex } : {}),
    ...(f.semver !== undefined ? { semver: f.semver } : {}),
  };
}

/** A one-line description of a filter for messages (`semver ">=1.0 <2", newest 3`). */
export function describeTagFilter(filter: TagFilter | CanonicalTagFilter): string {
  const f = canonicalTagFilter(filter);
  const parts: string[] = [];
  if (f.list !== undefined) parts.push(`list [${f.list.join(", ")}]`);
  if (f.glob !== undefined) parts.push(`glob "${f.glob}"`);
  if (f.regex !== undefined) parts.push(`regex /${f.regex}/`);
  if (f.semver !== undefined) parts.push(`semver "${f.semver}"`);
  if (f.exclude !== undefined) parts.push(`exclude /${f.exclude}/`);
  if (f.newest !== undefined) parts.push(`newest ${f.newest}`);
  return parts.length > 0 ? parts.join(", ") : "all tags";
}

/** Applies a tag filter to the tags a source has (see the module comment for the rules and the order). */
export function selectTags(available: readonly string[], filter: TagFilter | CanonicalTagFilter): TagSelection {
  const f = canonicalTagFilter(filter);
  const unique = [...new Set(available)];
  let candidates: string[];
  if (f.list !== undefined) {
    const have = new Set(unique);
    const wanted = [...new Set(f.list)];
    const missing = wanted.filter((t) => !have.has(t));
    if (missing.length > 0) return { missing };
    candidates = wanted;
  } else {
    candidates = unique;
  }
  if (f.glob !== undefined) {
    const matches = picomatch(f.glob, { dot: true });
    candidates = candidates.filter((t) => matches(t));
  }
  if (f.regex !== undefined) {
    const pattern = new RegExp(f.regex);
    candidates = candidates.filter((t) => pattern.test(t));
  }
  if (f.semver !== undefined) {
    const range = new semver.Range(f.semver, SEMVER_OPTIONS);
    candidates = candidates.filter((t) => {
      const version = parseTagVersion(t);
      return version !== undefined && range.test(version);
    });
  }
  if (f.exclude !== undefined) {
    const pattern = new RegExp(f.exclude);
    candidates = candidates.filter((t) => !pattern.test(t));
  }
  const ordered = sortNewestFirst(candidates);
  return { tags: f.newest !== undefined ? ordered.slice(0, Math.max(0, f.newest)) : ordered };
}
