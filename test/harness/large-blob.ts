import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { seededStream } from "./random.js";

/** A big deterministic blob that is never held in memory. */
export interface LargeBlob {
  readonly seed: string;
  readonly size: number;
  /** `sha256:<hex>`, computed by streaming the content once (then cached). */
  digest(): Promise<string>;
  /** The bytes `[start, end)` (default: all), regenerated on every call, so it can be sent again or resumed. */
  stream(range?: { start?: number; end?: number }): Readable;
}

/**
 * A pseudo-random blob of `size` bytes (e.g. 1 GiB) defined by `seed`; content comes from a
 * seekable seeded generator, so the digest is computed by streaming it once and the upload
 * streams it again, or from any offset for resumed uploads.
 *
 * Why: tests of chunked/resumed uploads and memory bounds need blobs far larger than RAM budgets
 * allow to materialise; incompressible content keeps transfer sizes honest.
 */
export function largeBlob(seed: string, size: number): LargeBlob {
  let cached: Promise<string> | undefined;
  const stream = (range: { start?: number; end?: number } = {}): Readable => {
    const start = range.start ?? 0;
    const end = range.end ?? size;
    if (start < 0 || end > size || start > end) throw new RangeError(`invalid range [${start}, ${end}) of ${size}`);
    return seededStream(`large-blob:${seed}`, start, end);
  };
  return {
    seed,
    size,
    stream,
    digest(): Promise<string> {
      cached ??= (async () => {
        const hash = createHash("sha256");
        for await (const chunk of stream()) hash.update(chunk as Buffer);
        return `sha256:${hash.digest("hex")}`;
      })();
      return cached;
    },
  };
}
