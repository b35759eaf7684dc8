/**
 * Harbor API retries wait on the injected sleep, not on real timers (issue 10
 * item 6): a real HTTP server answers 503 and then 200, and the waits the
 * client asked for are recorded instead of spent.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HarborApi, HarborError } from "../../../../plugins/harbor/api.js";

let server: Server;
let origin: URL;
let failuresLeft = 0;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (failuresLeft > 0) {
      failuresLeft--;
      res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "SERVICE_UNAVAILABLE", message: "core is restarting" }] }));
      return;
    }
    res.writeHead(req.url?.includes("project_name=present") ? 200 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function api(waits: number[]): HarborApi {
  return new HarborApi({ origin, credentials: undefined, sleep: async (ms) => void waits.push(ms) });
}

describe("Harbor API retries", () => {
  it("retry a 503 after the backoff the client asks of the injected sleep, then answer", async () => {
    const waits: number[] = [];
    failuresLeft = 2;
    seen.length = 0;
    expect(await api(waits).projectExists("present")).toBe(true);
    expect(waits).toEqual([250, 1000]);
    expect(seen).toEqual(Array.from({ length: 3 }, () => "HEAD /api/v2.0/projects?project_name=present"));
  });

  it("give up after three attempts with Harbor's status, and never wait when the first answer is final", async () => {
    const waits: number[] = [];
    failuresLeft = 5;
    const error = await api(waits).projectExists("present").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HarborError);
    expect(error).toMatchObject({ status: 503 });
    expect(waits).toEqual([250, 1000]);
    failuresLeft = 0;
    const none: number[] = [];
    expect(await api(none).projectExists("absent")).toBe(false);
    expect(none).toEqual([]);
  });
});
