/**
 * Secrets are marked by the field they fill, never found by their value.
 *
 * The upstream registry's username is `team` (a segment of the repository
 * path `team/sub/app`) and its password is a piece of the digest of the
 * image being mirrored; the tag comes from `${TAG:-stable}`. Lock, plan
 * (--json and -out), bundle (its lock and its copy of airgap.yaml) and the
 * target must hold that data byte for byte. A registry that echoes a
 * password in an error must not make it reach any output, and the text
 * around it must survive.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { faults, startFaultProxy, when, type FaultProxy } from "../../harness/fault-proxy.js";
import { generateImages, pushImages } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { inspectRaw } from "../../harness/skopeo.js";
import { createWorkspace, type JsonPlan, type Workspace } from "./workflow.js";

const images = generateImages("wf-secrets");
/** The root digest of team/sub/app:stable, and a piece of it used as the upstream password. */
const DIGEST = images.get("team/sub/app", "stable").root.digest;
const UP_PASS = DIGEST.slice(20, 32);
const V2_DIGEST = images.get("team/sub/app", "v2").root.digest;
const MIRROR_PASS = `mirror-${randomBytes(8).toString("hex")}`;

let upstream: RunningRegistry;
let mirror: RunningRegistry;
let proxy: FaultProxy;
let upstreamProxy: FaultProxy;
const workspaces: Workspace[] = [];

beforeAll(async () => {
  [upstream, mirror] = await Promise.all([startRegistry({ auth: "basic", username: "team", password: UP_PASS }), startRegistry({ auth: "basic", username: "mirror-user", password: MIRROR_PASS })]);
  await pushImages(upstream, images);
  [proxy, upstreamProxy] = await Promise.all([startFaultProxy({ upstream: mirror }), startFaultProxy({ upstream })]);
});
afterAll(async () => {
  await Promise.all([proxy?.stop(), upstreamProxy?.stop()]);
  await Promise.all([upstream?.stop(), mirror?.stop()]);
  for (const ws of workspaces) ws.remove();
});

function workspace(label: string): Workspace {
  const ws = createWorkspace(label);
  workspaces.push(ws);
  return ws;
}

function config(mirrorUrl: string, path = "mke", upstreamUrl = upstream.url): string {
  return `apiVersion: airgap/v1
sources:
  upstream:
    type: registry
    host: "${upstream.host}"
    url: "${upstreamUrl}"
    credentials: { username: "\${UP_USER}", password: "\${UP_PASS}" }
registries:
  mirror:
    provider: oci
    url: "${mirrorUrl}"
    credentials: { username: mirror-user, password: "\${MIRROR_PASS}" }
bundles:
  platform:
    registry: mirror
    path: ${path}
    preserveDigests: true
    images:
      - "${upstream.host}/team/sub/app:\${TAG:-stable}"
`;
}

const ENV = { UP_USER: "team", UP_PASS, MIRROR_PASS };

/** The bytes of one member of a tar file. */
function tarMember(tar: string, name: string): string {
  return execFileSync("tar", ["-xOf", tar, name], { encoding: "utf8" });
}

describe("secrets are marked by field, not found by value", () => {
  it("a username equal to a path segment, a password inside a digest and ${TAG:-default} survive in lock, plan, bundle and target", async () => {
    const ws = workspace("secret-data");
    ws.writeConfig(config(mirror.url));
    const env = ws.env(ENV);
    const ref = `${upstream.host}/team/sub/app:stable`;

    const lock = await ws.run(["lock"], { env });
    expect(lock.stderr).toBe("Wrote airgap.lock (1 entries).\n");
    expect(lock.code).toBe(0);
    const lockText = readFileSync(join(ws.dir, "airgap.lock"), "utf8");
    const locked = JSON.parse(lockText) as { images: { ref: string; digest: string }[] };
    expect(locked.images).toEqual([expect.objectContaining({ ref, digest: DIGEST })]);
    expect(lockText).not.toContain("(sensitive)");
    expect(lockText).not.toContain("redacted");

    const json = await ws.run(["plan", "--json"], { env });
    expect(json.stderr).not.toContain("internal error");
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout) as JsonPlan;
    expect(plan.changes).toEqual([expect.objectContaining({ action: "create", source: ref, repository: "mke/team/sub/app", tag: "stable", after: DIGEST })]);
    expect(plan.changes[0]?.copy?.sourceDigest).toBe(DIGEST);
    expect(json.stdout).not.toContain("(sensitive)");

    const out = await ws.run(["plan", "-out", "saved.plan"], { env });
    expect(out.code).toBe(0);
    const planFile = readFileSync(join(ws.dir, "saved.plan"), "utf8");
    expect(planFile).toContain(DIGEST);
    expect(planFile).toContain(ref);
    expect(planFile).not.toContain("(sensitive)");

    const bundle = await ws.run(["bundle", "-o", "site.tar"], { env });
    expect(bundle.code).toBe(0);
    const tar = join(ws.dir, "site.tar");
    expect(tarMember(tar, "airgap.lock")).toBe(lockText);
    // The copy of the config keeps ${VAR} references as written.
    expect(tarMember(tar, "airgap.yaml")).toBe(readFileSync(join(ws.dir, "airgap.yaml"), "utf8"));

    const apply = await ws.run(["apply", "saved.plan"], { env });
    expect(apply.stderr).toContain("Apply complete: 1 done, 0 failed");
    expect(apply.code).toBe(0);
    const landed = await inspectAuthenticated("mke/team/sub/app:stable");
    expect(landed).toBe(DIGEST);

    // The tag is data: another value of TAG is another lock entry, and plan says the lock is out of date.
    const other = await ws.run(["plan"], { env: ws.env({ ...ENV, TAG: "v2" }) });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`${upstream.host}/team/sub/app:v2 is not in airgap.lock`);
    expect(other.stderr).toContain("airgap.lock is out of date");
    const relock = await ws.run(["lock"], { env: ws.env({ ...ENV, TAG: "v2" }) });
    expect(relock.code).toBe(0);
    expect(JSON.parse(readFileSync(join(ws.dir, "airgap.lock"), "utf8")).images).toEqual([expect.objectContaining({ ref: `${upstream.host}/team/sub/app:v2`, digest: V2_DIGEST })]);
  });

  it("a registry that echoes the password in an error: no output holds it, and what surrounds it survives", async () => {
    const ws = workspace("secret-echo");
    ws.writeConfig(config(proxy.url, "echo"));
    const env = ws.env(ENV);
    expect((await ws.run(["lock"], { env })).code).toBe(0);
    const plan = await ws.run(["plan", "-out", "echo.plan"], { env });
    expect(plan.stderr).not.toContain("internal error");
    expect(plan.code).toBe(0);
    const message = `password ${MIRROR_PASS} refused for user mirror-user`;
    proxy.setRule(when({ method: "PUT", kind: "manifest" }, faults.status(400, { body: JSON.stringify({ errors: [{ code: "DENIED", message }] }) })));
    try {
      const runs = [await ws.run(["apply", "echo.plan"], { env }), await ws.run(["apply", "--auto-approve", "--json"], { env })];
      for (const run of runs) {
        expect(run.code).toBe(1);
        const output = run.stdout + run.stderr;
        expect(output).not.toContain(MIRROR_PASS);
        expect(output).toContain("password (sensitive) refused for user mirror-user");
        expect(output).toContain(`${upstream.host}/team/sub/app:stable`);
        expect(output).toContain("answered 400: DENIED: password (sensitive) refused for user mirror-user");
        expect(output).not.toContain("internal error");
      }
      expect(runs[0]!.stderr).toContain(`bundle.platform.image["${upstream.host}/team/sub/app:stable"]`);
      // The JSON output still carries the data exactly.
      const failed = runs[1]!.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { type: string; address?: string; error?: { message: string }; changes?: { after?: string }[] });
      expect(failed.find((e) => e.type === "plan")?.changes?.[0]?.after).toBe(DIGEST);
      expect(failed.find((e) => e.type === "change-failed")).toMatchObject({ address: `bundle.platform.image["${upstream.host}/team/sub/app:stable"]`, error: expect.objectContaining({ message: expect.stringContaining("password (sensitive) refused"), status: 400, serverCodes: ["DENIED"] }) });
    } finally {
      proxy.setRule(undefined);
    }
    expect((await ws.run(["bundle", "-o", "echo.tar"], { env })).code).toBe(0);
    for (const file of ["airgap.lock", "echo.plan"]) expect(readFileSync(join(ws.dir, file), "utf8")).not.toContain(MIRROR_PASS);
    expect(readFileSync(join(ws.dir, "echo.tar")).includes(MIRROR_PASS)).toBe(false);
  });

  it("an upstream that echoes its password (a piece of a digest) while locking: the message is scrubbed, the lock untouched", async () => {
    const ws = workspace("secret-echo-up");
    ws.writeConfig(config(mirror.url, "echo-up", upstreamProxy.url));
    const env = ws.env(ENV);
    const message = `user team with password ${UP_PASS} may not read team/sub/app`;
    upstreamProxy.setRule(when({ method: "GET", kind: "manifest" }, faults.status(403, { body: JSON.stringify({ errors: [{ code: "DENIED", message }] }) })));
    try {
      for (const args of [["lock"], ["lock", "--json"], ["plan", "--json"]]) {
        const run = await ws.run(args, { env });
        expect(run.code, args.join(" ")).toBe(1);
        const output = run.stdout + run.stderr;
        expect(output).not.toContain(UP_PASS);
        expect(output).toContain("user team with password (sensitive) may not read team/sub/app");
        expect(output).toContain(`${upstream.host}/team/sub/app:stable`);
        expect(output).not.toContain("internal error");
      }
    } finally {
      upstreamProxy.setRule(undefined);
    }
    expect(existsSync(join(ws.dir, "airgap.lock"))).toBe(false);
    expect((await ws.run(["lock"], { env })).code).toBe(0);
    expect(readFileSync(join(ws.dir, "airgap.lock"), "utf8")).toContain(DIGEST);
  });

  it("literal secrets never reach the bundle's copy of airgap.yaml; ${VAR} references and everything else stay as written", async () => {
    const ws = workspace("secret-bundle");
    const literal = `literal-${randomBytes(6).toString("hex")}`;
    const text = config(mirror.url).replace('password: "${MIRROR_PASS}"', `password: "${literal}"`);
    ws.writeConfig(text);
    const bundle = await ws.run(["bundle", "-o", "b.tar"], { env: ws.env(ENV) });
    expect(bundle.stderr).not.toContain(literal);
    expect(bundle.stderr).not.toContain("internal error");
    expect(bundle.code).toBe(0);
    const copied = tarMember(join(ws.dir, "b.tar"), "airgap.yaml");
    expect(copied).not.toContain(literal);
    expect(copied).toBe(text.replace(`"${literal}"`, '"(removed by airgap bundle)"'));
    expect(readFileSync(join(ws.dir, "b.tar")).includes(literal)).toBe(false);
  });
});

/** The digest the mirror serves for a reference (skopeo, with the mirror's credentials). */
async function inspectAuthenticated(ref: string): Promise<string> {
  return (await inspectRaw(`docker://${mirror.host}/${ref}`, { tlsVerify: false, username: "mirror-user", password: MIRROR_PASS })).digest;
}
