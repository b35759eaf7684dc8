/**
 * Charts sent to a file server form a Helm HTTP repository: archives first,
 * then index.yaml (apiVersion v1, names sorted, versions newest first,
 * digest = hex sha256 of the .tgz, relative urls) merged with what was there
 * and written atomically. helm is not installed here: the index is checked
 * against the format in providers-notes §5.3 with the yaml parser, with
 * airgap's own source-side index reader, and by fetching every chart back
 * through its URL.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createFileserverProvider, type FileServerError } from "../../../plugins/fileserver/index.js";
import { parseHelmIndex } from "../../../src/sources/helm-index.js";
import type { Provider } from "../../../src/sdk/index.js";
import { startNginxDav, type RunningNginx } from "../../harness/nginx.js";
import { makeTempDir, type TempDir } from "../../harness/tmp.js";
import { chartArchive, HELM_ENTRY_FIELDS } from "./fileserver-charts.js";
import { contentOf, sha256 } from "./fileserver-content.js";

const T0 = new Date("2026-03-01T10:00:00.000Z");
const T1 = new Date("2026-03-02T11:30:00.000Z");

/** An index.yaml as another tool (or an earlier airgap) left it: a comment, a float-looking version, extra top-level keys. */
const EXISTING = `# maintained by the platform team
apiVersion: v1
entries:
  zeta:
    - apiVersion: v2
      name: zeta
      version: 1.10
      appVersion: 2.0
      digest: ${"ab".repeat(32)}
      urls: [https://mirror.example/zeta-1.10.tgz]
      created: "2025-01-01T00:00:00Z"
  nginx:
    - apiVersion: v2
      name: nginx
      version: 0.1.0
      digest: ${"cd".repeat(32)}
      urls: [nginx-0.1.0.tgz]
      created: "2025-02-02T00:00:00Z"
    - apiVersion: v2
      name: nginx
      version: 0.2.0
      digest: ${"ef".repeat(32)}
      urls: [nginx-0.2.0.tgz]
      created: "2025-03-03T00:00:00Z"
generated: "2025-03-03T00:00:00Z"
serverInfo:
  contextPath: /charts
`;

const NGINX_CHART = (version: string): string => `apiVersion: v2
name: nginx
version: ${version}
appVersion: 1.10
description: NGINX for the air gap
type: application
keywords: [web, proxy]
maintainers:
  - name: Platform Team
    email: platform@example.com
annotations:
  category: Infrastructure
  licenses: Apache-2.0
dependencies:
  - name: common
    version: 2.x.x
    repository: oci://registry.example/charts
x-not-helm: dropped from the index, Helm would refuse it
`;

describe("Helm HTTP repository on nginx", () => {
  let nginx: RunningNginx;
  let provider: Provider;
  let clock = T0;
  const archives: Record<string, Buffer> = {};

  beforeAll(async () => {
    nginx = await startNginxDav();
    provider = await createFileserverProvider({ url: nginx.url }, { registryName: "charts" }, { now: () => clock, sleep: async () => {} });
    archives["nginx-0.2.0"] = await chartArchive("nginx", NGINX_CHART("0.2.0"));
    archives["nginx-0.10.0"] = await chartArchive("nginx", NGINX_CHART("0.10.0"));
    archives["alpha-1.0.0+build.5"] = await chartArchive("alpha", "apiVersion: v2\nname: alpha\nversion: 1.0.0+build.5\ndeprecated: true\n");
  });
  afterAll(async () => {
    await provider?.close?.();
    await nginx?.stop();
  });

  it("publishes archives, then an index merged with the existing one", async () => {
    expect((await nginx.fetch("/repo/index.yaml", { method: "PUT", body: EXISTING })).status).toBe(201);
    const before = (await nginx.requests()).length;

    const result = await provider.publishCharts!("repo", [contentOf(archives["nginx-0.2.0"]!), contentOf(archives["nginx-0.10.0"]!), contentOf(archives["alpha-1.0.0+build.5"]!)]);
    expect(result.index).toBe("repo/index.yaml");
    expect(result.charts.map((c) => `${c.name} ${c.version} ${c.path}`)).toEqual(["nginx 0.2.0 repo/nginx-0.2.0.tgz", "nginx 0.10.0 repo/nginx-0.10.0.tgz", "alpha 1.0.0+build.5 repo/alpha-1.0.0+build.5.tgz"]);

    // Order on the wire: the index is read first, every archive is in place before the index moves in.
    const log = (await nginx.requests()).slice(before).map((r) => `${r.method} ${decodeURIComponent(r.uri)} ${r.status}`);
    expect(log[0]).toBe("GET /repo/index.yaml 200");
    const indexMove = log.findIndex((l) => /^MOVE \/repo\/\.index\.yaml\.airgap-tmp-/.test(l));
    const archiveMoves = log.flatMap((l, i) => (/^MOVE \/repo\/\.[a-z]+-[^/]*\.tgz\.airgap-tmp-/.test(l) ? [i] : []));
    expect(archiveMoves).toHaveLength(3);
    expect(Math.max(...archiveMoves)).toBeLessThan(indexMove);

    const text = await (await nginx.fetch("/repo/index.yaml")).text();
    // What was there survives as written: the comment, the float-looking version, serverInfo, untouched entries.
    expect(text).toContain("# maintained by the platform team");
    expect(text).toMatch(/\n {6}version: 1\.10\n {6}appVersion: 2\.0\n/);
    expect(text).toContain("contextPath: /charts");
    expect(text).toContain(`digest: ${"cd".repeat(32)}`);
    expect(text).not.toContain(`digest: ${"ef".repeat(32)}`);

    const index = parse(text) as { apiVersion: string; generated: string; entries: Record<string, Record<string, unknown>[]>; serverInfo: unknown };
    expect(index.apiVersion).toBe("v1");
    expect(index.generated).toBe(T0.toISOString());
    expect(Object.keys(index.entries)).toEqual(["alpha", "nginx", "zeta"]);
    expect(index.entries["nginx"]!.map((e) => e["version"])).toEqual(["0.10.0", "0.2.0", "0.1.0"]);
    const nginx020 = index.entries["nginx"]![1]!;
    expect(nginx020).toEqual({
      apiVersion: "v2",
      name: "nginx",
      version: "0.2.0",
      appVersion: "1.10",
      description: "NGINX for the air gap",
      type: "application",
      keywords: ["web", "proxy"],
      maintainers: [{ name: "Platform Team", email: "platform@example.com" }],
      annotations: { category: "Infrastructure", licenses: "Apache-2.0" },
      dependencies: [{ name: "common", version: "2.x.x", repository: "oci://registry.example/charts" }],
      urls: ["nginx-0.2.0.tgz"],
      created: T0.toISOString(),
      digest: sha256(archives["nginx-0.2.0"]!),
    });
    expect(index.entries["alpha"]![0]).toMatchObject({ version: "1.0.0+build.5", deprecated: true, digest: sha256(archives["alpha-1.0.0+build.5"]!) });
    // Helm reads index.yaml strictly: every field of every entry must be one it knows.
    for (const versions of Object.values(index.entries)) for (const entry of versions) for (const key of Object.keys(entry)) expect(HELM_ENTRY_FIELDS.has(key), key).toBe(true);

    // Every chart comes back through its index URL with the digest the index states.
    const indexUrl = `${nginx.url}/repo/index.yaml`;
    for (const [name, versions] of Object.entries(index.entries)) {
      if (name === "zeta") continue;
      for (const entry of versions.filter((e) => e["version"] !== "0.1.0")) {
        const url = new URL((entry["urls"] as string[])[0]!, indexUrl);
        const bytes = Buffer.from(await (await nginx.fetch(url.href)).arrayBuffer());
        expect(sha256(bytes), url.href).toBe(entry["digest"]);
      }
    }

    // airgap's own reader of classic repositories (the source side) reads it the same way.
    const reread = parseHelmIndex(text, indexUrl);
    expect(reread.entries.get("nginx")?.map((v) => [v.version, v.digest])).toEqual([
      ["0.10.0", sha256(archives["nginx-0.10.0"]!)],
      ["0.2.0", sha256(archives["nginx-0.2.0"]!)],
      ["0.1.0", "cd".repeat(32)],
    ]);
    expect(reread.entries.get("zeta")?.[0]?.version).toBe("1.10");
  });

  it("observes charts from the index in one request", async () => {
    const before = (await nginx.requests()).length;
    const observed = await provider.observeCharts!("repo", [
      { name: "nginx", version: "0.2.0" },
      { name: "alpha", version: "1.0.0+build.5" },
      { name: "nginx", version: "9.9.9" },
      { name: "unknown", version: "1.0.0" },
    ]);
    expect(Object.fromEntries(observed)).toEqual({
      "repo/nginx-0.2.0.tgz": { state: "present", sha256: sha256(archives["nginx-0.2.0"]!) },
      "repo/alpha-1.0.0+build.5.tgz": { state: "present", sha256: sha256(archives["alpha-1.0.0+build.5"]!) },
      "repo/nginx-9.9.9.tgz": { state: "absent" },
      "repo/unknown-1.0.0.tgz": { state: "absent" },
    });
    expect((await nginx.requests()).slice(before).map((r) => `${r.method} ${r.uri}`)).toEqual(["GET /repo/index.yaml"]);
    expect(Object.fromEntries(await provider.observeCharts!("empty", [{ name: "nginx", version: "0.2.0" }]))).toEqual({ "empty/nginx-0.2.0.tgz": { state: "absent" } });
  });

  it("keeps `created` of entries that did not change and skips rewriting an index that is current", async () => {
    clock = T1;
    const before = (await nginx.requests()).length;
    await provider.publishCharts!("repo", [contentOf(archives["nginx-0.2.0"]!)]);
    const log = (await nginx.requests()).slice(before);
    expect(log.filter((r) => r.uri.includes("index.yaml")).map((r) => r.method)).toEqual(["GET"]);
    const index = parse(await (await nginx.fetch("/repo/index.yaml")).text()) as { generated: string; entries: Record<string, Record<string, unknown>[]> };
    expect(index.generated).toBe(T0.toISOString());
    expect(index.entries["nginx"]![1]!["created"]).toBe(T0.toISOString());
  });

  it("refuses a chart whose sha256 does not match, writing nothing", async () => {
    const before = (await nginx.requests()).length;
    const error = await provider.publishCharts!("repo", [contentOf(archives["nginx-0.10.0"]!, { sha256: "0".repeat(64) })]).catch((e: unknown) => e);
    expect((error as FileServerError).code).toBe("FILE_DIGEST");
    expect((await nginx.requests()).slice(before)).toEqual([]);
  });

  it("stops before uploading anything when the existing index cannot be read", async () => {
    const broken = "apiVersion: v1\nentries:\n  nginx: [unclosed\n";
    expect((await nginx.fetch("/broken/index.yaml", { method: "PUT", body: broken })).status).toBe(201);
    const error = await provider.publishCharts!("broken", [contentOf(archives["nginx-0.2.0"]!)]).catch((e: unknown) => e);
    expect((error as FileServerError).code).toBe("FILE_CHART");
    expect((error as Error).message).toContain("/broken/index.yaml is not valid YAML");
    expect(await readFile(join(nginx.root, "broken/index.yaml"), "utf8")).toBe(broken);
    expect((await nginx.fetch("/broken/nginx-0.2.0.tgz")).status).toBe(404);
  });

  it("refuses an archive that is not a chart", async () => {
    const error = await provider.publishCharts!("repo", [contentOf(Buffer.from("not gzip"))]).catch((e: unknown) => e);
    expect((error as FileServerError).code).toBe("FILE_CHART");
    expect((error as Error).message).toContain("not a gzip-compressed chart archive");
  });
});

describe("Helm HTTP repository in a directory", () => {
  let tmp: TempDir;
  let provider: Provider;
  beforeAll(async () => {
    tmp = await makeTempDir("fileserverhelm");
    provider = await createFileserverProvider({ path: tmp.path }, { registryName: "disk" }, { now: () => T0 });
  });
  afterAll(async () => {
    await provider?.close?.();
    await tmp?.remove();
  });

  it("writes the same repository layout at the directory root", async () => {
    const archive = await chartArchive("tool", "apiVersion: v2\nname: tool\nversion: 3.1.4\n");
    await provider.publishCharts!("", [contentOf(archive)]);
    const index = parse(await readFile(join(tmp.path, "index.yaml"), "utf8")) as { apiVersion: string; entries: Record<string, Record<string, unknown>[]> };
    expect(index.apiVersion).toBe("v1");
    expect(index.entries["tool"]).toEqual([{ apiVersion: "v2", name: "tool", version: "3.1.4", urls: ["tool-3.1.4.tgz"], created: T0.toISOString(), digest: sha256(archive) }]);
    expect(sha256(await readFile(join(tmp.path, "tool-3.1.4.tgz")))).toBe(sha256(archive));
    expect(Object.fromEntries(await provider.observeCharts!("", [{ name: "tool", version: "3.1.4" }]))).toEqual({ "tool-3.1.4.tgz": { state: "present", sha256: sha256(archive) } });
  });
});
