/**
 * Charts whose bundle lands on a file server: a Helm HTTP repository there
 * (the `.tgz` under the bundle's `path`, index.yaml kept current by the
 * provider) instead of an OCI artifact. Whatever the chart's source (an OCI
 * registry, a Helm repository, a bundle), the archive is the chart
 * artifact's one content layer, so the file's sha256 and size come from the
 * chart's manifest.
 */
import { MediaType } from "../core/media-types.js";
import type { Descriptor } from "../core/oci-types.js";
import type { CallOptions, ContentReader } from "../oci/content.js";
import type { DesiredFile } from "../plan/diff.js";
import type { DesiredContent, FileSource } from "./desired-state.js";

/** A Helm chart archive's file name, as Helm names it. */
export function chartFileName(name: string, version: string): string {
  return `${name}-${version}.tgz`;
}

/** The chart of `p` as a file to publish into the Helm repository at its bundle's path. */
export async function chartAsFile(p: DesiredContent, reader: ContentReader, root: Descriptor, call: CallOptions): Promise<{ item: DesiredFile; source: FileSource }> {
  const chunks: Buffer[] = [];
  for await (const chunk of await reader.fetch(root, call)) chunks.push(chunk as Buffer);
  const manifest = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { layers?: Descriptor[] };
  const layer = manifest.layers?.find((l) => l.mediaType === MediaType.HelmChartContent);
  if (!layer) throw new Error(`${p.label} is not a Helm chart (no ${MediaType.HelmChartContent} layer)`);
  const name = p.upstream.repository.split("/").pop() ?? p.upstream.repository;
  // Helm writes `+` as `_` in OCI tags; the archive keeps the version as it is.
  const version = (p.tag ?? "").replace(/_/g, "+");
  const repository = (p.bundle.path ?? "").replace(/^\/+|\/+$/g, "");
  const path = `${repository ? `${repository}/` : ""}${chartFileName(name, version)}`;
  const sha256 = layer.digest.replace(/^sha256:/, "");
  return {
    item: { address: p.address, kind: "file", registry: p.bundle.registry!, path, source: p.label, digest: layer.digest, size: layer.size, chart: { repository, name, version } },
    source: { sha256, size: layer.size, blob: { name: p.source.name, origin: p.source.origin } },
  };
}
