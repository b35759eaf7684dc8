/**
 * The renderers and the planner are pure: src/cluster touches no network
 * and no other pipeline stage, and only its reader and writer touch the
 * file system, so the lead can call the rest from plan, apply and validate alike.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const dir = new URL("../../../src/cluster/", import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));

function imports(file: string): string[] {
  const text = readFileSync(join(dir, file), "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']/g)].map((m) => m[1]!);
}

describe("src/cluster", () => {
  it("imports no network module and no other pipeline stage", () => {
    expect(files.length).toBeGreaterThan(10);
    const forbidden = /^(undici|node:(http|https|net|tls|dgram)|\.\.\/(oci|providers|observe|sources|resolve|lock|desired|apply|plan|cli|ui|sdk)\/)/;
    // The plan's model and addresses are plain data: output changes are plan changes.
    const allowed = new Set(["../plan/model.js", "../plan/address.js"]);
    const offenders = files.flatMap((f) => imports(f).filter((s) => forbidden.test(s) && !allowed.has(s)).map((s) => `${f} imports ${s}`));
    expect(offenders).toEqual([]);
  });

  it("reads and writes files only in read-outputs.ts and write-outputs.ts", () => {
    const touching = files.filter((f) => imports(f).some((s) => s.startsWith("node:fs") || s.includes("/fs/"))).sort();
    expect(touching).toEqual(["read-outputs.ts", "write-outputs.ts"]);
  });
});
