/**
 * Errors a user meets first with a private registry, seen through the built
 * CLI: an HTTPS registry whose CA airgap was not given, and credentials the
 * registry refuses. Each is said once, names the registry's host, and says
 * which setting of which registry fixes it; a refused password is never
 * repeated.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateImages, pushImages } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { createWorkspace, type Workspace } from "./workflow.js";

const images = generateImages(
  "wf-trust",
  Array.from({ length: 12 }, (_, i) => ({ repository: `team/app-${i}`, tags: ["v1"], format: "oci" as const })),
);
let upstream: RunningRegistry;
let secure: RunningRegistry;
const workspaces: Workspace[] = [];

beforeAll(async () => {
  [upstream, secure] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: "basic" })]);
  await pushImages(upstream, images);
});
afterAll(async () => {
  await Promise.all([upstream?.stop(), secure?.stop()]);
  for (const ws of workspaces) ws.remove();
});

/** Twelve images from the upstream registry into `secure`, with `target` as the registry's settings. */
function workspace(label: string, target: string): Workspace {
  const ws = createWorkspace(label);
  workspaces.push(ws);
  ws.writeConfig(
    [
      "apiVersion: airgap/v1",
      "sources:",
      `  upstream: { type: registry, host: "${upstream.host}", url: "${upstream.url}" }`,
      "registries:",
      `  private: { provider: oci, url: "${secure.url}", ${target} }`,
      "bundles:",
      "  apps:",
      "    registry: private",
      "    images:",
      ...images.images.map((image) => `      - ${upstream.host}/${image.repository}:v1`),
      "",
    ].join("\n"),
  );
  return ws;
}

describe("a private HTTPS registry", () => {
  it("without its CA: the plan names the host and the two settings of that registry that fix it, once", async () => {
    const ws = workspace("trust-ca", 'credentials: { username: "${U}", password: "${P}" }');
    const env = { U: secure.username!, P: secure.password! };
    expect((await ws.run(["lock"], { env })).code).toBe(0);
    const plan = await ws.run(["plan"], { env });
    expect(plan.code).toBe(1);
    const lines = plan.stderr.split("\n").filter((line) => line.includes(secure.host));
    expect(lines.length, plan.stderr).toBeGreaterThan(0);
    const tls = lines.filter((line) => /certificate/.test(line));
    expect(tls, plan.stderr).toHaveLength(1);
    expect(tls[0]).toMatch(new RegExp(`^error: registry private \\(${secure.host}\\): TLS: the certificate of ${secure.host} is not trusted`));
    expect(tls[0]).toContain("set `tls.caFile: <PEM file of that CA>` for this registry");
    expect(tls[0]).toContain("`tls.insecureSkipVerify: true`");
    expect(plan.stderr).not.toContain("internal error");
  });

  it("refusing the credentials: said once for twelve images, with the realm and the kind of credentials tried, never the password", async () => {
    const ws = workspace("trust-401", `tls: { caFile: "${secure.caFile}" }, credentials: { username: "\${U}", password: "\${P}" }`);
    const env = { U: secure.username!, P: "wrong-password-6c1f" };
    expect((await ws.run(["lock"], { env })).code).toBe(0);
    const plan = await ws.run(["plan"], { env });
    expect(plan.code).toBe(1);
    const said = `${plan.stdout}${plan.stderr}`;
    expect(said).not.toContain("wrong-password-6c1f");
    const refusals = said.split("\n").filter((line) => /authentication failed/.test(line));
    expect(refusals, said).toHaveLength(1);
    expect(refusals[0]).toContain(secure.host);
    expect(refusals[0]).toMatch(/realm "[^"]+"/);
    expect(refusals[0]).toMatch(/tried .*username/);
  });
});
