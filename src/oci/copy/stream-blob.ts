/**
 * Moves one blob from a source to a target as a stream: source.fetch →
 * byte counter → target.push, never buffered whole, so memory does not grow
 * with layer size. Both ends verify the digest by the ContentReader /
 * ContentWriter contract, so this path only counts bytes (hashing a 1 GiB
 * layer a third time would cost CPU and prove nothing new).
 */
import { Transform, pipeline, type Readable, type TransformCallback } from "node:stream";
import type { Descriptor } from "../../core/oci-types.js";
import type { ContentReader, ContentWriter } from "../content.js";
import { CopyError } from "./errors.js";

/** Counts bytes flowing through and reports the running total. */
class ByteCounter extends Transform {
  private total = 0;
  private readonly onBytes: (bytes: number) => void;

  constructor(onBytes: (bytes: number) => void) {
    super();
    this.onBytes = onBytes;
  }

  get bytes(): number {
    return this.total;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.total += chunk.length;
    this.onBytes(this.total);
    callback(null, chunk);
  }
}

/** True for an error that only says a stream was cut short by its consumer (our own abandoning of a read). */
function isPrematureClose(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === "ERR_STREAM_PREMATURE_CLOSE" || code === "ABORT_ERR";
}

/** One read of the source: its stream, its byte counter, and the source's own failure if it had one. */
interface SourceRead {
  readonly input: Readable;
  readonly counter: ByteCounter;
  failure: unknown;
}

/**
 * Streams `descriptor` from `source` into `target`; returns the bytes sent.
 * The target may read the source again (`reopen`) when its upload was
 * interrupted after the stream was partly read: it then restarts or resumes
 * instead of failing, and never resends a half-read stream.
 *
 * A failure is a {@link CopyError} naming the side at fault: an error raised
 * by the source stream (a reset, a digest mismatch) is the source's even
 * when the target's push is what reports it. Aborting destroys the streams
 * and rejects with the signal's reason.
 */
export async function streamBlob(source: ContentReader, target: ContentWriter, descriptor: Descriptor, onBytes: (bytes: number) => void, signal?: AbortSignal): Promise<number> {
  const callOptions = signal === undefined ? {} : { signal };
  const open = async (): Promise<SourceRead> => {
    const input = await source.fetch(descriptor, callOptions);
    const read: SourceRead = { input, counter: new ByteCounter(onBytes), failure: undefined };
    input.once("error", (error) => {
      // Cut short because the target let go of it: not the source's fault.
      if (!isPrematureClose(error)) read.failure ??= error;
    });
    pipeline(input, read.counter, () => undefined);
    return read;
  };
  let current: SourceRead;
  try {
    current = await open();
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new CopyError({ operation: "fetch", side: "source", location: source.name, descriptor, cause: error });
  }
  let reopenFailure: unknown;
  const reopen = async (): Promise<Readable> => {
    const previous = current;
    try {
      current = await open();
    } catch (error) {
      reopenFailure = error;
      throw error;
    }
    previous.input.destroy();
    previous.counter.destroy();
    return current.counter;
  };
  // Destroy without an error: the abort reason travels through the signal (rethrown below), and an
  // error event on a stream whose consumer already let go would surface as an uncaught exception.
  const onAbort = (): void => {
    current.input.destroy();
    current.counter.destroy();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await target.push(descriptor, current.counter, { ...callOptions, reopen });
  } catch (error) {
    current.input.destroy();
    current.counter.destroy();
    if (signal?.aborted) throw signal.reason;
    const sourceFailure = reopenFailure ?? current.failure;
    if (sourceFailure !== undefined) throw new CopyError({ operation: "fetch", side: "source", location: source.name, descriptor, cause: sourceFailure });
    throw new CopyError({ operation: "push", side: "target", location: target.name, descriptor, cause: error });
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  // A target may finish without reading everything (it found the blob already stored): free the source connection.
  // A source error after the target accepted (and, by contract, verified) the bytes is a late reset and harmless.
  if (!current.input.readableEnded) current.input.destroy();
  if (!current.counter.readableEnded) current.counter.destroy();
  return current.counter.bytes;
}
