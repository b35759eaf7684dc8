import { describe, expect, it } from "vitest";
import { RegistryConnection, registryBaseUrl, registryDisplayName } from "../../../../src/oci/registry/connection.js";
import { RegistryError } from "../../../../src/oci/registry/errors.js";
import { anonymousCredentials } from "../../../../src/oci/registry/credentials.js";
import type { TransportResponse } from "../../../../src/oci/registry/transport.js";
import { Transport } from "../../../../src/oci/registry/transport.js";
import { nextUploadLocation } from "../../../../src/oci/registry/upload-session.js";

describe("registryBaseUrl", () => {
  it("defaults to https and keeps an explicit http://", () => {
    expect(registryBaseUrl("reg.example:5000").href).toBe("https://reg.example:5000/");
    expect(registryBaseUrl("http://127.0.0.1:5002/").href).toBe("http://127.0.0.1:5002/");
    expect(registryBaseUrl("https://harbor.example.com/some/path").href).toBe("https://harbor.example.com/");
  });

  it("maps Docker Hub to its API host and back for display", () => {
    const hub = registryBaseUrl("docker.io");
    expect(hub.href).toBe("https://registry-1.docker.io/");
    expect(registryDisplayName(hub)).toBe("docker.io");
    expect(registryDisplayName(registryBaseUrl("127.0.0.1:5000"))).toBe("127.0.0.1:5000");
  });

  it("refuses other schemes and garbage", () => {
    expect(() => registryBaseUrl("ftp://x")).toThrow(RegistryError);
    expect(() => registryBaseUrl("http://")).toThrow(/invalid registry URL/);
  });
});

function fakeResponse(url: string, location: string | undefined): TransportResponse {
  return { status: 202, headers: location === undefined ? {} : { location }, url: new URL(url), body: undefined as never, attempts: 1, retryAfterMs: undefined };
}

describe("nextUploadLocation", () => {
  const transport = new Transport();
  const https = new RegistryConnection({ url: "https://reg.example", credentials: anonymousCredentials, transport });
  const http = new RegistryConnection({ url: "http://127.0.0.1:5000", credentials: anonymousCredentials, transport });

  it("resolves relative Locations and keeps their query", () => {
    expect(nextUploadLocation(https, fakeResponse("https://reg.example/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/u1?_state=s"), "t").href).toBe(
      "https://reg.example/v2/a/blobs/uploads/u1?_state=s",
    );
  });

  it("accepts another https host (offloaded uploads), and http hosts for an http registry", () => {
    expect(nextUploadLocation(https, fakeResponse("https://reg.example/v2/", "https://storage.example/up/1?sig=x"), "t").host).toBe("storage.example");
    expect(nextUploadLocation(http, fakeResponse("http://127.0.0.1:5000/v2/", "http://127.0.0.1:6000/up"), "t").port).toBe("6000");
  });

  it("refuses a downgrade to plain http and a missing Location", () => {
    expect(() => nextUploadLocation(https, fakeResponse("https://reg.example/v2/", "http://storage.example/up/1"), "push")).toThrow(/over plain http.*refusing/);
    expect(() => nextUploadLocation(https, fakeResponse("https://reg.example/v2/", undefined), "push")).toThrow(/without a Location header/);
  });
});
