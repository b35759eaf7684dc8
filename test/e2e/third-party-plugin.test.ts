/**
 * A third-party plugin imports the sdk as `airgap/sdk`, exactly as the
 * built-in plugins do, and Node resolves it through package.json `exports`
 * to the same module the running airgap uses (one module instance: the
 * sdk's predicates and factories see airgap's own errors and classes). Runs
 * the built dist/ in a child, as the CLI would load the plugin.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const site = mkdtempSync(join(tmpdir(), "airgap-third-party-"));
afterAll(() => rmSync(site, { recursive: true, force: true }));

describe("a third-party plugin", () => {
  it("imports airgap/sdk by name and gets the running airgap's own sdk module", () => {
    expect(existsSync(`${root}/dist/src/sdk/index.js`), "run `npm run build` first").toBe(true);
    // The site has airgap installed (as npm link would) and the plugin package beside it.
    mkdirSync(join(site, "node_modules", "airgap-provider-demo"), { recursive: true });
    symlinkSync(root, join(site, "node_modules", "airgap"), "dir");
    writeFileSync(join(site, "package.json"), JSON.stringify({ name: "site", private: true }));
    writeFileSync(join(site, "node_modules", "airgap-provider-demo", "package.json"), JSON.stringify({ name: "airgap-provider-demo", version: "1.0.0", type: "module", exports: "./index.js" }));
    writeFileSync(
      join(site, "node_modules", "airgap-provider-demo", "index.js"),
      `import { PROVIDER_API_VERSION, isLayoutFailure, openLayoutDirectory } from "airgap/sdk";
export const sdkUrl = import.meta.resolve("airgap/sdk");
export const plugin = {
  apiVersion: PROVIDER_API_VERSION, name: "airgap-provider-demo", kinds: ["image"], configSchema: { type: "object" },
  async create(settings) {
    const missing = await openLayoutDirectory(settings.path).then(() => false, (error) => isLayoutFailure(error, "NOT_A_LAYOUT"));
    return { display: "demo:" + (missing ? "no layout" : "layout") };
  },
};
`,
    );
    const script = `
const { createProvider } = await import(${JSON.stringify(`${root}/dist/src/providers/load.js`)});
const { createOciToolkit } = await import(${JSON.stringify(`${root}/dist/src/providers/toolkit.js`)});
const { Transport } = await import(${JSON.stringify(`${root}/dist/src/oci/registry/index.js`)});
const { silentLogger } = await import(${JSON.stringify(`${root}/dist/src/core/logger.js`)});
const transport = new Transport();
const oci = createOciToolkit({ transport, logger: silentLogger, env: {} });
const provider = await createProvider("airgap-provider-demo", { path: ${JSON.stringify(join(site, "nothing-here"))} }, { registryName: "demo", baseDir: ${JSON.stringify(site)}, logger: silentLogger, oci });
const { sdkUrl } = await import(${JSON.stringify(join(site, "node_modules", "airgap-provider-demo", "index.js"))});
await transport.close();
console.log(JSON.stringify({ display: provider.display, sdkUrl }));
`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: site, env: { PATH: process.env["PATH"] ?? "" }, encoding: "utf8" });
    expect(run.stderr).toBe("");
    const out = JSON.parse(run.stdout) as { display: string; sdkUrl: string };
    // The plugin's isLayoutFailure recognised airgap's own NOT_A_LAYOUT error: one sdk module, not a copy.
    expect(out.display).toBe("demo:no layout");
    expect(out.sdkUrl).toBe(`file://${root}/dist/src/sdk/index.js`);
  });
});
