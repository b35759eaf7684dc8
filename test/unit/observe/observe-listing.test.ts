/**
 * Observation asks a target as little as it can (issue 14): where a
 * repository has many tags wanted, its tag list answers "absent" for the
 * tags it lacks without a HEAD each; a second pass of the same run keeps
 * what the first observed. A listing that fails decides nothing. The
 * provider here is an in-memory store that counts what it is asked; the
 * real-registry counts are in test/integration/workflow/wire-counts.test.ts.
 */
import { describe, expect, it } from "vitest";
import { observeTargets, LIST_TAGS_FROM } from "../../../src/observe/observe.js";
import type { DesiredArtifact } from "../../../src/plan/diff.js";
import type { Provider } from "../../../src/sdk/provider.js";
import type { ContentWriter } from "../../../src/oci/content.js";

const DIGEST = `sha256:${"a".repeat(64)}`;
const OTHER = `sha256:${"b".repeat(64)}`;

function item(tag: string, repository = "app"): DesiredArtifact {
  return {
    address: `bundle.b.image["mirror/${repository}:${tag}"]`,
    kind: "image",
    registry: "mirror",
    repository,
    tag,
    source: `upstream/${repository}:${tag}`,
    digest: DIGEST,
    content: [{ digest: DIGEST, mediaType: "application/vnd.oci.image.manifest.v1+json", size: 100 }],
    copy: { sourceDigest: DIGEST, sourceMediaType: "application/vnd.oci.image.manifest.v1+json", sourceSize: 100, preserveDigests: true },
  };
}

/**
 * A target holding `tags` (tag → digest) in every repository; counts resolves and listings.
 * `listing`: "works" names every tag; "fails" throws; "partial" leaves out every tag it holds
 * (a registry without listing that answers 404, a list that lags a push, or a layout whose
 * containerd-style names its listing does not show).
 */
function target(tags: Record<string, string>, listing: "works" | "fails" | "partial" = "works") {
  const asked = { resolves: [] as string[], listings: 0, exists: 0 };
  const provider: Provider = {
    display: "mirror",
    repository: (name) =>
      ({
        async resolve(reference: string) {
          asked.resolves.push(`${name}:${reference}`);
          const digest = tags[reference];
          return digest === undefined ? undefined : { mediaType: "application/vnd.oci.image.manifest.v1+json", digest, size: 100 };
        },
        async exists() {
          asked.exists++;
          return false;
        },
      }) as unknown as ContentWriter,
    async listTags() {
      asked.listings++;
      if (listing === "fails") throw new Error("401 unauthorized: listing not allowed");
      return listing === "partial" ? [] : Object.keys(tags);
    },
  };
  return { provider, asked };
}

const many = Array.from({ length: LIST_TAGS_FROM + 2 }, (_, i) => `t${i}`);

describe("observation by tag listing", () => {
  it("answers the tags a repository lacks from one listing checked by one of them, and asks only for the tags it has", async () => {
    const { provider, asked } = target({ t0: DIGEST, t1: OTHER });
    const state = await observeTargets({ desired: many.map((t) => item(t)), providers: new Map([["mirror", provider]]), concurrency: 4 });
    expect(asked.listings).toBe(1);
    // t0 and t1 because the list names them; t2, the first it leaves out, to check the list.
    expect(asked.resolves.sort()).toEqual(["app:t0", "app:t1", "app:t2"]);
    expect(state.observed.get(item("t0").address)).toEqual({ state: "present", digest: DIGEST });
    expect(state.observed.get(item("t1").address)).toEqual({ state: "present", digest: OTHER });
    for (const t of many.slice(2)) expect(state.observed.get(item(t).address)).toEqual({ state: "absent" });
  });

  it("does not list a repository with fewer tags wanted than it would pay for", async () => {
    const { provider, asked } = target({ t0: DIGEST });
    const few = many.slice(0, LIST_TAGS_FROM - 1);
    const state = await observeTargets({ desired: few.map((t) => item(t)), providers: new Map([["mirror", provider]]), concurrency: 4 });
    expect(asked.listings).toBe(0);
    expect(asked.resolves).toHaveLength(few.length);
    expect(state.observed.get(item("t0").address)).toEqual({ state: "present", digest: DIGEST });
    expect(state.observed.get(item("t1").address)).toEqual({ state: "absent" });
  });

  it("falls back to one question per tag when the listing fails, so the listing's failure decides nothing", async () => {
    const { provider, asked } = target({ t0: DIGEST }, "fails");
    const state = await observeTargets({ desired: many.map((t) => item(t)), providers: new Map([["mirror", provider]]), concurrency: 4 });
    expect(asked.listings).toBe(1);
    expect(asked.resolves).toHaveLength(many.length);
    expect(state.observed.get(item("t0").address)).toEqual({ state: "present", digest: DIGEST });
    expect(state.observed.get(item("t5").address)).toEqual({ state: "absent" });
  });

  it("does not trust a listing that leaves out a tag the target has: every tag is asked", async () => {
    const { provider, asked } = target({ t0: DIGEST, t3: OTHER }, "partial");
    const state = await observeTargets({ desired: many.map((t) => item(t)), providers: new Map([["mirror", provider]]), concurrency: 4 });
    expect(asked.listings).toBe(1);
    expect(asked.resolves).toHaveLength(many.length);
    expect(state.observed.get(item("t0").address)).toEqual({ state: "present", digest: DIGEST });
    expect(state.observed.get(item("t3").address)).toEqual({ state: "present", digest: OTHER });
    expect(state.observed.get(item("t4").address)).toEqual({ state: "absent" });
  });

  it("keeps what an earlier pass observed and asks only about new addresses", async () => {
    const { provider, asked } = target({ t0: DIGEST, t1: OTHER });
    const providers = new Map([["mirror", provider]]);
    const first = await observeTargets({ desired: many.slice(0, 3).map((t) => item(t)), providers, concurrency: 4 });
    expect(asked.resolves).toHaveLength(3);
    const second = await observeTargets({ desired: many.slice(0, 4).map((t) => item(t)), providers, concurrency: 4, earlier: first });
    expect(asked.resolves.slice(3)).toEqual(["app:t3"]);
    // Kept as they were: the earlier answers, not rewritten.
    expect(second.observed.get(item("t1").address)).toEqual({ state: "present", digest: OTHER });
    expect(second.observed.get(item("t2").address)).toEqual({ state: "absent" });
    expect(second.observed.get(item("t3").address)).toEqual({ state: "absent" });
  });
});
