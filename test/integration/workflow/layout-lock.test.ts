/**
 * One writer per oci-layout target, through the built CLI: two applies of
 * different bundles into one layout end with every ref in index.json; a
 * second apply that cannot get the lock in time refuses and writes nothing;
 * plan never takes the lock; a stale lock of a dead process is taken over;
 * and after `kill -9` the next apply removes the temp blobs left behind and
 * converges. skopeo's `oci:` transport is the independent reader.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OciLayoutDirectory } from "../../../src/oci/layout/index.js";
import { faults, startFaultProxy, when, type FaultProxy } from "../../harness/fault-proxy.js";
import { generateImages, pushImages, writeOciLayout } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { copy, inspectRaw } from "../../harness/skopeo.js";
import { createWorkspace, waitFor, type CliRun, type Workspace } from "./workflow.js";

/** The lock file apply keeps in the layout directory while it writes. */
const LOCK_FILE = ".airgap-writer.lock";

const names = (prefix: string) => [1, 2, 3, 4].map((n) => `lock/${prefix}${n}`);
const images = generateImages("wf-layout-lock", [
  ...names("a").map((repository) => ({ repository, tags: ["1"], format: "oci" as const })),
  ...names("b").map((repository) => ({ repository, tags: ["1"], format: "oci" as const })),
  // Slow to fetch through the proxy: keeps an apply busy, with a temp blob being written.
  { repository: "lock/big", tags: ["1"], format: "oci", layerSize: 600_000, sharedBase: false },
]);
const bigRoot = images.get("lock/big", "1").root;
const bigLayerDigest = bigRoot.kind === "manifest" ? bigRoot.layers.find((l) => l.size > 100_000)?.digest : undefined;
if (bigLayerDigest === undefined) throw new Error("lock/big has no large layer");
const BYTES_PER_SECOND = 100_000;
const filler = generateImages("wf-layout-lock-filler", [{ repository: "filler/app", tags: ["0"], format: "oci" }]);
/** Index entries already in the layout: they make each index.json rewrite take long enough that unlocked writers overlap. */
const FILLER_REFS = 5000;

/** A layout holding one image under FILLER_REFS ref names (`filler/app:N`); returns those names. */
async function prefilledLayout(dir: string): Promise<string[]> {
  await writeOciLayout(dir, filler);
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { annotations: Record<string, string> }[] };
  const entry = index.manifests[0]!;
  const refs = Array.from({ length: FILLER_REFS }, (_, n) => `filler/app:${n}`);
  index.manifests = refs.map((ref) => ({ ...entry, annotations: { ...entry.annotations, "org.opencontainers.image.ref.name": ref } }));
  writeFileSync(join(dir, "index.json"), JSON.stringify(index));
  return refs;
}

let upstream: RunningRegistry;
let proxy: FaultProxy;
let root: string;
const workspaces: Workspace[] = [];

beforeAll(async () => {
  upstream = await startRegistry();
  await pushImages(upstream, images);
  proxy = await startFaultProxy({ upstream });
  root = mkdtempSync(join(tmpdir(), "airgap-wf-layoutlock-"));
});
afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
  for (const ws of workspaces) ws.remove();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** A workspace whose one bundle `name` mirrors `repositories` (tag 1) into the layout at `layout`, through the proxy. */
function workspace(name: string, layout: string, repositories: readonly string[]): Workspace {
  const ws = createWorkspace(`layoutlock-${name}`);
  workspaces.push(ws);
  ws.writeConfig(
    [
      "apiVersion: airgap/v1",
      "sources:",
      `  upstream: { type: registry, host: "${upstream.host}", url: "${proxy.url}" }`,
      "registries:",
      `  disk: { provider: oci-layout, path: "${layout}" }`,
      "bundles:",
      `  ${name}:`,
      "    registry: disk",
      "    path: site",
      "    images:",
      ...repositories.map((r) => `      - ${upstream.host}/${r}:1`),
      "",
    ].join("\n"),
  );
  return ws;
}

/** The ref names of the layout's index.json, sorted. */
function refNames(layout: string): string[] {
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: { annotations?: Record<string, string> }[] };
  return index.manifests.map((m) => m.annotations?.["org.opencontainers.image.ref.name"] ?? "?").sort();
}

/** Every file under `dir` whose name starts with `.tmp-` (airgap's temp files), relative to `dir`. */
function tempFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => p.split("/").pop()?.startsWith(".tmp-") === true).sort();
}

/** Every file under `dir` with its size and mtime: what "wrote nothing" compares. */
function snapshot(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((name) => {
      const info = statSync(join(dir, name), { bigint: true });
      return `${name} ${info.isDirectory() ? "dir" : String(info.size)} ${String(info.mtimeNs)}`;
    })
    .sort();
}

/** skopeo reads every ref through `oci:` and copies it whole (every blob verified); digests are upstream's. */
async function verifyWithSkopeo(layout: string, repositories: readonly string[]): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), "airgap-wf-layoutlock-copy-"));
  try {
    for (const repository of repositories) {
      const raw = await inspectRaw(`oci:${layout}:site/${repository}:1`);
      expect(raw.digest, repository).toBe(images.get(repository, "1").root.digest);
      await copy(`oci:${layout}:site/${repository}:1`, `oci:${join(out, "copy")}:${repository.replace("/", "-")}`, { all: true, preserveDigests: true });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The run waited (unless `waited` is false) and then refused, naming the holder and the lock file. */
function expectRefused(run: CliRun, layout: string, holderPid: number, waited = true): void {
  expect(run.code, run.stderr).toBe(1);
  if (waited) expect(run.stderr).toContain(`oci:${layout}: waiting for the lock held by pid ${holderPid} on ${hostname()} since `);
  expect(run.stderr).toMatch(new RegExp(`error: oci:${layout}: another airgap is writing this layout: pid ${holderPid} on ${hostname()} since \\S+ holds ${join(layout, LOCK_FILE)}; gave up after waiting`));
}

describe("one writer per oci-layout target", () => {
  it("two concurrent applies of different bundles into one layout keep every ref", async () => {
    proxy.setRule(undefined);
    const layout = join(root, "concurrent");
    const fillers = await prefilledLayout(layout);
    const a = workspace("a", layout, names("a"));
    const b = workspace("b", layout, names("b"));
    const env = { AIRGAP_LOCK_TIMEOUT: "120" };
    const [ra, rb] = await Promise.all([a.run(["apply", "--auto-approve"], { env, timeoutMs: 150_000 }), b.run(["apply", "--auto-approve"], { env, timeoutMs: 150_000 })]);
    expect(ra.stderr).toContain("Apply complete: 4 done, 0 failed");
    expect(rb.stderr).toContain("Apply complete: 4 done, 0 failed");
    expect([ra.code, rb.code]).toEqual([0, 0]);
    expect(refNames(layout)).toEqual([...fillers, ...[...names("a"), ...names("b")].map((r) => `site/${r}:1`)].sort());
    expect(existsSync(join(layout, LOCK_FILE)), "the lock is released").toBe(false);
    expect(tempFiles(layout)).toEqual([]);
    await verifyWithSkopeo(layout, [...names("a"), ...names("b")]);
  });

  it("a second apply that cannot get the lock in time refuses, naming the holder, and writes nothing; plan takes no lock", async () => {
    proxy.setRule(when({ method: "GET", kind: "blob", path: bigLayerDigest }, faults.throttle(BYTES_PER_SECOND)));
    const layout = join(root, "refused");
    const holder = workspace("holder", layout, ["lock/big", ...names("a")]);
    const second = workspace("second", layout, names("b"));
    const first = holder.start(["apply", "--auto-approve"]);
    let firstExit: CliRun | undefined;
    void first.exited.then((e) => (firstExit = e));
    const pid = first.child.pid!;
    try {
      await waitFor("the first apply to hold the lock", () => {
        if (firstExit) throw new Error(`the first apply ended early (exit ${String(firstExit.code)}):\n${firstExit.stderr}`);
        return existsSync(join(layout, LOCK_FILE));
      });
      // Frozen while it holds the lock: alive, so the lock is not stale, and nothing changes under the second apply.
      first.child.kill("SIGSTOP");
      const lockBefore = readFileSync(join(layout, LOCK_FILE), "utf8");
      expect(JSON.parse(lockBefore)).toMatchObject({ pid, hostname: hostname() });
      const filesBefore = snapshot(layout);

      const plan = await second.run(["plan"]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain("Plan: 4 to add, 0 to change, 0 to destroy.");
      expect(plan.stderr).not.toContain("waiting for the lock");

      const refused = await second.run(["apply", "--auto-approve"], { env: { AIRGAP_LOCK_TIMEOUT: "0.5" } });
      expectRefused(refused, layout, pid);
      expect(refused.stderr).not.toContain("Apply complete");
      expect(snapshot(layout), "the second apply wrote nothing").toEqual(filesBefore);
      expect(readFileSync(join(layout, LOCK_FILE), "utf8")).toBe(lockBefore);

      const badTimeout = await second.run(["apply", "--auto-approve"], { env: { AIRGAP_LOCK_TIMEOUT: "soon" } });
      expect(badTimeout.stderr).toContain('error: AIRGAP_LOCK_TIMEOUT must be a number of seconds (0 or more), not "soon"');
      expect(badTimeout.code).toBe(1);
    } finally {
      first.child.kill("SIGCONT");
    }
    const done = await first.exited;
    expect(done.stderr).toContain("Apply complete: 5 done, 0 failed");
    expect(done.code).toBe(0);
    expect(refNames(layout)).toEqual(["lock/big", ...names("a")].map((r) => `site/${r}:1`).sort());
    expect(existsSync(join(layout, LOCK_FILE))).toBe(false);
  });

  it("takes over a stale lock left by a process that is no longer running", async () => {
    proxy.setRule(undefined);
    const layout = join(root, "stale");
    const ws = workspace("stale", layout, names("a"));
    const dead = spawnSync("true").pid!;
    mkdirSync(layout, { recursive: true });
    writeFileSync(join(layout, LOCK_FILE), JSON.stringify({ pid: dead, hostname: hostname(), since: "2026-01-01T00:00:00.000Z", token: "stale" }));
    const run = await ws.run(["apply", "--auto-approve"], { env: { AIRGAP_LOCK_TIMEOUT: "0" } });
    expect(run.stderr).toContain(`oci:${layout}: took over the lock of pid ${dead} on ${hostname()} since 2026-01-01T00:00:00.000Z: it is not running`);
    expect(run.stderr).toContain("Apply complete: 4 done, 0 failed");
    expect(run.code).toBe(0);
    expect(refNames(layout)).toEqual(names("a").map((r) => `site/${r}:1`));
    expect(existsSync(join(layout, LOCK_FILE))).toBe(false);
  });

  it("after kill -9 mid-blob, the next apply removes the temp files left behind and converges", async () => {
    proxy.setRule(when({ method: "GET", kind: "blob", path: bigLayerDigest }, faults.throttle(BYTES_PER_SECOND)));
    const layout = join(root, "killed");
    const ws = workspace("killed", layout, ["lock/big", ...names("b")]);
    const run = ws.start(["apply", "--auto-approve"]);
    let exit: CliRun | undefined;
    void run.exited.then((e) => (exit = e));
    await waitFor("a temp blob being written", () => {
      if (exit) throw new Error(`apply ended before the kill (exit ${String(exit.code)}):\n${exit.stderr}`);
      return tempFiles(layout).some((name) => name.startsWith("blobs/sha256/.tmp-") && statSync(join(layout, name)).size >= BYTES_PER_SECOND / 2);
    });
    run.child.kill("SIGKILL");
    expect((await run.exited).signal).toBe("SIGKILL");
    const left = tempFiles(layout);
    expect(left.length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(layout, LOCK_FILE), "utf8"))).toMatchObject({ pid: run.child.pid });
    expect(refNames(layout)).not.toContain("site/lock/big:1");

    proxy.setRule(undefined);
    const rerun = await ws.run(["apply", "--auto-approve"], { env: { AIRGAP_LOCK_TIMEOUT: "0" } });
    expect(rerun.stderr).toContain(`took over the lock of pid ${String(run.child.pid)} on ${hostname()}`);
    expect(rerun.stderr).toContain(`removed ${left.length} temp file(s) left by an interrupted writer`);
    expect(rerun.stderr).toMatch(/Apply complete: \d done, 0 failed/);
    expect(rerun.code).toBe(0);
    expect(tempFiles(layout)).toEqual([]);
    expect(existsSync(join(layout, LOCK_FILE))).toBe(false);
    expect(refNames(layout)).toEqual(["lock/big", ...names("b")].map((r) => `site/${r}:1`).sort());
    await verifyWithSkopeo(layout, ["lock/big", ...names("b")]);
    expect((await ws.run(["plan", "--detailed-exitcode"])).code).toBe(0);
  });

  it("releases the lock on Ctrl-C and when a change fails", async () => {
    proxy.setRule(when({ method: "GET", kind: "blob", path: bigLayerDigest }, faults.throttle(BYTES_PER_SECOND)));
    const layout = join(root, "released");
    const ws = workspace("released", layout, ["lock/big"]);
    const run = ws.start(["apply", "--auto-approve"]);
    await waitFor("the lock to be taken", () => existsSync(join(layout, LOCK_FILE)));
    run.child.kill("SIGINT");
    const interrupted = await run.exited;
    expect(interrupted.stderr).toMatch(/Apply interrupted: \d+ done, \d+ failed, \d+ not started\./);
    expect(interrupted.code).toBe(1);
    expect(existsSync(join(layout, LOCK_FILE))).toBe(false);

    proxy.setRule(when({ method: "GET", kind: "blob", path: bigLayerDigest }, faults.status(404, { body: JSON.stringify({ errors: [{ code: "BLOB_UNKNOWN", message: "injected" }] }) })));
    const failed = await ws.run(["apply", "--auto-approve"], { env: { AIRGAP_LOCK_TIMEOUT: "0" } });
    expect(failed.stderr).toContain("Apply finished with errors: 0 done, 1 failed");
    expect(failed.code).toBe(1);
    expect(existsSync(join(layout, LOCK_FILE))).toBe(false);
    expect(tempFiles(layout)).toEqual([]);
  });

  it("with two layout targets, a refused lock on one releases the other and writes nothing to either", async () => {
    proxy.setRule(undefined);
    const first = join(root, "two-a");
    const second = join(root, "two-b");
    const ws = createWorkspace("layoutlock-two");
    workspaces.push(ws);
    ws.writeConfig(
      [
        "apiVersion: airgap/v1",
        "sources:",
        `  upstream: { type: registry, host: "${upstream.host}", url: "${proxy.url}" }`,
        "registries:",
        `  one: { provider: oci-layout, path: "${first}" }`,
        `  two: { provider: oci-layout, path: "${second}" }`,
        "bundles:",
        "  a: { registry: one, path: site, images: [" + `${upstream.host}/lock/a1:1` + "] }",
        "  b: { registry: two, path: site, images: [" + `${upstream.host}/lock/b1:1` + "] }",
        "",
      ].join("\n"),
    );
    // This test process holds the second layout (it locks in the order of the paths, the first one first).
    const held = await OciLayoutDirectory.lockForWrite(second);
    try {
      const run = await ws.run(["apply", "--auto-approve"], { env: { AIRGAP_LOCK_TIMEOUT: "0" } });
      expectRefused(run, second, process.pid, false);
      expect(readdirSync(first), "the first layout's lock was released; nothing was written").toEqual([]);
      expect(readdirSync(second)).toEqual([LOCK_FILE]);
    } finally {
      await held.release();
    }
    const run = await ws.run(["apply", "--auto-approve"], { env: { AIRGAP_LOCK_TIMEOUT: "0" } });
    expect(run.stderr).toContain("Apply complete: 2 done, 0 failed");
    expect(refNames(first)).toEqual(["site/lock/a1:1"]);
    expect(refNames(second)).toEqual(["site/lock/b1:1"]);
  });
});
