/**
 * No process-wide state written by airgap (issue 10 item 3): the CLI passes
 * what it decided (colour, credentials' environment) to what needs it, and
 * never writes `process.env`, where it would leak into the next run in the
 * same process and into every child process. test/e2e/ink-colour.test.ts
 * shows the Ink view takes colour as an argument.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = new URL("../../../", import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

const WRITES = [
  /process\.env(?:\.\w+|\[[^\]]+\])\s*(?:=(?!=)|\?\?=|\|\|=|&&=)/,
  /delete\s+process\.env\b/,
  /Object\.assign\(\s*process\.env\b/,
  /\bprocess\.env\s*=(?!=)/,
];

/** The lines of a text that write to process.env. */
function envWrites(text: string): string[] {
  return text.split("\n").filter((line) => !/^\s*(\/\/|\*)/.test(line) && WRITES.some((w) => w.test(line)));
}

describe("process.env", () => {
  it("recognises a write, and leaves reads and comparisons alone", () => {
    const text = ['process.env["FORCE_COLOR"] = "0";', "process.env.HOME ??= '/tmp';", "delete process.env.X;", "Object.assign(process.env, extra);", 'if (process.env["CI"] === "1") go();', "const env = options.env ?? process.env;", "// process.env.X = 1 in a comment"].join("\n");
    expect(envWrites(text)).toEqual(['process.env["FORCE_COLOR"] = "0";', "process.env.HOME ??= '/tmp';", "delete process.env.X;", "Object.assign(process.env, extra);"]);
  });

  it("is never written by airgap or its plugins", () => {
    const files = [...sources(join(root, "src")), ...sources(join(root, "plugins"))];
    expect(files.length).toBeGreaterThan(50);
    const offenders = files.flatMap((f) => envWrites(readFileSync(f, "utf8")).map((line) => `${relative(root, f)}: ${line.trim()}`));
    expect(offenders).toEqual([]);
  });
});
