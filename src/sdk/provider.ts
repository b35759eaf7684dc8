/**
 * The provider plugin contract (DESIGN §7): what a target plugin exports and
 * the optional capabilities the core uses. Plugins import only from
 * `airgap/sdk` (this folder), never from the rest of airgap.
 *
 * Content movement stays in the core: an OCI-capable provider hands out a
 * ContentWriter per repository and the core's copy graph does blobs,
 * manifests, retries and progress. Providers add what only they know:
 * faster listing, prerequisites (a Harbor project, an ECR repository), files.
 */
import type { Readable } from "node:stream";
import type { Logger } from "../core/logger.js";
import type { Observation } from "../core/observation.js";
import type { Secret } from "../core/secret.js";
import type { ContentWriter, CallOptions } from "../oci/content.js";
import type { Registry } from "./registry.js";

/** Bump on a breaking change; the core refuses plugins built for another version. */
export const PROVIDER_API_VERSION = 1 as const;

/** What a provider can hold. */
export type ContentKind = "image" | "chart" | "file";

/** TLS settings as written in airgap.yaml (paths already absolute). */
export interface TlsSettings {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly insecureSkipVerify?: boolean;
}

/**
 * Credentials as written in airgap.yaml (values already expanded). The
 * password and token are {@link Secret}s: they print as `(sensitive)`; pass
 * the block to `OciToolkit.client`, which sends them.
 */
export interface CredentialSettings {
  readonly username?: string;
  readonly password?: Secret;
  readonly token?: Secret;
  readonly dockerConfig?: boolean | string;
  readonly helper?: string;
}

/** What {@link OciToolkit.client} takes. */
export interface OciClientOptions {
  /** `https://host[:port]`, or `http://…` for plain HTTP. */
  readonly url: string;
  readonly tls?: TlsSettings;
  readonly credentials?: CredentialSettings;
  readonly concurrency?: number;
  /**
   * Send every blob in one request (POST, then one streamed PUT), never in
   * chunked PATCHes: for registries with chunk rules of their own (ECR
   * refuses parts under 5 MiB and has dropped later parts).
   */
  readonly singleRequestUploads?: boolean;
}

/** A username and password, for management APIs that take the registry's own credentials (Harbor's REST API). */
export interface UsernamePassword {
  readonly username: string;
  readonly password: string;
}

/** Registry clients built by the core: shared connection pool, auth, retries, limits. */
export interface OciToolkit {
  /** A client for one registry. */
  client(options: OciClientOptions): Registry;
  /** The ContentWriter for one repository of a registry this toolkit built. */
  repository(registry: Registry, name: string): ContentWriter;
  /**
   * The username and password airgap would send to a registry for these
   * settings (explicit, credential helper, docker/containers auth files), or
   * undefined when there are none or only an identity token. Lets a provider
   * call the registry's management API with the same account as `/v2`.
   */
  credentials(url: string, settings?: CredentialSettings): Promise<UsernamePassword | undefined>;
}

/** What `create` receives besides the provider's own settings. */
export interface ProviderContext {
  /** The registry's name in airgap.yaml, for messages. */
  readonly registryName: string;
  /** Directory of airgap.yaml. */
  readonly baseDir: string;
  readonly logger: Logger;
  readonly oci: OciToolkit;
  /** Milliseconds since the epoch, for expiry decisions (token refresh) and timestamps; tests inject one. Default `Date.now`. */
  readonly clock?: () => number;
  /**
   * How a provider waits between retries of its own API calls (rejecting when
   * `signal` aborts); tests inject one that waits no real time. Default real timers.
   */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A target object the core asks about. */
export interface TargetItem {
  readonly address: string;
  readonly kind: ContentKind;
  /** For images and charts. */
  readonly repository?: string;
  /** For images and charts; absent for content pinned by digest only. */
  readonly tag?: string;
  /** For files. */
  readonly path?: string;
  /** The digest the core wants there (a manifest digest, or `sha256:<hex>` of a file); the core always sets it. An item without a tag is observed by it. */
  readonly digest?: string;
}

/** What a provider observed for one item: absence is an answer, not an error (core's {@link Observation}). */
export type ItemObservation = Observation;

/** A change the provider needs before content lands, shown in the plan. */
export interface ProviderPrerequisite {
  /** Unique within the registry, e.g. `project spectro-images`. */
  readonly key: string;
  readonly reason: string;
  /** Round-trips through the plan file to `applyPrerequisite`. */
  readonly data?: unknown;
}

/** A blob the plan will upload into a repository of the target (for quota checks). */
export interface PlannedUpload {
  readonly repository: string;
  readonly digest: string;
  readonly size: number;
}

/** What {@link Provider.preflight} checks: every item the plan touches, and the blobs it will upload. */
export interface PreflightRequest {
  readonly items: readonly TargetItem[];
  readonly uploads: readonly PlannedUpload[];
  /**
   * True when the plan writes to this target at all (creates, updates or
   * deletes, uploads or not): a change that only moves a tag still needs a
   * writable target, though it uploads nothing. airgap always sets it;
   * optional so that requests built for older plugins stay valid; a plugin
   * that finds it undefined should assume the plan writes.
   */
  readonly writes?: boolean;
}

/** A reason the plan cannot be applied, found before anything is written: one line naming the target and the fix. */
export interface ProviderProblem {
  readonly message: string;
  /** The address or repository the problem is about, when there is one. */
  readonly subject?: string;
}

/** The outcome of applying one provider-owned change. */
export type ProviderApplyResult = { readonly status: "applied" } | { readonly status: "already-current" } | { readonly status: "failed"; readonly error: string };

/** Options of {@link Provider.lockForWrite}. */
export interface WriteLockOptions extends CallOptions {
  /** How long to wait for another writer before refusing, in ms; 0 refuses at once; undefined is the provider's default. */
  readonly waitMs?: number;
  /** Told what the user should see while locking: "waiting for the lock held by pid N …", a stale lock taken over, temp files removed. */
  readonly notify?: (message: string) => void;
}

/** An exclusive write lock on a target, held until released. */
export interface WriteLock {
  /** Releases the lock; safe to call more than once. */
  release(): Promise<void>;
}

/** An instantiated provider for one registry of airgap.yaml. All capabilities are optional. */
export interface Provider {
  /** How the target is shown in plans (`registry.internal:5000`, `oci:./mirror`). */
  readonly display: string;
  /**
   * Checks, read-only and once per plan before any observation, that the
   * target answers, its TLS certificate is trusted and it accepts the
   * credentials; throws the target's own error when not. Lets `plan` say
   * "registry X: unreachable" once per target, with every target's problem
   * in one run, instead of one failure per object.
   */
  ping?(options?: CallOptions): Promise<void>;
  /** OCI content: the store for one repository. */
  repository?(name: string): ContentWriter;
  /** Tags of a repository; an absent repository has none. */
  listTags?(repository: string, options?: CallOptions): Promise<readonly string[]>;
  /** Removes a tag (prune). Registries that can only delete by digest delete the manifest. */
  deleteTag?(repository: string, tag: string, digest: string, options?: CallOptions): Promise<void>;
  /**
   * Faster observation through a provider API (one listing per repository
   * instead of one request per tag). Answers by address; an item left out
   * is resolved through repository(). Called once per plan with every
   * object of this registry that the plan covers.
   */
  observe?(items: readonly TargetItem[], options?: CallOptions): Promise<ReadonlyMap<string, ItemObservation>>;
  /**
   * Changes needed before content can land (a Harbor project, an ECR
   * repository), shown in the plan as changes of their own and applied
   * before any content. Called once per plan, before observe.
   */
  prerequisites?(items: readonly TargetItem[], options?: CallOptions): Promise<readonly ProviderPrerequisite[]>;
  /**
   * Plan-time checks that need the target: names it would refuse, things
   * that must exist but will not be created, credentials, quota. Empty when
   * the plan can be applied; each problem is a plan error.
   */
  preflight?(request: PreflightRequest, options?: CallOptions): Promise<readonly ProviderProblem[]>;
  /** Applies one prerequisite (only `data` is guaranteed to round-trip); must be idempotent. */
  applyPrerequisite?(prerequisite: ProviderPrerequisite, options?: CallOptions): Promise<ProviderApplyResult>;
  /**
   * Takes the target's exclusive write lock for the length of an apply, for
   * targets that cannot merge concurrent writers themselves (an oci-layout
   * directory rewrites index.json as a whole; a registry serialises its own
   * tag writes and needs none). apply calls it for every target it will
   * write to, after planning and before the first write (for a saved plan,
   * before the stale-plan check), and releases it in a `finally`, so the
   * lock covers every write and a refused lock means nothing was written.
   * Plan never calls it: reading needs no lock. When another writer holds
   * the lock past `waitMs`, it throws an error naming the holder.
   */
  lockForWrite?(options?: WriteLockOptions): Promise<WriteLock>;
  close?(): Promise<void>;
}

/** What a plugin package exports as `plugin`. */
export interface ProviderPlugin<Config = Readonly<Record<string, unknown>>> {
  readonly apiVersion: typeof PROVIDER_API_VERSION;
  /** Matches `provider:` in airgap.yaml. */
  readonly name: string;
  readonly kinds: readonly ContentKind[];
  /** JSON Schema of the provider's settings; the core validates them before `create`. */
  readonly configSchema: object;
  create(config: Config, context: ProviderContext): Promise<Provider>;
}

// ---------------------------------------------------------------------------
// Files: publishing plain files (and Helm HTTP repositories) to a target.
//
// A file lands at a path of a target (a file server, a directory, an OCI
// layout, a registry as an OCI artifact) with the same planned
// create / update / no-op semantics as an image: the planner asks
// `observeFiles` for what is there and compares sha256s, the executor calls
// `putFile` for creates and updates and `deleteFile` only for pruning.
// These members merge into `Provider` above (TypeScript declaration merging),
// so this capability stays one block of its own.
// ---------------------------------------------------------------------------

/**
 * What a target holds at one file path. Absence is an answer, not an error.
 * `unverified`: something is there, but the target keeps no checksum that
 * agrees with it (no sidecar, or a sidecar older than the file): the planner
 * treats it like a different sha256 (an update), because publishing rewrites
 * file and checksum together.
 */
export type FileObservation =
  | { readonly state: "present"; readonly sha256: string; readonly size?: number }
  | { readonly state: "unverified"; readonly size?: number }
  | { readonly state: "absent" }
  | { readonly state: "unknown"; readonly error: string };

/**
 * Content to publish: the sha256 (lower-case hex, no `sha256:` prefix) and
 * size the plan promised, and a way to open the bytes. `open` may be called
 * more than once (a retry, a server without MOVE): each call must return the
 * content from its start. The provider checks the bytes against `sha256` and
 * `size` and writes nothing at the path when they disagree.
 */
export interface FileContent {
  readonly sha256: string;
  readonly size: number;
  open(options?: CallOptions): Promise<Readable>;
}

/** How to observe files. */
export interface ObserveFilesOptions extends CallOptions {
  /** Read every present file whole and hash it instead of trusting the target's stored checksum. */
  readonly verify?: boolean;
}

/** How to put one file. */
export interface PutFileOptions extends CallOptions {
  /** File mode (`0o755`) on targets that keep one; others ignore it. */
  readonly mode?: number;
  /** Called with the bytes sent so far (for progress). */
  readonly onProgress?: (bytes: number) => void;
}

/** A file written and checked. `bytesSent` counts the content bytes uploaded, a retried upload twice. */
export interface PutFileResult {
  readonly status: "written";
  readonly sha256: string;
  readonly size: number;
  readonly bytesSent: number;
}

/** The outcome of deleting a file (prune): absent is not an error. */
export type DeleteFileResult = { readonly status: "deleted" } | { readonly status: "absent" };

/** A chart to look for in a Helm HTTP repository. */
export interface ChartRef {
  readonly name: string;
  readonly version: string;
}

/** What `publishCharts` wrote. Paths are relative to the target, like file paths. */
export interface PublishChartsResult {
  readonly charts: readonly { readonly name: string; readonly version: string; readonly path: string; readonly sha256: string }[];
  /** Path of the index.yaml written. */
  readonly index: string;
  readonly bytesSent: number;
}

export interface Provider {
  /**
   * Observes files by path (relative to the target, `/`-separated). Batched:
   * one call for every file of a plan, so a provider can list or pipeline.
   * Every path gets an answer; a failure for one path is `unknown` for it.
   */
  observeFiles?(paths: readonly string[], options?: ObserveFilesOptions): Promise<ReadonlyMap<string, FileObservation>>;
  /**
   * Writes one file atomically: readers see the old file or the new one,
   * never a part (a temp name moved into place). The bytes are checked
   * against `content.sha256` and `size` before the file becomes visible;
   * a mismatch throws and leaves the path as it was.
   */
  putFile?(path: string, content: FileContent, options?: PutFileOptions): Promise<PutFileResult>;
  /** Deletes a file and its stored checksum; called only for prune. */
  deleteFile?(path: string, options?: CallOptions): Promise<DeleteFileResult>;
  /** Paths of the files published under a directory (`""` for all), for prune. */
  listFiles?(directory: string, options?: CallOptions): Promise<readonly string[]>;
  /**
   * Charts in the Helm HTTP repository at `directory` (`""` for the root),
   * read from its index.yaml in one request. Keyed by the chart archive's
   * path (`<directory>/<name>-<version>.tgz`); `present` carries the index's digest.
   */
  observeCharts?(directory: string, charts: readonly ChartRef[], options?: CallOptions): Promise<ReadonlyMap<string, FileObservation>>;
  /**
   * Publishes chart archives to the Helm HTTP repository at `directory`:
   * each `.tgz` (named from its Chart.yaml) first, then index.yaml, merged
   * with the entries already there and written atomically.
   */
  publishCharts?(directory: string, charts: readonly FileContent[], options?: CallOptions): Promise<PublishChartsResult>;
}
