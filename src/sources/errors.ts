/**
 * The failure family of sources. Expected outcomes of resolution (a tag that
 * does not exist, a filter that selects nothing) are problems collected across
 * all entries; this error is for what stops one entry: an unusable source.
 */
import { AirgapError } from "../core/errors.js";

/**
 * Why a source could not be used for an entry. Stable codes:
 * - `SOURCE_UNSUPPORTED`: the source type is not implemented yet (`docker-archive`);
 * - `SOURCE_NOT_FOUND`: a disk source's path does not exist;
 * - `SOURCE_INVALID`: the source answered something unusable (a broken index.yaml, an index child that is missing);
 * - `SOURCE_HTTP`: an HTTP source (Helm repository, file URL) answered an unexpected status.
 */
export type ResolveErrorCode = "SOURCE_UNSUPPORTED" | "SOURCE_NOT_FOUND" | "SOURCE_INVALID" | "SOURCE_HTTP";

/**
 * A source could not be used. Carries the JSON pointer of the airgap.yaml
 * entry when the thrower knows it, so the CLI can print `airgap.yaml:LINE:COL`.
 */
export class ResolveError extends AirgapError {
  declare readonly code: ResolveErrorCode;
  /** JSON pointer of the entry in airgap.yaml (`/bundles/platform/images/2`), when known. */
  readonly pointer: string | undefined;

  constructor(code: ResolveErrorCode, message: string, options?: { readonly pointer?: string; readonly cause?: unknown }) {
    super(code, message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.pointer = options?.pointer;
  }
}
