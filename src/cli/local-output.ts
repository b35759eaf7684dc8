/**
 * Files the CLI writes on the user's disk (`bundle -o`, `plan -out`): a path
 * that cannot be written is said against that path, with what to do, before
 * any work starts, and a disk that fills or turns read-only midway is said
 * against the same path, never as an internal error or a source's failure.
 */
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { UsageError } from "../core/errors.js";

/** Why a local write failed, in words, for the error codes a disk or a path produces. */
const WHY: Readonly<Record<string, string>> = {
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is exhausted",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOENT: "the directory does not exist",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "it is a directory",
};

/**
 * Refuses an output path that cannot be written, before anything is done:
 * its directory must exist and be writable, and the path must not be a
 * directory. `flag` names the option, for the message (`-o`).
 */
export async function checkOutputPath(path: string, flag: string): Promise<void> {
  const dir = dirname(path);
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) {
    const why = info.code === "ENOENT" ? "does not exist; create it first or choose another path" : (WHY[info.code ?? ""] ?? info.message);
    throw new UsageError(`${flag} ${path}: directory ${dir} ${why}`);
  }
  if (!info.isDirectory()) throw new UsageError(`${flag} ${path}: ${dir} is not a directory`);
  const target = await stat(path).catch(() => undefined);
  if (target?.isDirectory()) throw new UsageError(`${flag} ${path}: it is a directory; give a file name (${path.replace(/\/$/, "")}/bundle.tar)`);
  try {
    await access(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    throw new UsageError(`${flag} ${path}: cannot write in ${dir}: ${WHY[code] ?? (error as Error).message}`);
  }
}

/**
 * A failed local write as a usage error against `path`, or the error
 * unchanged when it is not a file-system error (a source's or registry's
 * failure keeps its own message).
 */
export function localWriteError(error: unknown, path: string, what: string): unknown {
  if (!(error instanceof Error)) return error;
  const { code, syscall, path: at } = error as NodeJS.ErrnoException;
  const why = code !== undefined ? WHY[code] : undefined;
  if (why === undefined || syscall === undefined) return error;
  // A full or read-only disk comes only from writing; other codes count when they name the output's directory (a source's missing file keeps its own message).
  const writing = code === "ENOSPC" || code === "EDQUOT" || code === "EROFS" || (at !== undefined && dirname(at) === dirname(path));
  if (!writing) return error;
  const free = code === "ENOSPC" || code === "EDQUOT" ? "; free space there or choose another path" : "";
  return new UsageError(`cannot write ${what} ${path}: ${why}${free}`);
}

/** The nearest ancestor of `path` that exists (the root at worst). */
async function nearestExisting(path: string): Promise<string> {
  let current = path;
  while (!(await stat(current).then(() => true, () => false))) {
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

/**
 * A file-system failure on a local path that no command turned into a
 * message of its own (a target directory on a read-only or full disk), said
 * against that path with the reason the disk gives, instead of as an internal
 * error. A read-only file system makes `mkdir -p` fail with ENOENT, so the
 * nearest existing directory is asked whether it can be written. Undefined
 * for anything that is not a file-system error with a path.
 */
export async function localFailure(error: unknown): Promise<UsageError | undefined> {
  if (!(error instanceof Error)) return undefined;
  const { code, syscall, path } = error as NodeJS.ErrnoException;
  if (code === undefined || syscall === undefined || path === undefined || WHY[code] === undefined) return undefined;
  let why = WHY[code]!;
  if (code === "ENOENT" || code === "EACCES" || code === "EPERM") {
    const existing = await nearestExisting(dirname(path));
    const writable = await access(existing, constants.W_OK).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e.code,
    );
    if (writable !== undefined && WHY[writable] !== undefined) why = `${WHY[writable]} (${existing})`;
  }
  const free = code === "ENOSPC" || code === "EDQUOT" ? "; free space there or choose another path" : "";
  return new UsageError(`cannot write ${path}: ${why}${free}`);
}
