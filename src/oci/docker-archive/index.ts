/**
 * `docker save` archives (and skopeo's `docker-archive:`) as a source of
 * images: indexed without extracting, with a synthesized Docker schema 2
 * manifest per image. Import from here; the files behind it are
 * implementation detail.
 *
 * Below the pipeline (config → sources → lock → desired/observe → diff →
 * plan → apply): a source format sources/ opens; it knows no config.
 */
export { DockerArchive, type OpenDockerArchiveOptions, type OpenDockerArchiveResult } from "./archive.js";
export { CONFIG_SIZE_LIMIT, type DockerArchiveImage } from "./images.js";
export { DOCKER_LAYER_TAR, synthesizeManifest, type SynthesizedManifest } from "./schema2.js";
export { MANIFEST_JSON, normalizeRepoTag, type DockerImageConfig, type DockerManifestItem } from "./manifest-json.js";
export type { DockerTarIndex } from "./tar-scan.js";
