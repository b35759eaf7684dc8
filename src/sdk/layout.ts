/**
 * OCI image layout directories for plugins (the `oci-layout` provider, or a
 * third-party target that keeps a layout on disk): open, read, tag and lock
 * through interfaces and factories, so the layout code behind them can
 * change without a plugin noticing.
 */
import type { CallOptions, ContentWriter } from "../oci/content.js";
import type { Descriptor } from "../core/oci-types.js";
import { LayoutError, OciLayoutDirectory, type LayoutErrorCode } from "../oci/layout/index.js";
import type { WriteLock, WriteLockOptions } from "./provider.js";

/** An OCI image layout directory. */
export interface LayoutDirectory {
  /** The directory, absolute. */
  readonly path: string;
  /** The store for one repository: manifests are tagged `<repository>:<tag>` in index.json. */
  repository(name: string): ContentWriter;
  /** The descriptors of index.json. */
  entries(options?: CallOptions): Promise<readonly Descriptor[]>;
  /** Removes a ref name (`<repository>:<tag>`) from index.json; false when it was not there. */
  removeRef(refName: string, options?: CallOptions): Promise<boolean>;
}

/** How to open a layout. */
export interface OpenLayoutOptions {
  /** Create the directory and its `oci-layout` marker when missing (a writer); a reader leaves the disk untouched. */
  readonly create?: boolean;
}

/** Opens the layout at `path`; without `create`, a missing or foreign directory fails with the `NOT_A_LAYOUT` {@link LayoutFailure}. */
export function openLayoutDirectory(path: string, options: OpenLayoutOptions = {}): Promise<LayoutDirectory> {
  return OciLayoutDirectory.open(path, options);
}

/**
 * Takes the layout's cross-process writer lock (index.json is rewritten
 * whole, so two writers would lose entries); the directory is created if
 * missing. Refused with the `LOCKED` {@link LayoutFailure} when another
 * writer holds it past `waitMs`.
 */
export function lockLayoutForWrite(path: string, options: WriteLockOptions = {}): Promise<WriteLock> {
  return OciLayoutDirectory.lockForWrite(path, options);
}

/** Why a layout could not be used (`NOT_A_LAYOUT`, `BLOB_NOT_FOUND`, `LOCKED`, …). */
export type LayoutFailureCode = LayoutErrorCode;

/** A layout is unusable or refused. */
export interface LayoutFailure extends Error {
  readonly code: LayoutFailureCode;
  /** The layout directory or archive. */
  readonly location: string;
}

/** True when `error` is a layout failure, of the given kind when `code` is passed. */
export function isLayoutFailure(error: unknown, code?: LayoutFailureCode): error is LayoutFailure {
  return error instanceof LayoutError && (code === undefined || error.code === code);
}
