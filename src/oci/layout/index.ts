/**
 * OCI image layouts: directories, tar archives (read and write), and their shared pieces.
 *
 * Below the pipeline (config → sources → lock → desired/observe → diff →
 * plan → apply): sources and bundles use it, the oci-layout provider through the
 * sdk; it knows no config.
 */
export * from "./errors.js";
export * from "./layout-files.js";
export * from "./ref-name.js";
export * from "./store.js";
export * from "./manifest.js";
export * from "./walk.js";
export * from "./repository-view.js";
export * from "./directory.js";
export * from "./directory-repository.js";
export * from "./writer-lock.js";
export * from "./tar-reader.js";
export * from "./tar-writer.js";
export type { TarFileEntry, TarIndex } from "./tar-index.js";
