/**
 * The repository store the core copies through, bound to the current ECR
 * token: every call first asks for the token (replaced shortly before it
 * expires) and uses the registry client made for it, so a long apply moves
 * to a fresh token between calls. Failures ECR words oddly are explained.
 */
import type { CallOptions, ContentWriter, Descriptor } from "airgap/sdk";

/** Explains a failure of the inner store, or returns it unchanged. */
export type Explain = (error: unknown) => unknown;

/**
 * A ContentWriter for one repository whose inner store may change between
 * calls (`current()` returns the store for the token in use). `name` and
 * `repository` stay those of the registry store, so the copy graph's mount
 * and dedupe identity does not change with the token.
 */
export function refreshingWriter(name: string, repository: string, current: () => Promise<ContentWriter>, explain: Explain): ContentWriter & { readonly repository: string } {
  const run = async <T>(call: (inner: ContentWriter) => Promise<T>): Promise<T> => {
    const inner = await current();
    try {
      return await call(inner);
    } catch (error) {
      throw explain(error);
    }
  };
  return {
    name,
    repository,
    resolve: (reference: string, options?: CallOptions) => run((inner) => inner.resolve(reference, options)),
    exists: (descriptor: Descriptor, options?: CallOptions) => run((inner) => inner.exists(descriptor, options)),
    fetch: (descriptor: Descriptor, options?: CallOptions) => run((inner) => inner.fetch(descriptor, options)),
    push: (descriptor: Descriptor, content, options?: CallOptions) =>
      run((inner) => inner.push(descriptor, content, options)).catch((error: unknown) => {
        content.destroy();
        throw error;
      }),
    tag: (descriptor: Descriptor, tag: string, options?: CallOptions) => run((inner) => inner.tag(descriptor, tag, options)),
    mount: (descriptor: Descriptor, from: string, options?: CallOptions) => run(async (inner) => (inner.mount ? inner.mount(descriptor, from, options) : false)),
  };
}

/** The HTTP status and registry error codes of a failure, read without depending on its class. */
export function failureOf(error: unknown): { readonly status: number | undefined; readonly codes: readonly string[]; readonly message: string } {
  const e = error as { status?: unknown; errors?: unknown; message?: unknown } | undefined;
  const codes = Array.isArray(e?.errors) ? e.errors.map((x: { code?: unknown }) => String(x.code)) : [];
  return { status: typeof e?.status === "number" ? e.status : undefined, codes, message: typeof e?.message === "string" ? e.message : String(error) };
}
