/**
 * Cluster settings: the files that point a cluster's nodes at the mirror
 * (containerd hosts.toml, k0s, MKE 4k, k3s/RKE2, registries.conf,
 * kapp-controller, an image list), rendered from the same naming apply
 * pushes with, planned as file changes with a diff, written atomically.
 *
 * Wiring: buildClusterModel(config, content) → renderClusterOutputs(model,
 * config.cluster.outputs) → readCurrentOutputs(baseDir, outputs) →
 * planOutputFiles(outputs, current) → (apply) writeOutputChange(baseDir, change).
 *
 * When the naming flattens (`maxDepth`) or renames (`as`) a repository, the
 * target is no longer `<prefix>/<upstream repository>`:
 * - containerd (override_path), k0s (`images.repository`) and MKE 4k (one
 *   registry URL) can only prepend a path: such an output is an error naming
 *   the repositories, and writes nothing (k0s and MKE 4k also need one path
 *   for every upstream host, so `naming.host: keep` works there with one host only);
 * - k3s/RKE2 (anchored `rewrite` rules) and registries.conf (a `[[registry]]`
 *   per repository) express any mapping;
 * - kapp-controller and the image list name target references directly.
 *
 * Pipeline: config → sources → lock → desired/observe → diff → plan → apply;
 * cluster outputs are planned and applied as changes of their own beside the content.
 */
export { buildClusterModel, clusterBundles, contentFromConfig } from "./build-model.js";
export type { ClusterContent, ClusterModelResult } from "./build-model.js";
export { ClusterOutputError } from "./errors.js";
export type { ClusterOutputErrorCode } from "./errors.js";
export { contentDigest, isGenerated, planOutputFiles } from "./file-changes.js";
export type { OutputFileAction, OutputFileChange } from "./file-changes.js";
export { GENERATED_MARKER } from "./model.js";
export type { ClusterArtifact, ClusterModel, ClusterRegistry, OutputProblem, RenderedFile, RenderedOutput } from "./model.js";
export { readCurrentOutputs } from "./read-outputs.js";
export { renderClusterOutputs, SUPPORTED_OUTPUT_TYPES } from "./render.js";
export type { ClusterRendering } from "./render.js";
export { writeOutputChange } from "./write-outputs.js";
export { planClusterOutputs, outputAddress, toFileChange, type ClusterPlan } from "./plan-changes.js";
export type { OutputWriteResult } from "./write-outputs.js";
