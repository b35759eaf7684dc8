import { readdirSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A temporary directory that belongs to one harness object and is removed by it. */
export interface TempDir {
  /** Absolute path of the directory. */
  readonly path: string;
  /** Removes the directory and everything below it; safe to call more than once. */
  remove(): Promise<void>;
}

const liveDirs = new Set<string>();
let initialised = false;

const PREFIX = "airgap-harness-";
/** Our directories are named `airgap-harness-<label>-<owner pid>-XXXXXX`. */
const OWNED = /^airgap-harness-[a-z0-9]+-(\d+)-[A-Za-z0-9]{6}$/;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes harness temp dirs left behind by test processes that no longer exist (vitest kills its
 * fork workers without running exit handlers, so a forgotten `stop()` would otherwise leak).
 */
function sweepStaleDirs(): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of entries) {
    const pid = Number(OWNED.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || isAlive(pid)) continue;
    try {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    } catch {
      // Someone else's problem (or another sweeper got there first).
    }
  }
}

function initialise(): void {
  if (initialised) return;
  initialised = true;
  sweepStaleDirs();
  process.on("exit", () => {
    for (const dir of liveDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // Nothing sensible to do while the process exits.
      }
    }
  });
}

/**
 * Creates a fresh directory under the OS temp dir (`fs.mkdtemp`), named
 * `airgap-harness-<label>-<pid>-XXXXXX` (label: lowercase letters and digits).
 *
 * Why: servers started by the harness keep their config, storage, keys and logs in their own
 * directory so that tests never share state and never touch system paths. Directories are removed
 * by `remove()`, at process exit, and — for processes that were killed — by the next harness
 * process, which sweeps directories whose owner pid is gone.
 */
export async function makeTempDir(label = "tmp"): Promise<TempDir> {
  if (!/^[a-z0-9]+$/.test(label)) throw new Error(`temp dir label must be [a-z0-9]+: ${label}`);
  initialise();
  const path = await mkdtemp(join(tmpdir(), `${PREFIX}${label}-${process.pid}-`));
  liveDirs.add(path);
  return {
    path,
    async remove(): Promise<void> {
      liveDirs.delete(path);
      await rm(path, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
