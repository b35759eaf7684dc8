/**
 * Per-registry TLS: a CA file or insecureSkipVerify applies to one registry only, and an https
 * registry never sends anything over plain http because of a redirect.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryClient, RegistryError, Transport, anonymousCredentials } from "../../../src/oci/registry/index.js";
import { createCa, createServerCert } from "../../harness/openssl.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { ManualClock } from "../../harness/clock.js";
import { makeTempDir, type TempDir } from "../../harness/tmp.js";

const transport = new Transport({ retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 }, clock: new ManualClock() });

let r: RunningRegistry;
let dir: TempDir;

beforeAll(async () => {
  r = await startRegistry({ tls: true });
  dir = await makeTempDir("tlstest");
});
afterAll(async () => {
  await r?.stop();
  await dir?.remove();
  await transport.close();
});

describe("per-registry TLS policy", () => {
  it("without the CA: names the host and the airgap.yaml settings that fix it; works with the CA file", async () => {
    const untrusting = new RegistryClient({ url: r.url, credentials: anonymousCredentials, transport });
    const error = await untrusting.ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ code: "REGISTRY_TLS", temporary: false, method: "GET", url: `${r.url}/v2/` });
    const message = (error as Error).message;
    expect(message).toMatch(new RegExp(`^TLS: the certificate of ${r.host} is not trusted \\(.*(self-signed|unable to verify|issuer).*\\)`, "i"));
    expect(message).toContain("set `tls.caFile: <PEM file of that CA>` for this registry in airgap.yaml");
    expect(message).toContain("set `tls.insecureSkipVerify: true`");

    const trusting = new RegistryClient({ url: r.url, tls: { caFile: r.caFile ?? "" }, credentials: anonymousCredentials, transport });
    expect((await trusting.ping()).auth).toBe("anonymous");
  });

  it("applies insecureSkipVerify to that registry's client only, never to others on the same process", async () => {
    const insecure = new RegistryClient({ url: r.url, tls: { insecureSkipVerify: true }, credentials: anonymousCredentials, transport });
    const strict = new RegistryClient({ url: r.url, credentials: anonymousCredentials, transport });
    const [a, b] = await Promise.allSettled([insecure.ping(), strict.ping()]);
    expect(a.status).toBe("fulfilled");
    expect(b.status).toBe("rejected");
    expect(String((b as PromiseRejectedResult).reason)).toMatch(/certificate/i);
    // And again after the insecure client has pooled connections to the same host.
    await expect(new RegistryClient({ url: r.url, credentials: anonymousCredentials, transport }).ping()).rejects.toThrow(/certificate/i);
  });

  it("with the wrong CA file: says that CA does not vouch for the certificate", async () => {
    const other = await createCa(dir.path, "other-ca");
    const error = await new RegistryClient({ url: r.url, tls: { caFile: other.certFile }, credentials: anonymousCredentials, transport }).ping().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "REGISTRY_TLS", temporary: false });
    expect((error as Error).message).toContain(`TLS: the certificate of ${r.host} is not signed by the CA in ${other.certFile}`);
  });

  it("a certificate for another name: says so, and that the url must use a name it lists", async () => {
    const ca = await createCa(dir.path, "ca-names");
    const cert = await createServerCert(dir.path, ca, { name: "elsewhere", ips: ["10.9.9.9"], dnsNames: ["elsewhere.example"] });
    const server = createServer({ cert: await readFile(cert.certFile), key: await readFile(cert.keyFile) }, (_req, res) => res.end("{}"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      const error = await new RegistryClient({ url: `https://${host}`, tls: { caFile: ca.certFile }, credentials: anonymousCredentials, transport }).ping().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "REGISTRY_TLS", temporary: false });
      expect((error as Error).message).toMatch(new RegExp(`^TLS: the certificate of ${host} is not issued for that name \\(.*ERR_TLS_CERT_ALTNAME_INVALID\\)`));
      expect((error as Error).message).toContain("set `tls.insecureSkipVerify: true`");
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("https:// for a plain-HTTP registry: says to write its url with http://", async () => {
    const plain = await startRegistry();
    try {
      const error = await new RegistryClient({ url: `https://${plain.host}`, credentials: anonymousCredentials, transport }).ping().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "REGISTRY_TLS", temporary: false });
      expect((error as Error).message).toContain(`write its url in airgap.yaml as http://${plain.host}`);
    } finally {
      await plain.stop();
    }
  });

  it("accepts CA text instead of a file, and reports an unreadable CA file", async () => {
    const ca = await readFile(r.caFile ?? "", "utf8");
    expect((await new RegistryClient({ url: r.url, tls: { ca }, credentials: anonymousCredentials, transport }).ping()).auth).toBe("anonymous");
    await expect(new RegistryClient({ url: r.url, tls: { caFile: "/nonexistent/ca.pem" }, credentials: anonymousCredentials, transport }).ping()).rejects.toThrow(
      /cannot read the CA file \/nonexistent\/ca\.pem/,
    );
  });
});

describe("redirect from https to plain http", () => {
  it("is refused", async () => {
    const ca = await createCa(dir.path, "ca2");
    const cert = await createServerCert(dir.path, ca, { name: "redirector" });
    const server = createServer({ cert: await readFile(cert.certFile), key: await readFile(cert.keyFile) }, (req, res) => {
      if (req.url === "/v2/") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
        return;
      }
      res.writeHead(307, { location: "http://127.0.0.1:9/somewhere" });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const client = new RegistryClient({ url: `https://127.0.0.1:${port}`, tls: { caFile: ca.certFile }, credentials: anonymousCredentials, transport });
      await client.ping();
      const error = await client.getManifest("a/b", "v1").catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "REGISTRY_PROTOCOL" });
      expect((error as Error).message).toMatch(/refusing a redirect from https to plain http/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
