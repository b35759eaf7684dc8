import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LockFileError } from "../../../src/lock/errors.js";
import { parseLockFile, readLockFile, serializeLock, writeLockFile } from "../../../src/lock/file.js";
import type { AirgapLock } from "../../../src/lock/model.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "airgap-lock-"));
  dirs.push(dir);
  return dir;
}

const D = (c: string): string => `sha256:${c.repeat(64)}`;
const HEX = (c: string): string => c.repeat(64);

function sampleLock(generated = "2025-01-02T03:04:05.000Z"): AirgapLock {
  return {
    lockVersion: 1,
    generated,
    images: [
      { ref: "registry.example/team/app:1.0", digest: D("b"), mediaType: "application/vnd.oci.image.manifest.v1+json", size: 400, contentSize: 9000 },
      { ref: "registry.example/team/app", filter: { semver: ">=1 <2", newest: 2 }, selected: ["1.1", "1.0"] },
      {
        ref: "docker.io/library/hello:1.0",
        source: "quickstart",
        digest: D("a"),
        mediaType: "application/vnd.oci.image.index.v1+json",
        size: 491,
        contentSize: 3000,
        manifests: [
          { platform: "linux/amd64", digest: D("c"), mediaType: "application/vnd.oci.image.manifest.v1+json", size: 300, contentSize: 1200 },
          { platform: "linux/arm64", digest: D("d"), mediaType: "application/vnd.oci.image.manifest.v1+json", size: 300, contentSize: 1200 },
        ],
      },
      { ref: "registry.example/team/app:1.1", digest: D("e"), mediaType: "application/vnd.oci.image.manifest.v1+json", size: 401 },
    ],
    charts: [
      { type: "helm", repository: "https://charts.example.com/stable", name: "ingress-nginx", version: "4.8.x", resolvedVersion: "4.8.3", url: "https://charts.example.com/stable/ingress-nginx-4.8.3.tgz", sha256: HEX("1"), size: 1234 },
      { type: "oci", ref: "registry.example/charts/nginx", version: "15.14.0", resolvedVersion: "15.14.0", digest: D("f"), mediaType: "application/vnd.oci.image.manifest.v1+json", size: 700, contentSize: 30000 },
    ],
    files: [
      { url: "https://example.com/k0s-v1.30.0-amd64", sha256: HEX("2"), size: 100 },
      { path: "files/readme.txt", sha256: HEX("3"), size: 10 },
    ],
  };
}

describe("serializeLock", () => {
  it("writes 2-space JSON with a trailing newline, entries sorted by key, fields in a fixed order", () => {
    const text = serializeLock(sampleLock());
    expect(text.endsWith("}\n")).toBe(true);
    expect(text).toContain('\n  "lockVersion": 1,\n  "generated": "2025-01-02T03:04:05.000Z",\n  "images": [');
    const lock = JSON.parse(text) as AirgapLock;
    expect(Object.keys(lock)).toEqual(["lockVersion", "generated", "images", "charts", "files"]);
    expect(lock.images.map((e) => ("filter" in e ? `${e.ref} (filter)` : e.ref))).toEqual([
      "docker.io/library/hello:1.0",
      "registry.example/team/app (filter)",
      "registry.example/team/app:1.0",
      "registry.example/team/app:1.1",
    ]);
    expect(Object.keys(lock.images[0] ?? {})).toEqual(["ref", "source", "digest", "mediaType", "size", "contentSize", "manifests"]);
    expect(lock.charts.map((c) => c.type)).toEqual(["helm", "oci"]);
    expect(lock.files.map((f) => f.url ?? f.path)).toEqual(["files/readme.txt", "https://example.com/k0s-v1.30.0-amd64"]);
  });

  it("gives identical bytes for the same facts in any input order", () => {
    const a = sampleLock();
    const b: AirgapLock = { ...a, images: [...a.images].reverse(), charts: [...a.charts].reverse(), files: [...a.files].reverse() };
    const shuffledFields = JSON.parse(JSON.stringify(a, (_k, v: unknown) => (v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v))) as AirgapLock;
    expect(serializeLock(b)).toBe(serializeLock(a));
    expect(serializeLock(shuffledFields)).toBe(serializeLock(a));
  });

  it("writes every string exactly: references, tags, URLs and paths are data", () => {
    const lock = sampleLock();
    const data: AirgapLock = {
      ...lock,
      images: [...lock.images, { ref: "127.0.0.1:5001/team/sub/app:team", digest: D("c"), mediaType: "application/vnd.oci.image.manifest.v1+json", size: 1 }],
      charts: [{ type: "helm", repository: "https://charts.example.com/team", name: "x", version: "1.0.0", resolvedVersion: "1.0.0", url: "https://charts.example.com/team/x-1.0.0.tgz", sha256: HEX("4"), size: 1 }],
      files: [{ url: "https://files.example.com/dl?key=team", sha256: HEX("5"), size: 2 }],
    };
    const text = serializeLock(data);
    for (const exact of ["127.0.0.1:5001/team/sub/app:team", "https://charts.example.com/team/x-1.0.0.tgz", "https://files.example.com/dl?key=team", D("c")]) expect(text).toContain(`"${exact}"`);
    expect(parseLockFile(text)).toEqual(parseLockFile(serializeLock(parseLockFile(text))));
  });

  it("round-trips through parseLockFile", () => {
    const text = serializeLock(sampleLock());
    expect(serializeLock(parseLockFile(text))).toBe(text);
  });
});

describe("writeLockFile", () => {
  it("keeps `generated` and the bytes when nothing else changed, and updates it when something did", async () => {
    const path = join(tempDir(), "airgap.lock");
    const first = await writeLockFile(path, sampleLock("2025-01-01T00:00:00.000Z"));
    expect(first.changed).toBe(true);
    const bytes = readFileSync(path);
    const mtime = statSync(path).mtimeMs;

    const again = await writeLockFile(path, sampleLock("2026-06-06T06:06:06.000Z"));
    expect(again.changed).toBe(false);
    expect(again.lock.generated).toBe("2025-01-01T00:00:00.000Z");
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(statSync(path).mtimeMs).toBe(mtime);

    const moved = sampleLock("2026-06-06T06:06:06.000Z");
    const changed: AirgapLock = { ...moved, files: [{ ...(moved.files[0] as { url: string; sha256: string; size: number }), size: 101 }, ...moved.files.slice(1)] };
    const third = await writeLockFile(path, changed);
    expect(third.changed).toBe(true);
    expect((await readLockFile(path)).found && JSON.parse(readFileSync(path, "utf8")).generated).toBe("2026-06-06T06:06:06.000Z");
  });

  it("refuses to overwrite a lock written by a newer airgap, and leaves it byte for byte", async () => {
    const path = join(tempDir(), "airgap.lock");
    const newer = serializeLock(sampleLock()).replace('"lockVersion": 1', '"lockVersion": 2');
    writeFileSync(path, newer);
    const error = await writeLockFile(path, sampleLock("2030-01-01T00:00:00.000Z")).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LockFileError);
    expect((error as LockFileError).code).toBe("LOCK_VERSION");
    expect((error as LockFileError).message).toContain("was written by a newer airgap (lockVersion 2); this airgap reads lockVersion 1: upgrade airgap");
    expect(readFileSync(path, "utf8")).toBe(newer);
  });

  it("replaces an unreadable previous file", async () => {
    const path = join(tempDir(), "airgap.lock");
    writeFileSync(path, '{"lockVersion": 1, "generated": "2025');
    expect((await writeLockFile(path, sampleLock())).changed).toBe(true);
    expect((await readLockFile(path)).found).toBe(true);
  });
});

describe("parseLockFile refuses bad input with clear messages", () => {
  const valid = serializeLock(sampleLock());

  function refusal(text: string): LockFileError {
    try {
      parseLockFile(text);
    } catch (error) {
      expect(error).toBeInstanceOf(LockFileError);
      return error as LockFileError;
    }
    throw new Error("expected a LockFileError");
  }

  it("a truncated file", () => {
    const error = refusal(valid.slice(0, Math.floor(valid.length / 2)));
    expect(error.code).toBe("LOCK_INVALID");
    expect(error.message).toMatch(/^airgap\.lock: not valid JSON .*it may be truncated; restore it from version control, or delete it and run `airgap lock`/);
  });

  it("an empty file and merge conflicts", () => {
    expect(refusal("").message).toContain("the file is empty (truncated?)");
    expect(refusal(`<<<<<<< HEAD\n${valid}=======\n${valid}>>>>>>> branch\n`).message).toContain("merge conflict markers");
  });

  it("a newer lockVersion", () => {
    const error = refusal(valid.replace('"lockVersion": 1', '"lockVersion": 2'));
    expect(error.code).toBe("LOCK_VERSION");
    expect(error.message).toContain("was written by a newer airgap (lockVersion 2); this airgap reads lockVersion 1: upgrade airgap");
  });

  it("something that is not a lock, or entries of the wrong shape", () => {
    expect(refusal("[]").message).toContain("not an airgap lock file");
    expect(refusal('{"images": []}').message).toContain('no "lockVersion"');
    expect(refusal(valid.replace(`"digest": "${D("b")}"`, '"digest": "sha256:short"')).message).toMatch(/images\[2\]\.digest is not a digest/);
    expect(refusal(valid.replace('"size": 1234', '"size": -1')).message).toMatch(/charts\[0\]\.size must be a whole number of bytes/);
    expect(refusal(valid.replace('"type": "helm"', '"type": "git"')).message).toMatch(/charts\[0\]\.type must be "oci" or "helm"/);
    const o = JSON.parse(valid) as { files: unknown[] };
    o.files.push(o.files[0]);
    expect(refusal(JSON.stringify(o)).message).toMatch(/files\[2\] repeats files\[0\]/);
  });

  it("an absent file is a result, not an error", async () => {
    expect(await readLockFile(join(tempDir(), "airgap.lock"))).toEqual({ found: false });
  });
});
