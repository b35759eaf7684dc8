/**
 * The failure family of referrers: what refers to an image is not what the
 * OCI rules say it must be (a referrer naming another subject, a fallback tag
 * that is not an index). Each message names the repository, the tag or
 * digest at fault, and what to do.
 */
import { AirgapError } from "./errors.js";

/**
 * Stable codes:
 * - `REFERRER_SUBJECT_MISMATCH`: a listed referrer's `subject` names another manifest;
 * - `REFERRER_TAG_NOT_INDEX`: a `sha256-<hex>` fallback tag holds something other than an image index;
 * - `REFERRER_MISSING`: a referrers list names a manifest the repository does not have;
 * - `REFERRER_INVALID`: a referrer's manifest is not JSON.
 */
export type ReferrerErrorCode = "REFERRER_SUBJECT_MISMATCH" | "REFERRER_TAG_NOT_INDEX" | "REFERRER_MISSING" | "REFERRER_INVALID";

/** Referrers of an image cannot be taken as they are. */
export class ReferrerError extends AirgapError {
  declare readonly code: ReferrerErrorCode;

  constructor(code: ReferrerErrorCode, message: string) {
    super(code, message);
  }
}
