/**
 * The indexing pass over a tar file: one header read per entry, recording
 * where each file's data lies, and refusing archives that are unsafe to trust
 * (path escapes, links, devices, duplicates, truncation). Nothing is extracted,
 * so a hostile name can never touch the file system; refusing it anyway keeps
 * the archive safe for every other tool (tar, skopeo, containerd) it meets.
 */
import { posix } from "node:path";
import { open, type FileHandle } from "node:fs/promises";
import { LayoutError } from "./errors.js";
import { paddedSize, parsePaxRecords, parseTarHeader, TAR_BLOCK, type TarHeader } from "./tar-format.js";

/** A regular file inside the archive and the byte range of its data. */
export interface TarFileEntry {
  /** Normalised name: no leading `./`, no trailing `/`, `/` separators. */
  readonly name: string;
  /** Offset of the first data byte in the (uncompressed) tar file. */
  readonly offset: number;
  readonly size: number;
}

/** What the indexing pass found. */
export interface TarIndex {
  readonly files: ReadonlyMap<string, TarFileEntry>;
  readonly directories: ReadonlySet<string>;
  /** Symbolic link name → the archive name it points to; empty unless `symlinks: "collect"`. */
  readonly links: ReadonlyMap<string, string>;
  /** Offset of the end-of-archive marker. */
  readonly end: number;
}

/** Limits for the indexing pass. */
export interface IndexTarOptions {
  /** Refuse archives with more entries than this (default one million), so the index stays small. */
  readonly maxEntries?: number;
  readonly signal?: AbortSignal;
  /**
   * `refuse` (default): layouts hold only files and directories. `collect`:
   * symbolic links that stay inside the archive are recorded (docker save
   * writes them); the caller decides what they may point at.
   */
  readonly symlinks?: "refuse" | "collect";
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

/** Extended headers are metadata; anything bigger than this is an attack, not a long name. */
const EXTENDED_HEADER_LIMIT = 1024 * 1024;

/**
 * Normalises an entry name, refusing absolute paths and `..` components
 * (with either separator, since the archive may be extracted on Windows).
 * Returns "" for the archive root (`./`).
 */
export function normalizeEntryName(raw: string, location: string): string {
  if (raw.includes("\0")) throw new LayoutError("UNSAFE_ENTRY", location, `entry name ${JSON.stringify(raw)} contains a NUL byte`, { entry: raw });
  if (raw.startsWith("/") || raw.startsWith("\\") || /^[A-Za-z]:/.test(raw)) {
    throw new LayoutError("UNSAFE_ENTRY", location, `entry "${raw}" has an absolute path`, { entry: raw });
  }
  if (raw.split(/[\\/]/).includes("..")) {
    throw new LayoutError("UNSAFE_ENTRY", location, `entry "${raw}" has a ".." path component`, { entry: raw });
  }
  return raw
    .split("/")
    .filter((part) => part !== "" && part !== ".")
    .join("/");
}

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

function describeKind(header: TarHeader): string {
  switch (header.kind) {
    case "symlink":
      return `a symbolic link to "${header.linkname}"`;
    case "hardlink":
      return `a hard link to "${header.linkname}"`;
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
 * Reads the headers of the tar file at `path` and returns where each file's
 * data is. Throws LayoutError (UNSAFE_ENTRY, UNSUPPORTED_ENTRY,
 * DUPLICATE_ENTRY, TRUNCATED, CORRUPT_ARCHIVE) naming the first bad entry.
 * `location` is the name used in messages (the archive the user gave).
 */
export async function indexTar(path: string, location: string, options: IndexTarOptions = {}): Promise<TarIndex> {
  const maxEntries = options.maxEntries ?? 1_000_000;
  const files = new Map<string, TarFileEntry>();
  const directories = new Set<string>();
  const links = new Map<string, string>();
  const collectLinks = options.symlinks === "collect";
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
      if (block.length === 0) {
        throw new LayoutError("TRUNCATED", location, `archive ends at byte ${position} without the end-of-archive marker (truncated?)`);
      }
      if (block.length < TAR_BLOCK) throw new LayoutError("TRUNCATED", location, `archive is truncated inside a header at offset ${position}`);
      const decoded = parseTarHeader(block);
      if (decoded.kind === "end") return { files, directories, links, end: position };
      if (decoded.kind === "invalid") throw new LayoutError("CORRUPT_ARCHIVE", location, `header at offset ${position}: ${decoded.reason}`);
      const header = decoded.header;
      const dataOffset = position + TAR_BLOCK;
      if (++count > maxEntries) throw new LayoutError("TOO_LARGE", location, `archive has more than ${maxEntries} entries`);

      switch (header.kind) {
        case "pax-header": {
          const records = parsePaxRecords(await readExtended(header, dataOffset));
          if (!records.ok) throw new LayoutError("CORRUPT_ARCHIVE", location, `pax header at offset ${position}: ${records.reason}`);
          pax = records.records;
          position = dataOffset + paddedSize(header.size);
          continue;
        }
        case "pax-global-header": {
          // Global records (comments, mtimes) carry nothing a layout needs; still bounded and well-formed.
          const records = parsePaxRecords(await readExtended(header, dataOffset));
          if (!records.ok) throw new LayoutError("CORRUPT_ARCHIVE", location, `pax global header at offset ${position}: ${records.reason}`);
          position = dataOffset + paddedSize(header.size);
          continue;
        }
        case "gnu-long-name":
        case "gnu-long-link": {
          const text = (await readExtended(header, dataOffset)).toString("utf8").replace(/\0+$/, "");
          if (header.kind === "gnu-long-name") longName = text;
          else longLink = text;
          position = dataOffset + paddedSize(header.size);
          continue;
        }
        default:
          break;
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
      const linkAllowed = collectLinks && header.kind === "symlink";
      if (header.kind !== "file" && header.kind !== "directory" && !linkAllowed) {
        const allowed = collectLinks ? "regular files, directories and links to files" : "regular files and directories";
        throw new LayoutError("UNSUPPORTED_ENTRY", location, `entry "${rawName}" is ${describeKind({ ...header, linkname })}; this archive may only hold ${allowed}`, {
          entry: rawName,
        });
      }
      if (header.kind === "directory") {
        if (files.has(name) || links.has(name)) throw new LayoutError("DUPLICATE_ENTRY", location, `entry "${rawName}" appears both as a file and as a directory`, { entry: rawName });
        if (name !== "") directories.add(name);
        // A directory's size field is meaningless; some writers still put data after it.
        position = dataOffset + paddedSize(size);
        continue;
      }
      if (name === "") throw new LayoutError("UNSAFE_ENTRY", location, `entry "${rawName}" is a file with an empty name`, { entry: rawName });
      if (files.has(name) || directories.has(name) || links.has(name)) {
        throw new LayoutError("DUPLICATE_ENTRY", location, `entry "${name}" appears more than once; refusing an archive whose content depends on which copy a reader takes`, {
          entry: name,
        });
      }
      if (linkAllowed) {
        links.set(name, resolveLinkTarget(name, linkname, location));
        position = dataOffset + paddedSize(size);
        continue;
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
}

/** Reads one entry of the tar at `path` into memory, refusing it when larger than `limit`; `what` names it in messages. */
export async function readTarEntry(path: string, entry: TarFileEntry, limit: number, location: string, what = ""): Promise<Buffer> {
  const label = what ? `${what} ${entry.name}` : entry.name;
  if (entry.size > limit) throw new LayoutError("TOO_LARGE", location, `${label} is ${entry.size} bytes, over the ${limit}-byte limit`, { entry: entry.name });
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(entry.size);
    let done = 0;
    while (done < entry.size) {
      const { bytesRead } = await handle.read(buffer, done, entry.size - done, entry.offset + done);
      if (bytesRead === 0) throw new LayoutError("TRUNCATED", location, `${entry.name} is cut short`, { entry: entry.name });
      done += bytesRead;
    }
    return buffer;
  } finally {
    await handle.close();
  }
}
