/**
 * The per-run manifest memo (issue 14): one fetch per digest, shared by
 * concurrent asks; failures and absence never remembered; a fetch stopped by
 * its starter's signal is redone for the others; bounded in bytes.
 */
import { describe, expect, it } from "vitest";
import type { Digest } from "../../../../src/core/digest.js";
import { ManifestMemo } from "../../../../src/oci/registry/manifest-memo.js";
import type { FetchedManifest } from "../../../../src/oci/registry/index.js";

function manifest(digest: string, size = 10): FetchedManifest {
  return { descriptor: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: digest as Digest, size }, bytes: Buffer.alloc(size) };
}

/** A fetch that counts its calls and resolves or rejects when told. */
function controlledFetch(result: () => Promise<FetchedManifest | undefined>) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    fetch: () => {
      calls++;
      return result();
    },
  };
}

describe("ManifestMemo", () => {
  it("fetches a digest once, whether the asks are concurrent or later", async () => {
    const memo = new ManifestMemo();
    const f = controlledFetch(async () => manifest("sha256:a"));
    const got = await Promise.all(Array.from({ length: 10 }, () => memo.get("r", "sha256:a", f.fetch)));
    expect(got.every((m) => m?.descriptor.digest === "sha256:a")).toBe(true);
    expect((await memo.get("r", "sha256:a", f.fetch))?.descriptor.digest).toBe("sha256:a");
    expect(f.calls).toBe(1);
    // Another repository is another manifest.
    await memo.get("other", "sha256:a", f.fetch);
    expect(f.calls).toBe(2);
  });

  it("remembers neither failures nor absence", async () => {
    const memo = new ManifestMemo();
    const failing = controlledFetch(async () => {
      throw new Error("503");
    });
    await expect(memo.get("r", "sha256:b", failing.fetch)).rejects.toThrow("503");
    const absent = controlledFetch(async () => undefined);
    expect(await memo.get("r", "sha256:b", absent.fetch)).toBeUndefined();
    const ok = controlledFetch(async () => manifest("sha256:b"));
    expect((await memo.get("r", "sha256:b", ok.fetch))?.descriptor.digest).toBe("sha256:b");
    expect([failing.calls, absent.calls, ok.calls]).toEqual([1, 1, 1]);
  });

  it("fetches again for a caller whose own signal is fine when the starter's signal stopped the shared fetch", async () => {
    const memo = new ManifestMemo();
    const starter = new AbortController();
    let reject: (e: unknown) => void = () => undefined;
    const first = controlledFetch(() => new Promise((_, r) => (reject = r)));
    const started = memo.get("r", "sha256:c", first.fetch, starter.signal);
    const second = controlledFetch(async () => manifest("sha256:c"));
    const joined = memo.get("r", "sha256:c", second.fetch, new AbortController().signal);
    starter.abort(new Error("stopped"));
    reject(starter.signal.reason);
    await expect(started).rejects.toThrow("stopped");
    expect((await joined)?.descriptor.digest).toBe("sha256:c");
    expect(second.calls).toBe(1);
  });

  it("shares a failure that is not an abort (no retry storm)", async () => {
    const memo = new ManifestMemo();
    const failing = controlledFetch(async () => {
      throw new Error("503");
    });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => memo.get("r", "sha256:d", failing.fetch, new AbortController().signal)));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(failing.calls).toBe(1);
  });

  it("keeps at most its byte limit, dropping the oldest first", async () => {
    const memo = new ManifestMemo(25);
    for (const d of ["sha256:1", "sha256:2", "sha256:3"]) await memo.get("r", d, async () => manifest(d, 10));
    const refetch = controlledFetch(async () => manifest("sha256:1", 10));
    await memo.get("r", "sha256:1", refetch.fetch);
    expect(refetch.calls).toBe(1);
    const kept = controlledFetch(async () => manifest("sha256:3", 10));
    await memo.get("r", "sha256:3", kept.fetch);
    expect(kept.calls).toBe(0);
  });
});
