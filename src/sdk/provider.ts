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
import type { Logger } from "../core/logger.js";
import type { ContentWriter, CallOptions } from "../oci/content.js";
import type { RegistryClient } from "../oci/registry/index.js";

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

/** Credentials as written in airgap.yaml (values already expanded). */
export interface CredentialSettings {
  readonly username?: string;
  readonly password?: string;
  readonly token?: string;
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
  client(options: OciClientOptions): RegistryClient;
  /** The ContentWriter for one repository of a client's registry. */
  repository(client: RegistryClient, name: string): ContentWriter;
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
  /** Milliseconds since the epoch, for expiry decisions (token refresh); tests inject one. Default `Date.now`. */
  readonly clock?: () => number;
}

/** A target object the core asks about. */
export interface TargetItem {
  readonly address: string;
  readonly kind: ContentKind;
  readonly repository?: string;
  readonly tag?: string;
  /** The digest the plan wants there; an item without a tag is observed by it. */
  readonly digest?: string;
  readonly path?: string;
}

/** What a provider observed for one item: absence is an answer, not an error. */
export type ItemObservation =
  | {
      readonly state: "present";
      readonly digest: string;
      /**
       * The target refuses to move this tag (a Harbor immutable tag rule, an
       * IMMUTABLE ECR repository): the same digest is a no-op, another digest
       * is a plan error, never a push.
       */
      readonly immutable?: boolean;
    }
  | { readonly state: "absent" }
  | { readonly state: "unknown"; readonly error: string };

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
}

/** A reason the plan cannot be applied, found before anything is written: one line naming the target and the fix. */
export interface ProviderProblem {
  readonly message: string;
  /** The address or repository the problem is about, when there is one. */
  readonly subject?: string;
}

/** The outcome of applying one provider-owned change. */
export type ProviderApplyResult = { readonly status: "applied" } | { readonly status: "already-current" } | { readonly status: "failed"; readonly error: string };

/** An instantiated provider for one registry of airgap.yaml. All capabilities are optional. */
export interface Provider {
  /** How the target is shown in plans (`registry.internal:5000`, `oci:./mirror`). */
  readonly display: string;
  /** OCI content: the store for one repository. */
  repository?(name: string): ContentWriter;
  /** Tags of a repository; an absent repository has none. */
  listTags?(repository: string, options?: CallOptions): Promise<readonly string[]>;
  /** Removes a tag (prune). Registries that can only delete by digest delete the manifest. */
  deleteTag?(repository: string, tag: string, digest: string, options?: CallOptions): Promise<void>;
  /** Faster observation through a provider API; the default is resolve() through repository(). */
  observe?(items: readonly TargetItem[], options?: CallOptions): Promise<ReadonlyMap<string, ItemObservation>>;
  /** Changes needed before content can land. */
  prerequisites?(items: readonly TargetItem[], options?: CallOptions): Promise<readonly ProviderPrerequisite[]>;
  /**
   * Plan-time checks that need the target: names it would refuse, things
   * that must exist but will not be created, credentials, quota. Empty when
   * the plan can be applied; each problem is a plan error.
   */
  preflight?(request: PreflightRequest, options?: CallOptions): Promise<readonly ProviderProblem[]>;
  /** Applies one prerequisite (only `data` is guaranteed to round-trip); must be idempotent. */
  applyPrerequisite?(prerequisite: ProviderPrerequisite, options?: CallOptions): Promise<ProviderApplyResult>;
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
