/**
 * Applies planned output file changes: each file is replaced atomically
 * (temp file in the same directory, fsync, rename), only if it is still what
 * the plan saw, so a reader never sees half a file and apply never
 * overwrites an edit nobody reviewed.
 */
import { mkdir, readFile, rm } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fsyncDirectory, writeFileAtomic } from "../fs/atomic-file.js";
import { ClusterOutputError } from "./errors.js";
import { contentDigest, type OutputFileChange } from "./file-changes.js";

async function digestOnDisk(absolute: string): Promise<string | undefined> {
  try {
    return contentDigest(await readFile(absolute, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** What one applied change did: the action, or that it was already done. */
export type OutputWriteResult = "written" | "deleted" | "unchanged";

/**
 * Applies one change under `baseDir` (the directory of airgap.yaml).
 * Throws ClusterOutputError `OUTPUT_CHANGED` when the file moved since the
 * plan (its digest is not `change.before`), `OUTPUT_WRITE` when writing fails.
 */
export async function writeOutputChange(baseDir: string, change: OutputFileChange): Promise<OutputWriteResult> {
  const absolute = resolve(baseDir, change.path);
  if (change.action === "no-op") return "unchanged";
  const now = await digestOnDisk(absolute).catch((error: unknown) => {
    throw new ClusterOutputError("OUTPUT_WRITE", change.path, `cannot read ${change.path}: ${(error as Error).message}`, { cause: error });
  });
  if (now !== change.before) {
    // A rerun after a crash between rename and the end of apply finds its own content: nothing to do.
    if (now !== undefined && now === change.after) return "unchanged";
    if (now === undefined && change.action === "delete") return "unchanged";
    const was = change.before === undefined ? "absent" : "a different file";
    throw new ClusterOutputError("OUTPUT_CHANGED", change.path, `${change.path} changed since the plan (it was ${was} then); run \`airgap plan\` again`);
  }
  try {
    if (change.action === "delete") {
      await rm(absolute);
      await fsyncDirectory(dirname(absolute));
      return "deleted";
    }
    if (change.content === undefined) throw new Error("the planned change carries no content");
    await mkdir(dirname(absolute), { recursive: true });
    await writeFileAtomic(absolute, change.content);
    return "written";
  } catch (error) {
    throw new ClusterOutputError("OUTPUT_WRITE", change.path, `cannot write ${change.path}: ${(error as Error).message}`, { cause: error });
  }
}
