/**
 * Lets semantic rules run even when the schema check failed, so that one
 * `airgap validate` lists every problem: each entry with a schema error (a
 * source, a registry, one image, one output...) is removed from a copy of the
 * data, and the rules see only well-typed entries. Array entries become holes
 * (not removed) so that indices, and therefore positions, stay right.
 */
import { fromPointer, type Diagnostic } from "../core/diagnostics.js";

/** The names each section declares, including entries removed for schema errors. */
export interface DeclaredNames {
  readonly sources: ReadonlySet<string>;
  readonly registries: ReadonlySet<string>;
  readonly bundles: ReadonlySet<string>;
}

/** The pointer segments of the smallest entry containing `pointer`, or undefined for the document root. */
export function entryOf(pointer: string): string[] | undefined {
  const s = fromPointer(pointer);
  const [section, name, list, index] = s;
  if (section === undefined) return undefined;
  if ((section === "sources" || section === "registries") && name !== undefined) return [section, name];
  if (section === "bundles" && name !== undefined) {
    if ((list === "images" || list === "charts" || list === "files") && index !== undefined) return [section, name, list, index];
    return [section, name];
  }
  if (section === "cluster" && name === "outputs" && list !== undefined) return [section, name, list];
  return [section];
}

/** Names declared in the raw document, for reference checks that must not depend on pruning. */
export function declaredNames(value: unknown): DeclaredNames {
  const keys = (section: string): Set<string> => {
    const v = (value as Record<string, unknown> | undefined)?.[section];
    return new Set(v && typeof v === "object" && !Array.isArray(v) ? Object.keys(v) : []);
  };
  return { sources: keys("sources"), registries: keys("registries"), bundles: keys("bundles") };
}

/**
 * A copy of `value` without the entries that schema diagnostics point into,
 * or undefined when an error concerns the document as a whole.
 */
export function pruneInvalid(value: unknown, diagnostics: readonly Diagnostic[]): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const d of diagnostics) {
    if (d.pointer === undefined) return undefined;
    const entry = entryOf(d.pointer);
    if (entry === undefined) {
      if (d.message.startsWith("missing required key")) continue;
      return undefined;
    }
    let parent: unknown = copy;
    for (const segment of entry.slice(0, -1)) parent = parent && typeof parent === "object" ? (parent as Record<string, unknown>)[segment] : undefined;
    const last = entry.at(-1)!;
    if (Array.isArray(parent)) delete parent[Number(last)];
    else if (parent && typeof parent === "object") delete (parent as Record<string, unknown>)[last];
  }
  return copy;
}
