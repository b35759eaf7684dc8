/**
 * containerd registry host configuration: `<path>/<upstream host>/hosts.toml`
 * per upstream registry, each naming the mirror as a pull/resolve host
 * (containerd's `config_path`, `ctr --hosts-dir`, k0s and RKE2 drop-ins).
 *
 * containerd can only prepend a path: with `override_path = true` the host
 * URL is the API root, so `https://mirror/v2/mke` serves
 * `docker.io/library/nginx` from `mirror/mke/library/nginx`. Repositories
 * the naming flattened or renamed cannot be expressed, and are reported
 * (no file is written rather than one that sends some pulls astray).
 * containerd always tries the upstream (`server`) last; in an air gap that
 * fails, so a missing image fails instead of coming from elsewhere.
 */
import { posix } from "node:path";
import type { ContainerdOutput } from "../config/generated/airgap-config.js";
import { mirrorBaseUrl, nodeCaFile, skipVerify, upstreamUrl } from "./mirror.js";
import { GENERATED_MARKER, type ClusterModel, type OutputProblem, type RenderedFile } from "./model.js";
import { describeException, hostRoutes } from "./routes.js";
import { tomlPair, tomlString } from "./toml.js";
import type { Rendering } from "./rendering.js";

/** containerd's capabilities for a mirror: it may resolve tags and pull content, never push. */
const CAPABILITIES = ["pull", "resolve"] as const;

/** Renders one hosts.toml per upstream registry host, plus one for the mirror itself (its TLS for direct pulls). */
export function renderContainerd(model: ClusterModel, output: ContainerdOutput): Rendering {
  const problems: OutputProblem[] = [];
  const routes = hostRoutes(model, "image");
  for (const route of routes) {
    if (route.exceptions.length === 0) continue;
    problems.push({
      severity: "error",
      message: `containerd can only prepend one path per registry (override_path), but the naming flattened or renamed ${route.exceptions.map((r) => describeException(route.host, r)).join(", ")}${route.prefix !== undefined ? ` while other ${route.host} repositories land under ${route.prefix || "the root"}` : ""}; drop \`maxDepth\`/\`as\` for the cluster's bundles, or use a \`k3s\` or \`registries-conf\` output`,
    });
  }
  if (output.overridePath === false && routes.some((r) => r.prefix !== undefined && r.prefix !== "")) {
    problems.push({ severity: "error", message: "`overridePath: false`, but the mirror holds the images under a path prefix, which containerd reaches only with override_path" });
  }
  if (problems.length > 0) return { files: [], problems };

  const ca = nodeCaFile(model, output.caFile, "hosts.toml `ca`", ", or set `caFile` to its path on the nodes");
  problems.push(...ca.problems);
  const skip = skipVerify(model, output.skipVerify);
  const tlsLines = [...(ca.caFile !== undefined ? [tomlPair("ca", ca.caFile)] : []), ...(skip ? [tomlPair("skip_verify", true)] : [])];
  const base = mirrorBaseUrl(model);

  const files: RenderedFile[] = [];
  for (const route of routes) {
    const prefix = route.prefix ?? "";
    const override = prefix !== "" || output.overridePath === true;
    const hostUrl = override ? `${base}/v2${prefix === "" ? "" : `/${prefix}`}` : base;
    const lines = [
      GENERATED_MARKER,
      tomlPair("server", upstreamUrl(model, route.host)),
      "",
      `[host.${tomlString(hostUrl)}]`,
      `  ${tomlPair("capabilities", CAPABILITIES)}`,
      ...tlsLines.map((l) => `  ${l}`),
      ...(override ? [`  ${tomlPair("override_path", true)}`] : []),
    ];
    files.push({ path: posix.join(output.path, route.host, "hosts.toml"), content: `${lines.join("\n")}\n` });
  }
  if (!routes.some((r) => r.host === model.registry.host)) {
    // Direct pulls of the mirror's own names (k0s images.repository, MKE 4k, the image list) need its scheme and TLS too.
    const lines = [GENERATED_MARKER, tomlPair("server", base), ...tlsLines];
    files.push({ path: posix.join(output.path, model.registry.host, "hosts.toml"), content: `${lines.join("\n")}\n` });
  }
  if (routes.length === 0) problems.push({ severity: "warning", message: "the cluster's bundles hold no images: only the mirror's own hosts.toml is written" });
  return { files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), problems };
}
