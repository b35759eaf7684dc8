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
import { open, type FileHandle } from "node:fs/promises";
import { posix } from "node:path";
import { LayoutError } from "../layout/errors.js";
import { paddedSize, parsePaxRecords, parseTarHeader, TAR_BLOCK, type TarHeader } from "../layout/tar-format.js";
import { normalizeEntryName, type TarFileEntry } from "../layout/tar-index.js";

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

/** Extended headers are metadata; anything bigger than this is an attack, not a long name. */
const EXTENDED_HEADER_LIMIT = 1024 * 1024;

async function readExact(handle: FileHandle, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}

function describeKind(header: TarHeader, linkname: string): string {
  switch (header.kind) {
    case "hardlink":
      return `a hard link to "${linkname}"`;
    case "character-device":
    case "block-device":
      return `a ${header.kind.replace("-", " ")}`;
    case "fifo":
      return "a FIFO";
    default:
      return `an entry of unsupported type '${header.typeflag.replace("\0", "\\0")}'`;
  }
}

/**
 * Where a symbolic link at `name` pointing to `target` lands, as a normalised
 * archive name; refuses targets that are absolute or climb out of the archive.
 */
export function resolveLinkTarget(name: string, target: string, location: string): string {
  if (target === "" || target.includes("\0") || target.startsWith("/") || target.startsWith("\\") || /^[A-Za-z]:/.test(target)) {
    throw new LayoutError("UNSAFE_ENTRY", location, `symbolic link "${name}" points to ${JSON.stringify(target)}, outside the archive`, { entry: name });
  }
  const joined = posix.normalize(posix.join(posix.dirname(name), target.replace(/\\/g, "/")));
  if (joined === ".." || joined.startsWith("../") || joined === "." || joined.startsWith("/")) {
    throw new LayoutError("UNSAFE_ENTRY", location, `symbolic link "${name}" points to "${target}", outside the archive`, { entry: name });
  }
  return joined.replace(/\/+$/, "");
}

/**
 * Reads the headers of the tar at `path` and returns where each file's data
 * is, links resolved. Throws LayoutError (UNSAFE_ENTRY, UNSUPPORTED_ENTRY,
 * DUPLICATE_ENTRY, TRUNCATED, CORRUPT_ARCHIVE, TOO_LARGE) naming the first bad entry.
 */
export async function scanDockerTar(path: string, location: string, options: ScanDockerTarOptions = {}): Promise<DockerTarIndex> {
  const maxEntries = options.maxEntries ?? 1_000_000;
  const files = new Map<string, TarFileEntry>();
  const symlinks = new Map<string, string>();
  const directories = new Set<string>();
  const handle = await open(path, "r");
  try {
    const fileSize = (await handle.stat()).size;
    let position = 0;
    let count = 0;
    let longName: string | undefined;
    let longLink: string | undefined;
    let pax: ReadonlyMap<string, string> | undefined;

    const readExtended = async (header: TarHeader, dataOffset: number): Promise<Buffer> => {
      if (header.size > EXTENDED_HEADER_LIMIT) {
        throw new LayoutError("TOO_LARGE", location, `extended header at offset ${dataOffset - TAR_BLOCK} is ${header.size} bytes, over the ${EXTENDED_HEADER_LIMIT}-byte limit`);
      }
      const data = await readExact(handle, header.size, dataOffset);
      if (data.length !== header.size) throw new LayoutError("TRUNCATED", location, `archive is truncated inside an extended header at offset ${dataOffset - TAR_BLOCK}`);
      return data;
    };

    for (;;) {
      options.signal?.throwIfAborted();
      const block = await readExact(handle, TAR_BLOCK, position);
      if (block.length === 0) throw new LayoutError("TRUNCATED", location, `archive ends at byte ${position} without the end-of-archive marker (truncated?)`);
      if (block.length < TAR_BLOCK) throw new LayoutError("TRUNCATED", location, `archive is truncated inside a header at offset ${position}`);
      const decoded = parseTarHeader(block);
      if (decoded.kind === "end") break;
      if (decoded.kind === "invalid") throw new LayoutError("CORRUPT_ARCHIVE", location, `header at offset ${position}: ${decoded.reason}`);
      const header = decoded.header;
      const dataOffset = position + TAR_BLOCK;
      if (++count > maxEntries) throw new LayoutError("TOO_LARGE", location, `archive has more than ${maxEntries} entries`);

      if (header.kind === "pax-header" || header.kind === "pax-global-header") {
        const records = parsePaxRecords(await readExtended(header, dataOffset));
        if (!records.ok) throw new LayoutError("CORRUPT_ARCHIVE", location, `pax header at offset ${position}: ${records.reason}`);
        if (header.kind === "pax-header") pax = records.records;
        position = dataOffset + paddedSize(header.size);
        continue;
      }
      if (header.kind === "gnu-long-name" || header.kind === "gnu-long-link") {
        const text = (await readExtended(header, dataOffset)).toString("utf8").replace(/\0+$/, "");
        if (header.kind === "gnu-long-name") longName = text;
        else longLink = text;
        position = dataOffset + paddedSize(header.size);
        continue;
      }

      const rawName = longName ?? pax?.get("path") ?? header.name;
      const paxSize = pax?.get("size");
      let size = header.size;
      if (paxSize !== undefined) {
        if (!/^[0-9]+$/.test(paxSize) || !Number.isSafeInteger(Number(paxSize))) {
          throw new LayoutError("CORRUPT_ARCHIVE", location, `entry "${rawName}" has an invalid pax size "${paxSize}"`, { entry: rawName });
        }
        size = Number(paxSize);
      }
      const linkname = longLink ?? pax?.get("linkpath") ?? header.linkname;
      longName = undefined;
      longLink = undefined;
      pax = undefined;

      const name = normalizeEntryName(rawName, location);
      const seen = (): boolean => files.has(name) || directories.has(name) || symlinks.has(name);
      if (header.kind === "directory") {
        if (files.has(name) || symlinks.has(name)) throw new LayoutError("DUPLICATE_ENTRY", location, `entry "${rawName}" appears both as a file and as a directory`, { entry: rawName });
        if (name !== "") directories.add(name);
        position = dataOffset + paddedSize(size);
        continue;
      }
      if (name === "") throw new LayoutError("UNSAFE_ENTRY", location, `entry "${rawName}" has an empty name`, { entry: rawName });
      if (seen()) {
        throw new LayoutError("DUPLICATE_ENTRY", location, `entry "${name}" appears more than once; refusing an archive whose content depends on which copy a reader takes`, { entry: name });
      }
      if (header.kind === "symlink") {
        symlinks.set(name, resolveLinkTarget(name, linkname, location));
        position = dataOffset + paddedSize(size);
        continue;
      }
      if (header.kind !== "file") {
        throw new LayoutError("UNSUPPORTED_ENTRY", location, `entry "${rawName}" is ${describeKind(header, linkname)}; docker archives may only hold regular files, directories and links to files`, {
          entry: rawName,
        });
      }
      if (dataOffset + size > fileSize) {
        throw new LayoutError("TRUNCATED", location, `entry "${name}" needs ${size} bytes but the archive ends ${fileSize - dataOffset} bytes into it (truncated)`, { entry: name });
      }
      files.set(name, { name, offset: dataOffset, size });
      position = dataOffset + paddedSize(size);
    }
  } finally {
    await handle.close();
  }
  return { files: resolveLinks(files, symlinks, directories, location), links: symlinks, directories };
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
