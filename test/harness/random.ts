import { createCipheriv, createHash } from "node:crypto";
import { Readable } from "node:stream";

const BLOCK = 16;

function keyFor(seed: string): Buffer {
  return createHash("sha256").update(`airgap-test-random:${seed}`).digest().subarray(0, 16);
}

function ivForBlock(block: bigint): Buffer {
  const iv = Buffer.alloc(BLOCK);
  let rest = block;
  for (let i = BLOCK - 1; i >= 0 && rest > 0n; i--) {
    iv[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return iv;
}

/**
 * Returns `length` pseudo-random bytes of the infinite stream named by `seed`, starting at byte
 * `offset` (AES-128-CTR keystream, so any offset is reachable without generating what precedes it).
 *
 * Why: generated test images and large blobs must be byte-identical across runs and machines
 * (digests are asserted), fast to produce (GiB/s), and regenerable from any offset (to stream a
 * blob twice or resume it) without keeping it in memory.
 */
export function seededBytes(seed: string, length: number, offset = 0): Buffer {
  const cipher = createCipheriv("aes-128-ctr", keyFor(seed), ivForBlock(BigInt(Math.floor(offset / BLOCK))));
  const skip = offset % BLOCK;
  const out = cipher.update(Buffer.alloc(length + skip));
  return skip === 0 ? out : out.subarray(skip);
}

/**
 * A readable stream over bytes `[start, end)` of the seeded stream, produced in chunks so memory
 * stays bounded whatever the size.
 */
export function seededStream(seed: string, start: number, end: number, chunkSize = 1 << 20): Readable {
  const cipher = createCipheriv("aes-128-ctr", keyFor(seed), ivForBlock(BigInt(Math.floor(start / BLOCK))));
  let skip = start % BLOCK;
  let remaining = end - start;
  const zeros = Buffer.alloc(chunkSize + BLOCK);
  return new Readable({
    highWaterMark: chunkSize,
    read(): void {
      if (remaining <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(chunkSize, remaining);
      let chunk = cipher.update(zeros.subarray(0, n + skip));
      if (skip > 0) {
        chunk = chunk.subarray(skip);
        skip = 0;
      }
      remaining -= n;
      this.push(chunk);
    },
  });
}

/**
 * Small deterministic PRNG (splitmix32 over a hashed seed) for choices such as sizes and names.
 *
 * Why: `Math.random` cannot be seeded; test data must be reproducible from the seed alone.
 */
export function seededRandom(seed: string): { nextUint32(): number; int(min: number, maxInclusive: number): number } {
  let state = createHash("sha256").update(`airgap-test-prng:${seed}`).digest().readUInt32BE(0);
  const nextUint32 = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  return {
    nextUint32,
    int: (min, maxInclusive) => min + (nextUint32() % (maxInclusive - min + 1)),
  };
}

/** `sha256:<hex>` of the given bytes — the OCI digest form. */
export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}
