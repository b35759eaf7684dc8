/**
 * The content of one blob upload: verified while it is read, and readable
 * again from any offset when the caller can reopen it (a body factory, or
 * `reopen`), so an interrupted upload restarts or resumes without ever
 * resending a half-read stream. Memory never grows with the blob: bytes
 * before the offset are read and hashed, not kept.
 */
import { pipeline, type Readable } from "node:stream";
import type { Digest } from "../../core/digest.js";
import { VerifyingStream } from "../verify.js";

/**
 * Blob content: a stream (read once), or a factory that opens the content
 * again from its start, which lets a failed upload start over.
 */
export type BlobSource = Readable | (() => Readable | Promise<Readable>);

/** What the content must be. */
export interface ExpectedContent {
  readonly digest: Digest;
  readonly size: number;
  /** For messages: `blob team/app@sha256:…`. */
  readonly name: string;
}

async function* skipBytes(source: AsyncIterable<Uint8Array>, count: number): AsyncGenerator<Uint8Array> {
  let left = count;
  for await (const chunk of source) {
    if (left >= chunk.length) {
      left -= chunk.length;
      continue;
    }
    yield left > 0 ? chunk.subarray(left) : chunk;
    left = 0;
  }
}

/** One upload's content; {@link close} it when the upload is over. */
export class UploadContent {
  private readonly initial: Readable | undefined;
  private readonly open: (() => Readable | Promise<Readable>) | undefined;
  private readonly expected: ExpectedContent;
  private readonly onProgress: ((bytes: number) => void) | undefined;
  private handedOut = false;
  private current: { readonly raw: Readable; readonly verifier: VerifyingStream } | undefined;

  constructor(source: BlobSource, reopen: (() => Promise<Readable>) | undefined, expected: ExpectedContent, onProgress?: (bytes: number) => void) {
    this.initial = typeof source === "function" ? undefined : source;
    this.open = typeof source === "function" ? source : reopen;
    this.expected = expected;
    this.onProgress = onProgress;
  }

  /** True when the content can be read more than once. */
  get reopenable(): boolean {
    return this.open !== undefined;
  }

  /**
   * The verified bytes from `offset` to the end. The first call reads the
   * given stream; later calls reopen the content, and throw `failure` (the
   * reason the upload must start again) when it cannot be reopened. The
   * previous read, if any, is abandoned.
   */
  async from(offset: number, failure?: unknown): Promise<AsyncIterable<Uint8Array>> {
    this.release();
    let raw: Readable;
    if (!this.handedOut && this.initial !== undefined) {
      raw = this.initial;
    } else if (this.open !== undefined) {
      raw = await this.open();
    } else {
      throw failure ?? new Error(`${this.expected.name}: the content stream was already read and cannot be read again`);
    }
    this.handedOut = true;
    const verifier = new VerifyingStream({ digest: this.expected.digest, size: this.expected.size, name: this.expected.name }, this.onProgress);
    pipeline(raw, verifier, () => undefined);
    this.current = { raw, verifier };
    return offset === 0 ? verifier : skipBytes(verifier, offset);
  }

  /** Abandons what is being read (and the given stream when it was never read). */
  close(): void {
    this.release();
    if (!this.handedOut) this.initial?.destroy();
  }

  private release(): void {
    const current = this.current;
    this.current = undefined;
    if (current === undefined) return;
    current.raw.destroy();
    current.verifier.destroy();
  }
}
