// npm run bench [-- --quick | --large]: timing goals live here, never in tests (issue 14).
//
// Starts real distribution registries on loopback with the test harness, pushes a seeded
// dataset, and measures airgap side by side with skopeo (and a raw GET→PUT ceiling), medians of
// at least 3 runs per case:
//   (a) cold mirror source → empty target      airgap apply           vs skopeo sync --all (one per namespace)
//   (b) warm rerun, target complete            airgap apply           vs skopeo sync --all
//   (c) bundle export                          airgap bundle          vs skopeo copy --all into one OCI layout + tar
//   (d) raw ceiling: parallel GET+PUT of every unique blob, no tool between (compared with (a))
//   (e) no-op plan / apply over N tags         airgap plan / apply    vs skopeo sync of the same tags
//   (f) cold mirror of those N tags            airgap apply           vs skopeo sync
//   (g) peak RSS of a no-op plan, and of copying a 1 GiB layer (--large)
//   (h) start-up of `airgap --version` and `airgap validate`
//   (i) in-process peak-RSS bounds of bench/*.test.ts (vitest, bench/vitest.config.ts)
// Prints a table (airgap ÷ skopeo or ÷ ceiling, MB/s, goal met or not) and writes JSON to
// bench/results/. The harness is TypeScript: it is compiled into dist/bench with the repo's tsc.
// Build airgap first (`npm run build`).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const cli = join(root, "dist/src/cli/main.js");
const quick = process.argv.includes("--quick");
const large = process.argv.includes("--large");
const runs = Math.max(3, Number(process.argv.find((a) => a.startsWith("--runs="))?.slice(7) ?? 3));
if (!existsSync(cli)) {
  process.stderr.write("dist/ is missing: run `npm run build` first\n");
  process.exit(1);
}

// ---- the harness, compiled from test/harness with the repo's own TypeScript -------------------
const harnessOut = join(root, "dist/bench");
const tsc = spawnSync(process.execPath, [
  join(root, "node_modules/typescript/bin/tsc"),
  "--outDir", harnessOut, "--rootDir", root, "--module", "NodeNext", "--moduleResolution", "NodeNext", "--target", "ES2022",
  "--skipLibCheck", "--types", "node", "--declaration", "false", "--sourceMap", "false",
  join(root, "test/harness/registry.ts"), join(root, "test/harness/images.ts"),
], { encoding: "utf8" });
if (tsc.status !== 0) throw new Error(`compiling the test harness failed:\n${tsc.stdout}${tsc.stderr}`);
const { startRegistry } = await import(join(harnessOut, "test/harness/registry.js"));
const { generateImages, pushImages, largeBlob, LINUX_AMD64, LINUX_ARM64 } = await import(join(harnessOut, "test/harness/images.js"));
const { RegistryClient, Transport, anonymousCredentials } = await import(join(root, "dist/src/oci/registry/index.js"));

const log = (text) => process.stderr.write(`${text}\n`);
const work = mkdtempSync(join(tmpdir(), "airgap-bench-"));
const started = [];
async function registry() {
  const r = await startRegistry();
  started.push(r);
  return r;
}
async function stopRegistry(r) {
  await r.stop();
  started.splice(started.indexOf(r), 1);
}

// ---- the dataset ------------------------------------------------------------------------------
const MB = 1024 * 1024;
const namespaces = ["library", "apps/web", "apps/data", "infra/monitoring/stack"];
function datasetSpecs(prefix, count, totalBytes) {
  const specs = Array.from({ length: count }, (_, i) => ({
    repository: `${namespaces[i % namespaces.length]}/${prefix}${i}`,
    tags: i % 5 === 0 ? ["1.0", "latest"] : ["1.0"],
    format: i % 2 === 0 ? "oci" : "docker",
    ...(i % 3 === 0 ? { platforms: [LINUX_AMD64, LINUX_ARM64] } : {}),
    layers: 2,
  }));
  const manifests = specs.reduce((n, s) => n + (s.platforms?.length ?? 1), 0);
  const layerSize = Math.floor(totalBytes / (manifests * 2));
  return specs.map((s) => ({ ...s, layerSize }));
}
const sizes = quick ? { images: 6, bytes: 20 * MB, tags: 100 } : { images: 20, bytes: 200 * MB, tags: 1000 };
log(`bench: generating ${sizes.images} images (${sizes.bytes / MB} MB)${large ? " + large set" : ""} …`);
const dataset = generateImages("bench", datasetSpecs("img", sizes.images, sizes.bytes));
const largeSet = large ? generateImages("bench-large", datasetSpecs("big", 60, 900 * MB)) : undefined;
const many = generateImages("bench-many", [{ repository: "bench/many", tags: Array.from({ length: sizes.tags }, (_, i) => `t${i}`), format: "oci" }]);
const manySeed = generateImages("bench-many", [{ repository: "bench/many", tags: ["t0"], format: "oci" }]); // same content, one tag
if (manySeed.images[0].root.digest !== many.images[0].root.digest) throw new Error("bench: the floor's seed image differs from the 1,000-tag image");
const images = [...dataset.images, ...(largeSet?.images ?? [])];
const uniqueBlobs = new Map();
for (const set of [dataset, ...(largeSet ? [largeSet] : [])]) for (const b of set.blobs()) uniqueBlobs.set(b.digest, b);
const datasetBytes = [...uniqueBlobs.values()].reduce((n, b) => n + b.size, 0);

const source = await registry();
log(`bench: pushing to ${source.host} …`);
await pushImages(source, dataset);
if (largeSet) await pushImages(source, largeSet);
await pushImages(source, many);
const gib = large ? await pushGiB(source) : undefined;

/** Pushes one image whose only layer is 1 GiB of seeded bytes, streamed (never in memory). */
async function pushGiB(target) {
  const blob = largeBlob("bench-gib", 1024 * MB);
  const digest = await blob.digest();
  const transport = new Transport();
  try {
    const client = new RegistryClient({ url: target.url, credentials: anonymousCredentials, transport });
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [digest] } }));
    const { createHash } = await import("node:crypto");
    const sha = (b) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
    await client.pushBlob("bench/gib", { digest: sha(config), size: config.length }, () => Readable.from([config]));
    await client.pushBlob("bench/gib", { digest, size: blob.size }, () => blob.stream());
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest, size: blob.size }],
    }));
    await client.putManifest("bench/gib", "1", manifest, "application/vnd.oci.image.manifest.v1+json");
    return { bytes: blob.size + config.length };
  } finally {
    await transport.close();
  }
}

// ---- running tools, timed, with peak RSS ------------------------------------------------------
const home = join(work, "home");
mkdirSync(home, { recursive: true });
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_CONFIG_HOME: join(home, ".config"), DOCKER_CONFIG: join(home, ".docker"), TMPDIR: tmpdir(), NO_COLOR: "1", LANG: "C" };
const skopeoDir = join(work, "skopeo");
mkdirSync(join(skopeoDir, "registries.d"), { recursive: true });
writeFileSync(join(skopeoDir, "policy.json"), JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
writeFileSync(join(skopeoDir, "registries.conf"), "unqualified-search-registries = []\nshort-name-mode = \"disabled\"\n");
const skopeoGlobal = ["--policy", join(skopeoDir, "policy.json"), "--registries-conf", join(skopeoDir, "registries.conf"), "--registries.d", join(skopeoDir, "registries.d")];

/** Runs a command under /usr/bin/time: wall milliseconds and peak RSS in MB. */
function run(command, args, cwd = work) {
  const timeFile = join(work, "time.txt");
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", "-o", timeFile, command, ...args], { cwd, env, encoding: "utf8", maxBuffer: 256 * MB });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}):\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-2000)}`);
  const rssKb = Number(readFileSync(timeFile, "utf8").trim().split("\n").at(-1));
  return { ms, rssMb: rssKb / 1024, stdout: r.stdout };
}
const airgap = (dir, ...args) => run(process.execPath, [cli, ...args], dir);
const skopeo = (...args) => run("skopeo", [...skopeoGlobal, ...args]);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
/** Runs `once` (which returns {ms, rssMb}) `runs` times, each after `prepare`, and keeps the medians. */
async function measure(name, once, prepare = async () => undefined) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const ctx = await prepare(i);
    samples.push(await once(ctx, i));
  }
  const result = { name, ms: median(samples.map((s) => s.ms)), rssMb: Math.max(...samples.map((s) => s.rssMb ?? 0)), samples: samples.map((s) => Math.round(s.ms)) };
  log(`bench ${name}: median ${result.ms.toFixed(0)} ms (${result.samples.join(", ")}), peak RSS ${result.rssMb.toFixed(0)} MB`);
  return result;
}

/** A workspace with airgap.yaml copying `refs` from the source into `target` under `m/`. */
function workspace(label, target, refs) {
  const dir = mkdtempSync(join(work, `${label}-`));
  writeFileSync(join(dir, "airgap.yaml"), [
    "apiVersion: airgap/v1",
    "sources:",
    `  upstream: { type: registry, host: "${source.host}", url: "${source.url}" }`,
    "registries:",
    `  mirror: { provider: oci, url: "${target.url}" }`,
    "bundles:",
    "  bench:",
    "    registry: mirror",
    "    path: m",
    "    preserveDigests: true",
    "    images:",
    ...refs.map((r) => `      - ${source.host}/${r}`),
    "",
  ].join("\n"));
  return dir;
}
const refsOf = (set) => set.flatMap((i) => i.tags.map((t) => `${i.repository}:${t}`));
const datasetRefs = refsOf(images);
const manyRefs = refsOf(many.images);

/** skopeo sync --all, one per namespace (skopeo keeps only the last path element under the destination). */
function skopeoSync(list, target) {
  const byNamespace = new Map();
  for (const image of list) {
    const ns = image.repository.split("/").slice(0, -1).join("/");
    const repos = byNamespace.get(ns) ?? new Map();
    repos.set(image.repository, [...(repos.get(image.repository) ?? []), ...image.tags]);
    byNamespace.set(ns, repos);
  }
  let ms = 0;
  let rssMb = 0;
  for (const [ns, repos] of byNamespace) {
    const file = join(work, "sync.yaml");
    writeFileSync(file, `${source.host}:\n  tls-verify: false\n  images:\n${[...repos].map(([r, tags]) => `    ${r}:\n${tags.map((t) => `      - "${t}"`).join("\n")}`).join("\n")}\n`);
    const r = skopeo("sync", "--all", "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false", "--dest-no-creds", file, `${target.host}/s/${ns}`);
    ms += r.ms;
    rssMb = Math.max(rssMb, r.rssMb);
  }
  return { ms, rssMb };
}

/** Every unique blob GET from the source and PUT (monolithic) into `target`, 8 at a time: no tool between. */
async function ceiling(target) {
  const blobs = images.flatMap((i) => [...new Set(i.root.kind === "index" ? i.root.manifests.flatMap((m) => [m.config, ...m.layers]) : [i.root.config, ...i.root.layers])].map((b) => ({ repository: i.repository, blob: b })));
  const seen = new Set();
  const queue = blobs.filter(({ blob }) => !seen.has(blob.digest) && seen.add(blob.digest));
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      const got = await fetch(`${source.url}/v2/${item.repository}/blobs/${item.blob.digest}`);
      const body = Buffer.from(await got.arrayBuffer());
      const post = await fetch(`${target.url}/v2/ceiling/blobs/uploads/`, { method: "POST" });
      await post.arrayBuffer();
      const location = new URL(post.headers.get("location"), target.url);
      location.searchParams.set("digest", item.blob.digest);
      const put = await fetch(location, { method: "PUT", body, headers: { "content-type": "application/octet-stream" } });
      await put.arrayBuffer();
      if (put.status !== 201) throw new Error(`ceiling PUT ${item.blob.digest}: ${put.status}`);
    }
  }));
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, rssMb: 0 };
}

/**
 * The registry's own floor for N tags, no tool between: `heads` HEADs by tag on `headOn`, then
 * (when `putOn` is given) N manifest PUTs by tag to `putOn`, `width` requests in flight (the
 * per-host limit airgap uses by default). What a no-op (HEADs on the target) or a cold mirror
 * of N tags (HEADs on the source, PUTs on the target) cannot go below on this machine.
 */
async function tagFloor(headOn, putOn, width = 6) {
  const image = many.images[0];
  const path = (host, tag) => `${host.url}/v2/${image.repository}/manifests/${tag}`;
  const first = await fetch(path(source, image.tags[0]), { headers: { accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json" } });
  const body = Buffer.from(await first.arrayBuffer());
  const type = first.headers.get("content-type");
  const each = async (work) => {
    const queue = [...image.tags];
    await Promise.all(Array.from({ length: width }, async () => {
      for (let tag = queue.shift(); tag !== undefined; tag = queue.shift()) await work(tag);
    }));
  };
  const t0 = process.hrtime.bigint();
  await each(async (tag) => {
    const r = await fetch(path(headOn, tag), { method: "HEAD", headers: { accept: type } });
    await r.arrayBuffer();
  });
  if (putOn) {
    await each(async (tag) => {
      const r = await fetch(path(putOn, tag), { method: "PUT", body, headers: { "content-type": type } });
      await r.arrayBuffer();
      if (r.status !== 201) throw new Error(`floor PUT ${tag}: ${r.status}`);
    });
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, rssMb: 0 };
}

// ---- the cases ----------------------------------------------------------------------------------
const results = {};
try {
  // (h) start-up
  const versionDir = workspace("version", source, datasetRefs);
  results.startVersion = await measure("h start-up --version", () => airgap(versionDir, "--version"));
  results.startValidate = await measure("h start-up validate", () => airgap(versionDir, "validate"));
  results.skopeoVersion = await measure("h skopeo --version", () => skopeo("--version"));

  // (a) cold mirror and (b) warm rerun; (d) the ceiling
  let last;
  results.coldAirgap = await measure("a cold mirror airgap apply", (ctx) => airgap(ctx.dir, "apply", "--auto-approve"), async () => {
    if (last) await stopRegistry(last);
    last = await registry();
    return { dir: workspace("cold", last, datasetRefs) };
  });
  const warmDir = workspace("warm", last, datasetRefs);
  airgap(warmDir, "apply", "--auto-approve");
  results.warmAirgap = await measure("b warm rerun airgap apply", () => airgap(warmDir, "apply", "--auto-approve"));
  await stopRegistry(last);
  let skopeoTarget;
  results.coldSkopeo = await measure("a cold mirror skopeo sync", () => skopeoSync(images, skopeoTarget), async () => {
    if (skopeoTarget) await stopRegistry(skopeoTarget);
    skopeoTarget = await registry();
  });
  results.warmSkopeo = await measure("b warm rerun skopeo sync", () => skopeoSync(images, skopeoTarget));
  await stopRegistry(skopeoTarget);
  let ceilingTarget;
  results.ceiling = await measure("d raw GET+PUT ceiling", () => ceiling(ceilingTarget), async () => {
    if (ceilingTarget) await stopRegistry(ceilingTarget);
    ceilingTarget = await registry();
  });
  await stopRegistry(ceilingTarget);

  // (c) bundle
  const bundleDir = workspace("bundle", source, datasetRefs);
  airgap(bundleDir, "lock");
  results.bundleAirgap = await measure("c bundle airgap", () => airgap(bundleDir, "bundle", "-o", join(bundleDir, "out.tar")));
  results.bundleSkopeo = await measure("c bundle skopeo copy + tar", () => {
    const layout = mkdtempSync(join(work, "layout-"));
    let ms = 0;
    let rssMb = 0;
    for (const ref of datasetRefs) {
      const r = skopeo("copy", "--all", "--src-tls-verify=false", "--src-no-creds", `docker://${source.host}/${ref}`, `oci:${layout}:${ref}`);
      ms += r.ms;
      rssMb = Math.max(rssMb, r.rssMb);
    }
    const t = run("tar", ["-cf", join(work, "skopeo.tar"), "-C", layout, "."]);
    rmSync(layout, { recursive: true, force: true });
    return { ms: ms + t.ms, rssMb };
  });

  // (f) cold mirror of N tags, then (e) no-op plan/apply over them
  let manyTarget;
  let manyDir;
  results.manyColdAirgap = await measure(`f cold mirror ${sizes.tags} tags airgap apply`, () => airgap(manyDir, "apply", "--auto-approve"), async () => {
    if (manyTarget) await stopRegistry(manyTarget);
    manyTarget = await registry();
    manyDir = workspace("many", manyTarget, manyRefs);
  });
  results.noopPlanNoLock = await measure(`e no-op plan ${sizes.tags} tags, no lock`, () => airgap(manyDir, "plan"));
  airgap(manyDir, "lock");
  results.noopPlan = await measure(`e no-op plan ${sizes.tags} tags, locked`, () => airgap(manyDir, "plan"));
  results.noopApply = await measure(`e no-op apply ${sizes.tags} tags, locked`, () => airgap(manyDir, "apply", "--auto-approve"));
  await stopRegistry(manyTarget);
  let manySkopeoTarget;
  results.manyColdSkopeo = await measure(`f cold mirror ${sizes.tags} tags skopeo sync`, () => skopeoSync(many.images, manySkopeoTarget), async () => {
    if (manySkopeoTarget) await stopRegistry(manySkopeoTarget);
    manySkopeoTarget = await registry();
  });
  results.noopSkopeo = await measure(`e no-op skopeo sync ${sizes.tags} tags`, () => skopeoSync(many.images, manySkopeoTarget));
  await stopRegistry(manySkopeoTarget);
  // The registry's floor for the same tags (the manifest's blobs are pushed first, as a tool would).
  let floorTarget;
  results.manyFloor = await measure(`f floor: ${sizes.tags} HEADs on the source + ${sizes.tags} manifest PUTs, no tool`, () => tagFloor(source, floorTarget), async () => {
    if (floorTarget) await stopRegistry(floorTarget);
    floorTarget = await registry();
    await pushImages(floorTarget, manySeed); // the same blobs and manifest, tagged t0 only
  });
  results.noopFloor = await measure(`e floor: ${sizes.tags} HEADs on the target, no tool`, () => tagFloor(floorTarget));
  await stopRegistry(floorTarget);

  // (g) the 1 GiB layer
  if (gib) {
    let gibTarget;
    results.gibAirgap = await measure("g copy 1 GiB layer airgap", (ctx) => airgap(ctx.dir, "apply", "--auto-approve"), async () => {
      if (gibTarget) await stopRegistry(gibTarget);
      gibTarget = await registry();
      return { dir: workspace("gib", gibTarget, ["bench/gib:1"]) };
    });
    // Each run on an empty target, as for airgap: a target that has the layer makes the copy a no-op.
    results.gibSkopeo = await measure(
      "g copy 1 GiB layer skopeo",
      () => skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-no-creds", "--dest-no-creds", `docker://${source.host}/bench/gib:1`, `docker://${gibTarget.host}/s/bench/gib:1`),
      async () => {
        await stopRegistry(gibTarget);
        gibTarget = await registry();
      },
    );
    await stopRegistry(gibTarget);
  }
} finally {
  for (const r of [...started]) await r.stop().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}

// ---- the table --------------------------------------------------------------------------------
const mbps = (bytes, ms) => (bytes / MB / (ms / 1000)).toFixed(0);
const s = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const rows = [];
function row(name, a, b, goal, met, extra = "") {
  rows.push({ case: name, airgapMs: a?.ms, otherMs: b?.ms, ratio: a && b ? a.ms / b.ms : undefined, goal, met, extra });
}
const r = results;
const mb = datasetBytes;
row(`(a) cold mirror, ${images.length} images, ${(mb / MB).toFixed(0)} MB — vs skopeo`, r.coldAirgap, r.coldSkopeo, "≥ 1.2× faster (≤ 0.83)", r.coldAirgap.ms / r.coldSkopeo.ms <= 1 / 1.2, `${mbps(mb, r.coldAirgap.ms)} vs ${mbps(mb, r.coldSkopeo.ms)} MB/s`);
row("(a/d) cold mirror — vs raw GET→PUT ceiling", r.coldAirgap, r.ceiling, "within 10 % (≤ 1.10)", r.coldAirgap.ms / r.ceiling.ms <= 1.1, `ceiling ${mbps(mb, r.ceiling.ms)} MB/s`);
row("(b) warm rerun, target complete", r.warmAirgap, r.warmSkopeo, "≥ 3× faster (≤ 0.33)", r.warmAirgap.ms / r.warmSkopeo.ms <= 1 / 3);
row("(c) bundle of the dataset", r.bundleAirgap, r.bundleSkopeo, "≥ 2× faster (≤ 0.50)", r.bundleAirgap.ms / r.bundleSkopeo.ms <= 0.5, `${mbps(mb, r.bundleAirgap.ms)} vs ${mbps(mb, r.bundleSkopeo.ms)} MB/s`);
row(`(e) no-op plan, ${sizes.tags} tags, locked`, r.noopPlan, r.noopSkopeo, "≥ 10× faster (≤ 0.10)", r.noopPlan.ms / r.noopSkopeo.ms <= 0.1);
row(`(e) no-op plan, ${sizes.tags} tags, no lock`, r.noopPlanNoLock, r.noopSkopeo, "—", undefined);
row(`(e) no-op apply, ${sizes.tags} tags, locked`, r.noopApply, r.noopSkopeo, "≥ 10× faster (≤ 0.10)", r.noopApply.ms / r.noopSkopeo.ms <= 0.1);
row(`(f) cold mirror, ${sizes.tags} tags of one image`, r.manyColdAirgap, r.manyColdSkopeo, "≤ 3 s", r.manyColdAirgap.ms <= 3000);
row(`(e) floor: ${sizes.tags} HEADs, no tool`, r.noopFloor, r.noopSkopeo, "—", undefined, `no-op plan ÷ floor ${(r.noopPlan.ms / r.noopFloor.ms).toFixed(2)}`);
row(`(f) floor: ${sizes.tags} HEADs + ${sizes.tags} PUTs, no tool`, r.manyFloor, r.manyColdSkopeo, "—", undefined, `cold mirror ÷ floor ${(r.manyColdAirgap.ms / r.manyFloor.ms).toFixed(2)}`);
row("(g) peak RSS, no-op plan (MB)", { ms: r.noopPlan.rssMb }, { ms: r.noopSkopeo.rssMb }, "< 100 MB", r.noopPlan.rssMb < 100);
row("(g) peak RSS, cold mirror (MB)", { ms: r.coldAirgap.rssMb }, { ms: r.coldSkopeo.rssMb }, "—", undefined);
if (r.gibAirgap) {
  row("(g) copy of a 1 GiB layer", r.gibAirgap, r.gibSkopeo, "≥ 1.2× faster (≤ 0.83)", r.gibAirgap.ms / r.gibSkopeo.ms <= 1 / 1.2, `${mbps(gib.bytes, r.gibAirgap.ms)} vs ${mbps(gib.bytes, r.gibSkopeo.ms)} MB/s`);
  row("(g) peak RSS, 1 GiB layer (MB)", { ms: r.gibAirgap.rssMb }, { ms: r.gibSkopeo.rssMb }, "< 150 MB", r.gibAirgap.rssMb < 150);
}
row("(h) start-up, --version", r.startVersion, r.skopeoVersion, "< 500 ms", r.startVersion.ms < 500);
row("(h) start-up, validate", r.startValidate, undefined, "< 500 ms", r.startValidate.ms < 500);

const rss = (name) => name.includes("(MB)");
const fmt = (name, v) => (v === undefined ? "—" : rss(name) ? `${v.toFixed(0)} MB` : s(v));
const lines = [
  "| case | airgap | skopeo / ceiling | ratio | goal | met | notes |",
  "| --- | --- | --- | --- | --- | --- | --- |",
  ...rows.map((x) => `| ${x.case} | ${fmt(x.case, x.airgapMs)} | ${fmt(x.case, x.otherMs)} | ${x.ratio === undefined ? "—" : x.ratio.toFixed(2)} | ${x.goal} | ${x.met === undefined ? "—" : x.met ? "met" : "not met"} | ${x.extra} |`),
];
const skopeoVersion = spawnSync("skopeo", ["--version"], { encoding: "utf8" }).stdout.trim();
const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, node ${process.version}, ${skopeoVersion}`;
process.stdout.write(`\n${machine}; ${quick ? "--quick" : large ? "--large" : "default"} dataset, median of ${runs} runs\n\n${lines.join("\n")}\n`);
const out = join(root, "bench/results");
mkdirSync(out, { recursive: true });
const file = join(out, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}${quick ? "-quick" : large ? "-large" : ""}.json`);
writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine, mode: quick ? "quick" : large ? "large" : "default", runs, datasetBytes: mb, images: images.length, tags: sizes.tags, results, rows }, null, 2)}\n`);
process.stdout.write(`\nwrote ${file}\n`);

// ---- whole-process memory bounds, moved here from the test suite (issue 10 item 6) ---------------
// DESIGN §10: memory does not grow with blob size. bench/*.test.ts hold peak-RSS bounds for copying
// a 1 GiB layer through the copy graph in-process and for a 512 MiB blob going through a layout and
// a tar; they start real registries from test/harness, so they run under vitest, one at a time.
const memory = spawnSync(process.execPath, [join(root, "node_modules/vitest/vitest.mjs"), "run", "--config", "bench/vitest.config.ts"], { cwd: root, stdio: "inherit" });
if (memory.status !== 0) process.exitCode = 1;
