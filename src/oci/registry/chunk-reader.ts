/**
 * Stream helpers for uploads: cutting a byte stream into fixed-size chunks
 * (chunked PATCH uploads), and holding back the final chunk until the
 * stream has ended cleanly (so a digest mismatch, detected at the end, stops
 * the request before its last bytes reach the registry).
 */

/** Reads an async byte iterator in pieces of a requested size, without copying more than needed. */
export class ChunkReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** True once the source has ended (and every byte has been handed out or is pending). */
  get done(): boolean {
    return this.ended && this.pendingLength === 0;
  }

  /** True once the source has ended; the last {@link read} may still have returned bytes. */
  get sourceEnded(): boolean {
    return this.ended;
  }

  /**
   * Returns the next `size` bytes, or fewer when the source ends first (then
   * {@link sourceEnded} is true). Errors of the source (such as a digest
   * mismatch found at its end) are thrown from here.
   */
  async read(size: number): Promise<Buffer> {
    while (this.pendingLength < size && !this.ended) {
      const next = await this.iterator.next();
      if (next.done === true) {
        this.ended = true;
        break;
      }
      const buf = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      this.pending.push(buf);
      this.pendingLength += buf.length;
    }
    const all = this.pending.length === 1 ? (this.pending[0] ?? Buffer.alloc(0)) : Buffer.concat(this.pending, this.pendingLength);
    const take = Math.min(size, all.length);
    const out = all.subarray(0, take);
    const rest = all.subarray(take);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingLength = rest.length;
    return out;
  }

  /** Every remaining byte, as an async iterable (for falling back to a single streamed request). */
  async *rest(): AsyncGenerator<Buffer> {
    const pending = this.pending;
    this.pending = [];
    this.pendingLength = 0;
    for (const p of pending) yield p;
    while (!this.ended) {
      const next = await this.iterator.next();
      if (next.done === true) {
        this.ended = true;
        break;
      }
      yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    }
  }

  /** Stops reading the source early (its stream is destroyed). */
  async cancel(): Promise<void> {
    this.ended = true;
    this.pending = [];
    this.pendingLength = 0;
    await this.iterator.return?.();
  }
}

/**
 * Passes chunks through one step late: each chunk is emitted when the next
 * one arrives, and the last one only after the source finished without an
 * error. A request whose body is the result therefore never completes when
 * the source fails at its very end.
 */
export async function* holdLastChunk(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let held: Uint8Array | undefined;
  for await (const chunk of source) {
    if (held !== undefined) yield held;
    held = chunk;
  }
  if (held !== undefined) yield held;
}
