/**
 * Hostile and broken `docker save` archives: each is refused at open with a
 * LayoutError whose code and entry say what was wrong, and nothing is read
 * beyond headers and JSON.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerArchive } from "../../../../src/oci/docker-archive/index.js";
import { LayoutError } from "../../../../src/oci/layout/index.js";
import { makeTempDir, type TempDir } from "../../../harness/tmp.js";
import { dockerSaveEntries, imageConfig, layerTar, rawTar, savedImage, sha256, type RawEntry } from "./fixtures.js";

const image = savedImage(["nginx:1.25"], ["base", "top"]);
const good = dockerSaveEntries([image]);
const layerPath = good.find((e) => e.name.endsWith("/layer.tar"))!.name;

/** The good archive with `manifest.json` replaced. */
function withManifest(items: unknown, extra: readonly RawEntry[] = []): RawEntry[] {
  return [...extra, ...good.filter((e) => e.name !== "manifest.json"), { name: "manifest.json", data: typeof items === "string" ? items : JSON.stringify(items) }];
}

function item(overrides: Record<string, unknown>): Record<string, unknown> {
  const original = (JSON.parse(String(good.find((e) => e.name === "manifest.json")!.data)) as Record<string, unknown>[])[0]!;
  return { ...original, ...overrides };
}

const cases: readonly { readonly name: string; readonly entries: readonly RawEntry[] | Buffer; readonly code: string; readonly message: RegExp; readonly entry?: string }[] = [
  { name: "an entry with ..", entries: [{ name: "../evil", data: "x" }, ...good], code: "UNSAFE_ENTRY", message: /"\.\.\/evil" has a "\.\." path component/, entry: "../evil" },
  { name: "an entry hidden behind .. in the middle", entries: [...good, { name: "a/../../evil", data: "x" }], code: "UNSAFE_ENTRY", message: /"\.\." path component/ },
  { name: "an absolute entry", entries: [{ name: "/etc/passwd", data: "x" }, ...good], code: "UNSAFE_ENTRY", message: /absolute path/, entry: "/etc/passwd" },
  { name: "a symlink out of the archive", entries: [...good, { name: "escape", typeflag: "2", linkname: "../../etc/passwd" }], code: "UNSAFE_ENTRY", message: /symbolic link "escape" points to "\.\.\/\.\.\/etc\/passwd", outside the archive/, entry: "escape" },
  { name: "an absolute symlink", entries: [...good, { name: "abs", typeflag: "2", linkname: "/etc/shadow" }], code: "UNSAFE_ENTRY", message: /points to "\/etc\/shadow", outside the archive/ },
  { name: "a dangling symlink", entries: [...good, { name: "x/layer.tar", typeflag: "2", linkname: "../nothing/layer.tar" }], code: "UNSUPPORTED_ENTRY", message: /points to "nothing\/layer\.tar", which is nothing in the archive/ },
  { name: "a symlink to a directory", entries: [{ name: "d/" }, ...good, { name: "to-dir", typeflag: "2", linkname: "d" }], code: "UNSUPPORTED_ENTRY", message: /which is a directory/ },
  { name: "a symlink to a symlink", entries: [...good, { name: "l1", typeflag: "2", linkname: layerPath }, { name: "l2", typeflag: "2", linkname: "l1" }], code: "UNSUPPORTED_ENTRY", message: /"l2" points to "l1", which is another link/ },
  { name: "an entry below a symlink", entries: [...good, { name: "dir", typeflag: "2", linkname: layerPath }, { name: "dir/evil", data: "x" }], code: "UNSAFE_ENTRY", message: /"dir\/evil" lies below the symbolic link "dir"/ },
  { name: "a hard link", entries: [...good, { name: "hard", typeflag: "1", linkname: layerPath }], code: "UNSUPPORTED_ENTRY", message: /a hard link to/ },
  { name: "a character device", entries: [...good, { name: "dev", typeflag: "3" }], code: "UNSUPPORTED_ENTRY", message: /a character device/ },
  { name: "a FIFO", entries: [...good, { name: "fifo", typeflag: "6" }], code: "UNSUPPORTED_ENTRY", message: /a FIFO/ },
  { name: "the same name twice", entries: [...good, { name: "manifest.json", data: "[]" }], code: "DUPLICATE_ENTRY", message: /"manifest\.json" appears more than once/ },
  { name: "a symlink shadowing a file", entries: [...good, { name: layerPath, typeflag: "2", linkname: "../x" }], code: "DUPLICATE_ENTRY", message: /appears more than once/ },
  { name: "a truncated archive", entries: rawTar(good).subarray(0, 2048), code: "TRUNCATED", message: /truncated/ },
  { name: "a damaged header", entries: Buffer.concat([Buffer.alloc(512, 0x41), rawTar(good)]), code: "CORRUPT_ARCHIVE", message: /checksum/ },
  { name: "no manifest.json", entries: good.filter((e) => e.name !== "manifest.json"), code: "NOT_A_LAYOUT", message: /Docker before 1\.10 is not supported/ },
  { name: "neither manifest.json nor repositories", entries: [{ name: "hello", data: "world" }], code: "NOT_A_LAYOUT", message: /not a docker save archive: no manifest\.json/ },
  { name: "manifest.json that is not JSON", entries: withManifest("[{"), code: "INVALID_INDEX", message: /manifest\.json is not valid JSON/ },
  { name: "manifest.json that is an object", entries: withManifest({ Config: "x" }), code: "INVALID_INDEX", message: /must be a JSON array/ },
  { name: "manifest.json without images", entries: withManifest([]), code: "INVALID_INDEX", message: /lists no images/ },
  { name: "an image without Layers", entries: withManifest([item({ Layers: undefined })]), code: "INVALID_INDEX", message: /\[0\]\.Layers must be an array of strings/ },
  { name: "foreign layers", entries: withManifest([item({ LayerSources: { "sha256:00": { mediaType: "x" } } })]), code: "INVALID_INDEX", message: /LayerSources/ },
  { name: "a RepoTag without a tag", entries: withManifest([item({ RepoTags: ["nginx"] })]), code: "INVALID_REFERENCE", message: /"nginx", which is not of the form name:tag/ },
  { name: "a RepoTag that is no reference", entries: withManifest([item({ RepoTags: ["nginx:-bad"] })]), code: "INVALID_REFERENCE", message: /RepoTag "nginx:-bad": invalid tag/ },
  { name: "one tag for two images", entries: withManifest([item({}), item({ RepoTags: ["docker.io/library/nginx:1.25"] })]), code: "INVALID_INDEX", message: /names docker\.io\/library\/nginx:1\.25 for two images/ },
  { name: "a layer path with ..", entries: withManifest([item({ Layers: ["../../etc/passwd", layerPath] })]), code: "UNSAFE_ENTRY", message: /"\.\.\/\.\.\/etc\/passwd" has a "\.\." path component/ },
  { name: "an absolute config path", entries: withManifest([item({ Config: "/etc/passwd" })]), code: "UNSAFE_ENTRY", message: /absolute path/ },
  { name: "a missing layer", entries: withManifest([item({ Layers: ["gone/layer.tar", layerPath] })]), code: "BLOB_NOT_FOUND", message: /names layer 0 of image \[0\] "gone\/layer\.tar", which is not in the archive/, entry: "gone/layer.tar" },
  { name: "a config that is not JSON", entries: withManifest([item({ Config: "cfg.json" })], [{ name: "cfg.json", data: "{" }]), code: "INVALID_MANIFEST", message: /image config cfg\.json is not valid JSON/, entry: "cfg.json" },
  { name: "a config without rootfs", entries: withManifest([item({ Config: "cfg.json" })], [{ name: "cfg.json", data: "{}" }]), code: "INVALID_MANIFEST", message: /has no rootfs/ },
  { name: "a config with a bad diff_id", entries: withManifest([item({ Config: "cfg.json" })], [{ name: "cfg.json", data: '{"rootfs":{"type":"layers","diff_ids":["md5:x","sha256:y"]}}' }]), code: "INVALID_MANIFEST", message: /rootfs\.diff_ids\[0\]/ },
  { name: "a config over the size limit", entries: withManifest([item({ Config: "cfg.json" })], [{ name: "cfg.json", data: Buffer.alloc(8 * 1024 * 1024 + 1, 0x20) }]), code: "TOO_LARGE", message: /image config cfg\.json is 8388609 bytes, over the 8388608-byte limit/ },
  {
    name: "a gzip-compressed layer",
    entries: withManifest([item({ Config: "gz.json", Layers: ["gz.tar.gz"] })], [
      { name: "gz.tar.gz", data: gzipSync(layerTar("z")) },
      { name: "gz.json", data: imageConfig([layerTar("z")]) },
    ]),
    code: "INVALID_ENTRY",
    message: /layer gz\.tar\.gz is gzip-compressed/,
  },
];

describe("DockerArchive refuses hostile and broken archives", () => {
  let tmp: TempDir;
  beforeAll(async () => {
    tmp = await makeTempDir("dockerhostile");
  });
  afterAll(async () => {
    await tmp?.remove();
  });

  it("opens the unmodified archive (the cases below each change one thing)", async () => {
    const path = join(tmp.path, "good.tar");
    await writeFile(path, rawTar(good));
    expect((await DockerArchive.open(path)).kind).toBe("docker-archive");
    expect(sha256(image.config)).toMatch(/^sha256:/);
  });

  it.each(cases)("$name", async ({ name, entries, code, message, entry }) => {
    const path = join(tmp.path, `${name.replace(/[^a-z0-9]+/gi, "-")}.tar`);
    await writeFile(path, Buffer.isBuffer(entries) ? entries : rawTar(entries));
    const error = await DockerArchive.open(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LayoutError);
    expect(error).toMatchObject({ code, location: `docker-archive:${path}` });
    expect((error as Error).message).toMatch(message);
    if (entry !== undefined) expect((error as LayoutError).entry).toBe(entry);
  });
});
