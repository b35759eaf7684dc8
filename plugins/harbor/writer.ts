/**
 * The repository store the core copies through, with Harbor's misleading
 * answers explained: a push into a project that does not exist fails with
 * 401 "unauthorized" (the token service grants nothing for it), not 404
 * (providers-notes §2.4, pitfall 2), and an immutable tag answers 412.
 */
import type { CallOptions, ContentWriter, Descriptor } from "airgap/sdk";

/** Turns a failure of the inner store into one that says what happened; returns the error itself when there is nothing to add. */
export type Explain = (error: unknown) => Promise<unknown>;

/** A ContentWriter that passes every call through and explains failures. */
export function explainingWriter(inner: ContentWriter, explain: Explain): ContentWriter {
  const guard = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw await explain(error);
    }
  };
  // `name` and `repository` as the inner store has them: the copy graph derives mount sources from them.
  const repository = (inner as { readonly repository?: unknown }).repository;
  const writer: ContentWriter & { repository?: unknown } = {
    get name() {
      return inner.name;
    },
    ...(repository !== undefined ? { repository } : {}),
    resolve: (reference: string, options?: CallOptions) => guard(() => inner.resolve(reference, options)),
    exists: (descriptor: Descriptor, options?: CallOptions) => guard(() => inner.exists(descriptor, options)),
    fetch: (descriptor: Descriptor, options?: CallOptions) => guard(() => inner.fetch(descriptor, options)),
    push: (descriptor: Descriptor, content, options?: CallOptions) => guard(() => inner.push(descriptor, content, options)),
    tag: (descriptor: Descriptor, tag: string, options?: CallOptions) => guard(() => inner.tag(descriptor, tag, options)),
  };
  if (inner.mount) {
    const mount = inner.mount.bind(inner);
    writer.mount = (descriptor: Descriptor, from: string, options?: CallOptions) => guard(() => mount(descriptor, from, options));
  }
  return writer;
}

/** The HTTP status and registry error codes of a failure, read without depending on its class. */
export function failureOf(error: unknown): { readonly status: number | undefined; readonly codes: readonly string[]; readonly message: string } {
  const e = error as { status?: unknown; errors?: unknown; message?: unknown } | undefined;
  const codes = Array.isArray(e?.errors) ? e.errors.map((x: { code?: unknown }) => String(x.code)) : [];
  return { status: typeof e?.status === "number" ? e.status : undefined, codes, message: typeof e?.message === "string" ? e.message : String(error) };
}
