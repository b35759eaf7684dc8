/**
 * What a no-op `airgap plan` loads (issue 14: peak RSS of a no-op plan over
 * 1,000 tags). Every module costs memory in each run, so the plan must not
 * load code it never runs: undici's index (fetch, WebSocket, cache and mock
 * layers; airgap requires its Agent, connector and request by path), the
 * terminal UI when stdout is not a terminal, a provider plugin the config
 * does not use, or the cluster renderers when no cluster outputs are
 * configured. Module loading is deterministic, unlike RSS or time.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateImages } from "../../harness/images.js";
import { useRegistryPair, workflowConfig } from "./workflow.js";

const TAGS = ["1.0", "1.1", "1.2"];
const images = generateImages("plan-modules", [{ repository: "mods/app", tags: TAGS, format: "oci" }]);
const pair = useRegistryPair(images);
const TRACE_HOOK = new URL("../../e2e/fixtures/import-trace.mjs", import.meta.url).pathname;

describe("a no-op plan against registries", () => {
  it("loads undici's Agent and not its index, no terminal UI, no unused provider", async () => {
    const ws = pair.workspace("modules");
    ws.writeConfig(workflowConfig({ upstreamHost: pair.upstream.host, upstreamUrl: pair.upstream.url, mirrorUrl: pair.mirror.url, path: "mods", images: TAGS.map((t) => `${pair.upstream.host}/mods/app:${t}`) }));
    expect((await ws.run(["lock"])).code).toBe(0);
    expect((await ws.run(["apply", "--auto-approve"])).code).toBe(0);
    const trace = join(ws.dir, "imports.txt");
    const plan = await ws.run(["plan", "--detailed-exitcode"], { env: { NODE_OPTIONS: `--import ${TRACE_HOOK}`, AIRGAP_IMPORT_TRACE: trace } });
    expect(plan.stderr).toBe("");
    expect(plan.code).toBe(0);
    const loaded = readFileSync(trace, "utf8").split("\n").filter(Boolean);
    // The trace sees both kinds of module: an ES module of airgap's and undici's CommonJS parts.
    expect(loaded.some((url) => url.endsWith("/dist/src/oci/registry/transport.js"))).toBe(true);
    expect(loaded.some((url) => url.endsWith("/node_modules/undici/lib/dispatcher/agent.js"))).toBe(true);
    const unwanted = loaded.filter((url) =>
      /\/node_modules\/undici\/(index\.js|lib\/web\/|lib\/mock\/|lib\/cache\/)|\/node_modules\/(ink|react|@aws-sdk)\/|\/plugins\/(ecr|harbor|fileserver)\/|\/dist\/src\/cluster\//.test(url),
    );
    expect(unwanted).toEqual([]);
  });
});
