/**
 * The spec-built Harbor itself, spoken to with plain HTTP: its answers must
 * be Harbor's (swagger.yaml and the middleware behaviour cited in
 * test/harness/harbor-server.ts), or the provider tests prove nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarbor, type HarborServer } from "../../harness/harbor-server.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";

let upstream: RunningRegistry;
let harbor: HarborServer;
let admin: string;

beforeAll(async () => {
  upstream = await startRegistry();
  harbor = await startHarbor({ registry: upstream, accounts: [{ username: "robot$ci", password: "s3cret", projects: { open: ["pull", "push", "list", "read"] } }] });
  admin = `Basic ${Buffer.from(`admin:${harbor.admin.password}`).toString("base64")}`;
  const created = await fetch(`${harbor.url}/api/v2.0/projects`, {
    method: "POST",
    headers: { authorization: admin, "content-type": "application/json" },
    body: JSON.stringify({ project_name: "open", metadata: { public: "false" }, storage_limit: -1 }),
  });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await harbor?.stop();
  await upstream?.stop();
});

describe("test Harbor: REST API as swagger.yaml describes it", () => {
  it("answers errors as {errors:[{code,message}]} and tells 401 from 403 for a project that does not exist", async () => {
    const anonymous = await fetch(`${harbor.url}/api/v2.0/projects/ghost/summary`);
    expect([anonymous.status, await anonymous.json()]).toEqual([401, { errors: [{ code: "UNAUTHORIZED", message: "unauthorized" }] }]);
    const signedIn = await fetch(`${harbor.url}/api/v2.0/projects/ghost/repositories`, { headers: { authorization: admin } });
    expect([signedIn.status, await signedIn.json()]).toEqual([403, { errors: [{ code: "FORBIDDEN", message: "forbidden" }] }]);
    const head = await fetch(`${harbor.url}/api/v2.0/projects?project_name=ghost`, { method: "HEAD", headers: { authorization: admin } });
    expect(head.status).toBe(404);
  });

  it("validates createProject as Harbor does: names, metadata strings, duplicates", async () => {
    const post = (body: unknown) => fetch(`${harbor.url}/api/v2.0/projects`, { method: "POST", headers: { authorization: admin, "content-type": "application/json" }, body: JSON.stringify(body) });
    const upper = await post({ project_name: "Open" });
    expect([upper.status, await upper.json()]).toEqual([400, { errors: [{ code: "BAD_REQUEST", message: "project name is not in lower case or contains illegal characters!" }] }]);
    const boolean = await post({ project_name: "typed", metadata: { public: true } });
    expect(boolean.status).toBe(422);
    const again = await post({ project_name: "open" });
    expect([again.status, await again.json()]).toEqual([409, { errors: [{ code: "CONFLICT", message: "The project named open already exists" }] }]);
  });

  it("reads an all-digit name as an ID unless X-Is-Resource-Name says it is a name", async () => {
    const id = harbor.project("open")!.id;
    const byId = await fetch(`${harbor.url}/api/v2.0/projects/${id}`, { headers: { authorization: admin } });
    expect(((await byId.json()) as { name: string }).name).toBe("open");
    const asName = await fetch(`${harbor.url}/api/v2.0/projects/${id}`, { headers: { authorization: admin, "x-is-resource-name": "true" } });
    expect(asName.status).toBe(404);
  });

  it("limits page_size to 100 and answers X-Total-Count and an unescaped Link", async () => {
    const big = await fetch(`${harbor.url}/api/v2.0/projects/open/repositories?page_size=101`, { headers: { authorization: admin } });
    expect(big.status).toBe(422);
    const page = await fetch(`${harbor.url}/api/v2.0/projects/open/repositories?page=1&page_size=10`, { headers: { authorization: admin } });
    expect([page.status, page.headers.get("x-total-count"), page.headers.get("link")]).toEqual([200, "0", ""]);
  });

  it("sets its session cookie and refuses unsafe requests that carry it without the CSRF token", async () => {
    const first = await fetch(`${harbor.url}/api/v2.0/projects/open`, { headers: { authorization: admin } });
    const cookie = (first.headers.get("set-cookie") ?? "").split(";")[0]!;
    expect(cookie).toMatch(/^sid=[0-9a-f]{32}$/);
    const put = (headers: Record<string, string>) =>
      fetch(`${harbor.url}/api/v2.0/projects/open`, { method: "PUT", headers: { authorization: admin, "content-type": "application/json", ...headers }, body: JSON.stringify({ metadata: { auto_scan: "true" } }) });
    expect((await put({ cookie })).status).toBe(403);
    expect((await put({ cookie, "x-harbor-csrf-token": harbor.csrfToken })).status).toBe(200);
    expect((await put({})).status).toBe(200);
  });
});

describe("test Harbor: /v2 and the token service", () => {
  it("challenges anonymous clients with Bearer, clients that sent credentials with Basic, and answers 401 for a missing project", async () => {
    const ping = await fetch(`${harbor.url}/v2/`);
    expect([ping.status, ping.headers.get("www-authenticate")]).toEqual([401, `Bearer realm="${harbor.url}/service/token",service="harbor-registry"`]);
    const head = await fetch(`${harbor.url}/v2/open/app/manifests/v1`, { method: "HEAD" });
    expect(head.headers.get("www-authenticate")).toBe(`Bearer realm="${harbor.url}/service/token",service="harbor-registry",scope="repository:open/app:pull"`);

    const token = await fetch(`${harbor.url}/service/token?service=harbor-registry&scope=repository:ghost/app:pull,push&scope=repository:open/app:pull,push`, { headers: { authorization: `Basic ${Buffer.from("robot$ci:s3cret").toString("base64")}` } });
    const { token: value, expires_in: expiresIn } = (await token.json()) as { token: string; expires_in: number };
    expect(expiresIn).toBe(1800);
    const missing = await fetch(`${harbor.url}/v2/ghost/app/blobs/uploads/`, { method: "POST", headers: { authorization: `Bearer ${value}` } });
    expect([missing.status, missing.headers.get("www-authenticate"), await missing.json()]).toEqual([401, "", { errors: [{ code: "UNAUTHORIZED", message: "project ghost not found" }] }]);
    const allowed = await fetch(`${harbor.url}/v2/open/app/blobs/uploads/`, { method: "POST", headers: { authorization: `Bearer ${value}` } });
    expect(allowed.status).toBe(202);
    expect(allowed.headers.get("location")).toMatch(new RegExp(`^${harbor.url}/v2/open/app/blobs/uploads/`));
    const wrong = await fetch(`${harbor.url}/v2/open/app/blobs/uploads/`, { method: "POST", headers: { authorization: `Basic ${Buffer.from("robot$ci:nope").toString("base64")}` } });
    expect([wrong.status, wrong.headers.get("www-authenticate")]).toEqual([401, 'Basic realm="harbor"']);
  });
});
