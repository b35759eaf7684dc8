import { describe, expect, it } from "vitest";
import { ChunkReader, holdLastChunk } from "../../../../src/oci/registry/chunk-reader.js";

async function* parts(...items: Array<string | Error>): AsyncGenerator<Uint8Array> {
  for (const item of items) {
    if (item instanceof Error) throw item;
    yield Buffer.from(item);
  }
}

describe("ChunkReader", () => {
  it("cuts a stream into pieces of the requested size", async () => {
    const reader = new ChunkReader(parts("abc", "defgh", "ij"));
    expect((await reader.read(4)).toString()).toBe("abcd");
    expect(reader.sourceEnded).toBe(false);
    expect((await reader.read(4)).toString()).toBe("efgh");
    expect((await reader.read(4)).toString()).toBe("ij");
    expect(reader.sourceEnded).toBe(true);
    expect((await reader.read(4)).length).toBe(0);
    expect(reader.done).toBe(true);
  });

  it("throws the source's error from read and hands out the rest", async () => {
    const failing = new ChunkReader(parts("abc", new Error("digest mismatch")));
    await expect(failing.read(10)).rejects.toThrow("digest mismatch");
    const reader = new ChunkReader(parts("abc", "def"));
    expect((await reader.read(2)).toString()).toBe("ab");
    const rest: string[] = [];
    for await (const chunk of reader.rest()) rest.push(Buffer.from(chunk).toString());
    expect(rest.join("")).toBe("cdef");
  });
});

describe("holdLastChunk", () => {
  it("emits the last chunk only after the source ended cleanly", async () => {
    const seen: string[] = [];
    for await (const c of holdLastChunk(parts("a", "b", "c"))) seen.push(Buffer.from(c).toString());
    expect(seen).toEqual(["a", "b", "c"]);
    const partial: string[] = [];
    await expect(
      (async () => {
        for await (const c of holdLastChunk(parts("a", "b", new Error("bad")))) partial.push(Buffer.from(c).toString());
      })(),
    ).rejects.toThrow("bad");
    expect(partial).toEqual(["a"]);
  });
});
