/**
 * One writer per layout directory, across processes. index.json is read,
 * changed and replaced as a whole, so two processes tagging into one layout
 * at the same time each replace the other's copy and entries are lost; the
 * in-process lock (lock.ts) cannot see another process. An apply therefore
 * holds this lock from before its first write until it ends.
 *
 * The lock is a file, {@link WRITER_LOCK_FILE}, at the layout root, created
 * atomically by hard-linking a complete temp file to its name (link fails
 * when the name exists, and a reader never sees a half-written lock). It
 * holds the holder's pid, hostname and start time as JSON. A lock whose
 * process is gone (same host, pid not running, or the pid now belongs to a
 * process that started later, or the machine rebooted) is stale and is taken
 * over; a lock from another host is never judged, only waited for. Waiting
 * polls for a bounded time, then refuses with an error naming the holder
 * and the lock file.
 *
 * The lock is per process and re-entrant: a second acquisition by the same
 * process (two registries of one config naming the same directory) shares
 * it; writers inside one process are serialised by lock.ts.
 *
 * Whoever takes the lock first removes the temp files (`.tmp-*`) that a
 * killed writer left in the layout: only then can no other writer be
 * streaming into them.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join, resolve as resolvePath } from "node:path";
import { TEMP_PREFIX } from "../../fs/atomic-file.js";
import { LayoutError } from "./errors.js";
import { BLOBS_DIR } from "./layout-files.js";

/**
 * The lock file at the layout root. Hidden, and none of the layout's own
 * names (`oci-layout`, `index.json`, `blobs/`), so skopeo and containerd
 * ignore it; not `airgap.lock`, which is the config's lock of digests.
 */
export const WRITER_LOCK_FILE = ".airgap-writer.lock";

/** How long a writer waits for another one by default before refusing. */
export const DEFAULT_WRITER_LOCK_WAIT_MS = 60_000;

const POLL_MS = 250;

/** What the lock file says about its holder. */
export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  /** When the lock was taken (ISO 8601). */
  readonly since: string;
  /** The holder's start in clock ticks after boot (`/proc/PID/stat` field 22), where /proc exists: tells a reused pid from the holder. */
  readonly processStart?: string;
  /** The kernel's boot id where /proc exists: a pid from before a reboot is not the holder. */
  readonly bootId?: string;
  /** Random per acquisition: release removes only its own lock. */
  readonly token: string;
}

/** Time for the wait loop, injected by tests. */
export interface LockClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Options of {@link acquireWriterLock}. */
export interface WriterLockOptions {
  /** How long to wait for another writer before refusing, in ms (default {@link DEFAULT_WRITER_LOCK_WAIT_MS}; 0 refuses at once). */
  readonly waitMs?: number;
  /** Stops the wait. */
  readonly signal?: AbortSignal;
  /** Told what the user should know: waiting for a holder, taking over a stale lock, removing temp files of a killed writer. */
  readonly notify?: (message: string) => void;
  readonly clock?: LockClock;
}

/** A held lock. */
export interface WriterLock {
  /** The lock file. */
  readonly path: string;
  /** Temp files of an earlier, killed writer that were removed when the lock was taken (paths relative to the layout). */
  readonly removedTemps: readonly string[];
  /** Releases the lock (the file goes when the last holder in this process releases); safe to call twice. */
  release(): Promise<void>;
}

const systemClock: LockClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** Locks this process holds: lock file path → token and holder count. */
const held = new Map<string, { token: string; count: number }>();
let exitHookInstalled = false;

/**
 * On `process.exit` (a second Ctrl-C) no finally block runs: remove our lock
 * files synchronously so the next writer does not have to judge them stale.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const [path, { token }] of held) {
      try {
        if (parseHolder(readFileSync(path, "utf8"))?.token === token) unlinkSync(path);
      } catch {
        // Already gone, or unreadable: nothing of ours to remove.
      }
    }
  });
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null ? ((error as { code?: unknown }).code as string | undefined) : undefined;
}

/** The `/proc/PID/stat` start time of a process, or undefined where /proc does not tell. */
async function processStart(pid: number): Promise<string | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may itself contain spaces or ')'.
    return text.slice(text.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

async function bootId(): Promise<string | undefined> {
  try {
    return (await readFile("/proc/sys/kernel/random/boot_id", "utf8")).trim() || undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return errorCode(error) === "EPERM";
  }
}

/** The holder a lock file describes, or undefined when it is not one of ours. */
export function parseHolder(text: string): LockHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v["pid"] !== "number" || !Number.isSafeInteger(v["pid"]) || v["pid"] <= 0) return undefined;
  if (typeof v["hostname"] !== "string" || typeof v["since"] !== "string" || typeof v["token"] !== "string") return undefined;
  return {
    pid: v["pid"],
    hostname: v["hostname"],
    since: v["since"],
    token: v["token"],
    ...(typeof v["processStart"] === "string" ? { processStart: v["processStart"] } : {}),
    ...(typeof v["bootId"] === "string" ? { bootId: v["bootId"] } : {}),
  };
}

/** Why a lock's holder is gone, or undefined while it may still be writing (or cannot be checked: another host). */
export async function whyStale(holder: LockHolder): Promise<string | undefined> {
  if (holder.hostname !== hostname()) return undefined;
  // This process never waits for itself (it shares its own lock): the file is from an earlier process with this pid.
  if (holder.pid === process.pid) return "the pid is now this process's";
  const boot = await bootId();
  if (holder.bootId !== undefined && boot !== undefined && holder.bootId !== boot) return "the machine has restarted since";
  if (!isRunning(holder.pid)) return "it is not running";
  if (holder.processStart !== undefined) {
    const now = await processStart(holder.pid);
    if (now !== undefined && now !== holder.processStart) return "the pid now belongs to another process";
  }
  return undefined;
}

function describeHolder(holder: LockHolder | undefined): string {
  return holder ? `pid ${holder.pid} on ${holder.hostname} since ${holder.since}` : "an unknown writer (the lock file is not airgap's JSON)";
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** Creates the lock file with `body`, atomically: true when created, false when it exists. */
async function tryCreate(directory: string, path: string, body: string): Promise<boolean> {
  const temp = join(directory, `${TEMP_PREFIX}${WRITER_LOCK_FILE}-${randomBytes(8).toString("hex")}`);
  await writeFile(temp, body, { flag: "wx", mode: 0o644 });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    const code = errorCode(error);
    // ENOENT: the holder swept our temp file away (it removes every `.tmp-*` when it takes the lock); try again.
    if (code === "EEXIST" || code === "ENOENT") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS" && code !== "EOPNOTSUPP") throw error;
    // A file system without hard links: exclusive create (a reader may briefly see it empty, which reads as "unknown writer").
    try {
      await writeFile(path, body, { flag: "wx", mode: 0o644 });
      return true;
    } catch (inner) {
      if (errorCode(inner) === "EEXIST") return false;
      throw inner;
    }
  } finally {
    await rm(temp, { force: true });
  }
}

/** The lock file as it is now: its inode and holder; undefined when there is none. */
async function readLock(path: string): Promise<{ readonly ino: bigint; readonly holder: LockHolder | undefined } | undefined> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
  try {
    const info = await handle.stat({ bigint: true });
    return { ino: info.ino, holder: parseHolder(await handle.readFile("utf8")) };
  } finally {
    await handle.close();
  }
}

/**
 * Removes a stale lock, exactly the one judged (inode `ino`): it is renamed
 * aside first, and if another writer replaced it meanwhile, theirs is put
 * back. True when the stale lock is gone.
 */
async function removeStale(directory: string, path: string, ino: bigint): Promise<boolean> {
  const aside = join(directory, `${TEMP_PREFIX}${WRITER_LOCK_FILE}-stale-${randomBytes(8).toString("hex")}`);
  try {
    await rename(path, aside);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return true;
    throw error;
  }
  if ((await stat(aside, { bigint: true })).ino !== ino) {
    await link(aside, path).catch(() => undefined);
    await rm(aside, { force: true });
    return false;
  }
  await rm(aside, { force: true });
  return true;
}

/**
 * Removes airgap's temp files (`.tmp-*`) from the layout root and from
 * `blobs/<alg>/`: streams and index rewrites of a writer that was killed.
 * Other tools' files (skopeo's `oci-put-blob*`) are not touched.
 */
async function removeTemps(directory: string): Promise<string[]> {
  const removed: string[] = [];
  const sweep = async (relative: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(directory, relative), { withFileTypes: true });
    } catch (error) {
      if (errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR") return;
      throw error;
    }
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.startsWith(TEMP_PREFIX)) continue;
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      await rm(join(directory, name), { force: true });
      removed.push(name);
    }
  };
  await sweep("");
  let algorithms;
  try {
    algorithms = await readdir(join(directory, BLOBS_DIR), { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR") return removed;
    throw error;
  }
  for (const algorithm of algorithms) if (algorithm.isDirectory()) await sweep(`${BLOBS_DIR}/${algorithm.name}`);
  return removed.sort();
}

/**
 * Takes the writer lock of the layout directory `directory` (created when
 * missing, so that the lock can live in it), waiting up to `waitMs` for
 * another holder. Throws LayoutError `LOCKED` naming the holder and the lock
 * file when the wait runs out.
 */
export async function acquireWriterLock(directory: string, options: WriterLockOptions = {}): Promise<WriterLock> {
  const root = resolvePath(directory);
  const path = join(root, WRITER_LOCK_FILE);
  const name = `oci:${root}`;
  const clock = options.clock ?? systemClock;
  const waitMs = Math.max(0, options.waitMs ?? DEFAULT_WRITER_LOCK_WAIT_MS);

  const mine = held.get(path);
  if (mine) {
    mine.count++;
    return handle(path, mine.token, []);
  }

  await mkdir(root, { recursive: true });
  const token = randomBytes(16).toString("hex");
  const [start, boot] = await Promise.all([processStart(process.pid), bootId()]);
  const holder: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    since: new Date(clock.now()).toISOString(),
    ...(start !== undefined ? { processStart: start } : {}),
    ...(boot !== undefined ? { bootId: boot } : {}),
    token,
  };
  const body = `${JSON.stringify(holder, null, 2)}\n`;
  const deadline = clock.now() + waitMs;
  let toldAbout: string | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    if (await tryCreate(root, path, body)) break;
    const current = await readLock(path);
    if (current === undefined) continue;
    if (current.holder !== undefined) {
      const stale = await whyStale(current.holder);
      if (stale !== undefined) {
        if (await removeStale(root, path, current.ino)) options.notify?.(`${name}: took over the lock of ${describeHolder(current.holder)}: ${stale}`);
        continue;
      }
    }
    const remaining = deadline - clock.now();
    if (remaining <= 0) {
      throw new LayoutError(
        "LOCKED",
        name,
        `another airgap is writing this layout: ${describeHolder(current.holder)} holds ${path}; gave up after waiting ${seconds(waitMs)}. ` +
          `Run again when it has finished; if no such process is running any more, delete ${path}`,
        { entry: WRITER_LOCK_FILE },
      );
    }
    const about = current.holder?.token ?? "unknown";
    if (toldAbout !== about) {
      toldAbout = about;
      options.notify?.(`${name}: waiting for the lock held by ${describeHolder(current.holder)} (${path}), at most ${seconds(remaining)}`);
    }
    await clock.sleep(Math.min(POLL_MS, remaining), options.signal);
  }

  held.set(path, { token, count: 1 });
  installExitHook();
  let removed: string[];
  try {
    removed = await removeTemps(root);
  } catch (error) {
    await handle(path, token, []).release();
    throw error;
  }
  if (removed.length > 0) options.notify?.(`${name}: removed ${removed.length} temp file(s) left by an interrupted writer`);
  return handle(path, token, removed);
}

function handle(path: string, token: string, removedTemps: readonly string[]): WriterLock {
  let released = false;
  return {
    path,
    removedTemps,
    async release() {
      if (released) return;
      released = true;
      const entry = held.get(path);
      if (!entry || entry.token !== token) return;
      if (--entry.count > 0) return;
      held.delete(path);
      try {
        if ((await readLock(path))?.holder?.token === token) await unlink(path);
      } catch (error) {
        if (errorCode(error) !== "ENOENT") throw error;
      }
    },
  };
}
