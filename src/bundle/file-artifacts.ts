/**
 * Files in a bundle, as OCI artifacts in the same content store: one
 * manifest per file (artifactType `application/vnd.airgap.file.v1`, the
 * empty config, the file as its one layer), named in index.json
 * `airgap.files/<registry>/<path>:<sha256 prefix>` so that other tools see
 * what they are. The content is checked against the locked sha256 as it is
 * written; on the far side a file is found by that sha256.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import type { NormalizedConfig } from "../config/normalize.js";
import { EMPTY_CONFIG, fileArtifactManifest } from "../oci/file-artifact.js";
import type { Descriptor } from "../core/oci-types.js";
import type { DesiredProblem } from "../desired/desired-state.js";
import { LockIndex, type AirgapLock } from "../lock/index.js";
import { type SourceOpener } from "../sources/index.js";

export { FILE_ARTIFACT_TYPE, FILE_PATH_ANNOTATION } from "../oci/file-artifact.js";

/** One file artifact: its index entry, its manifest, and how to read the file. */
export interface FileArtifact {
  readonly name: string;
  readonly manifest: Descriptor;
  readonly manifestBytes: Buffer;
  readonly content: Descriptor;
  open(signal?: AbortSignal): Promise<Readable>;
}

/** Index names allow `[a-z0-9._-/]`; anything else in a path becomes `-`. */
function nameSegment(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9._/-]+/g, "-").replace(/\/+/g, "/").replace(/^[/.-]+|[/.-]+$/g, "");
}

/** The file artifacts of the chosen bundles, with problems for files missing from the lock. */
export function fileArtifacts(
  config: NormalizedConfig,
  lock: AirgapLock,
  opener: SourceOpener,
  options: { readonly bundles?: readonly string[] } = {},
): { artifacts: FileArtifact[]; empty: { descriptor: Descriptor; bytes: Buffer }; problems: DesiredProblem[] } {
  const index = new LockIndex(lock);
  const artifacts = new Map<string, FileArtifact>();
  const problems: DesiredProblem[] = [];
  for (const bundle of config.bundles) {
    if (options.bundles?.length && !options.bundles.includes(bundle.name)) continue;
    for (const file of bundle.files) {
      const locked = index.fileFor(file, config.baseDir);
      if (!locked) {
        problems.push({ pointer: file.pointer, severity: "error", message: `file ${file.url ?? file.path ?? ""} is not in airgap.lock; run \`airgap lock\`` });
        continue;
      }
      const { manifest, manifestBytes, content } = fileArtifactManifest(file.to.path, locked.sha256, locked.size);
      const name = `airgap.files/${nameSegment(`${file.to.registry}/${file.to.path}`)}:${locked.sha256.slice(0, 12)}`;
      const url = file.url;
      const path = file.path;
      const credentials = file.credentials;
      artifacts.set(name, {
        name,
        manifest,
        manifestBytes,
        content,
        async open(signal) {
          if (path !== undefined) return createReadStream(path);
          if (url !== undefined) return opener.http.stream(url, { ...(signal !== undefined ? { signal } : {}), ...(credentials ? { credentials } : {}) });
          throw new Error(`file entry ${file.pointer} has neither url nor path`);
        },
      });
    }
  }
  return { artifacts: [...artifacts.values()], empty: EMPTY_CONFIG, problems };
}
