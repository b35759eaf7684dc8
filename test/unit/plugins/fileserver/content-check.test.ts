import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkedChunks } from "../../../../plugins/fileserver/content-check.js";

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

async function* chunksOf(parts: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

describe("checkedChunks", () => {
  const parts = [Buffer.from("first "), Buffer.from("second "), Buffer.from("last")];
  const whole = Buffer.concat(parts);

  it("passes matching content through unchanged", async () => {
    const out: Uint8Array[] = [];
    for await (const c of checkedChunks(chunksOf(parts), { sha256: sha(whole), size: whole.length }, "x")) out.push(c);
    expect(Buffer.concat(out).equals(whole)).toBe(true);
  });

  it("never yields the last chunk of content that does not match", async () => {
    const out: Uint8Array[] = [];
    const run = async (): Promise<void> => {
      for await (const c of checkedChunks(chunksOf(parts), { sha256: "0".repeat(64), size: whole.length }, "the thing")) out.push(c);
    };
    await expect(run()).rejects.toThrow(/the thing has sha256 [0-9a-f]{64}, expected 0{64}; nothing was written/);
    expect(Buffer.concat(out).toString()).toBe("first second ");
  });

  it("stops as soon as the content is longer than promised", async () => {
    const out: Uint8Array[] = [];
    const run = async (): Promise<void> => {
      for await (const c of checkedChunks(chunksOf(parts), { sha256: sha(whole), size: 8 }, "x")) out.push(c);
    };
    await expect(run()).rejects.toThrow(/x has 13 bytes, expected 8/);
    expect(out).toEqual([]);
  });
});
