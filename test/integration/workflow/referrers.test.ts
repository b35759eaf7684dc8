/**
 * Referrers travel with their image, through the built CLI, from a real
 * distribution registry (no referrers API: the fallback tag is read) into
 * another one (no API either: the fallback index tag is maintained there,
 * merged with what the mirror already lists) and into an OCI layout (the
 * fallback index recorded in index.json). Signatures and SBOMs are made by
 * the test with cosign's and syft's media types; skopeo checks that every
 * one arrived byte for byte. A re-plan has nothing to do, and prune keeps
 * the fallback and cosign tags of wanted images.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateImages, pushImages } from "../../harness/images.js";
import { inspectRaw } from "../../harness/skopeo.js";
import { ArtifactTypes, asImage, attachedSbom, attachedSignature, fallbackIndex, fallbackTag, taggedSignature } from "../../helpers/referrer-artifacts.js";
import { inspect, listTags, useRegistryPair, type JsonChange, type Workspace } from "./workflow.js";

const images = generateImages("wf-referrers");
const app = images.get("library/oci-single", "1.0");
const multi = images.get("team/sub/app", "v1");
const signature = attachedSignature(app.root, "app");
const sbom = attachedSbom(app.root, "app");
const classic = taggedSignature(app.root, "app");
const multiSignature = attachedSignature(multi.root, "multi");
/** Already in the mirror, listed by its fallback index: must stay listed. */
const foreign = attachedSbom(app.root, "pushed-by-someone-else");

const pair = useRegistryPair(images);

type Change = JsonChange & { readonly kind?: string; readonly subject?: string; readonly uploads?: readonly { readonly digest: string }[] };

function yaml(host: string, upstreamUrl: string, mirrorUrl: string): string {
  return [
    "apiVersion: airgap/v1",
    "sources:",
    `  upstream: { type: registry, host: "${host}", url: "${upstreamUrl}" }`,
    "registries:",
    `  mirror: { provider: oci, url: "${mirrorUrl}" }`,
    "  disk: { provider: oci-layout, path: ./mirror }",
    "bundles:",
    "  signed:",
    "    registry: mirror",
    "    path: mke",
    "    prune: true",
    "    referrers: true",
    "    images:",
    `      - ${host}/library/oci-single:1.0`,
    "  sboms:",
    "    registry: disk",
    `    referrers: { artifactTypes: ["${ArtifactTypes.spdx}"] }`,
    "    images:",
    `      - ${host}/library/oci-single:1.0`,
    "  filtered:",
    "    registry: mirror",
    "    path: flt",
    "    platforms: [linux/amd64]",
    "    referrers: true",
    "    images:",
    `      - ${host}/team/sub/app:v1`,
    "",
  ].join("\n");
}

describe("referrers, registry to registry and to a layout", () => {
  let ws: Workspace;
  let plan: { changes: readonly Change[] };

  it("locks every referrer of each image by digest", async () => {
    const repo = app.repository;
    await pushImages(pair.upstream, [fallbackIndex(repo, app.root, [signature, sbom]), asImage(repo, classic, [`${fallbackTag(app.root)}.sig`]), fallbackIndex(multi.repository, multi.root, [multiSignature])]);
    // The mirror lists a referrer pushed by someone else, and already holds our signature's manifest, unlisted (an apply stopped in between).
    await pushImages(pair.mirror, [fallbackIndex(`mke/${repo}`, app.root, [foreign]), asImage(`mke/${repo}`, signature, [signature.digest])]);
    ws = pair.workspace("referrers");
    ws.writeConfig(yaml(pair.upstream.host, pair.upstream.url, pair.mirror.url));
    const lock = await ws.run(["lock"]);
    expect(lock.stderr).not.toContain("error");
    expect(lock.code).toBe(0);
    const written = JSON.parse(readFileSync(join(ws.dir, "airgap.lock"), "utf8")) as { images: { ref: string; referrers?: { digest: string; tag?: string }[] }[] };
    const locked = (ref: string) => written.images.find((i) => i.ref === `${pair.upstream.host}/${ref}`)?.referrers?.map((r) => `${r.digest}${r.tag ? ` ${r.tag}` : ""}`).sort();
    expect(locked("library/oci-single:1.0")).toEqual([signature.digest, sbom.digest, `${classic.digest} ${fallbackTag(app.root)}.sig`].sort());
    expect(locked("team/sub/app:v1")).toEqual([multiSignature.digest]);
  });

  it("plans each referrer as a change of its own, and says why a rewritten image's are left out", async () => {
    // `plan --json` writes one JSON document per line: the diagnostics (the warning), then the plan.
    const run = await ws.run(["plan", "--json"]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type?: string; diagnostics?: { severity: string; message: string }[]; changes?: Change[] });
    plan = { changes: lines.find((l) => l.changes !== undefined)?.changes ?? [] };
    const warnings = lines.flatMap((l) => l.diagnostics ?? []);
    const referrers = plan.changes.filter((c) => c.kind === "referrer");
    const host = pair.upstream.host;
    expect(referrers.map((c) => [c.address, c.registry, c.repository, c.tag ?? "", c.subject, c.after]).sort()).toEqual(
      [
        [`bundle.signed.referrer["${host}/${app.repository}@${signature.digest}"]`, "mirror", `mke/${app.repository}`, "", app.root.digest, signature.digest],
        [`bundle.signed.referrer["${host}/${app.repository}@${sbom.digest}"]`, "mirror", `mke/${app.repository}`, "", app.root.digest, sbom.digest],
        [`bundle.signed.referrer["${host}/${app.repository}:${fallbackTag(app.root)}.sig"]`, "mirror", `mke/${app.repository}`, `${fallbackTag(app.root)}.sig`, app.root.digest, classic.digest],
        [`bundle.sboms.referrer["${host}/${app.repository}@${sbom.digest}"]`, "disk", app.repository, "", app.root.digest, sbom.digest],
      ].sort(),
    );
    // Every one is created, the signature too: its manifest is there, but nothing lists it by its subject yet.
    expect(referrers.every((c) => c.action === "create")).toBe(true);
    // Its content is there already (its manifest is): it is planned only to be listed, and moves no bytes.
    const listedOnly = referrers.find((c) => c.after === signature.digest && c.registry === "mirror");
    expect(listedOnly?.uploads).toEqual([]);
    expect(referrers.find((c) => c.after === sbom.digest && c.registry === "mirror")?.uploads?.length).toBeGreaterThan(0);
    // Two warnings: validate's about the bundle (platforms with referrers), and the plan's naming the referrer left out.
    expect(warnings.map((w) => w.severity)).toEqual(["warning", "warning"]);
    expect(warnings.some((w) => w.message.startsWith("referrers name an image's exact digest"))).toBe(true);
    expect(warnings.map((w) => w.message).join("\n")).toContain(`${host}/${multi.repository}@${multiSignature.digest} refers to ${multi.root.digest}, but the platform filter rewrites`);
  });

  it("applies them: byte-identical by digest and tag, the mirror's fallback index merged, the layout's written", async () => {
    const apply = await ws.run(["apply", "--auto-approve"]);
    expect(apply.stderr).toContain("0 failed");
    expect(apply.code).toBe(0);
    const mirror = pair.mirror.host;
    const target = `mke/${app.repository}`;
    for (const m of [signature, sbom]) expect((await inspect(mirror, `${target}@${m.digest}`)).bytes.equals(m.bytes), m.digest).toBe(true);
    expect((await inspect(mirror, `${target}:${fallbackTag(app.root)}.sig`)).bytes.equals(classic.bytes)).toBe(true);
    const index = (await inspect(mirror, `${target}:${fallbackTag(app.root)}`)).json as { manifests: { digest: string; artifactType?: string }[] };
    // What the mirror listed before stays first; ours are appended once, with their artifact types.
    expect(index.manifests.map((m) => [m.digest, m.artifactType])).toEqual([
      [foreign.digest, ArtifactTypes.spdx],
      ...[
        [signature.digest, ArtifactTypes.cosignSignature],
        [sbom.digest, ArtifactTypes.spdx],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    ]);
    // The filtered image's signature was not copied: the mirror has no fallback tag for it.
    expect(await listTags(pair.mirror, `flt/${multi.repository}`)).toEqual(["v1"]);

    const layout = join(ws.dir, "mirror");
    const entries = (JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: { digest: string; annotations?: Record<string, string> }[] }).manifests;
    const entry = entries.find((e) => e.annotations?.["org.opencontainers.image.ref.name"]?.endsWith(`:${fallbackTag(app.root)}`));
    expect(entry, "the layout records the fallback index").toBeDefined();
    const listed = await inspectRaw(`oci:${layout}:${entry!.annotations!["org.opencontainers.image.ref.name"]!}`);
    expect(listed.digest).toBe(entry!.digest);
    expect((JSON.parse(listed.bytes.toString("utf8")) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest)).toEqual([sbom.digest]);
    expect(readFileSync(join(layout, "blobs", "sha256", sbom.digest.slice(7))).equals(sbom.bytes)).toBe(true);
  });

  it("a re-plan has nothing to do, and prune keeps the fallback and cosign tags", async () => {
    const again = await ws.run(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toContain("No changes.");
    expect(again.code).toBe(0);
    expect(await listTags(pair.mirror, `mke/${app.repository}`)).toEqual(["1.0", fallbackTag(app.root), `${fallbackTag(app.root)}.sig`].sort());
  });
});

// Runs after the describe above, which pushed the referrers upstream.
describe("a target whose fallback tag is not an index", () => {
  it("apply refuses to overwrite it, naming the tag, and leaves it as it was", async () => {
    const repo = `bad/${app.repository}`;
    // Something else already sits on the fallback tag in the target: a plain image manifest.
    await pushImages(pair.mirror, [asImage(repo, classic, [fallbackTag(app.root)])]);
    const ws = pair.workspace("referrersbadtarget");
    ws.writeConfig(
      yaml(pair.upstream.host, pair.upstream.url, pair.mirror.url)
        .replace("path: mke", "path: bad")
        .replace(/ {2}sboms:[\s\S]*$/, ""),
    );
    const apply = await ws.run(["apply", "--auto-approve"]);
    expect(apply.code).not.toBe(0);
    expect(apply.stderr).toContain(`${pair.mirror.host}/${repo}:${fallbackTag(app.root)} is the referrers fallback tag of ${app.root.digest}, but it holds a ${classic.mediaType} (${classic.digest}), not an image index; airgap will not overwrite it`);
    // Nothing was lost: the tag still holds what it held.
    expect((await inspect(pair.mirror.host, `${repo}:${fallbackTag(app.root)}`)).digest).toBe(classic.digest);
  });
});
