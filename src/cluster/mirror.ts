/**
 * Facts about the mirror that several renderers share: its base URL, its
 * references, the TLS settings nodes need, and the upstream fallback URLs.
 */
import type { ClusterArtifact, ClusterModel, OutputProblem } from "./model.js";
import { nodeRepository } from "./routes.js";

/** Docker Hub's registry API host: what docker.io means to containerd and k3s. */
export const DOCKER_HUB_API = "https://registry-1.docker.io";

/** `https://host[:port]` (or `http://` for a plain-HTTP mirror). */
export function mirrorBaseUrl(model: ClusterModel): string {
  return `${model.registry.scheme}://${model.registry.host}`;
}

/** `host[:port]/<path>` with no trailing `/` (the mirror host alone for an empty path). */
export function mirrorLocation(model: ClusterModel, path: string): string {
  return path === "" ? model.registry.host : `${model.registry.host}/${path}`;
}

/** The reference a node pulls: `host/namespace/target[:tag][@digest]` (for a layout, its name there: `target:tag`). */
export function nodeReference(model: ClusterModel, artifact: ClusterArtifact): string {
  const name = model.registry.layout !== undefined ? artifact.targetRepository : mirrorLocation(model, nodeRepository(model, artifact));
  return `${name}${artifact.tag !== undefined ? `:${artifact.tag}` : ""}${artifact.digest !== undefined ? `@${artifact.digest}` : ""}`;
}

/** The base URL of an upstream registry: what airgap.yaml configures, else `https://host` (Docker Hub: its API host). */
export function upstreamUrl(model: ClusterModel, host: string): string {
  const configured = model.upstreamUrls.get(host.toLowerCase());
  if (configured !== undefined) return configured.replace(/\/+$/, "");
  return host === "docker.io" ? DOCKER_HUB_API : `https://${host}`;
}

/** Whether nodes must skip certificate verification: the output's own setting wins, else the registry's. */
export function skipVerify(model: ClusterModel, own: boolean | undefined): boolean {
  return model.registry.scheme === "https" && (own ?? model.registry.tls.insecureSkipVerify ?? false);
}

/**
 * The CA file to name in node configuration: the output's own `caFile` (its
 * path on the nodes) or the registry's `tls.caFile` (its path on this
 * machine, with a warning that the nodes need it there too).
 */
export function nodeCaFile(model: ClusterModel, own: string | undefined, what: string, remedy = ""): { caFile?: string; problems: OutputProblem[] } {
  if (model.registry.scheme !== "https") return { problems: [] };
  if (own !== undefined && own !== "") return { caFile: own, problems: [] };
  const local = model.registry.tls.caFile;
  if (local === undefined) return { problems: [] };
  return { caFile: local, problems: [{ severity: "warning", message: `${what} names the CA file by its path on this machine (${local}); the nodes need it at that path${remedy}` }] };
}
