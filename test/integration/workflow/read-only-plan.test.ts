/**
 * `airgap plan` is read-only: the target registry's own access log shows
 * only GET and HEAD requests while a plan with creates, an update, a prune
 * deletion and present blobs is made, and the target is unchanged after it.
 */
import { describe, expect, it } from "vitest";
import { generateImages, pushImages } from "../../harness/images.js";
import { listTags, useRegistryPair, waitFor, workflowConfig } from "./workflow.js";

const images = generateImages("wf-readonly");
const extra = generateImages("wf-readonly-extra", [
  { repository: "mke/team/sub/app", tags: ["stray"], format: "oci" },
  { repository: "mke/library/single", tags: ["1.0"], format: "docker" },
]);

const pair = useRegistryPair(images);

/** Method and path of every access-log line (combined format: `"GET /v2/... HTTP/1.1" 200`). */
function requests(log: string): { method: string; path: string }[] {
  return [...log.matchAll(/"([A-Z]+) (\S+) HTTP\/[\d.]+" \d{3}/g)].map((m) => ({ method: m[1] ?? "", path: m[2] ?? "" }));
}

describe("read-only plan", () => {
  it("makes only GET and HEAD requests to the target", async () => {
    const ws = pair.workspace("readonly");
    const config = (list: readonly string[]) =>
      workflowConfig({ upstreamHost: pair.upstream.host, upstreamUrl: pair.upstream.url, mirrorUrl: pair.mirror.url, prune: true, images: list.map((r) => `${pair.upstream.host}/${r}`) });
    // Some content already there, some missing, one tag to move, one to prune.
    ws.writeConfig(config(["team/sub/app:v1"]));
    expect((await ws.run(["apply", "--auto-approve"])).code).toBe(0);
    await pushImages(pair.mirror, extra);
    ws.writeConfig(config(["team/sub/app:v1", "team/sub/app:v2", "team/sub/legacy:v1", "library/single:1.0"]));
    const tagsBefore = await Promise.all(["mke/team/sub/app", "mke/library/single", "mke/team/sub/legacy"].map((r) => listTags(pair.mirror, r)));

    const logBefore = (await pair.mirror.readLog()).length;
    const plan = await ws.run(["plan", "--detailed-exitcode"]);
    expect(plan.stdout).toMatch(/Plan: 2 to add, 1 to change, 1 to destroy\./);
    expect(plan.code).toBe(2);
    // The registry writes an access-log line as it answers: a marker request sent after the plan
    // exited lands after every line of the plan, so wait for the marker instead of a fixed time.
    const marker = `/v2/readonly-plan-marker/tags/list`;
    await (await pair.mirror.fetch(marker)).arrayBuffer();
    await waitFor("the marker request in the access log", async () => (await pair.mirror.readLog()).slice(logBefore).includes(`GET ${marker} `));
    const logAfter = (await pair.mirror.readLog()).slice(logBefore);
    const during = requests(logAfter.slice(0, logAfter.indexOf(`GET ${marker} `)));

    expect(during.length).toBeGreaterThan(5);
    const writes = during.filter((r) => r.method !== "GET" && r.method !== "HEAD");
    expect(writes).toEqual([]);
    // It did look: tags of the pruned repositories, manifests of desired tags, blobs of what is missing.
    expect(during).toContainEqual({ method: "GET", path: "/v2/mke/team/sub/app/tags/list" });
    expect(during.some((r) => r.path.startsWith("/v2/mke/team/sub/app/manifests/v2"))).toBe(true);
    expect(during.some((r) => r.method === "HEAD" && /^\/v2\/mke\/team\/sub\/legacy\/blobs\/sha256:/.test(r.path))).toBe(true);

    expect(await Promise.all(["mke/team/sub/app", "mke/library/single", "mke/team/sub/legacy"].map((r) => listTags(pair.mirror, r)))).toEqual(tagsBefore);
  });
});
