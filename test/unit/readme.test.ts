/**
 * The README a newcomer follows: it names no file outside the repository,
 * every file it links or names in backquotes under test/, docs/, scripts/ or
 * examples/ exists, and the one install command it documents is the one CI
 * runs, with nothing in CI stopping processes by name.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;
const readme = readFileSync(join(root, "README.md"), "utf8");
const ci = readFileSync(join(root, ".ci/run"), "utf8");

describe("README", () => {
  it("references no file outside the repository", () => {
    expect(readme).not.toMatch(/\.\.\/|\/work\/|shared\/reference/);
  });

  it("links and names only files that exist", () => {
    const linked = [...readme.matchAll(/\]\(([^)#:]+)\)/g)].map((m) => m[1]!);
    const named = [...readme.matchAll(/`((?:test|docs|scripts|examples|schema|src)\/[^`*\s]+)`/g)].map((m) => m[1]!);
    expect(linked).toContain("docs/peer-tools.md");
    const madeByQuickStart = new Set(["examples/quickstart/mirror"]);
    for (const path of [...linked, ...named].filter((p) => !madeByQuickStart.has(p))) expect(existsSync(join(root, path)), path).toBe(true);
    // Workflow test files are named without their folder.
    for (const [, file] of readme.matchAll(/`([\w-]+\.test\.ts)`/g)) {
      expect(existsSync(join(root, "test/integration/workflow", file!)), file).toBe(true);
    }
  });

  it("documents one install command, and CI runs that command and then the README's test command", () => {
    expect(readme).toContain("sudo scripts/install-test-deps.sh");
    expect(readme).toContain("npm test ");
    const commands = ci.split("\n").filter((line) => !line.startsWith("#"));
    const install = commands.indexOf("scripts/install-test-deps.sh");
    const test = commands.findIndex((line) => line.startsWith("npm test "));
    expect(install).toBeGreaterThan(-1);
    expect(test).toBeGreaterThan(install);
    const script = readFileSync(join(root, "scripts/install-test-deps.sh"), "utf8");
    for (const text of [ci, script]) expect(text).not.toMatch(/\b(pkill|killall)\b|\bkill\s+-?\w*\s*\$\(pgrep/);
    // Packaged services are kept from starting while apt installs them.
    expect(script).toMatch(/policy-rc\.d/);
    expect(script).toMatch(/exit 101/);
  });
});
