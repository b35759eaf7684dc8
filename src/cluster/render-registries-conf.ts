/**
 * containers-registries.conf(5), version 2, for CRI-O and podman (a whole
 * file, or a drop-in for `/etc/containers/registries.conf.d/`): one
 * `[[registry]]` per upstream registry host with the mirror as its
 * `[[registry.mirror]]`; the mirror's location carries the prefix
 * (`mirror:5000/mke` serves `docker.io/library/nginx` from
 * `mirror:5000/mke/library/nginx`).
 *
 * Repositories the naming flattened or renamed get a `[[registry]]` of their
 * own (`prefix = "docker.io/team/sub/app"`); the longest prefix wins, so they
 * override the host's entry. Repositories nested under such a one get their
 * own entry too, or the override would catch them. registries.conf cannot
 * name a CA file: it goes to `/etc/containers/certs.d/<host>/ca.crt`.
 */
import type { RegistriesConfOutput } from "../config/generated/airgap-config.js";
import { mirrorLocation, skipVerify } from "./mirror.js";
import { GENERATED_MARKER, type ClusterModel, type OutputProblem } from "./model.js";
import { hostRoutes, type HostRoute } from "./routes.js";
import type { Rendering } from "./rendering.js";
import { tomlPair } from "./toml.js";

interface Entry {
  readonly prefix: string;
  readonly mirror: string;
}

function entries(route: HostRoute): Entry[] {
  const own = new Set(route.exceptions);
  // A per-repository entry also catches `<repository>/...`: give nested repositories their own entry.
  for (const r of route.repositories) if (route.exceptions.some((e) => r.upstream.startsWith(`${e.upstream}/`))) own.add(r);
  const list: Entry[] = route.prefix !== undefined ? [{ prefix: route.host, mirror: route.prefix }] : [];
  for (const r of [...own].sort((a, b) => (a.upstream < b.upstream ? -1 : a.upstream > b.upstream ? 1 : 0))) list.push({ prefix: `${route.host}/${r.upstream}`, mirror: r.target });
  return list;
}

/** Renders registries.conf. */
export function renderRegistriesConf(model: ClusterModel, output: RegistriesConfOutput): Rendering {
  const problems: OutputProblem[] = [];
  const insecure = model.registry.scheme === "http" || skipVerify(model, undefined);
  const blocks: string[] = [];
  const routes = hostRoutes(model, "image");
  for (const route of routes) {
    for (const entry of entries(route)) {
      blocks.push(
        ["[[registry]]", tomlPair("prefix", entry.prefix), tomlPair("location", entry.prefix), "", "[[registry.mirror]]", tomlPair("location", mirrorLocation(model, entry.mirror)), ...(insecure ? [tomlPair("insecure", true)] : [])].join("\n"),
      );
    }
  }
  if (insecure && !routes.some((r) => r.host === model.registry.host)) {
    // Direct pulls of the mirror's own names.
    blocks.push(["[[registry]]", tomlPair("location", model.registry.host), tomlPair("insecure", true)].join("\n"));
  }
  if (model.registry.scheme === "https" && model.registry.tls.caFile !== undefined) {
    problems.push({ severity: "warning", message: `registries.conf cannot name a CA file: copy ${model.registry.tls.caFile} to /etc/containers/certs.d/${model.registry.host}/ca.crt on the nodes` });
  }
  if (routes.length === 0) problems.push({ severity: "warning", message: "the cluster's bundles hold no images: no mirror entries are written" });
  return { files: [{ path: output.path, content: `${[GENERATED_MARKER, ...blocks].join("\n\n")}\n` }], problems };
}
