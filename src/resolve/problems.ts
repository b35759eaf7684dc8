/**
 * Problems: the expected ways resolution fails for one entry (a tag that is
 * not there, a filter that selects nothing, a registry that does not answer),
 * collected as data across every entry so that one run reports them all,
 * like validation does.
 */
import type { Diagnostic } from "../core/diagnostics.js";
import { naturalCompare } from "../config/version-order.js";

/**
 * What went wrong, for scripts and tests:
 * - `tag-not-found`, `repository-not-found`, `digest-not-found`: the reference names nothing at the source;
 * - `no-matching-tags`: a tag filter selected no tag (or a `list` names tags that do not exist);
 * - `platform-missing`: a requested platform is not in the image's index (the message lists the available ones);
 * - `locked-digest-missing`: airgap.lock names content the source no longer has;
 * - `locked-content-changed`: the source still has the locked name, but other content (a file's size, a chart's digest);
 * - `chart-not-found`, `chart-version-not-found`: a Helm repository lacks the chart or any matching version;
 * - `file-not-found`, `checksum-mismatch`: a file is absent, or its bytes are not the declared sha256;
 * - `source-unreachable`: the registry or server could not be reached (its own error text is in the message);
 * - `source-unsupported`: the source type is not implemented yet;
 * - `source-error`: any other failure of the source (authentication, a broken layout, an HTTP error);
 * - `refresh-unmatched`: a `--update REF` names nothing in the configuration.
 */
export type ResolveProblemKind =
  | "tag-not-found"
  | "repository-not-found"
  | "digest-not-found"
  | "no-matching-tags"
  | "platform-missing"
  | "locked-digest-missing"
  | "locked-content-changed"
  | "chart-not-found"
  | "chart-version-not-found"
  | "file-not-found"
  | "checksum-mismatch"
  | "source-unreachable"
  | "source-unsupported"
  | "source-error"
  | "refresh-unmatched";

/** One expected failure of one entry. */
export interface ResolveProblem {
  readonly kind: ResolveProblemKind;
  /**
   * `error` makes the lock unusable for that entry; `warning` is information
   * the user should see (some, but not all, requested platforms are missing).
   */
  readonly severity: "error" | "warning";
  /** JSON pointer of the airgap.yaml entry; absent for problems that have no entry (`refresh-unmatched`). */
  readonly pointer?: string;
  /** What the problem is about: a reference, chart or URL, exactly. */
  readonly subject: string;
  /** A complete sentence for humans (free text: scrubbed of secrets where it leaves the process). */
  readonly message: string;
}

/** A problem as a diagnostic, so the CLI prints it like validation output (`airgap.yaml:LINE:COL: error: …`). */
export function problemToDiagnostic(problem: ResolveProblem): Diagnostic {
  return { severity: problem.severity, message: problem.message, ...(problem.pointer !== undefined ? { pointer: problem.pointer } : {}) };
}

/** True when any problem is an error (the lock must not be written). */
export function hasErrorProblems(problems: readonly ResolveProblem[]): boolean {
  return problems.some((p) => p.severity === "error");
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders problems by entry (`images/2` before `images/10`), then subject, then message, so output is the same on every run. */
export function sortProblems(problems: readonly ResolveProblem[]): ResolveProblem[] {
  return [...problems].sort((a, b) => naturalCompare(a.pointer ?? "", b.pointer ?? "") || compareText(a.subject, b.subject) || compareText(a.message, b.message));
}
