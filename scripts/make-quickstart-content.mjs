// Writes examples/quickstart/content: a tiny OCI image layout holding
// docker.io/library/hello:1.0 for linux/amd64 and linux/arm64, so that the
// quick start runs with no network at all. Deterministic: rerunning it gives
// the same bytes. Run with `node scripts/make-quickstart-content.mjs`.
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const out = new URL("../examples/quickstart/content/", import.meta.url);
const digestOf = (b) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** A one-file ustar archive (512-byte header, content padded, two zero blocks). */
function tar(name, body) {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(`${body.length.toString(8).padStart(11, "0")}\0`, 124);
  header.write("00000000000\0", 136);
  header.write("        ", 148);
  header.write("0", 156);
  header.write("ustar\0", 257);
  header.write("00", 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, padding, Buffer.alloc(1024)]);
}

const blobs = new Map();
const put = (bytes) => {
  const digest = digestOf(bytes);
  blobs.set(digest, bytes);
  return { digest, size: bytes.length };
};

const manifests = [];
for (const arch of ["amd64", "arm64"]) {
  const layerTar = tar("hello.txt", Buffer.from(`Hello from airgap (${arch})\n`));
  const layer = put(gzipSync(layerTar, { level: 9 }));
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: arch,
        os: "linux",
        config: { Cmd: ["/bin/cat", "/hello.txt"] },
        rootfs: { type: "layers", diff_ids: [digestOf(layerTar)] },
        history: [{ created_by: "scripts/make-quickstart-content.mjs" }],
      }),
    ),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
    }),
  );
  manifests.push({ mediaType: "application/vnd.oci.image.manifest.v1+json", ...put(manifest), platform: { architecture: arch, os: "linux" } });
}
const index = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests })));

rmSync(out, { recursive: true, force: true });
mkdirSync(new URL("blobs/sha256/", out), { recursive: true });
for (const [digest, bytes] of blobs) writeFileSync(new URL(`blobs/sha256/${digest.slice(7)}`, out), bytes);
writeFileSync(new URL("oci-layout", out), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
const name = "docker.io/library/hello:1.0";
writeFileSync(
  new URL("index.json", out),
  JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.index.v1+json",
        ...index,
        annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": name },
      },
    ],
  }),
);
process.stdout.write(`wrote ${name} (${index.digest}) to examples/quickstart/content\n`);
