/** Chart archives for the fileserver Helm repository tests, built in memory. */
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";

/** A .tgz with `<name>/Chart.yaml` (given text) and a template, as `helm package` lays it out. */
export async function chartArchive(name: string, chartYaml: string): Promise<Buffer> {
  const tar = pack();
  const parts: Buffer[] = [];
  tar.on("data", (chunk: unknown) => parts.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    tar.on("end", () => resolve());
    tar.on("error", reject);
  });
  tar.entry({ name: `${name}/Chart.yaml`, mtime: new Date(0) }, chartYaml);
  tar.entry({ name: `${name}/templates/configmap.yaml`, mtime: new Date(0) }, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`);
  tar.finalize();
  await done;
  return gzipSync(Buffer.concat(parts));
}

/** Fields Helm's ChartVersion accepts in an index entry (helm pkg/repo/v1/index.go; strict YAML). */
export const HELM_ENTRY_FIELDS = new Set([
  "name", "home", "sources", "version", "description", "keywords", "maintainers", "icon", "apiVersion", "condition", "tags", "appVersion",
  "deprecated", "annotations", "kubeVersion", "dependencies", "type", "urls", "created", "removed", "digest", "checksum", "engine", "tillerVersion", "url",
]);
