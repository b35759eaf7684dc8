/**
 * A kapp-controller PackageRepository that fetches the relocated imgpkg
 * bundle from the mirror (`spec.fetch.imgpkgBundle.image`), the last step of
 * the Carvel air-gapped workflow. Uses the current API group
 * `packaging.carvel.dev/v1alpha1` (the older `install.package.carvel.dev`
 * is gone from kapp-controller).
 */
import type { KappControllerOutput } from "../config/generated/airgap-config.js";
import { parseReference } from "../core/reference.js";
import { nodeReference } from "./mirror.js";
import { type ClusterArtifact, type ClusterModel } from "./model.js";
import { failed, type Rendering } from "./rendering.js";
import { yamlText } from "./yaml-text.js";

/** A Kubernetes object name (DNS label) from the last repository segment. */
export function packageRepositoryName(repository: string): string {
  const last = repository.split("/").pop() ?? "";
  const name = last.toLowerCase().replace(/[^a-z0-9-]+/g, "-").slice(0, 63).replace(/^-+|-+$/g, "");
  return name === "" ? "package-repository" : name;
}

/** Renders the PackageRepository. */
export function renderKappController(model: ClusterModel, output: KappControllerOutput): Rendering {
  const parsed = parseReference(output.image);
  if (!parsed.ok) return failed(`invalid image reference "${output.image}": ${parsed.reason}`);
  const ref = parsed.reference;
  const candidates = model.artifacts.filter((a) => a.kind === "image" && a.registry === ref.registry && a.repository === ref.repository);
  let artifact: ClusterArtifact | undefined;
  if (ref.tag !== undefined) artifact = candidates.find((a) => a.tag === ref.tag);
  else if (ref.digest !== undefined) artifact = candidates.find((a) => a.digest === ref.digest) ?? candidates[0];
  else artifact = candidates.length === 1 ? candidates[0] : undefined;
  if (artifact === undefined) {
    return failed(`${output.image} is not among the images of the cluster's bundles${candidates.length > 0 ? ` (they hold ${candidates.map((c) => c.tag ?? c.digest).join(", ")})` : ""}`);
  }
  // A digest-only reference pins the bundle the user named (imgpkg bundles keep their digest with preserveDigests).
  const pinned: ClusterArtifact = ref.tag === undefined && ref.digest !== undefined && artifact.digest === undefined ? { ...artifact, digest: ref.digest } : artifact;
  const document = {
    apiVersion: "packaging.carvel.dev/v1alpha1",
    kind: "PackageRepository",
    metadata: { name: output.name ?? packageRepositoryName(ref.repository), ...(output.namespace !== undefined ? { namespace: output.namespace } : {}) },
    spec: { fetch: { imgpkgBundle: { image: nodeReference(model, pinned) } } },
  };
  return { files: [{ path: output.path, content: yamlText(document) }], problems: [] };
}
