import { parsePatch, applyPatch } from "diff";
import { describe, expect, it } from "vitest";
import { contentDigest, GENERATED_MARKER, planOutputFiles, type RenderedOutput } from "../../../src/cluster/index.js";

function output(index: number, files: Record<string, string>, extra: Partial<RenderedOutput> = {}): RenderedOutput {
  return { index, type: "k0s", path: Object.keys(files)[0] ?? "x", files: Object.entries(files).map(([path, content]) => ({ path, content })), problems: [], ...extra };
}

const OLD = `${GENERATED_MARKER}\nspec:\n  images:\n    repository: "old:5000/k0s"\n`;
const NEW = `${GENERATED_MARKER}\nspec:\n  images:\n    repository: "new:5000/k0s"\n`;

describe("planning output files", () => {
  it("creates what is missing, updates what differs, leaves what matches, sorted by path", () => {
    const changes = planOutputFiles([output(0, { "out/b.yaml": NEW, "out/a.yaml": NEW }), output(1, { "out/c.txt": "x\n" })], new Map([["out/b.yaml", OLD], ["out/c.txt", "x\n"]]));
    expect(changes.map((c) => [c.path, c.action, c.output])).toEqual([
      ["out/a.yaml", "create", 0],
      ["out/b.yaml", "update", 0],
      ["out/c.txt", "no-op", 1],
    ]);
    const [create, update, noop] = changes;
    expect(create).toMatchObject({ after: contentDigest(NEW), content: NEW });
    expect(create!.before).toBeUndefined();
    expect(update).toMatchObject({ before: contentDigest(OLD), after: contentDigest(NEW), content: NEW });
    expect(noop).toMatchObject({ before: contentDigest("x\n"), after: contentDigest("x\n"), diff: "" });
  });

  it("shows a unified diff that turns the old file into the new one", () => {
    const [update] = planOutputFiles([output(0, { "out/k0s.yaml": NEW })], new Map([["out/k0s.yaml", OLD]]));
    expect(update!.diff).toContain("--- out/k0s.yaml\n+++ out/k0s.yaml\n");
    expect(update!.diff).toContain('-    repository: "old:5000/k0s"\n+    repository: "new:5000/k0s"\n');
    expect(applyPatch(OLD, parsePatch(update!.diff)[0]!)).toBe(NEW);
    const [create] = planOutputFiles([output(0, { "out/k0s.yaml": NEW })], new Map());
    expect(create!.diff).toContain("--- /dev/null\n+++ out/k0s.yaml\n");
    expect(applyPatch("", parsePatch(create!.diff)[0]!)).toBe(NEW);
  });

  it("deletes hosts.toml files airgap wrote earlier in a directory output, and nothing else", () => {
    const containerd = output(0, { "certs.d/docker.io/hosts.toml": NEW }, { type: "containerd", path: "certs.d", directory: { root: "certs.d", pattern: "*/hosts.toml" } });
    const current = new Map<string, string | undefined>([
      ["certs.d/docker.io/hosts.toml", NEW],
      ["certs.d/quay.io/hosts.toml", OLD], // ours, no longer rendered
      ["certs.d/ghcr.io/hosts.toml", 'server = "https://ghcr.io"\n'], // the admin's own
    ]);
    const changes = planOutputFiles([containerd], current);
    expect(changes.map((c) => [c.path, c.action])).toEqual([
      ["certs.d/docker.io/hosts.toml", "no-op"],
      ["certs.d/quay.io/hosts.toml", "delete"],
    ]);
    const deletion = changes[1]!;
    expect(deletion).toMatchObject({ before: contentDigest(OLD) });
    expect(deletion.after).toBeUndefined();
    expect(deletion.content).toBeUndefined();
    expect(deletion.diff).toContain("--- certs.d/quay.io/hosts.toml\n+++ /dev/null\n");
  });

  it("plans nothing for an output that failed to render, not even deletions", () => {
    const failed = output(0, {}, { type: "containerd", path: "certs.d", directory: { root: "certs.d", pattern: "*/hosts.toml" }, problems: [{ severity: "error", message: "x" }] });
    expect(planOutputFiles([failed], new Map([["certs.d/quay.io/hosts.toml", OLD]]))).toEqual([]);
  });
});
