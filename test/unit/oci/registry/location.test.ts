import { describe, expect, it } from "vitest";
import { resolveLocation, sameOrigin, withQuery } from "../../../../src/oci/registry/location.js";

const digest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

describe("resolveLocation", () => {
  it("resolves a relative Location against the request URL", () => {
    expect(resolveLocation("/v2/app/blobs/uploads/abc?_state=xyz", "https://r:5000/v2/app/blobs/uploads/").href).toBe("https://r:5000/v2/app/blobs/uploads/abc?_state=xyz");
  });

  it("keeps an absolute Location on another host as it is", () => {
    expect(resolveLocation("https://s3.example/bucket/up?X-Amz-Signature=s", "https://r/v2/").href).toBe("https://s3.example/bucket/up?X-Amz-Signature=s");
  });
});

describe("withQuery", () => {
  it("appends with ? when there is no query", () => {
    expect(withQuery("https://r/v2/app/blobs/uploads/abc", { digest }).href).toBe(`https://r/v2/app/blobs/uploads/abc?digest=${digest}`);
  });

  it("appends with & and keeps existing critical parameters verbatim", () => {
    const url = withQuery("https://r/v2/app/blobs/uploads/abc?_state=a%2Bb%3D%3D&x=1", { digest });
    expect(url.href).toBe(`https://r/v2/app/blobs/uploads/abc?_state=a%2Bb%3D%3D&x=1&digest=${digest}`);
  });

  it("encodes values and repeats multi-valued parameters", () => {
    expect(withQuery("https://r/token", { scope: ["repository:a/b:pull,push", "repository:c:pull"], service: "a b" }).search).toBe(
      "?scope=repository:a/b:pull%2Cpush&scope=repository:c:pull&service=a%20b",
    );
  });
});

describe("sameOrigin", () => {
  it("compares scheme, host and port", () => {
    expect(sameOrigin(new URL("https://r:443/a"), new URL("https://r/b"))).toBe(true);
    expect(sameOrigin(new URL("https://r:5000/a"), new URL("https://r:5001/a"))).toBe(false);
    expect(sameOrigin(new URL("http://r/a"), new URL("https://r/a"))).toBe(false);
  });
});
