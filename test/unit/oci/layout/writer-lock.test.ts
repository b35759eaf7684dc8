import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireWriterLock, LayoutError, OciLayoutDirectory, parseHolder, WRITER_LOCK_FILE, type LockClock } from "../../../../src/oci/layout/index.js";
import { makeTempDir, type TempDir } from "../../../harness/tmp.js";

const hasProc = existsSync("/proc/self/stat");

/** A clock whose sleep only advances time, recording each wait; `onSleep` runs before time moves. */
function fakeClock(onSleep: (count: number) => Promise<void> | void = () => undefined): LockClock & { sleeps: number[] } {
  let now = Date.parse("2026-01-01T00:00:00Z");
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    async sleep(ms) {
      sleeps.push(ms);
      await onSleep(sleeps.length);
      now += ms;
    },
  };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const pid = spawnSync("true").pid;
  if (pid === undefined) throw new Error("no pid");
  return pid;
}

describe("layout writer lock", () => {
  let tmp: TempDir;
  let dir: string;
  let lockPath: string;
  const children: ChildProcess[] = [];

  /** A live process of this host, to stand for another writer. */
  function liveProcess(): number {
    const child = spawn("sleep", ["60"], { stdio: "ignore" });
    children.push(child);
    if (child.pid === undefined) throw new Error("sleep did not start");
    return child.pid;
  }

  async function writeHolder(holder: Record<string, unknown>): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(lockPath, JSON.stringify({ hostname: hostname(), since: "2025-12-31T23:00:00.000Z", token: "other", ...holder }));
  }

  beforeEach(async () => {
    tmp = await makeTempDir("writerlock");
    dir = join(tmp.path, "layout");
    lockPath = join(dir, WRITER_LOCK_FILE);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill("SIGKILL");
    await tmp.remove();
  });

  it("creates the directory and a lock file naming this process, and removes it on release", async () => {
    const lock = await acquireWriterLock(dir, { clock: fakeClock() });
    expect(lock.path).toBe(lockPath);
    const holder = parseHolder(await readFile(lockPath, "utf8"));
    expect(holder).toMatchObject({ pid: process.pid, hostname: hostname(), since: "2026-01-01T00:00:00.000Z" });
    expect(holder?.token).toMatch(/^[0-9a-f]{32}$/);
    if (hasProc) expect(holder?.processStart).toMatch(/^\d+$/);
    // Only the lock file: its temp file is gone.
    expect(await readdir(dir)).toEqual([WRITER_LOCK_FILE]);
    await lock.release();
    expect(existsSync(lockPath)).toBe(false);
    await lock.release();
  });

  it("is shared within one process: the file stays until the last holder releases", async () => {
    const first = await OciLayoutDirectory.lockForWrite(dir);
    const second = await OciLayoutDirectory.lockForWrite(dir, { waitMs: 0 });
    await first.release();
    await first.release();
    expect(existsSync(lockPath)).toBe(true);
    await second.release();
    expect(existsSync(lockPath)).toBe(false);
  });

  it("waits for a live holder, telling who holds it, then refuses naming the holder and the lock file", async () => {
    const pid = liveProcess();
    await writeHolder({ pid });
    const clock = fakeClock();
    const messages: string[] = [];
    const error = await acquireWriterLock(dir, { waitMs: 1_000, clock, notify: (m) => messages.push(m) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LayoutError);
    expect(error).toMatchObject({ code: "LOCKED", entry: WRITER_LOCK_FILE });
    expect((error as Error).message).toBe(
      `oci:${dir}: another airgap is writing this layout: pid ${pid} on ${hostname()} since 2025-12-31T23:00:00.000Z holds ${lockPath}; gave up after waiting 1 s. ` +
        `Run again when it has finished; if no such process is running any more, delete ${lockPath}`,
    );
    expect(messages).toEqual([`oci:${dir}: waiting for the lock held by pid ${pid} on ${hostname()} since 2025-12-31T23:00:00.000Z (${lockPath}), at most 1 s`]);
    expect(clock.sleeps).toEqual([250, 250, 250, 250]);
    // The holder's file is untouched, and nothing of ours is left.
    expect(JSON.parse(await readFile(lockPath, "utf8"))).toMatchObject({ pid, token: "other" });
    expect(await readdir(dir)).toEqual([WRITER_LOCK_FILE]);
  });

  it("refuses at once with a wait of 0", async () => {
    await writeHolder({ pid: liveProcess() });
    const clock = fakeClock();
    await expect(acquireWriterLock(dir, { waitMs: 0, clock })).rejects.toMatchObject({ code: "LOCKED" });
    expect(clock.sleeps).toEqual([]);
  });

  it("takes the lock as soon as the holder releases it during the wait", async () => {
    await writeHolder({ pid: liveProcess() });
    const clock = fakeClock(async (count) => {
      if (count === 3) await rm(lockPath);
    });
    const lock = await acquireWriterLock(dir, { waitMs: 10_000, clock });
    expect(clock.sleeps).toHaveLength(3);
    expect(parseHolder(await readFile(lockPath, "utf8"))?.pid).toBe(process.pid);
    await lock.release();
  });

  it("stops waiting when aborted", async () => {
    await writeHolder({ pid: liveProcess() });
    const controller = new AbortController();
    const clock = fakeClock((count) => {
      if (count === 2) controller.abort(new Error("interrupted (Ctrl-C)"));
    });
    await expect(acquireWriterLock(dir, { waitMs: 10_000, clock, signal: controller.signal })).rejects.toThrow("interrupted (Ctrl-C)");
    expect(JSON.parse(await readFile(lockPath, "utf8"))).toMatchObject({ token: "other" });
  });

  it("takes over the lock of a process that is not running", async () => {
    const pid = deadPid();
    await writeHolder({ pid });
    const messages: string[] = [];
    const clock = fakeClock();
    const lock = await acquireWriterLock(dir, { waitMs: 0, clock, notify: (m) => messages.push(m) });
    expect(messages).toEqual([`oci:${dir}: took over the lock of pid ${pid} on ${hostname()} since 2025-12-31T23:00:00.000Z: it is not running`]);
    expect(parseHolder(await readFile(lockPath, "utf8"))?.pid).toBe(process.pid);
    expect(clock.sleeps).toEqual([]);
    expect(await readdir(dir)).toEqual([WRITER_LOCK_FILE]);
    await lock.release();
  });

  it.skipIf(!hasProc)("takes over a lock whose pid now belongs to a process that started later", async () => {
    const pid = liveProcess();
    await writeHolder({ pid, processStart: "1" });
    const messages: string[] = [];
    const lock = await acquireWriterLock(dir, { waitMs: 0, notify: (m) => messages.push(m) });
    expect(messages).toEqual([expect.stringMatching(new RegExp(`took over the lock of pid ${pid} .*: the pid now belongs to another process$`))]);
    await lock.release();
  });

  it.skipIf(!hasProc)("keeps waiting for a live holder whose start time matches", async () => {
    const pid = liveProcess();
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    await writeHolder({ pid, processStart: stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] });
    await expect(acquireWriterLock(dir, { waitMs: 0 })).rejects.toMatchObject({ code: "LOCKED" });
  });

  it.skipIf(!hasProc)("takes over a lock from before a reboot", async () => {
    await writeHolder({ pid: liveProcess(), bootId: "00000000-0000-0000-0000-000000000000" });
    const messages: string[] = [];
    const lock = await acquireWriterLock(dir, { waitMs: 0, notify: (m) => messages.push(m) });
    expect(messages).toEqual([expect.stringMatching(/: the machine has restarted since$/)]);
    await lock.release();
  });

  it("never takes over a lock held on another host, even with a pid that is not running here", async () => {
    await writeHolder({ pid: deadPid(), hostname: `not-${hostname()}` });
    await expect(acquireWriterLock(dir, { waitMs: 0 })).rejects.toThrow(`pid`);
    await expect(acquireWriterLock(dir, { waitMs: 0 })).rejects.toThrow(` on not-${hostname()} since `);
  });

  it("does not take over a lock file it cannot read, and says so", async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(lockPath, "");
    await expect(acquireWriterLock(dir, { waitMs: 0 })).rejects.toThrow(`another airgap is writing this layout: an unknown writer (the lock file is not airgap's JSON) holds ${lockPath}`);
    expect(await readFile(lockPath, "utf8")).toBe("");
  });

  it("removes airgap's temp files left by a killed writer, and nothing else", async () => {
    await OciLayoutDirectory.open(dir, { create: true });
    const blobs = join(dir, "blobs", "sha256");
    await writeFile(join(blobs, ".tmp-0123456789abcdef"), "half a layer");
    await writeFile(join(blobs, "oci-put-blob123"), "skopeo's own temp file");
    await writeFile(join(dir, ".tmp-index.json-0123456789abcdef"), "{");
    await mkdir(join(dir, "blobs", "sha512"));
    await writeFile(join(dir, "blobs", "sha512", ".tmp-fedcba9876543210"), "x");
    await mkdir(join(dir, ".tmp-a-directory"));
    const before = await readFile(join(dir, "index.json"));

    const messages: string[] = [];
    const lock = await OciLayoutDirectory.lockForWrite(dir, { notify: (m) => messages.push(m) });
    expect(lock.removedTemps).toEqual([".tmp-index.json-0123456789abcdef", "blobs/sha256/.tmp-0123456789abcdef", "blobs/sha512/.tmp-fedcba9876543210"]);
    expect(messages).toEqual([`oci:${dir}: removed 3 temp file(s) left by an interrupted writer`]);
    expect((await readdir(blobs)).sort()).toEqual(["oci-put-blob123"]);
    expect(await readFile(join(dir, "index.json"))).toEqual(before);
    expect(existsSync(join(dir, ".tmp-a-directory"))).toBe(true);

    // A second holder in the same process shares the lock and removes nothing (the first may be streaming).
    await writeFile(join(blobs, ".tmp-in-flight"), "being written");
    const again = await OciLayoutDirectory.lockForWrite(dir);
    expect(again.removedTemps).toEqual([]);
    expect(existsSync(join(blobs, ".tmp-in-flight"))).toBe(true);
    await again.release();
    await lock.release();
  });
});
