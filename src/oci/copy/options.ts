/**
 * Options of {@link copyGraph} and {@link copyReference}: policy as hooks and
 * explicit choices (oras-go's CopyGraphOptions), with defaults stated where
 * they are defined.
 */
import type { Logger } from "../../core/logger.js";
import type { Descriptor, Platform } from "../../core/oci-types.js";
import type { CallOptions } from "../content.js";
import type { CopyCoordinator } from "./coordinator.js";
import type { CopyEventListener } from "./events.js";
import type { CopyTargetIdentity } from "./target-identity.js";

/**
 * What to do with non-distributable ("foreign") layers, which registries
 * often do not serve (Windows base layers carry `urls` to Microsoft's CDN):
 * - `copy-if-available` (default): copy the blob when the source has it;
 *   otherwise keep the descriptor in the manifest and skip the blob, as
 *   skopeo does without `--preserve-foreign-layers`-style flags. The manifest
 *   stays byte-identical; a client pulls the layer from its `urls`.
 * - `skip`: never copy them (the target is expected to reach the URLs).
 * - `require`: copy them like any layer; a source without them fails the copy
 *   (for fully disconnected sites that can never reach the URLs).
 */
export type ForeignLayerPolicy = "copy-if-available" | "skip" | "require";

/** Repositories of the target that may hold a blob already (hints; a declined mount falls back to upload). */
export type MountCandidates = (descriptor: Descriptor) => readonly string[] | Promise<readonly string[]>;

/** True for content known to be missing from the target repository (see {@link CopyGraphOptions.knownAbsent}). */
export type KnownAbsent = (descriptor: Descriptor) => boolean;

/** How a copy behaves. `preserveDigests` is required so every caller decides about index rewriting. */
export interface CopyGraphOptions extends CallOptions {
  /**
   * True: indexes are copied whole and every digest stays the source's
   * (`platforms` is then ignored). False: with `platforms`, indexes are
   * filtered and rewritten, so the root digest changes.
   */
  readonly preserveDigests: boolean;
  /** Keep only these platforms of an index (see platform-match.ts for the matching rules). Absent or empty: all. */
  readonly platforms?: readonly Platform[];
  /**
   * Run-wide dedupe, mount sources and transfer limit. Share one between all
   * copies of an apply; absent: a private coordinator with `concurrency` slots.
   */
  readonly coordinator?: CopyCoordinator;
  /** Transfer slots of the private coordinator (ignored with `coordinator`). Default 4. */
  readonly concurrency?: number;
  /** Extra mount sources (e.g. an observed "which repositories have this blob" index), tried after those the coordinator knows. */
  readonly mountCandidates?: MountCandidates;
  /**
   * Content the caller saw missing from this target repository moments ago (a
   * plan's observation): its existence check is skipped, saving one round
   * trip per blob and manifest. Only a hint: were it there after all, the
   * upload or push writes the same bytes again, which registries accept.
   */
  readonly knownAbsent?: KnownAbsent;
  /** At most this many mount attempts per blob before uploading. Default 3. */
  readonly maxMountAttempts?: number;
  /** Which store/repository the target is; derived from the writer when absent (target-identity.ts). */
  readonly targetIdentity?: CopyTargetIdentity;
  /** Non-distributable layers; default `copy-if-available`. */
  readonly foreignLayers?: ForeignLayerPolicy;
  readonly onEvent?: CopyEventListener;
  /** Minimum time between two `blob-progress` events of one blob. Default 250 ms. */
  readonly progressIntervalMs?: number;
  /** Default: silent. */
  readonly logger?: Logger;
}
