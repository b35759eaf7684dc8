import { createRequire } from "node:module";
import * as undici from "undici";
import { describe, expect, it } from "vitest";
import { Agent, buildConnector, request } from "../../../../src/oci/registry/undici.js";

// airgap loads undici's Agent, connector and request from their own files (src/oci/registry/undici.ts),
// falling back to undici's index when an upgrade has moved one (so a user's install keeps working, with
// more memory). Here the paths themselves are checked: an upgrade that moves or replaces a part fails
// this before any user pays for the fallback (test/integration/workflow/plan-modules.test.ts checks
// that a plan does not load the index).
describe("the undici parts airgap loads by path", () => {
  it("are the very objects undici's index exports", () => {
    const load = createRequire(import.meta.url);
    expect(load("undici/lib/dispatcher/agent.js")).toBe(undici.Agent);
    expect(load("undici/lib/core/connect.js")).toBe(undici.buildConnector);
    expect(load("undici/lib/api/api-request.js")).toBe(undici.Dispatcher.prototype.request);
    expect(Agent).toBe(undici.Agent);
    expect(buildConnector).toBe(undici.buildConnector);
  });

  it("request is the request method undici adds to every dispatcher", async () => {
    const { createServer } = await import("node:http");
    const server = createServer((_req, res) => res.end("hello")).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as { port: number };
    const agent = new Agent();
    try {
      const res = await request(agent, { origin: `http://127.0.0.1:${port}`, path: "/", method: "GET" });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe("hello");
    } finally {
      await agent.close();
      server.close();
    }
  });
});
