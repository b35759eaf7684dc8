import { describe, expect, it } from "vitest";
import { AirgapError } from "../../../../src/core/errors.js";
import { RegistryError, describeErrorBody, errorBodyFields, excerpt, isTemporaryStatus, parseErrorBody, registryMessage } from "../../../../src/oci/registry/errors.js";

describe("parseErrorBody", () => {
  it("parses the OCI error envelope with code, message and detail", () => {
    const body = parseErrorBody(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown", detail: { Tag: "x" } }, { code: "DENIED" }] }));
    expect(body).toEqual({ kind: "oci", errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown", detail: { Tag: "x" } }, { code: "DENIED", message: "" }] });
    expect(describeErrorBody(body)).toBe("MANIFEST_UNKNOWN: manifest unknown; DENIED");
    expect(registryMessage(body)).toBe("manifest unknown; DENIED");
  });

  it("reports HTML with a short readable excerpt", () => {
    const html = `<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{}</style></head><body><h1>Bad Gateway</h1><p>${"upstream went away ".repeat(40)}</p></body></html>`;
    const body = parseErrorBody(html, "text/html; charset=utf-8");
    expect(body.kind).toBe("html");
    const text = describeErrorBody(body);
    expect(text).toContain("HTML instead of a JSON error");
    expect(text).toContain("502 Bad Gateway");
    expect(text).not.toContain("<h1>");
    expect(text.length).toBeLessThan(400);
  });

  it("detects HTML without a content type", () => {
    expect(parseErrorBody("<html><body>nope</body></html>").kind).toBe("html");
  });

  it("reports plain text and non-OCI JSON (token servers)", () => {
    expect(parseErrorBody("404 page not found\n", "text/plain")).toEqual({ kind: "text", excerpt: "404 page not found" });
    const json = parseErrorBody('{"details":"incorrect username or password"}');
    expect(json).toMatchObject({ kind: "json", message: "incorrect username or password" });
    expect(parseErrorBody('{"error":"invalid_grant"}')).toMatchObject({ kind: "json", message: "invalid_grant" });
    expect(parseErrorBody("{broken")).toMatchObject({ kind: "text" });
    expect(parseErrorBody("  ")).toEqual({ kind: "empty" });
  });
});

describe("RegistryError", () => {
  it("is an AirgapError carrying status, codes, method, URL and temporary", () => {
    const e = new RegistryError({ code: "REGISTRY_HTTP", message: "m", registry: "r", method: "GET", url: "https://r/v2/", status: 503, errors: [{ code: "UNAVAILABLE", message: "x" }], temporary: true });
    expect(e).toBeInstanceOf(AirgapError);
    expect(e.name).toBe("RegistryError");
    expect(e.hasCode("UNAVAILABLE")).toBe(true);
    expect([e.status, e.method, e.url, e.temporary]).toEqual([503, "GET", "https://r/v2/", true]);
  });

  it("keeps the registry's own code and words as fields, whatever the body was", () => {
    const fields = (text: string, type?: string) => {
      const e = new RegistryError({ code: "REGISTRY_HTTP", message: "m", registry: "r", method: "PUT", url: "u", status: 400, temporary: false, ...errorBodyFields(parseErrorBody(text, type)) });
      return [e.registryCode, e.registryMessage];
    };
    expect(fields(JSON.stringify({ errors: [{ code: "MANIFEST_BLOB_UNKNOWN", message: "blob unknown to registry" }, { code: "DENIED", message: "" }] }))).toEqual(["MANIFEST_BLOB_UNKNOWN", "blob unknown to registry"]);
    expect(fields('{"details":"incorrect username or password"}')).toEqual([undefined, "incorrect username or password"]);
    expect(fields("quota exceeded for project team\n", "text/plain")).toEqual([undefined, "quota exceeded for project team"]);
    expect(fields("")).toEqual([undefined, undefined]);
  });

  it("classifies temporary statuses", () => {
    expect([408, 429, 500, 502, 503, 504].every(isTemporaryStatus)).toBe(true);
    expect([400, 401, 403, 404, 413, 501].some(isTemporaryStatus)).toBe(false);
  });

  it("cuts excerpts", () => {
    expect(excerpt("a\n\n b", 10)).toBe("a b");
    expect(excerpt("x".repeat(300)).length).toBe(201);
  });
});
