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
import type { Secret } from "../core/secret.js";
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

/** Registry clients built by the core: shared connection pool, auth, retries, limits. */
export interface OciToolkit {
  /** A client for one registry; `url` is `https://host[:port]` or `http://…` for plain HTTP. */
  client(options: { readonly url: string; readonly tls?: TlsSettings; readonly credentials?: CredentialSettings; readonly concurrency?: number }): RegistryClient;
  /** The ContentWriter for one repository of a client's registry. */
  repository(client: RegistryClient, name: string): ContentWriter;
}

/** What `create` receives besides the provider's own settings. */
export interface ProviderContext {
  /** The registry's name in airgap.yaml, for messages. */
  readonly registryName: string;
  /** Directory of airgap.yaml. */
  readonly baseDir: string;
  readonly logger: Logger;
  readonly oci: OciToolkit;
}

/** A target object the core asks about. */
export interface TargetItem {
  readonly address: string;
  readonly kind: ContentKind;
  readonly repository?: string;
  readonly tag?: string;
  readonly path?: string;
}

/** What a provider observed for one item: absence is an answer, not an error. */
export type ItemObservation =
  | { readonly state: "present"; readonly digest: string }
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
  /** Applies one prerequisite; must be idempotent. */
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
