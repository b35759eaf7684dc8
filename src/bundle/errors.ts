/**
 * The failure family of bundles on the far side of the gap.
 */
import { AirgapError } from "../core/errors.js";

/** The bundle is unusable: not one of ours, damaged (a blob missing, cut short or corrupt), or written by a newer airgap. */
export class BundleError extends AirgapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("BUNDLE_INVALID", message, options);
  }
}
