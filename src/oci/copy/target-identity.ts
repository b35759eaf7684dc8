/**
 * Which store and repository a ContentWriter writes to. Dedupe and mounts
 * need both: a blob moved into one repository of a registry can be mounted
 * into another repository of the SAME registry, never across registries.
 * ContentWriter does not carry this (it is one repository's view), so it is
 * given explicitly or derived from the conventional `name` and `repository`
 * fields of the stores airgap ships (`RegistryRepository`: name
 * `host/repository`; layout repositories: name `oci:DIR:repository`).
 */
import type { ContentWriter } from "../content.js";

/** The identity of a copy target: the store (a registry, a layout) and one repository in it. */
export interface CopyTargetIdentity {
  /** Stable name of the whole store: blobs are deduplicated and mounted within one store. */
  readonly store: string;
  /** The repository inside the store; mount sources are other repositories of the same store. */
  readonly repository: string;
}

/**
 * Derives the identity of a writer: an explicit `override` wins; a writer
 * with a string `repository` whose `name` ends with `/repository` or
 * `:repository` splits there; any other writer is a store of its own, so it
 * is still deduplicated against itself but never used as a mount source.
 */
export function targetIdentity(writer: ContentWriter, override?: CopyTargetIdentity): CopyTargetIdentity {
  if (override !== undefined) return override;
  const repository = (writer as { readonly repository?: unknown }).repository;
  if (typeof repository === "string" && repository !== "") {
    for (const separator of ["/", ":"]) {
      const suffix = `${separator}${repository}`;
      if (writer.name.endsWith(suffix) && writer.name.length > suffix.length) {
        return { store: writer.name.slice(0, -suffix.length), repository };
      }
    }
  }
  return { store: writer.name, repository: writer.name };
}
