/**
 * A bundle on the far side of the gap: the only source `plan --from` and
 * `apply --from` read. Its lock says what it carries; every blob is verified
 * against its digest as it is read, and `verify()` checks them all before
 * apply writes anything.
 */
import { createHash } from "node:crypto";
import { AirgapError } from "../core/errors.js";
import { OciLayoutTar, type LayoutError } from "../oci/layout/index.js";
import { parseLockFile, type AirgapLock } from "../lock/index.js";

/** Largest lock or config file read out of a bundle. */
const SMALL_FILE_LIMIT = 64 * 1024 * 1024;

/** The bundle is unusable: not one of ours, corrupt, truncated, or missing what it should carry. */
export class BundleError extends AirgapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("BUNDLE_INVALID", message, options);
  }
}

/** An opened bundle. */
export interface OpenBundle {
  readonly path: string;
  readonly tar: OciLayoutTar;
  readonly lock: AirgapLock;
  /** The sanitised airgap.yaml it was made from. */
  readonly configText: string | undefined;
  /** sha256 of index.json and airgap.lock: what a plan made from this bundle records. */
  readonly sha256: string;
  close(): Promise<void>;
}

/** Opens a bundle tar: structure checked, lock read. Blob contents are checked when read or by {@link verifyBundle}. */
export async function openBundle(path: string, options: { readonly signal?: AbortSignal; readonly tempDir?: string } = {}): Promise<OpenBundle> {
  let tar: OciLayoutTar;
  try {
    tar = await OciLayoutTar.open(path, { ...(options.signal ? { signal: options.signal } : {}), ...(options.tempDir ? { tempDir: options.tempDir } : {}) });
  } catch (error) {
    throw new BundleError(`${path} is not a usable bundle: ${(error as Error).message}`, { cause: error });
  }
  try {
    const lockBytes = await tar.readFile("airgap.lock", SMALL_FILE_LIMIT).catch((error: LayoutError) => {
      throw new BundleError(`${path} carries no airgap.lock (${error.message}); it was not written by \`airgap bundle\``);
    });
    const lock = parseLockFile(lockBytes.toString("utf8"), `${path}:airgap.lock`);
    const configText = await tar
      .readFile("airgap.yaml", SMALL_FILE_LIMIT)
      .then((b) => b.toString("utf8"))
      .catch(() => undefined);
    const index = await tar.readFile("index.json", SMALL_FILE_LIMIT);
    const sha256 = createHash("sha256").update(index).update(lockBytes).digest("hex");
    return { path, tar, lock, configText, sha256, close: () => tar.close() };
  } catch (error) {
    await tar.close();
    throw error;
  }
}

/**
 * Hashes every blob of the bundle; throws BundleError naming each broken
 * one. Blobs a differential bundle left out are not broken: plan has already
 * checked that the target holds each one a change needs.
 */
export async function verifyBundle(bundle: OpenBundle, options: { readonly onProgress?: (bytes: number) => void } = {}): Promise<void> {
  const result = await bundle.tar.verifyAll(options.onProgress ? { onProgress: options.onProgress } : {});
  const broken = result.problems.filter((p) => p.code !== "BLOB_NOT_FOUND");
  if (broken.length === 0) return;
  const lines = broken.map((p) => `  ${p.entry}: ${p.message}`).join("\n");
  throw new BundleError(`${bundle.path} is corrupt: ${broken.length} broken entr${broken.length === 1 ? "y" : "ies"}; nothing was written to any target:\n${lines}`);
}
