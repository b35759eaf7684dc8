/**
 * Ordering tags and chart versions "newest first", the one order every
 * selection airgap writes uses: by semantic version when every candidate is
 * one, else by name with numbers compared as numbers (`v10` after `v9`).
 * Pure and locale-independent, so a lock is the same on every machine.
 */
import semver from "semver";

/** Semver options used throughout: loose parsing, pre-releases only when a range names one. */
export const SEMVER_OPTIONS = { loose: true, includePrerelease: false } as const;

/**
 * The semantic version a tag stands for (`v1.2.3`, `1.2.3-rc.1`), or
 * undefined when it is not one. A leading `v` or `V` is accepted; two-part
 * tags such as `1.25` are not versions (semver needs three parts).
 */
export function parseTagVersion(tag: string): semver.SemVer | undefined {
  const text = /^[vV]/.test(tag) ? tag.slice(1) : tag;
  return semver.parse(text, { loose: true }) ?? undefined;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, "");
  const y = b.replace(/^0+(?=\d)/, "");
  return x.length - y.length || compareText(x, y);
}

/**
 * Natural order (ascending): runs of digits compare as numbers, everything
 * else by UTF-16 code unit; equal-looking names (`01` and `1`) fall back to
 * plain comparison so the order is total.
 */
export function naturalCompare(a: string, b: string): number {
  const xs = a.match(/\d+|\D+/g) ?? [];
  const ys = b.match(/\d+|\D+/g) ?? [];
  const n = Math.min(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    const x = xs[i] ?? "";
    const y = ys[i] ?? "";
    const digits = /^\d/.test(x) && /^\d/.test(y);
    const order = digits ? compareDigits(x, y) : compareText(x, y);
    if (order !== 0) return order;
  }
  return xs.length - ys.length || compareText(a, b);
}

/**
 * Sorts names newest first: by semantic version descending (build metadata,
 * then the name, break ties) when every name parses as a version; otherwise
 * by natural order descending. Returns a new array.
 */
export function sortNewestFirst(names: readonly string[]): string[] {
  const versions = names.map((name) => ({ name, version: parseTagVersion(name) }));
  if (versions.every((v) => v.version !== undefined)) {
    return versions
      .sort((a, b) => semver.compareBuild(b.version as semver.SemVer, a.version as semver.SemVer) || naturalCompare(b.name, a.name))
      .map((v) => v.name);
  }
  return [...names].sort((a, b) => naturalCompare(b, a));
}

/**
 * The newest of `names` that satisfies a semver range (pre-releases only
 * when the range names one), or undefined. Names that are not versions are
 * ignored.
 */
export function newestInRange(names: readonly string[], range: string): string | undefined {
  const parsed = new semver.Range(range, SEMVER_OPTIONS);
  const matching = names.filter((name) => {
    const version = parseTagVersion(name);
    return version !== undefined && parsed.test(version);
  });
  return sortNewestFirst(matching)[0];
}
