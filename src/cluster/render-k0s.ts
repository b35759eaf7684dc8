/**
 * A k0s ClusterConfig fragment: `spec.images.repository` (k0s puts it in
 * place of the registry host of every image it runs, so
 * `quay.io/k0sproject/coredns` is pulled as `<repository>/k0sproject/coredns`)
 * and `spec.images.default_pull_policy` (`Never` when every image is
 * imported on the nodes from `<data-dir>/images`). Merge it into k0s.yaml.
 */
import type { K0SOutput } from "../config/generated/airgap-config.js";
import { mirrorLocation } from "./mirror.js";
import { type ClusterModel } from "./model.js";
import { failed, type Rendering } from "./rendering.js";
import { yamlText } from "./yaml-text.js";
import { singlePrefix } from "./single-prefix.js";

/** Renders the k0s fragment. */
export function renderK0s(model: ClusterModel, output: K0SOutput): Rendering {
  const prefix = singlePrefix(model, "image", "k0s `spec.images.repository`");
  if (prefix === undefined) return failed("the cluster's bundles hold no images, so there is no repository to point k0s at");
  if (!prefix.ok) return failed(prefix.reason);
  const images: Record<string, string> = { repository: mirrorLocation(model, prefix.prefix) };
  if (output.pullPolicy !== undefined) images["default_pull_policy"] = output.pullPolicy;
  const document = { apiVersion: "k0s.k0sproject.io/v1beta1", kind: "ClusterConfig", metadata: { name: "k0s" }, spec: { images } };
  return { files: [{ path: output.path, content: yamlText(document) }], problems: [] };
}
