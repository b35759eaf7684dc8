/**
 * airgap.lock: the model (every desired source reference resolved to digests,
 * sizes and sha256), its file on disk, the keys that tie airgap.yaml entries
 * to lock entries, and lookups of the config against a lock. No network: the
 * lock is written by resolve/ and read by desired/, bundle/ and the CLI.
 *
 * Pipeline: config → sources → **lock** → desired/observe → diff → plan → apply.
 */
export * from "./model.js";
export { LockFileError, type LockFileErrorCode } from "./errors.js";
export { parseLockFile, readLockFile, writeLockFile, serializeLock, canonicalLock, sameLockContent, type LockWriteResult, type LockFileReadResult } from "./file.js";
export { imageKey, imageSelectionKey, chartKey, fileKey, fileIdentity, concreteReference, ociChartRef, lockFilePath, DEFAULT_TAG } from "./keys.js";
export { LockIndex, compareLock, type LockComparison, type LockGap, type LockedImagesLookup } from "./lookup.js";
