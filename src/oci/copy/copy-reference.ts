/**
 * `copyReference`: what `skopeo copy` does for one image, on top of
 * {@link copyGraph}: resolve the source reference, copy the graph, then, as
 * the very last step, point the target tag(s) at the root. A copy that fails
 * or is cancelled therefore never moves a tag.
 */
import { silentLogger } from "../../core/logger.js";
import type { Descriptor } from "../../core/oci-types.js";
import type { ContentReader, ContentWriter } from "../content.js";
import { copyGraph, type CopyGraphResult } from "./copy-graph.js";
import { CopyError } from "./errors.js";
import { safeEmitter } from "./events.js";
import type { CopyGraphOptions } from "./options.js";

/** What happened to one target tag. */
export interface TagOutcome {
  readonly tag: string;
  /** False when the tag already pointed at the root (nothing was written). */
  readonly changed: boolean;
}

/** The outcome of {@link copyReference}. */
export interface CopyReferenceResult extends CopyGraphResult {
  /** The source root the reference resolved to (before any platform filtering). */
  readonly source: Descriptor;
  readonly tags: readonly TagOutcome[];
}

/**
 * Resolves `srcReference` (tag or digest) in `source`, copies its graph to
 * `target` and tags the root (the rewritten root when platforms filtered
 * it) as `dstTag`. A tag already pointing at that digest is left alone, so a
 * no-op rerun writes nothing. Rejects with a {@link CopyError} (code
 * `COPY_NOT_FOUND` when the reference does not exist), or with the signal's
 * reason when aborted: then no tag is written.
 */
export async function copyReference(
  source: ContentReader,
  target: ContentWriter,
  srcReference: string,
  dstTag: string | readonly string[],
  options: CopyGraphOptions,
): Promise<CopyReferenceResult> {
  const signal = options.signal;
  const call = signal === undefined ? {} : { signal };
  const emit = safeEmitter(options.onEvent, options.logger ?? silentLogger);
  let resolved: Descriptor | undefined;
  try {
    resolved = await source.resolve(srcReference, call);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new CopyError({ operation: "resolve", side: "source", location: source.name, reference: srcReference, cause: error, message: `resolving ${srcReference} in ${source.name} failed: ${error instanceof Error ? error.message : String(error)}` });
  }
  if (resolved === undefined) {
    throw new CopyError({ code: "COPY_NOT_FOUND", operation: "resolve", side: "source", location: source.name, reference: srcReference, message: `${source.name}:${srcReference} does not exist` });
  }
  const result = await copyGraph(source, target, resolved, options);
  const tags: TagOutcome[] = [];
  for (const tag of typeof dstTag === "string" ? [dstTag] : dstTag) {
    signal?.throwIfAborted();
    const root = result.root;
    try {
      const current = await target.resolve(tag, call);
      const changed = current?.digest !== root.digest;
      if (changed) await target.tag(root, tag, call);
      tags.push({ tag, changed });
      emit({ type: "tagged", target: target.name, descriptor: root, tag, changed });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new CopyError({ operation: "tag", side: "target", location: target.name, descriptor: root, reference: tag, cause: error, message: `tagging ${target.name}:${tag} as ${root.digest} failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  return { ...result, source: resolved, tags };
}
