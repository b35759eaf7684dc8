import { describe, expect, it } from "vitest";
import { ResolveError } from "../../../src/sources/errors.js";
import { Secret } from "../../../src/core/secret.js";
import { chartDownloadCredentials, chartDownloadUrl, parseHelmIndex } from "../../../src/sources/helm-index.js";

const INDEX = `apiVersion: v1
entries:
  app:
    - version: 1.10
      urls: [charts/app-1.10.tgz]
      digest: 0123456789012345678901234567890123456789012345678901234567890123
    - version: 1.9.0
      urls: ["https://cdn.example.com/app-1.9.0.tgz"]
      digest: sha256:ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789
    - version: 0.1.0
      urls: []
  broken: nope
`;

describe("parseHelmIndex", () => {
  it("keeps every scalar as written and normalises digests", () => {
    const index = parseHelmIndex(INDEX, "https://charts.example.com/stable/index.yaml");
    const app = index.entries.get("app") ?? [];
    expect(app.map((v) => v.version)).toEqual(["1.10", "1.9.0"]); // not the number 1.1; the entry without URLs is skipped
    expect(app[0]?.digest).toBe("0123456789012345678901234567890123456789012345678901234567890123");
    expect(app[1]?.digest).toBe("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
    expect(index.entries.get("broken")).toBeUndefined();
  });

  it("refuses what is not an index, without printing credentials", () => {
    expect(() => parseHelmIndex("just: text\n", "https://u:p4ss@charts.example.com/index.yaml")).toThrow(ResolveError);
    expect(() => parseHelmIndex("just: text\n", "https://u:p4ss@charts.example.com/index.yaml")).toThrow(/^https:\/\/redacted@charts\.example\.com\/index\.yaml is not a Helm repository index/);
    expect(() => parseHelmIndex("entries: [\n", "https://charts.example.com/index.yaml")).toThrow(/is not valid YAML/);
  });
});

describe("chartDownloadUrl and chartDownloadCredentials", () => {
  it("resolves relative URLs against the repository, exactly, with no credentials in them", () => {
    const repo = "https://charts.example.com/stable";
    expect(chartDownloadUrl(repo, { version: "1", urls: ["charts/a-1.tgz"] })).toBe("https://charts.example.com/stable/charts/a-1.tgz");
    expect(chartDownloadUrl(repo, { version: "1", urls: ["/top/a-1.tgz"] })).toBe("https://charts.example.com/top/a-1.tgz");
    expect(chartDownloadUrl(repo, { version: "1", urls: ["https://cdn.example.com/a-1.tgz"] })).toBe("https://cdn.example.com/a-1.tgz");
  });

  it("sends the repository's credentials to its own origin only (Helm without --pass-credentials)", () => {
    const repo = "https://charts.example.com/stable";
    const credentials = { username: "u", password: new Secret("p4ss") };
    expect(chartDownloadCredentials(repo, "https://charts.example.com/stable/charts/a-1.tgz", credentials)).toBe(credentials);
    expect(chartDownloadCredentials(repo, "https://charts.example.com/x/a-1.tgz", credentials)).toBe(credentials);
    expect(chartDownloadCredentials(repo, "https://cdn.example.com/a-1.tgz", credentials)).toBeUndefined();
    expect(chartDownloadCredentials(repo, "http://charts.example.com/stable/a-1.tgz", credentials)).toBeUndefined();
    expect(chartDownloadCredentials(repo, "https://charts.example.com:8443/a-1.tgz", credentials)).toBeUndefined();
    expect(chartDownloadCredentials(repo, "https://charts.example.com/a-1.tgz", undefined)).toBeUndefined();
  });
});
