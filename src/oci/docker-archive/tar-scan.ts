/**
 * The indexing pass over a `docker save` tar: like the layout indexer
 * (../layout/tar-index.ts, whose header parser and name checks it reuses), one
 * header read per entry and nothing extracted, but with one deliberate
 * difference: symbolic links are accepted when, and only when, they point to
 * a regular file inside the archive.
 *
 * Why: Docker before 25 writes a layer shared by two images once and links the
 * second `<id>/layer.tar` to `../<other id>/layer.tar`, and skopeo's
 * `docker-archive:` always writes `<id>/layer.tar` as a link to
 * `../<diff id>.tar`. Refusing links would refuse these everyday archives. A
 * link is resolved to the target's byte range at index time, so nothing ever
 * follows it on disk; a link that is absolute, leaves the archive, dangles,
 * or points at a directory or another link is refused, as are hard links,
 * devices and FIFOs (no Docker or skopeo writes those).
 */
import { LayoutError } from "../layout/errors.js";
import { indexTar, type TarFileEntry } from "../layout/tar-index.js";

/** What the pass found: regular files, and links already resolved to the file they name. */
export interface DockerTarIndex {
  /** Regular files and resolved links, by normalised name. A link's entry is its target's (name included). */
  readonly files: ReadonlyMap<string, TarFileEntry>;
  /** Link name → target name, for messages. */
  readonly links: ReadonlyMap<string, string>;
  readonly directories: ReadonlySet<string>;
}

/** Limits for the pass. */
export interface ScanDockerTarOptions {
  /** Refuse archives with more entries than this (default one million). */
  readonly maxEntries?: number;
  readonly signal?: AbortSignal;
}

/**
 * Reads the headers of the tar at `path` (the layout indexer, collecting
 * symbolic links) and resolves each link to the regular file it names.
 * Throws LayoutError naming the first bad entry.
 */
export async function scanDockerTar(path: string, location: string, options: ScanDockerTarOptions = {}): Promise<DockerTarIndex> {
  const index = await indexTar(path, location, { ...options, symlinks: "collect" });
  return { files: resolveLinks(new Map(index.files), index.links, index.directories, location), links: index.links, directories: index.directories };
}

/** Adds every link to the file map as its target's entry; refuses links to anything but a regular file. */
function resolveLinks(files: Map<string, TarFileEntry>, links: ReadonlyMap<string, string>, directories: ReadonlySet<string>, location: string): Map<string, TarFileEntry> {
  if (links.size > 0) {
    // An entry below a link ("lib" -> "x", then "lib/evil") is how extraction escapes happen elsewhere.
    for (const name of [...files.keys(), ...directories, ...links.keys()]) {
      const parts = name.split("/");
      for (let i = 1; i < parts.length; i++) {
        const parent = parts.slice(0, i).join("/");
        if (links.has(parent)) throw new LayoutError("UNSAFE_ENTRY", location, `entry "${name}" lies below the symbolic link "${parent}"`, { entry: name });
      }
    }
  }
  const resolved = new Map(files);
  for (const [name, target] of links) {
    const entry = files.get(target);
    if (entry !== undefined) {
      resolved.set(name, entry);
      continue;
    }
    const what = links.has(target) ? "another link" : directories.has(target) ? "a directory" : "nothing in the archive";
    throw new LayoutError("UNSUPPORTED_ENTRY", location, `symbolic link "${name}" points to "${target}", which is ${what}; only links to regular files are accepted`, { entry: name });
  }
  return resolved;
}
