import type { GeneratedImages, TestDescriptor, TestImage } from "./image-model.js";
import { blobsOf, manifestsOf } from "./image-model.js";
import { createRegistryClient } from "./registry-client.js";
import type { RegistryTarget, TestRegistryClient } from "./registry-client.js";

/** What {@link pushImages} did. */
export interface PushResult {
  /** Blobs uploaded (repository-scoped; the same blob in two repositories counts twice). */
  readonly blobsUploaded: number;
  /** Blobs that were already present in the repository (HEAD 200). */
  readonly blobsSkipped: number;
  /** Manifest PUTs, by digest (children) or by tag. */
  readonly manifestsPut: number;
}

async function expectStatus(what: string, res: Awaited<ReturnType<TestRegistryClient["request"]>>, ...ok: number[]): Promise<void> {
  if (!ok.includes(res.status)) {
    const text = await res.text().catch(() => "");
    throw new Error(`${what}: HTTP ${res.status} (expected ${ok.join("/")}) ${text}`);
  }
  await res.body?.cancel();
}

async function pushBlob(client: TestRegistryClient, repository: string, blob: TestDescriptor): Promise<boolean> {
  const head = await client.request(`/v2/${repository}/blobs/${blob.digest}`, { method: "HEAD" });
  await head.body?.cancel();
  if (head.status === 200) return false;
  const post = await client.request(`/v2/${repository}/blobs/uploads/`, { method: "POST", headers: { "content-length": "0" } });
  await expectStatus(`POST upload ${repository}`, post, 202);
  const location = post.headers.get("location");
  if (location === null) throw new Error(`POST upload ${repository}: no Location`);
  const put = new URL(location, post.url);
  put.searchParams.set("digest", blob.digest);
  const res = await client.request(put.href, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: blob.data,
    scope: `repository:${repository}:pull,push`,
  });
  await expectStatus(`PUT blob ${repository}@${blob.digest}`, res, 201);
  return true;
}

async function putManifest(client: TestRegistryClient, repository: string, reference: string, m: { mediaType: string; bytes: Buffer; digest: string }): Promise<void> {
  const res = await client.request(`/v2/${repository}/manifests/${reference}`, {
    method: "PUT",
    headers: { "content-type": m.mediaType },
    body: m.bytes,
  });
  await expectStatus(`PUT manifest ${repository}:${reference}`, res, 201);
  const digest = res.headers.get("docker-content-digest");
  if (digest !== null && digest !== m.digest) {
    throw new Error(`PUT manifest ${repository}:${reference}: registry computed ${digest}, expected ${m.digest}`);
  }
}

/**
 * Uploads generated images with plain HTTP: per repository all blobs (HEAD, then POST + monolithic
 * `PUT ?digest=`), then child manifests by digest, then the root under every tag. Handles HTTP
 * Basic and the Docker token flow, and TLS via the target's `caFile`.
 *
 * Why: tests seed source registries with known content without going through the product's own
 * client (which is what is under test).
 */
export async function pushImages(target: RegistryTarget, images: GeneratedImages | readonly TestImage[]): Promise<PushResult> {
  const list = "images" in images ? images.images : images;
  const client = createRegistryClient(target);
  let blobsUploaded = 0;
  let blobsSkipped = 0;
  let manifestsPut = 0;
  try {
    for (const image of list) {
      for (const blob of blobsOf(image.root)) {
        if (await pushBlob(client, image.repository, blob)) blobsUploaded++;
        else blobsSkipped++;
      }
      for (const m of manifestsOf(image.root)) {
        if (m === image.root) {
          for (const tag of image.tags) {
            await putManifest(client, image.repository, tag, m);
            manifestsPut++;
          }
        } else {
          await putManifest(client, image.repository, m.digest, m);
          manifestsPut++;
        }
      }
    }
  } finally {
    await client.close();
  }
  return { blobsUploaded, blobsSkipped, manifestsPut };
}
