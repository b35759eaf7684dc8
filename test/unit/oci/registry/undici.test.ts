import { createRequire } from "node:module";
import * as undici from "undici";
import { describe, expect, it } from "vitest";
import { Agent, buildConnector, request } from "../../../../src/oci/registry/undici.js";

// airgap loads undici's Agent, connector and request from their own files (src/oci/registry/undici.ts).
// If an undici upgrade moves or replaces one of them, the deep path no longer names the object that
// undici's index exports, and this fails before any user runs into it.
describe("the undici parts airgap loads by path", () => {
  it("are the very objects undici's index exports", () => {
    expect(Agent).toBe(undici.Agent);
    expect(buildConnector).toBe(undici.buildConnector);
    // The same path src/oci/registry/undici.ts loads `request` from.
    expect(createRequire(import.meta.url)("undici/lib/api/api-request.js")).toBe(undici.Dispatcher.prototype.request);
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
