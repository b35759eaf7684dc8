/**
 * The fileserver's HTTP side: TLS settings of the target (its CA, skipping
 * verification, client certificates) against nginx over HTTPS, and retries
 * of resets and 503s through the fault proxy in front of nginx.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFileserverProvider, type FileServerError } from "../../../plugins/fileserver/index.js";
import type { Provider } from "../../../src/sdk/index.js";
import { faults, startFaultProxy, when, type FaultProxy } from "../../harness/fault-proxy.js";
import { startNginxDav, type RunningNginx } from "../../harness/nginx.js";
import { bytesOf, contentOf, sha256 } from "./fileserver-content.js";

const noWait = async (): Promise<void> => {};

describe("fileserver over HTTPS", () => {
  let nginx: RunningNginx;
  let mutual: RunningNginx;
  beforeAll(async () => {
    [nginx, mutual] = await Promise.all([startNginxDav({ tls: true }), startNginxDav({ tls: { clientCertificates: true } })]);
  });
  afterAll(async () => {
    await Promise.all([nginx?.stop(), mutual?.stop()]);
  });

  async function roundTrip(provider: Provider, path: string): Promise<void> {
    const data = bytesOf(path, 10_000);
    try {
      await provider.putFile!(path, contentOf(data));
      expect((await provider.observeFiles!([path])).get(path)).toEqual({ state: "present", sha256: sha256(data) });
    } finally {
      await provider.close?.();
    }
  }

  it("trusts the target's CA file, and only with it", async () => {
    await roundTrip(await createFileserverProvider({ url: nginx.url, tls: { caFile: nginx.caFile! } }, { registryName: "tls" }), "ca/file.bin");
    expect(sha256(await readFile(join(nginx.root, "ca/file.bin")))).toBe(sha256(bytesOf("ca/file.bin", 10_000)));

    const untrusted = await createFileserverProvider({ url: nginx.url }, { registryName: "tls" }, { sleep: noWait });
    try {
      const error = await untrusted.putFile!("ca/other.bin", contentOf(Buffer.from("x"))).catch((e: unknown) => e);
      expect((error as FileServerError).code).toBe("FILE_NETWORK");
      expect((error as Error).message).toMatch(/^PUT https:\/\/127\.0\.0\.1:\d+\/ca\/\.other\.bin\.airgap-tmp-[0-9a-f]+ failed: .*certificate/);
    } finally {
      await untrusted.close?.();
    }
  });

  it("skips verification for this target when told to", async () => {
    await roundTrip(await createFileserverProvider({ url: nginx.url, tls: { insecureSkipVerify: true } }, { registryName: "tls" }), "insecure/file.bin");
  });

  it("presents a client certificate, and shows the server's refusal without one", async () => {
    const cert = mutual.clientCert!;
    await roundTrip(await createFileserverProvider({ url: mutual.url, tls: { caFile: mutual.caFile!, certFile: cert.certFile, keyFile: cert.keyFile } }, { registryName: "mtls" }), "mtls/file.bin");

    const without = await createFileserverProvider({ url: mutual.url, tls: { caFile: mutual.caFile! } }, { registryName: "mtls" }, { sleep: noWait });
    try {
      const error = await without.putFile!("mtls/other.bin", contentOf(Buffer.from("x"))).catch((e: unknown) => e);
      expect((error as FileServerError).status).toBe(400);
      expect((error as Error).message).toContain("No required SSL certificate was sent");
    } finally {
      await without.close?.();
    }
  });
});

describe("fileserver through a faulty connection", () => {
  let nginx: RunningNginx;
  let proxy: FaultProxy;
  let provider: Provider;
  beforeAll(async () => {
    // A server without MOVE: files are PUT at their final name, where a cut upload matters most.
    nginx = await startNginxDav({ davMethods: ["PUT", "DELETE", "MKCOL"] });
    proxy = await startFaultProxy({ upstream: { url: nginx.url } });
    provider = await createFileserverProvider({ url: proxy.url }, { registryName: "flaky" }, { sleep: noWait });
  });
  afterAll(async () => {
    await provider?.close?.();
    await proxy?.stop();
    await nginx?.stop();
  });

  it("resends a streamed upload from the start after a 503, opening the content again", async () => {
    const data = bytesOf("retry-stream", 3 * 1024 * 1024);
    const content = contentOf(data);
    proxy.setRule(when({ method: "PUT", path: "/retry/stream.bin" }, faults.status(503, { body: "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>" }), { times: 1 }));
    proxy.clearRequests();
    await provider.putFile!("retry/stream.bin", content);
    await proxy.settled();
    expect(proxy.requests.filter((r) => r.method === "PUT" && r.path === "/retry/stream.bin").map((r) => r.status)).toEqual([503, 201]);
    expect(content.opened).toBe(3);
    expect(sha256(await readFile(join(nginx.root, "retry/stream.bin")))).toBe(sha256(data));
  });

  it("retries a reset during observation", async () => {
    await provider.putFile!("retry/small.txt", contentOf(Buffer.from("small\n")));
    proxy.setRule(when({ method: "GET", path: "/retry/small.txt.sha256" }, faults.reset(), { times: 1 }));
    proxy.clearRequests();
    expect((await provider.observeFiles!(["retry/small.txt"])).get("retry/small.txt")).toEqual({ state: "present", sha256: sha256("small\n") });
    await proxy.settled();
    expect(proxy.requests.map((r) => `${r.method} ${r.path} ${r.outcome}`)).toEqual(["GET /retry/small.txt.sha256 reset", "GET /retry/small.txt.sha256 completed"]);
  });

  it("keeps the old file whole when every attempt of an upload is cut mid-body", async () => {
    const old = Buffer.from("the version before\n");
    await provider.putFile!("retry/cut.bin", contentOf(old));
    proxy.setRule(when({ method: "PUT", path: "/retry/cut.bin" }, faults.resetAfter(512 * 1024, { direction: "request" })));
    proxy.clearRequests();
    const error = await provider.putFile!("retry/cut.bin", contentOf(bytesOf("cut", 3 * 1024 * 1024))).catch((e: unknown) => e);
    proxy.setRule(undefined);
    await proxy.settled();
    expect((error as FileServerError).code).toBe("FILE_NETWORK");
    expect((error as Error).message).toMatch(/^PUT http:\/\/127\.0\.0\.1:\d+\/retry\/cut\.bin failed: /);
    expect(proxy.requests.filter((r) => r.method === "PUT" && r.path === "/retry/cut.bin").map((r) => r.outcome)).toEqual(["reset", "reset", "reset"]);
    expect(await readFile(join(nginx.root, "retry/cut.bin"), "utf8")).toBe("the version before\n");
    // Its sidecar went first, so the next plan sees a file to rewrite, never a checksum that lies.
    expect((await provider.observeFiles!(["retry/cut.bin"])).get("retry/cut.bin")).toEqual({ state: "unverified", size: old.length });
  });

  it("gives up after three attempts with the server's message", async () => {
    proxy.setRule(when({ method: "GET", path: "/retry/down.txt.sha256" }, faults.status(503, { body: "maintenance until noon" })));
    proxy.clearRequests();
    const observed = (await provider.observeFiles!(["retry/down.txt"])).get("retry/down.txt");
    expect(observed).toEqual({ state: "unknown", error: expect.stringContaining('answered 503 Service Unavailable: "maintenance until noon"') });
    await proxy.settled();
    expect(proxy.requests).toHaveLength(3);
    proxy.setRule(undefined);
  });
});
