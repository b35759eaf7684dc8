/**
 * URL redaction for logs and errors: what it hides, and, as much, what it
 * must leave exactly as it was (host, port, path, other query values, the
 * rest of a message), since a redacted message is still how the user finds
 * the failing request.
 */
import { describe, expect, it } from "vitest";
import { hasUserinfo, hideUserinfo, redactUrl } from "../../../src/core/redact.js";

describe("redactUrl", () => {
  it("hides userinfo and signed-URL values and keeps every other part of the URL", () => {
    const url = "https://robot:s3cret@registry.example:5443/v2/team/app/blobs/sha256:abc?X-Amz-Signature=deadbeef&X-Amz-Date=20260101T000000Z&digest=sha256%3Aabc&n=100#frag";
    const out = redactUrl(url);
    expect(out).not.toContain("s3cret");
    expect(out).not.toContain("robot");
    expect(out).not.toContain("deadbeef");
    expect(out).not.toContain("20260101T000000Z");
    const parsed = new URL(out);
    expect(parsed.username).toBe("redacted");
    expect(parsed.password).toBe("");
    // Untouched: scheme, host, port, path, the non-secret query values in their order, the fragment.
    expect(parsed.protocol).toBe("https:");
    expect(parsed.host).toBe("registry.example:5443");
    expect(parsed.pathname).toBe("/v2/team/app/blobs/sha256:abc");
    expect([...parsed.searchParams]).toEqual([
      ["X-Amz-Signature", "redacted"],
      ["X-Amz-Date", "redacted"],
      ["digest", "sha256:abc"],
      ["n", "100"],
    ]);
    expect(parsed.hash).toBe("#frag");
  });

  it("returns a URL without secrets exactly as it was, and text that is not a URL unchanged", () => {
    for (const clean of ["https://registry.example/v2/team/app/manifests/1.0?n=10&last=b", "http://127.0.0.1:5000/v2/"]) expect(redactUrl(clean)).toBe(clean);
    expect(redactUrl("not a url: robot:pw@x")).toBe("not a url: robot:pw@x");
  });
});

describe("hideUserinfo", () => {
  it("replaces the userinfo of every URL in a message and keeps the rest of the text byte for byte", () => {
    const text = 'pull of "https://u:p%40ss@charts.example/stable/index.yaml" failed; retry via http://bot@10.0.0.1:8080/x, or mail ops@example.com';
    expect(hideUserinfo(text)).toBe('pull of "https://redacted@charts.example/stable/index.yaml" failed; retry via http://redacted@10.0.0.1:8080/x, or mail ops@example.com');
  });

  it("leaves text without credentials in URLs exactly as it was", () => {
    const text = "GET https://registry.example/v2/team/app@sha256:abc answered 404: manifest unknown (user@example.com)";
    expect(hideUserinfo(text)).toBe(text);
  });

  it("hasUserinfo tells a URL with credentials from one without", () => {
    expect(hasUserinfo("https://u:p@registry.example")).toBe(true);
    expect(hasUserinfo("https://registry.example/team/app@sha256:abc")).toBe(false);
  });
});
