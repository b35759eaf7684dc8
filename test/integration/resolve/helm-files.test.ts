/**
 * Charts from a classic Helm repository and files over HTTP and on disk,
 * served by nginx (the harness's WebDAV server: files are PUT into place).
 * The server requires Basic auth; the credentials come from the environment
 * into the sources' `credentials` blocks, so the password is a secret and
 * appears nowhere in the lock or problems, while every URL is locked exactly
 * as written (or as the index lists it).
 */
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareLock, serializeLock, type AirgapLock, type LockedHelmChart } from "../../../src/lock/index.js";
import { Secret } from "../../../src/core/secret.js";
import { startNginxDav, type RunningNginx } from "../../harness/nginx.js";
import { makeTempDir, type TempDir } from "../../harness/tmp.js";
import { configFrom, testTransport, problemLines, resolve, type TestConfig } from "./helpers.js";

const USER = "chartreader";
const PASSWORD = "hunter2-secret";
const sha = (data: Buffer | string): string => createHash("sha256").update(data).digest("hex");
const tgz = (name: string, version: string): Buffer => Buffer.from(`fake chart archive ${name}-${version}\n`.repeat(20));

let nginx: RunningNginx;
let tmp: TempDir;
let auth: string;

async function put(path: string, body: Buffer | string): Promise<void> {
  const res = await nginx.fetch(path, { method: "PUT", body, headers: { authorization: auth } });
  if (res.status !== 201 && res.status !== 204) throw new Error(`PUT ${path}: ${res.status}`);
}

function indexYaml(digests: { tampered?: string } = {}): string {
  const entry = (name: string, version: string, url: string, digest: string | undefined): string =>
    `    - name: ${name}\n      version: ${version}\n      urls: [${JSON.stringify(url)}]\n${digest !== undefined ? `      digest: ${digest}\n` : ""}      created: "2024-01-01T00:00:00Z"\n`;
  return [
    "apiVersion: v1",
    "entries:",
    "  ingress-nginx:",
    entry("ingress-nginx", "4.8.3", "charts/ingress-nginx-4.8.3.tgz", sha(tgz("ingress-nginx", "4.8.3"))),
    entry("ingress-nginx", "4.8.10", "charts/ingress-nginx-4.8.10.tgz", sha(tgz("ingress-nginx", "4.8.10"))),
    entry("ingress-nginx", "4.8.11-beta.1", "charts/ingress-nginx-4.8.11-beta.1.tgz", sha(tgz("ingress-nginx", "4.8.11-beta.1"))),
    entry("ingress-nginx", "4.9.0", "charts/ingress-nginx-4.9.0.tgz", sha(tgz("ingress-nginx", "4.9.0"))),
    "  absolute:",
    entry("absolute", "1.2.0", `${nginx.url}/elsewhere/absolute-1.2.0.tgz`, undefined),
    "  tampered:",
    entry("tampered", "2.0.0", "charts/tampered-2.0.0.tgz", digests.tampered ?? "0".repeat(64)),
    "  gone:",
    entry("gone", "1.0.0", "charts/gone-1.0.0.tgz", undefined),
    "generated: 2024-01-01T00:00:00Z",
    "",
  ].join("\n");
}

beforeAll(async () => {
  nginx = await startNginxDav({ basicAuth: { username: USER, password: PASSWORD } });
  auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
  tmp = await makeTempDir("resolvehelm");
  for (const v of ["4.8.3", "4.8.10", "4.8.11-beta.1", "4.9.0"]) await put(`/stable/charts/ingress-nginx-${v}.tgz`, tgz("ingress-nginx", v));
  await put("/elsewhere/absolute-1.2.0.tgz", tgz("absolute", "1.2.0"));
  await put("/stable/charts/tampered-2.0.0.tgz", tgz("tampered", "2.0.0"));
  await put("/stable/index.yaml", indexYaml());
  await put("/files/k0s-v1.30.0-amd64", Buffer.from("k0s binary\n".repeat(1000)));
  await put("/files/tools/helper.sh", "#!/bin/sh\necho hi\n");
  await writeFile(join(tmp.path, "local.txt"), "local file\n");
});

afterAll(async () => {
  await nginx?.stop();
  await tmp?.remove();
  await testTransport.close();
});

const ENV = { HELM_USER: USER, HELM_PASSWORD: PASSWORD };

function yaml(charts: string, files = ""): string {
  const base = nginx.url.replace("http://", "");
  return `apiVersion: airgap/v1
sources:
  charts: { type: helm, url: "http://${base}/stable", credentials: { username: "\${HELM_USER}", password: "\${HELM_PASSWORD}" } }
  downloads: { type: http, url: "http://${base}/files", credentials: { username: "\${HELM_USER}", password: "\${HELM_PASSWORD}" } }
registries:
  mirror: { provider: oci, url: "http://127.0.0.1:5999" }
  fs: { provider: fileserver, url: "http://127.0.0.1:5998" }
bundles:
  main:
    registry: mirror
    charts:
${charts}${files === "" ? "" : `    files:\n${files}`}`;
}

function helm(lock: AirgapLock, name: string, version: string): LockedHelmChart {
  const found = lock.charts.find((c): c is LockedHelmChart => c.type === "helm" && c.name === name && c.version === version);
  if (found === undefined) throw new Error(`${name} ${version} not locked`);
  return found;
}

describe("Helm repository charts", () => {
  let test: TestConfig;
  let lock: AirgapLock;

  beforeAll(async () => {
    test = await configFrom(
      yaml(`      - { source: charts, name: ingress-nginx, version: 4.8.x }
      - { source: charts, name: ingress-nginx, version: 4.9.0 }
      - { source: charts, name: absolute, version: ">=1" }
`),
      ENV,
    );
    const result = await resolve(test);
    expect(problemLines(result)).toEqual([]);
    lock = result.lock;
  });

  it("takes the newest version in a range (no pre-releases), with the sha256 of the downloaded .tgz", () => {
    const chart = helm(lock, "ingress-nginx", "4.8.x");
    expect(chart).toMatchObject({ resolvedVersion: "4.8.10", sha256: sha(tgz("ingress-nginx", "4.8.10")), size: tgz("ingress-nginx", "4.8.10").length });
    expect(chart.url).toBe(`${nginx.url}/stable/charts/ingress-nginx-4.8.10.tgz`);
    expect(chart.repository).toBe(`${nginx.url}/stable`);
    expect(helm(lock, "ingress-nginx", "4.9.0").resolvedVersion).toBe("4.9.0");
    // An absolute URL on the repository's own origin gets the repository's credentials (Helm's rule).
    expect(helm(lock, "absolute", ">=1")).toMatchObject({ resolvedVersion: "1.2.0", sha256: sha(tgz("absolute", "1.2.0")), url: `${nginx.url}/elsewhere/absolute-1.2.0.tgz` });
  });

  it("writes no credentials, and the password is a Secret in the model", () => {
    const text = serializeLock(lock);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain("redacted");
    const entry = test.config.bundles[0]?.charts[0];
    expect(entry?.type === "helm" && entry.credentials?.password).toBeInstanceOf(Secret);
    expect(JSON.stringify(test.config.bundles)).not.toContain(PASSWORD);
  });

  it("verifies a locked chart from the index and a HEAD on a rerun, and reports a republished chart", async () => {
    expect(compareLock(test.config, lock).upToDate).toBe(true);
    const again = await resolve(test, { lock, now: () => new Date("2040-01-01T00:00:00Z") });
    expect(problemLines(again)).toEqual([]);
    expect(serializeLock(again.lock)).toBe(serializeLock(lock));

    const republished = Buffer.from("republished 4.9.0\n");
    await put("/stable/charts/ingress-nginx-4.9.0.tgz", republished);
    await put("/stable/index.yaml", indexYaml().replace(sha(tgz("ingress-nginx", "4.9.0")), sha(republished)));
    try {
      const changed = await resolve(test, { lock });
      expect(changed.problems.map((p) => [p.kind, p.pointer])).toEqual([["locked-content-changed", "/bundles/main/charts/1"]]);
      expect(changed.problems[0]?.message).toContain(`now states sha256 ${sha(republished)}, airgap.lock recorded ${sha(tgz("ingress-nginx", "4.9.0"))}`);
      const refreshed = await resolve(test, { lock, refresh: ["ingress-nginx"] });
      expect(refreshed.problems).toEqual([]);
      expect(helm(refreshed.lock, "ingress-nginx", "4.9.0").sha256).toBe(sha(republished));
    } finally {
      await put("/stable/charts/ingress-nginx-4.9.0.tgz", tgz("ingress-nginx", "4.9.0"));
      await put("/stable/index.yaml", indexYaml());
    }
  });

  it("reports unknown charts, unmatched versions, a digest mismatch and a missing .tgz", async () => {
    const bad = await configFrom(
      yaml(`      - { source: charts, name: nosuch, version: 1.0.0 }
      - { source: charts, name: ingress-nginx, version: 5.x }
      - { source: charts, name: tampered, version: 2.0.0 }
      - { source: charts, name: gone, version: 1.0.0 }
      - { source: charts, name: ingress-nginx, version: 4.8.3 }
`),
      ENV,
    );
    const result = await resolve(bad);
    const repo = `${nginx.url}/stable`;
    expect(problemLines(result)).toEqual([
      `chart-not-found /bundles/main/charts/0: chart "nosuch" is not in ${repo}/index.yaml (it has 4 charts: absolute, gone, ingress-nginx, tampered)`,
      `chart-version-not-found /bundles/main/charts/1: no version of chart ingress-nginx in ${repo}/index.yaml matches "5.x"; it has: 4.9.0, 4.8.11-beta.1, 4.8.10, 4.8.3`,
      `checksum-mismatch /bundles/main/charts/2: chart tampered 2.0.0: ${repo}/index.yaml states sha256 ${"0".repeat(64)}, but ${repo}/charts/tampered-2.0.0.tgz has sha256 ${sha(tgz("tampered", "2.0.0"))}`,
      `chart-not-found /bundles/main/charts/3: chart gone 1.0.0 is listed in ${repo}/index.yaml, but ${repo}/charts/gone-1.0.0.tgz answered 404`,
    ]);
    expect(result.lock.charts.map((c) => (c.type === "helm" ? `${c.name} ${c.resolvedVersion}` : c.ref))).toEqual(["ingress-nginx 4.8.3"]);
    expect(problemLines(result).join("\n")).not.toContain(PASSWORD);
  });
});

describe("files", () => {
  it("locks URLs by HEAD (declared sha256) and local paths by hashing, and reports what is wrong", async () => {
    const k0s = Buffer.from("k0s binary\n".repeat(1000));
    const local = join(tmp.path, "local.txt");
    const test = await configFrom(
      yaml(
        "      - { source: charts, name: ingress-nginx, version: 4.9.0 }\n",
        `      - { url: "${nginx.url}/files/k0s-v1.30.0-amd64", sha256: ${sha(k0s)}, to: { registry: fs, path: k0s/k0s } }
      - { source: downloads, url: tools/helper.sh, sha256: ${sha("#!/bin/sh\necho hi\n")}, to: { registry: fs, path: tools/helper.sh } }
      - { path: "${local}", to: { registry: fs, path: local.txt } }
      - { path: "${local}", sha256: ${"f".repeat(64)}, to: { registry: fs, path: local-wrong.txt } }
      - { url: "${nginx.url}/files/missing", sha256: ${"a".repeat(64)}, to: { registry: fs, path: missing } }
`,
      ),
      ENV,
    );
    // The first URL carries no credentials: nginx refuses it (401), which is a problem of that entry.
    const result = await resolve(test);
    expect(result.problems.map((p) => [p.kind, p.pointer])).toEqual([
      ["source-error", "/bundles/main/files/0"],
      ["checksum-mismatch", "/bundles/main/files/3"],
      ["source-error", "/bundles/main/files/4"],
    ]);
    expect(result.problems[0]?.message).toContain(`HEAD ${nginx.url}/files/k0s-v1.30.0-amd64 answered 401`);
    expect(result.problems[1]?.message).toContain(`has sha256 ${sha("local file\n")}, but airgap.yaml declares ${"f".repeat(64)}`);
    const files = result.lock.files.map((f) => [f.url ?? f.path, f.sha256, f.size]);
    expect(files).toContainEqual([`${nginx.url}/files/tools/helper.sh`, sha("#!/bin/sh\necho hi\n"), 18]);
    expect(files.find((f) => String(f[0]).endsWith("local.txt"))?.slice(1)).toEqual([sha("local file\n"), 11]);
    expect(String(files.find((f) => String(f[0]).endsWith("local.txt"))?.[0])).not.toMatch(/^\//); // relative to airgap.yaml
  });

  it("finds a missing file on a rerun with the lock", async () => {
    const path = join(tmp.path, "soon-gone.txt");
    await writeFile(path, "temporary\n");
    const test = await configFrom(yaml("      - { source: charts, name: ingress-nginx, version: 4.9.0 }\n", `      - { path: "${path}", to: { registry: fs, path: soon-gone.txt } }\n`), ENV);
    const first = await resolve(test);
    expect(first.problems).toEqual([]);
    await writeFile(path, "temporary, but longer now\n");
    const changed = await resolve(test, { lock: first.lock });
    expect(changed.problems.map((p) => p.kind)).toEqual(["locked-content-changed"]);
  });
});
