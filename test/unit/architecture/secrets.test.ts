/**
 * Where secrets may leave their Secret: reveal() only where a credential is
 * put on the wire, Secret.scrub only at the CLI's output boundary. A new use
 * elsewhere is a design change, to be argued in review, not slipped in.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(new URL("../../../", import.meta.url).pathname);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(root, dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(relative(root, path));
    return /\.tsx?$/.test(name) ? [relative(root, path)] : [];
  });
}

function filesUsing(pattern: RegExp): string[] {
  return [...sourceFiles("src"), ...sourceFiles("plugins")].filter((file) => pattern.test(readFileSync(join(root, file), "utf8")));
}

describe("secrets stay sealed", () => {
  it("are revealed only by the credentials provider", () => {
    expect(filesUsing(/\.reveal\(\)/)).toEqual(["src/sources/credentials.ts"]);
  });

  it("are scrubbed from text only at the output boundary", () => {
    expect(filesUsing(/Secret\.scrub\(/)).toEqual(["src/cli/output-boundary.ts"]);
  });
});
