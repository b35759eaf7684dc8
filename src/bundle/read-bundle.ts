/**
 * A bundle on the far side of the gap: the only source `plan --from` and
 * `apply --from` read. Its lock says what it carries and its record of what
 * `bundle --since` left out (left-out.ts) tells a differential bundle from a
 * damaged one; every blob is verified against its digest as it is read, and
 * {@link verifyBundle} checks them all before apply writes anything.
 *
 * Every message here is read on the side without the internet: what to do
 * says where (copy the bundle again, or make it again on the connected side),
 * never a command that needs the upstream.
 */
import { createHash } from "node:crypto";
import type { Descriptor } from "../core/oci-types.js";
import { AirgapError } from "../core/errors.js";
import { blobEntryName, isManifestDescriptor, OciLayoutTar, type LayoutError, type VerifyProblem } from "../oci/layout/index.js";
import { LockFileError, parseLockFile, type AirgapLock } from "../lock/index.js";
import { BundleError } from "./errors.js";
import { LEFT_OUT_FILE, parseLeftOut } from "./left-out.js";

export { BundleError } from "./errors.js";

/** Largest lock or config file read out of a bundle. */
const SMALL_FILE_LIMIT = 64 * 1024 * 1024;

/** What to do about a damaged bundle, said for the far side. */
export const DAMAGED_FIX = "copy it across again (compare its sha256 with the one taken where it was written), or make it again on the connected side with `airgap bundle`";

/** An opened bundle. */
export interface OpenBundle {
  readonly path: string;
  readonly tar: OciLayoutTar;
  readonly lock: AirgapLock;
  /** The sanitised airgap.yaml it was made from. */
  readonly configText: string | undefined;
  /** sha256 of index.json and airgap.lock: what a plan made from this bundle records. */
  readonly sha256: string;
  /** Blobs `bundle --since` left out on purpose (empty: a full bundle); undefined for bundles that do not say. */
  readonly leftOut: ReadonlySet<string> | undefined;
  close(): Promise<void>;
}

/** Opens a bundle tar: structure checked, lock read. Blob contents are checked when read or by {@link verifyBundle}. */
export async function openBundle(path: string, options: { readonly signal?: AbortSignal; readonly tempDir?: string } = {}): Promise<OpenBundle> {
  let tar: OciLayoutTar;
  try {
    tar = await OciLayoutTar.open(path, { ...(options.signal ? { signal: options.signal } : {}), ...(options.tempDir ? { tempDir: options.tempDir } : {}) });
  } catch (error) {
    throw new BundleError(`${path} is not a usable bundle: ${(error as Error).message}; ${DAMAGED_FIX}`, { cause: error });
  }
  try {
    const lockBytes = await tar.readFile("airgap.lock", SMALL_FILE_LIMIT).catch((error: LayoutError) => {
      throw new BundleError(`${path} carries no airgap.lock (${error.message}); it was not written by \`airgap bundle\``);
    });
    const lock = readBundleLock(lockBytes.toString("utf8"), path);
    const configText = await tar
      .readFile("airgap.yaml", SMALL_FILE_LIMIT)
      .then((b) => b.toString("utf8"))
      .catch(() => undefined);
    const record = await tar.readFile(LEFT_OUT_FILE, SMALL_FILE_LIMIT).then(
      (b) => b.toString("utf8"),
      () => undefined,
    );
    const leftOut = record === undefined ? undefined : parseLeftOut(record, path);
    const index = await tar.readFile("index.json", SMALL_FILE_LIMIT);
    const sha256 = createHash("sha256").update(index).update(lockBytes).digest("hex");
    return { path, tar, lock, configText, sha256, leftOut, close: () => tar.close() };
  } catch (error) {
    await tar.close();
    throw error;
  }
}

/** The bundle's lock; its failures said for the far side (the lock file's own advice is for the connected side). */
function readBundleLock(text: string, path: string): AirgapLock {
  try {
    return parseLockFile(text, `${path}:airgap.lock`);
  } catch (error) {
    if (!(error instanceof LockFileError)) throw error;
    if (error.code === "LOCK_VERSION") {
      throw new BundleError(`${path} was written by a newer airgap than this one (its airgap.lock has a newer lockVersion): run that airgap version, or a newer one, on this side`, { cause: error });
    }
    throw new BundleError(`${path} is damaged: the airgap.lock it carries cannot be read; ${DAMAGED_FIX}`, { cause: error });
  }
}

/** What a bundle holds of one blob. */
export type BlobInBundle =
  | { readonly state: "held" }
  /** Absent because `bundle --since` left it out: the target must already have it. */
  | { readonly state: "left-out" }
  /** Absent and not left out: the bundle is damaged. */
  | { readonly state: "missing" }
  /** Absent, and the bundle does not say what it left out (written by an older airgap). */
  | { readonly state: "absent" }
  /** Present with another size than the blob has: cut short (or padded), so damaged. */
  | { readonly state: "wrong-size"; readonly size: number };

/** Where one blob stands in the bundle (an index lookup; nothing is read). */
export async function blobInBundle(bundle: Pick<OpenBundle, "tar" | "leftOut">, blob: { readonly digest: string; readonly size: number }): Promise<BlobInBundle> {
  const size = await bundle.tar.blobSize(blob.digest as Descriptor["digest"]);
  if (size === blob.size) return { state: "held" };
  if (size !== undefined) return { state: "wrong-size", size };
  if (bundle.leftOut === undefined) return { state: "absent" };
  return bundle.leftOut.has(blob.digest) ? { state: "left-out" } : { state: "missing" };
}

/** One sentence about a blob the bundle does not hold as it should, for a damaged-bundle report. */
export function describeDamage(blob: { readonly digest: string; readonly size: number }, found: BlobInBundle): string {
  const entry = blobEntryName(blob.digest as Descriptor["digest"]);
  if (found.state !== "wrong-size") return `${entry} (${blob.size} bytes) is missing from the bundle`;
  return `${entry} is ${found.size} bytes in the bundle, but ${blob.size} are expected${found.size < blob.size ? " (cut short)" : ""}`;
}

/** Everything reachable from a bundle's index.json, as far as the bundle holds it. */
export interface BundleGraph {
  /** Every descriptor reachable from the index, held or left out on purpose, children first. */
  readonly descriptors: readonly Descriptor[];
  /** Blobs absent from a bundle that does not say what it left out. */
  readonly absent: readonly Descriptor[];
  /** Blobs missing (not left out) or with the wrong size: damage, named by entry. */
  readonly problems: readonly VerifyProblem[];
}

/**
 * Walks the bundle's graph from index.json without stopping at what a
 * differential bundle left out, so that every missing or cut-short blob is
 * found, not only the first. A missing manifest is always damage: manifests
 * are never left out.
 */
export async function walkBundle(bundle: Pick<OpenBundle, "tar" | "leftOut" | "path">, options: { readonly signal?: AbortSignal } = {}): Promise<BundleGraph> {
  const seen = new Set<string>();
  const descriptors: Descriptor[] = [];
  const absent: Descriptor[] = [];
  const problems: VerifyProblem[] = [];
  const visit = async (descriptor: Descriptor, parent: string): Promise<void> => {
    if (seen.has(descriptor.digest)) return;
    seen.add(descriptor.digest);
    options.signal?.throwIfAborted();
    const entry = blobEntryName(descriptor.digest);
    const manifest = isManifestDescriptor(descriptor);
    const found = await blobInBundle(bundle, descriptor);
    switch (found.state) {
      case "left-out":
        if (!manifest) descriptors.push(descriptor);
        else problems.push({ entry, code: "BLOB_NOT_FOUND", message: `${describeDamage(descriptor, { state: "missing" })} (referenced by ${parent})` });
        return;
      case "absent":
        // Non-distributable layers with URLs are legitimately not stored.
        if (!manifest && descriptor.urls !== undefined && descriptor.urls.length > 0) return;
        if (manifest) problems.push({ entry, code: "BLOB_NOT_FOUND", message: `${describeDamage(descriptor, { state: "missing" })} (referenced by ${parent})` });
        else absent.push(descriptor);
        return;
      case "missing":
        if (!manifest && descriptor.urls !== undefined && descriptor.urls.length > 0) return;
        problems.push({ entry, code: "BLOB_NOT_FOUND", message: `${describeDamage(descriptor, found)} (referenced by ${parent})` });
        return;
      case "wrong-size":
        problems.push({ entry, code: "CONTENT_MISMATCH", message: `${describeDamage(descriptor, found)} (referenced by ${parent})` });
        return;
      case "held":
        break;
    }
    if (manifest) {
      let children: readonly Descriptor[];
      try {
        children = (await bundle.tar.readManifest(descriptor, options.signal ? { signal: options.signal } : {})).children;
      } catch (error) {
        if (!(error instanceof AirgapError)) throw error;
        problems.push({ entry, code: error.code, message: error.message });
        return;
      }
      for (const child of children) await visit(child, entry);
    }
    descriptors.push(descriptor);
  };
  for (const root of await bundle.tar.entries()) await visit(root, "index.json");
  return { descriptors, absent, problems };
}

/**
 * Hashes every blob of the bundle and walks its graph; throws BundleError
 * naming each broken, missing or cut-short blob. Blobs a differential bundle
 * left out are not damage: plan has already checked that the target holds
 * each one a change needs. (A bundle that does not say what it left out is
 * given the benefit of the doubt for absent blobs, as before.)
 */
export async function verifyBundle(bundle: OpenBundle, options: { readonly onProgress?: (bytes: number) => void; readonly signal?: AbortSignal } = {}): Promise<void> {
  const hashed = await bundle.tar.verifyAll({ ...(options.onProgress ? { onProgress: options.onProgress } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  // verifyAll's own walk stops at the first absent blob; walkBundle reports every one.
  const broken = hashed.problems.filter((p) => p.code !== "BLOB_NOT_FOUND");
  for (const p of (await walkBundle(bundle, options.signal ? { signal: options.signal } : {})).problems) if (!broken.some((b) => b.entry === p.entry)) broken.push(p);
  if (broken.length === 0) return;
  const lines = broken.map((p) => `  ${p.entry}: ${p.message}`).join("\n");
  throw new BundleError(`${bundle.path} is damaged: ${broken.length} broken entr${broken.length === 1 ? "y" : "ies"}; nothing was written to any target; ${DAMAGED_FIX}:\n${lines}`);
}
