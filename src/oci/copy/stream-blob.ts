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

/**
 * Streams `descriptor` from `source` into `target`; returns the bytes sent.
 * A failure is a {@link CopyError} naming the side at fault: an error raised
 * by the source stream (a reset, a digest mismatch) is the source's even
 * when the target's push is what reports it. Aborting destroys both streams
 * and rejects with the signal's reason.
 */
export async function streamBlob(source: ContentReader, target: ContentWriter, descriptor: Descriptor, onBytes: (bytes: number) => void, signal?: AbortSignal): Promise<number> {
  const callOptions = signal === undefined ? {} : { signal };
  let input: Readable;
  try {
    input = await source.fetch(descriptor, callOptions);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new CopyError({ operation: "fetch", side: "source", location: source.name, descriptor, cause: error });
  }
  let sourceError: unknown;
  input.once("error", (error) => {
    sourceError ??= error;
  });
  const counter = new ByteCounter(onBytes);
  // Destroy without an error: the abort reason travels through the signal (rethrown below), and an
  // error event on a stream whose consumer already let go would surface as an uncaught exception.
  const onAbort = (): void => {
    input.destroy();
    counter.destroy();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  pipeline(input, counter, () => undefined);
  try {
    await target.push(descriptor, counter, callOptions);
  } catch (error) {
    input.destroy();
    counter.destroy();
    if (signal?.aborted) throw signal.reason;
    if (sourceError !== undefined) throw new CopyError({ operation: "fetch", side: "source", location: source.name, descriptor, cause: sourceError });
    throw new CopyError({ operation: "push", side: "target", location: target.name, descriptor, cause: error });
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  // A target may finish without reading everything (it found the blob already stored): free the source connection.
  // A source error after the target accepted (and, by contract, verified) the bytes is a late reset and harmless.
  if (!input.readableEnded) input.destroy();
  if (!counter.readableEnded) counter.destroy();
  return counter.bytes;
}
