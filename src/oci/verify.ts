/**
 * Streaming digest and size verification: every byte airgap moves passes
 * through one of these, so memory never grows with blob size and corrupt
 * content is refused before anything downstream commits it.
 */
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { digestAlgorithm, digestEncoded, type Digest } from "../core/digest.js";
import { AirgapError } from "../core/errors.js";

/** Content did not match its descriptor: a different digest, or more or fewer bytes. */
export class ContentVerificationError extends AirgapError {
  readonly expected: Digest;
  readonly actual?: string;

  constructor(message: string, expected: Digest, actual?: string) {
    super("CONTENT_MISMATCH", message);
    this.expected = expected;
    if (actual !== undefined) this.actual = actual;
  }
}

/** Computes `sha256:<hex>` of a buffer. */
export function sha256Digest(data: Uint8Array | string): Digest {
  return `sha256:${createHash("sha256").update(data).digest("hex")}` as Digest;
}

/** Computes the digest of a buffer with the algorithm of `like` (sha256 or sha512). */
export function digestOf(data: Uint8Array, like: Digest): Digest {
  const algorithm = digestAlgorithm(like);
  return `${algorithm}:${createHash(algorithm).update(data).digest("hex")}` as Digest;
}

/**
 * A pass-through stream that counts and hashes bytes and fails at the end (or
 * as soon as the size is exceeded) when they do not match the expectation.
 * `onProgress` receives the running byte count, for progress events.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private readonly expected: { readonly digest: Digest; readonly size?: number; readonly name?: string };
  private readonly onProgress: ((bytes: number) => void) | undefined;
  private received = 0;

  constructor(
    expected: { readonly digest: Digest; readonly size?: number; readonly name?: string },
    onProgress?: (bytes: number) => void,
    /** Bytes already verified elsewhere (a resumed GET), hashed into `hash` by the caller. */
    resume?: { readonly hash: Hash; readonly offset: number },
  ) {
    super();
    this.expected = expected;
    this.onProgress = onProgress;
    this.hash = resume?.hash ?? createHash(digestAlgorithm(expected.digest));
    this.received = resume?.offset ?? 0;
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.received;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    const size = this.expected.size;
    if (size !== undefined && this.received > size) {
      callback(new ContentVerificationError(`${this.label()}: more than the expected ${size} bytes`, this.expected.digest));
      return;
    }
    this.hash.update(chunk);
    this.onProgress?.(this.received);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const size = this.expected.size;
    if (size !== undefined && this.received !== size) {
      callback(new ContentVerificationError(`${this.label()}: got ${this.received} bytes, expected ${size}`, this.expected.digest));
      return;
    }
    const actual = `${digestAlgorithm(this.expected.digest)}:${this.hash.digest("hex")}`;
    if (actual !== this.expected.digest) {
      callback(new ContentVerificationError(`${this.label()}: content has digest ${actual}, expected ${this.expected.digest}`, this.expected.digest, actual));
      return;
    }
    callback();
  }

  private label(): string {
    return this.expected.name ? `${this.expected.name} (${digestEncoded(this.expected.digest).slice(0, 12)})` : this.expected.digest;
  }
}

/**
 * Checks bytes already in memory against their descriptor, with the same
 * errors as {@link VerifyingStream}: for small blobs read whole (manifests),
 * where a stream would only add overhead.
 */
export function verifyBytes(bytes: Uint8Array, expected: { readonly digest: Digest; readonly size?: number; readonly name?: string }): void {
  const label = expected.name ? `${expected.name} (${digestEncoded(expected.digest).slice(0, 12)})` : expected.digest;
  if (expected.size !== undefined && bytes.length !== expected.size) {
    throw new ContentVerificationError(`${label}: got ${bytes.length} bytes, expected ${expected.size}`, expected.digest);
  }
  const actual = digestOf(bytes, expected.digest);
  if (actual !== expected.digest) throw new ContentVerificationError(`${label}: content has digest ${actual}, expected ${expected.digest}`, expected.digest, actual);
}

/** Reads a whole stream into memory, refusing more than `limit` bytes (for manifests and JSON, never for layers). */
export async function readAllLimited(stream: AsyncIterable<Uint8Array>, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > limit) throw new AirgapError("TOO_LARGE", `${what} is larger than the ${limit}-byte limit`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** The 4 MiB manifest limit that registries and containerd apply (distribution spec). */
export const MANIFEST_SIZE_LIMIT = 4 * 1024 * 1024;
