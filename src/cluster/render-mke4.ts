/**
 * MKE 4k settings for an offline install (the `spec` part of mke4.yaml):
 * `spec.registries.imageRegistry.URL` (registry host and project path, no
 * scheme, no trailing `/`), `spec.registries.chartRegistry.URL` (the same
 * with `oci://`, where the charts landed) and `spec.airgap.enabled: true`.
 * Merge it into the mke4.yaml that `mkectl init` wrote.
 */
import type { Mke4Output } from "../config/generated/airgap-config.js";
import { mirrorLocation } from "./mirror.js";
import { type ClusterModel, type OutputProblem } from "./model.js";
import { failed, type Rendering } from "./rendering.js";
import { yamlText } from "./yaml-text.js";
import { singlePrefix } from "./single-prefix.js";

/** Renders the MKE 4k fragment. */
export function renderMke4(model: ClusterModel, output: Mke4Output): Rendering {
  const images = singlePrefix(model, "image", "MKE 4k `imageRegistry.URL`");
  if (images === undefined) return failed("the cluster's bundles hold no images, so there is no image registry to point MKE 4k at");
  if (!images.ok) return failed(images.reason);
  // Charts uploaded with the images share their path (the MKE guide); charts elsewhere get their own.
  const charts = singlePrefix(model, "chart", "MKE 4k `chartRegistry.URL`") ?? images;
  if (!charts.ok) return failed(charts.reason);
  const problems: OutputProblem[] = [];
  if (model.registry.scheme !== "https") problems.push({ severity: "warning", message: "MKE 4k expects an HTTPS registry; this one is plain HTTP" });
  else if (model.registry.tls.caFile !== undefined || model.registry.tls.insecureSkipVerify) {
    problems.push({ severity: "warning", message: "MKE 4k expects the registry's certificate to be signed by a publicly trusted CA; with a private CA, add it to every node's trust store" });
  }
  const document = {
    spec: {
      registries: {
        imageRegistry: { URL: mirrorLocation(model, images.prefix) },
        chartRegistry: { URL: `oci://${mirrorLocation(model, charts.prefix)}` },
      },
      airgap: { enabled: true },
    },
  };
  return { files: [{ path: output.path, content: yamlText(document) }], problems };
}
