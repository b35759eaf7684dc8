/**
 * What a plugin sees of a registry client: the few calls providers make
 * themselves (listing, deleting, the origin for a management API beside
 * `/v2`). Content moves through `OciToolkit.repository()`, so uploads,
 * auth, retries and connection pools stay behind this interface and can
 * change without a plugin noticing.
 */
import type { CallOptions } from "../oci/content.js";
import { RegistryError, type RegistryErrorCode } from "../oci/registry/index.js";

/** The outcome of deleting a manifest: absence is an answer, not an error. */
export type RegistryDeleteResult = { readonly deleted: true } | { readonly deleted: false; readonly reason: "absent" };

/** How to list tags. */
export interface RegistryListOptions extends CallOptions {
  /** Entries per page; default the registry's own page size (ECR rejects more than 1000). */
  readonly pageSize?: number;
}

/** A registry client built by `OciToolkit.client` for one registry of airgap.yaml. */
export interface Registry {
  /** `host[:port]` as shown in plans and messages. */
  readonly registry: string;
  /** The origin the client talks to (`https://host[:port]`), for a management API on the same server (Harbor's `/api/v2.0`). */
  readonly baseUrl: URL;
  /**
   * `GET /v2/`: resolves when the registry answers, its certificate is
   * trusted and it accepts the credentials; throws a RegistryFailure
   * that says which of those failed.
   */
  ping(options?: CallOptions): Promise<unknown>;
  /** Every tag of a repository, all pages; an absent repository has none. */
  listTags(repository: string, options?: RegistryListOptions): Promise<string[]>;
  /** Deletes a manifest by digest (every tag on it goes too, as distribution deletes by digest only). */
  deleteManifest(repository: string, digest: string, options?: CallOptions): Promise<RegistryDeleteResult>;
}

/** Sub-kinds of a registry failure: an unexpected status, refused credentials, the network, TLS, or an unusable answer. */
export type RegistryFailureCode = RegistryErrorCode;

/**
 * The facts of a failed exchange with a registry, as fields (a plugin
 * explaining a failure branches on these, never on the message).
 */
export interface RegistryFailure extends Error {
  readonly code: RegistryFailureCode;
  /** Registry host (or token endpoint host) the failure concerns. */
  readonly registry: string;
  /** HTTP status; undefined when no response was received. */
  readonly status: number | undefined;
  /** True when the same request may succeed later (429, 5xx, connection failures). */
  readonly temporary: boolean;
  /** The registry's own first error code (`DENIED`, `MANIFEST_BLOB_UNKNOWN`). */
  readonly registryCode: string | undefined;
  /** The registry's own words, when it said any. */
  readonly registryMessage: string | undefined;
}

/** True when `error` is a registry client's failure (not one it merely wraps: see `failureFacts` for causes). */
export function isRegistryFailure(error: unknown): error is RegistryFailure {
  return error instanceof RegistryError;
}
