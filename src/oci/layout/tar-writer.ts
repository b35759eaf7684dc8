/**
 * Writing an OCI image layout as one tar (a bundle, or anything skopeo's
 * `oci-archive:` and containerd's `ctr images import` read), streaming every
 * blob from its source through digest verification, so memory does not grow
 * with blob size and nothing unverified ends up in the archive.
 *
 * Deterministic: the same inputs give a byte-identical tar. Every header has
 * mtime 0, uid/gid 0, empty uname/gname, mode 0644 (files) or 0755
 * (directories); entries come in this order:
 *   `oci-layout`, `index.json`, extra files sorted by name (each preceded by its
 *   not-yet-written parent directories), `blobs/`, then per algorithm
 *   `blobs/<alg>/` followed by its blobs, all in digest (string) order.
 * index.json goes first so that a streaming reader knows the images before
 * the blobs arrive.
 */
import { stat } from "node:fs/promises";
import { basename, dirname, resolve as resolvePath } from "node:path";
import { addAbortSignal, pipeline, Readable } from "node:stream";
import { pack as tarPack, type Pack } from "tar-stream";
import { digestAlgorithm, parseDigest } from "../../core/digest.js";
import type { Descriptor, ImageIndex } from "../../core/oci-types.js";
import { MediaType } from "../../core/media-types.js";
import type { CallOptions } from "../content.js";
import { VerifyingStream } from "../verify.js";
import { streamToFileAtomic, tempPathIn } from "../../fs/atomic-file.js";
import { LayoutError } from "./errors.js";
import { blobEntryName, BLOBS_DIR, INDEX_FILE, OCI_LAYOUT_CONTENT, OCI_LAYOUT_FILE } from "./layout-files.js";
import { decodeIndexJson } from "./layout-json.js";
import type { LayoutStore } from "./store.js";
import { normalizeEntryName } from "./tar-index.js";
import { walkLayout } from "./walk.js";

/** Opens the content of a blob; the writer verifies it, so the source need not. */
export type BlobOpener = (descriptor: Descriptor, options: CallOptions) => Promise<Readable> | Readable;

/** A small file that rides along in the archive (airgap's config and lock in a bundle). */
export interface ExtraFile {
  /** Relative `/`-separated path; not `oci-layout`, `index.json` or under `blobs/`. */
  readonly name: string;
  readonly content: Uint8Array | string;
}

/** Everything a layout tar is made of. */
export interface LayoutTarInput {
  /** The index.json: an object (serialised with JSON.stringify) or exact bytes. */
  readonly index: ImageIndex | Uint8Array;
  /** Every blob and manifest to include (duplicates are merged); each index.json entry must be among them. */
  readonly blobs: readonly Descriptor[];
  /** Where blob bytes come from. */
  readonly open: BlobOpener;
  readonly files?: readonly ExtraFile[];
}

/** Options for writing. */
export interface LayoutTarOptions extends CallOptions {
  /** Called as blob bytes pass, with the running count and the total blob bytes. */
  readonly onProgress?: (bytes: number, total: number) => void;
}

/** What `writeLayoutTar` produced. */
export interface WriteLayoutTarResult {
  readonly path: string;
  /** Size of the tar file in bytes. */
  readonly size: number;
  /** Number of blobs (manifests included) written. */
  readonly blobs: number;
  /** Their total size. */
  readonly blobBytes: number;
}

const FILE_MODE = 0o644;
const DIR_MODE = 0o755;
const EPOCH = new Date(0);
/** Blobs opened ahead of the one being written (see produce). */
const OPEN_AHEAD = 4;

interface TarPlan {
  readonly indexBytes: Uint8Array;
  readonly blobs: readonly Descriptor[];
  readonly files: readonly { readonly name: string; readonly content: Uint8Array | string }[];
  readonly blobBytes: number;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Checks the input and puts it in archive order; throws before a single byte is written. */
function planTar(input: LayoutTarInput, location: string): TarPlan {
  const indexBytes = input.index instanceof Uint8Array ? input.index : Buffer.from(JSON.stringify(input.index), "utf8");
  const { index } = decodeIndexJson(indexBytes, location);
  const byDigest = new Map<string, Descriptor>();
  for (const blob of input.blobs) {
    const parsed = parseDigest(blob.digest);
    if (!parsed.ok) throw new LayoutError("INVALID_REFERENCE", location, parsed.reason);
    const seen = byDigest.get(blob.digest);
    if (seen !== undefined && seen.size !== blob.size) {
      throw new LayoutError("INCOMPLETE", location, `blob ${blob.digest} is listed with two sizes (${seen.size} and ${blob.size})`);
    }
    byDigest.set(blob.digest, blob);
  }
  for (const entry of index.manifests) {
    if (!byDigest.has(entry.digest)) {
      throw new LayoutError("INCOMPLETE", location, `index.json names ${entry.digest} but it is not among the blobs to write`, { entry: blobEntryName(entry.digest) });
    }
  }
  const blobs = [...byDigest.values()].sort((a, b) => compareStrings(a.digest, b.digest));
  const names = new Set<string>();
  const files = (input.files ?? []).map((file) => {
    const name = normalizeEntryName(file.name, location);
    if (name === "" || name === OCI_LAYOUT_FILE || name === INDEX_FILE || name === BLOBS_DIR || name.startsWith(`${BLOBS_DIR}/`)) {
      throw new LayoutError("INVALID_ENTRY", location, `extra file "${file.name}" would clash with the layout itself`, { entry: file.name });
    }
    if (names.has(name)) throw new LayoutError("DUPLICATE_ENTRY", location, `extra file "${name}" is given twice`, { entry: name });
    names.add(name);
    return { name, content: file.content };
  });
  files.sort((a, b) => compareStrings(a.name, b.name));
  for (const file of files) {
    const parts = file.name.split("/");
    for (let i = 1; i < parts.length; i++) {
      if (names.has(parts.slice(0, i).join("/"))) throw new LayoutError("DUPLICATE_ENTRY", location, `extra file "${file.name}" is below another extra file`, { entry: file.name });
    }
  }
  return { indexBytes, blobs, files, blobBytes: blobs.reduce((sum, b) => sum + b.size, 0) };
}

function header(name: string, type: "file" | "directory", size: number): Parameters<Pack["entry"]>[0] {
  return { name, type, size, mode: type === "directory" ? DIR_MODE : FILE_MODE, mtime: EPOCH, uid: 0, gid: 0, uname: "", gname: "" };
}

function addSmall(pack: Pack, name: string, content: Uint8Array | string): Promise<void> {
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  return new Promise((resolve, reject) => {
    pack.entry(header(name, "file", bytes.byteLength), bytes, (error) => (error ? reject(error) : resolve()));
  });
}

function addDirectory(pack: Pack, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header(`${name}/`, "directory", 0), (error) => (error ? reject(error) : resolve()));
  });
}

/** Pipes `source` into a new tar entry, settling when the entry is complete or anything fails. */
function addStream(pack: Pack, name: string, size: number, source: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      source.destroy();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const sink = pack.entry(header(name, "file", size), (error) => {
      if (error) fail(error);
      else if (!settled) {
        settled = true;
        resolve();
      }
    });
    source.once("error", fail);
    sink.once("error", fail);
    source.pipe(sink as unknown as NodeJS.WritableStream);
  });
}

async function produce(pack: Pack, input: LayoutTarInput, plan: TarPlan, options: LayoutTarOptions): Promise<void> {
  await addSmall(pack, OCI_LAYOUT_FILE, OCI_LAYOUT_CONTENT);
  await addSmall(pack, INDEX_FILE, plan.indexBytes);
  const directories = new Set<string>();
  for (const file of plan.files) {
    const parts = file.name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const directory = parts.slice(0, i).join("/");
      if (!directories.has(directory)) {
        directories.add(directory);
        await addDirectory(pack, directory);
      }
    }
    await addSmall(pack, file.name, file.content);
  }
  await addDirectory(pack, BLOBS_DIR);
  let written = 0;
  const openOptions = options.signal !== undefined ? { signal: options.signal } : {};
  // The next blobs are opened while one streams into the tar, so a registry source's round trip per
  // blob overlaps the transfer. A stream opened ahead is only read when its turn comes (its own buffer
  // bounds the memory); the ones never reached are destroyed.
  const opened: (Promise<Readable> | undefined)[] = [];
  const openAhead = (from: number): void => {
    for (let j = from; j < Math.min(plan.blobs.length, from + 1 + OPEN_AHEAD); j++) {
      if (opened[j] !== undefined) continue;
      const blob = plan.blobs[j]!;
      const pending = Promise.resolve().then(() => input.open(blob, openOptions));
      pending.catch(() => undefined);
      opened[j] = pending;
    }
  };
  try {
    for (const [i, blob] of plan.blobs.entries()) {
      options.signal?.throwIfAborted();
      openAhead(i);
      const next = opened[i]!;
      opened[i] = undefined;
      const algorithmDir = `${BLOBS_DIR}/${digestAlgorithm(blob.digest)}`;
      if (!directories.has(algorithmDir)) {
        directories.add(algorithmDir);
        await addDirectory(pack, algorithmDir).catch((error: unknown) => {
          void next.then((stream) => stream.destroy(), () => undefined);
          throw error;
        });
      }
      const source = await next;
      const name = blobEntryName(blob.digest);
      const base = written;
      const verifier = new VerifyingStream({ digest: blob.digest, size: blob.size, name }, options.onProgress ? (bytes) => options.onProgress?.(base + bytes, plan.blobBytes) : undefined);
      // pipeline, not pipe: a verification failure must also destroy (close) the source.
      await addStream(pack, name, blob.size, pipeline(source, verifier, () => undefined));
      written += blob.size;
    }
  } finally {
    for (const pending of opened) if (pending !== undefined) void pending.then((stream) => stream.destroy(), () => undefined);
  }
}

/**
 * The layout as a tar byte stream. The input is checked first (this throws
 * LayoutError INCOMPLETE, INVALID_ENTRY, … synchronously); a blob that fails
 * verification or cannot be opened makes the stream fail.
 */
export function createLayoutTarStream(input: LayoutTarInput, options: LayoutTarOptions = {}, location = "layout tar"): Readable {
  const plan = planTar(input, location);
  const pack = tarPack();
  produce(pack, input, plan, options).then(
    () => pack.finalize(),
    (error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  const stream = Readable.from(pack as AsyncIterable<Buffer>, { objectMode: false });
  stream.once("close", () => {
    if (!pack.destroyed) pack.destroy();
  });
  return options.signal !== undefined ? addAbortSignal(options.signal, stream) : stream;
}

/**
 * Writes the layout tar to `destination` through a temp file in the same
 * directory, fsynced and renamed at the end: `destination` is either absent,
 * the previous file, or the complete new archive, never a partial one.
 */
export async function writeLayoutTar(destination: string, input: LayoutTarInput, options: LayoutTarOptions = {}): Promise<WriteLayoutTarResult> {
  const path = resolvePath(destination);
  const plan = planTar(input, path);
  const stream = createLayoutTarStream(input, options, path);
  await streamToFileAtomic(stream, [], tempPathIn(dirname(path), basename(path)), path, options.signal !== undefined ? { signal: options.signal } : {});
  return { path, size: (await stat(path)).size, blobs: plan.blobs.length, blobBytes: plan.blobBytes };
}

/** Options for `layoutTarInput`. */
export interface LayoutTarInputOptions extends CallOptions {
  /** Only these index.json entries (default: all of them). */
  readonly roots?: readonly Descriptor[];
  readonly files?: readonly ExtraFile[];
}

/**
 * The tar input that copies a layout store (a directory, or another archive):
 * its index.json (or just `roots`) and every blob reachable from it. Foreign
 * layers that are not stored are left out, as every tool does.
 */
export async function layoutTarInput(store: LayoutStore, options: LayoutTarInputOptions = {}): Promise<LayoutTarInput> {
  const index: ImageIndex = options.roots !== undefined ? { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: options.roots } : await store.readIndex(options);
  const { descriptors } = await walkLayout(store, index.manifests, options);
  return {
    index,
    blobs: descriptors,
    open: (descriptor, callOptions) => store.openBlob(descriptor, { ...callOptions, verify: false }),
    ...(options.files !== undefined ? { files: options.files } : {}),
  };
}
