/**
 * Which fields of airgap.yaml hold secrets, read from the schema and from
 * nowhere else: every node marked `writeOnly: true` (JSON Schema's word for
 * a value that is sent but never shown back) is a secret field. The loader
 * turns the strings in those fields into {@link Secret}s, the schema
 * check prints `(sensitive)` for them, and the bundle's copy of the config
 * drops their literal values. A value anywhere else is data, whatever it
 * holds and wherever it came from.
 */
import { fromPointer, toPointer } from "../core/diagnostics.js";
import { airgapSchema } from "./schema.js";

type SchemaNode = { readonly [key: string]: unknown };

/** A path of a secret field: object keys, with `*` for any key or list index. */
export type SecretFieldPattern = readonly string[];

/** Any key or index. */
const ANY = "*";

function isNode(value: unknown): value is SchemaNode {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function resolveRef(root: SchemaNode, ref: string): SchemaNode | undefined {
  if (!ref.startsWith("#")) return undefined;
  let current: unknown = root;
  for (const segment of fromPointer(ref.slice(1))) current = isNode(current) ? current[segment] : undefined;
  return isNode(current) ? current : undefined;
}

/**
 * The instance paths of every `writeOnly: true` node of a schema, following
 * `$ref`, `properties`, `additionalProperties`, `patternProperties`,
 * `items`, `prefixItems` and the applicators (`allOf`, `anyOf`, `oneOf`,
 * `if`/`then`/`else`), which all apply at the same instance path.
 */
export function secretFieldPatterns(schema: SchemaNode): SecretFieldPattern[] {
  const found = new Map<string, SecretFieldPattern>();
  const walk = (node: unknown, path: readonly string[], refs: readonly string[]): void => {
    if (!isNode(node)) return;
    if (node["writeOnly"] === true) found.set(JSON.stringify(path), path);
    const ref = node["$ref"];
    if (typeof ref === "string" && !refs.includes(ref)) walk(resolveRef(schema, ref), path, [...refs, ref]);
    for (const [key, child] of Object.entries(isNode(node["properties"]) ? node["properties"] : {})) walk(child, [...path, key], refs);
    walk(node["additionalProperties"], [...path, ANY], refs);
    for (const child of Object.values(isNode(node["patternProperties"]) ? node["patternProperties"] : {})) walk(child, [...path, ANY], refs);
    walk(node["items"], [...path, ANY], refs);
    for (const child of Array.isArray(node["prefixItems"]) ? node["prefixItems"] : []) walk(child, [...path, ANY], refs);
    for (const key of ["allOf", "anyOf", "oneOf"]) for (const branch of Array.isArray(node[key]) ? node[key] : []) walk(branch, path, refs);
    for (const key of ["if", "then", "else"]) walk(node[key], path, refs);
  };
  walk(schema, [], []);
  return [...found.values()];
}

let cached: readonly SecretFieldPattern[] | undefined;

/** The secret fields of airgap.yaml (built-in providers included), derived once from its schema. */
export function airgapSecretFields(): readonly SecretFieldPattern[] {
  cached ??= secretFieldPatterns(airgapSchema);
  return cached;
}

/** True when a path of segments (keys, list indices) names a secret field. */
export function isSecretField(path: readonly (string | number)[], patterns: readonly SecretFieldPattern[] = airgapSecretFields()): boolean {
  return patterns.some((p) => p.length === path.length && p.every((segment, i) => segment === ANY || segment === String(path[i])));
}

/** The JSON pointers of the strings in `value` that fill a secret field. */
export function secretPointers(value: unknown, patterns: readonly SecretFieldPattern[] = airgapSecretFields()): Set<string> {
  const out = new Set<string>();
  const walk = (node: unknown, path: readonly string[], live: readonly SecretFieldPattern[]): void => {
    if (live.length === 0) return;
    if (typeof node === "string") {
      if (live.some((p) => p.length === path.length)) out.add(toPointer(path));
      return;
    }
    if (node === null || typeof node !== "object") return;
    for (const [key, child] of Object.entries(node)) {
      const depth = path.length;
      walk(
        child,
        [...path, key],
        live.filter((p) => p.length > depth && (p[depth] === ANY || p[depth] === key)),
      );
    }
  };
  walk(value, [], patterns);
  return out;
}
