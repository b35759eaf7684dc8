import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { indexEntry, indexedCharts, mergeIndex } from "../../../../plugins/fileserver/helm-index.js";

const NOW = new Date("2026-05-05T05:05:05.000Z");
const D = (c: string): string => c.repeat(64);

describe("Helm index entries", () => {
  it("inlines only the Chart.yaml fields Helm knows, numbers as the text they were", () => {
    const entry = indexEntry("apiVersion: v2\nname: app\nversion: 1.10\nappVersion: 0x1F\nannotations:\n  count: 5\ndeprecated: false\ncustom: x\n", { digest: D("a"), created: NOW }, "app");
    expect(entry.name).toBe("app");
    expect(entry.version).toBe("1.10");
    expect(entry.fields).toEqual({ annotations: { count: "5" }, apiVersion: "v2", appVersion: "0x1F", created: NOW.toISOString(), deprecated: false, digest: D("a"), name: "app", urls: ["app-1.10.tgz"], version: "1.10" });
  });

  it("refuses Chart.yaml without a usable name or version", () => {
    expect(() => indexEntry("version: 1.0.0\n", { digest: D("a"), created: NOW }, "c")).toThrow(/no usable `name`/);
    expect(() => indexEntry("name: x\nversion: ../1\n", { digest: D("a"), created: NOW }, "c")).toThrow(/no usable `version`/);
    expect(() => indexEntry("- a list\n", { digest: D("a"), created: NOW }, "c")).toThrow(/not a YAML map/);
  });
});

describe("mergeIndex", () => {
  const add = (name: string, version: string, digest: string) => indexEntry(`apiVersion: v2\nname: ${name}\nversion: ${version}\n`, { digest, created: NOW }, name);

  it("starts a new index with apiVersion v1", () => {
    const doc = parse(mergeIndex(undefined, [add("a", "1.0.0", D("1"))], NOW, "idx")) as Record<string, unknown>;
    expect(doc).toEqual({ apiVersion: "v1", entries: { a: [{ apiVersion: "v2", name: "a", version: "1.0.0", urls: ["a-1.0.0.tgz"], created: NOW.toISOString(), digest: D("1") }] }, generated: NOW.toISOString() });
  });

  it("replaces the same version, keeps every other entry's text, sorts names and versions newest first", () => {
    const existing = [
      "apiVersion: v1",
      "entries:",
      "  b:",
      "    - name: b",
      "      version: 1.10 # a comment that stays",
      "      digest: 0123",
      "      urls: [b-1.10.tgz]",
      "    - name: b",
      "      version: 2.0.0",
      `      digest: ${D("9")}`,
      "      urls: [b-2.0.0.tgz]",
      "    - name: b",
      "      version: not-semver",
      "      urls: [b-x.tgz]",
      "generated: 2020-01-01T00:00:00Z",
      "publicKeys: []",
      "",
    ].join("\n");
    const text = mergeIndex(existing, [add("b", "2.0.0", D("8")), add("b", "1.9.0", D("7")), add("a", "0.1.0", D("6"))], NOW, "idx");
    expect(text).toContain("version: 1.10 # a comment that stays\n      digest: 0123\n");
    expect(text).toContain("publicKeys: []");
    const doc = parse(text, { schema: "failsafe" }) as { entries: Record<string, { version: string; digest?: string }[]>; generated: string };
    expect(Object.keys(doc.entries)).toEqual(["a", "b"]);
    expect(doc.entries["b"]!.map((e) => e.version)).toEqual(["2.0.0", "1.10", "1.9.0", "not-semver"]);
    expect(doc.entries["b"]![0]!.digest).toBe(D("8"));
    expect(doc.generated).toBe(NOW.toISOString());
    expect(indexedCharts(text, "idx").get("b")).toEqual(new Map([["2.0.0", D("8")], ["1.10", undefined], ["1.9.0", D("7")], ["not-semver", undefined]]));
  });

  it("refuses to overwrite what it cannot read", () => {
    expect(() => mergeIndex("entries: [", [add("a", "1.0.0", D("1"))], NOW, "http://x/index.yaml")).toThrow(/http:\/\/x\/index.yaml is not valid YAML.*does not overwrite/);
    expect(() => mergeIndex("apiVersion: v2\nentries: {}\n", [add("a", "1.0.0", D("1"))], NOW, "idx")).toThrow(/apiVersion v2; only v1/);
    expect(() => mergeIndex("apiVersion: v1\nentries:\n  a: {broken: map}\n", [add("a", "1.0.0", D("1"))], NOW, "idx")).toThrow(/`entries.a` is not a list/);
  });
});
