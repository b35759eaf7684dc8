/**
 * The store calls of a copy, each wrapped so that a failure becomes a
 * {@link CopyError} naming the side, the operation and the descriptor, while
 * an abort stays the caller's abort reason.
 */
import { Readable } from "node:stream";
import type { Descriptor } from "../../core/oci-types.js";
import { ContentVerificationError, MANIFEST_SIZE_LIMIT, digestOf, readAllLimited } from "../verify.js";
import type { CopyContext, GraphNode } from "./context.js";
import { CopyError, type CopyOperation, type CopySide } from "./errors.js";
import { isManifestDescriptor } from "./manifest-content.js";

/** Runs one store call, turning its failure into a CopyError for `side`. */
export async function onSide<T>(ctx: CopyContext, side: CopySide, operation: CopyOperation, descriptor: Descriptor, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (error instanceof CopyError) throw error;
    throw new CopyError({ operation, side, location: side === "source" ? ctx.source.name : ctx.target.name, descriptor, cause: error });
  }
}

/** `target.exists`, as a CopyError on failure. */
export function targetHas(ctx: CopyContext, descriptor: Descriptor): Promise<boolean> {
  return onSide(ctx, "target", "exists", descriptor, () => ctx.target.exists(descriptor, { signal: ctx.signal }));
}

/** `source.exists`, as a CopyError on failure. */
export function sourceHas(ctx: CopyContext, descriptor: Descriptor): Promise<boolean> {
  return onSide(ctx, "source", "exists", descriptor, () => ctx.source.exists(descriptor, { signal: ctx.signal }));
}

/** Pushes a manifest's exact bytes to the target. */
export function pushManifest(ctx: CopyContext, descriptor: Descriptor, bytes: Buffer): Promise<void> {
  return onSide(ctx, "target", "push", descriptor, () => ctx.target.push(descriptor, Readable.from([bytes], { objectMode: false }), { signal: ctx.signal }));
}

/**
 * Reads a source manifest whole (manifests are at most 4 MiB) and checks its
 * bytes against the descriptor, since its children are trusted from them.
 */
export async function fetchManifest(ctx: CopyContext, descriptor: Descriptor): Promise<Buffer> {
  const what = `manifest ${ctx.source.name}@${descriptor.digest}`;
  if (descriptor.size > MANIFEST_SIZE_LIMIT) {
    throw new CopyError({
      code: "COPY_UNSUPPORTED",
      operation: "fetch",
      side: "source",
      location: ctx.source.name,
      descriptor,
      message: `${what} is ${descriptor.size} bytes, more than the ${MANIFEST_SIZE_LIMIT}-byte limit registries accept`,
    });
  }
  return onSide(ctx, "source", "fetch", descriptor, async () => {
    const stream = await ctx.source.fetch(descriptor, { signal: ctx.signal });
    const bytes = await readAllLimited(stream, MANIFEST_SIZE_LIMIT, what);
    if (bytes.length !== descriptor.size) throw new ContentVerificationError(`${what}: got ${bytes.length} bytes, expected ${descriptor.size}`, descriptor.digest);
    const actual = digestOf(bytes, descriptor.digest);
    if (actual !== descriptor.digest) throw new ContentVerificationError(`${what}: content has digest ${actual}`, descriptor.digest, actual);
    return bytes;
  });
}

/** The children of a manifest as nodes, each digest once (a layer may repeat; a config may equal a layer). */
export function childNodes(children: readonly Descriptor[]): GraphNode[] {
  const seen = new Set<string>();
  const nodes: GraphNode[] = [];
  for (const child of children) {
    if (seen.has(child.digest)) continue;
    seen.add(child.digest);
    nodes.push(isManifestDescriptor(child) ? { kind: "manifest", descriptor: child, source: child } : { kind: "blob", descriptor: child });
  }
  return nodes;
}
