/** Content for the fileserver tests: seeded bytes as FileContent, and a source that lies or breaks. */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { FileContent } from "../../../src/sdk/index.js";
import { seededBytes } from "../../harness/random.js";

export const sha256 = (data: Buffer | string): string => createHash("sha256").update(data).digest("hex");

/** Bytes as FileContent, streamed in 64 KiB chunks; `opened` counts how often it was opened. */
export function contentOf(bytes: Buffer, declared: { sha256?: string; size?: number } = {}): FileContent & { opened: number } {
  const content = {
    sha256: declared.sha256 ?? sha256(bytes),
    size: declared.size ?? bytes.length,
    opened: 0,
    async open(): Promise<Readable> {
      content.opened++;
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 64 * 1024) chunks.push(bytes.subarray(i, i + 64 * 1024));
      return Readable.from(chunks);
    },
  };
  return content;
}

/** Seeded bytes of a size. */
export function bytesOf(seed: string, size: number): Buffer {
  return seededBytes(seed, size);
}

/** Content that yields `breakAfter` bytes of `bytes` and then fails, as a dropped download would. */
export function brokenContent(bytes: Buffer, breakAfter: number): FileContent {
  return {
    sha256: sha256(bytes),
    size: bytes.length,
    async open(): Promise<Readable> {
      return Readable.from(
        (async function* () {
          for (let i = 0; i < breakAfter; i += 64 * 1024) yield bytes.subarray(i, Math.min(breakAfter, i + 64 * 1024));
          throw new Error("upstream connection reset mid-download");
        })(),
      );
    },
  };
}
