/**
 * airgap.yaml read with yaml's Document API: the plain value the schema
 * checks, plus where every value and key sits in the file, so that every
 * diagnostic can name its line and column. Environment variables are expanded
 * here, at the one place that knows where each string came from.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from "yaml";
import type { Diagnostic, SourceLocation } from "../core/diagnostics.js";
import { pointerToken } from "../core/diagnostics.js";
import { expandEnvironment } from "./env.js";

/** A `${VAR}` without a value: where it is, and the value it leaves unknown. */
export interface UnsetReference {
  readonly name: string;
  /** JSON pointer of the string that needs it. */
  readonly pointer: string;
  readonly location: SourceLocation;
}

/** Positions of one value in the file: the value itself and, inside a map, its key. */
export interface NodePosition {
  readonly value: SourceLocation;
  readonly key?: SourceLocation;
}

/** A parsed document: plain data plus the maps the later stages use to point back into the file. */
export interface ParsedDocument {
  /** Plain JSON-like data, with `${VAR}` expanded. `undefined` for an empty file. */
  readonly value: unknown;
  /** JSON pointer → position. */
  readonly positions: ReadonlyMap<string, NodePosition>;
  /** Every `${VAR}` that has no value; the strings holding them are unknown until it is set. */
  readonly unset: readonly UnsetReference[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Most nodes a document may expand to: far above any real config, far below a YAML bomb. */
export const MAX_NODES = 200_000;
/** Most alias dereferences: anchors are for reuse, not for exponential expansion. */
export const MAX_ALIASES = 1_000;

class TooLarge extends Error {}

/** Parses YAML text into data with positions; problems are diagnostics, never exceptions. */
export function parseConfigDocument(text: string, file: string, env: Readonly<Record<string, string | undefined>>): ParsedDocument {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const positions = new Map<string, NodePosition>();
  const unset: UnsetReference[] = [];
  const at = (offset: number): SourceLocation => ({ file, ...lineCounter.linePos(offset) });

  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, merge: false, strict: true });
  for (const error of doc.errors) {
    const [start] = error.linePos ?? [];
    // prettyErrors adds linePos; the message's own position and excerpt are dropped for one-line output.
    const message = error.message.replace(/ at line \d+, column \d+.*$/s, "");
    diagnostics.push({
      severity: "error",
      message: describeYamlError(error.code, message),
      ...(start ? { location: { file, line: start.line, col: start.col } } : {}),
    });
  }
  if (diagnostics.length > 0) return { value: undefined, positions, unset, diagnostics };

  let nodes = 0;
  let aliases = 0;
  const walk = (node: Node | null | undefined, pointer: string, key: SourceLocation | undefined): unknown => {
    nodes += 1;
    if (nodes > MAX_NODES) throw new TooLarge(`the document expands to more than ${MAX_NODES} values`);
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      aliases += 1;
      if (aliases > MAX_ALIASES) throw new TooLarge(`more than ${MAX_ALIASES} alias references (a YAML "billion laughs" bomb?)`);
      const target = node.resolve(doc);
      return walk(target as Node | undefined, pointer, key);
    }
    const start = node.range?.[0] ?? 0;
    positions.set(pointer, key ? { value: at(start), key } : { value: at(start) });
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items as Pair<Node, Node>[]) {
        const keyNode = pair.key;
        const keyValue = isScalar(keyNode) ? keyNode.value : keyNode;
        if (keyValue === "<<" && isScalar(keyNode)) {
          mergeInto(out, walk(pair.value, pointer, undefined), pointer, at(keyNode.range?.[0] ?? 0));
          continue;
        }
        if (typeof keyValue !== "string" && typeof keyValue !== "number" && typeof keyValue !== "boolean") {
          diagnostics.push({ severity: "error", message: "map keys must be plain strings", location: at(keyNode?.range?.[0] ?? start), pointer });
          continue;
        }
        const name = String(keyValue);
        const keyLocation = at(keyNode && "range" in keyNode && keyNode.range ? keyNode.range[0] : start);
        const child = `${pointer}/${pointerToken(name)}`;
        out[name] = walk(pair.value, child, keyLocation);
        if (pair.value === null || pair.value === undefined) positions.set(child, { value: keyLocation, key: keyLocation });
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item, index) => walk(item as Node, `${pointer}/${index}`, undefined));
    if (isScalar(node)) {
      const value = node.value;
      if (typeof value !== "string") return value;
      const expansion = expandEnvironment(value, env);
      // Offsets inside the string are exact for plain and single-line quoted scalars; else the scalar's start.
      const quoted = node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE" ? 1 : 0;
      const where = (offset: number): SourceLocation => at(node.type === "PLAIN" || quoted ? start + quoted + offset : start);
      for (const problem of expansion.problems) diagnostics.push({ severity: "error", message: problem.message, location: where(problem.offset), pointer });
      for (const variable of expansion.unset) unset.push({ name: variable.name, pointer, location: where(variable.offset) });
      return expansion.value;
    }
    return null;
  };

  /** YAML 1.1 merge keys (`<<: *defaults`): keys already present win, as in YAML. */
  const mergeInto = (out: Record<string, unknown>, source: unknown, pointer: string, where: SourceLocation): void => {
    const sources = Array.isArray(source) ? source : [source];
    for (const s of sources) {
      if (s === null || typeof s !== "object" || Array.isArray(s)) {
        diagnostics.push({ severity: "error", message: "a merge key (<<) must refer to a map or a list of maps", location: where, pointer });
        continue;
      }
      for (const [k, v] of Object.entries(s)) if (!(k in out)) out[k] = v;
    }
  };

  try {
    const value = doc.contents === null ? undefined : walk(doc.contents as Node, "", undefined);
    return { value, positions, unset, diagnostics };
  } catch (error) {
    if (!(error instanceof TooLarge)) throw error;
    diagnostics.push({ severity: "error", message: `refusing to load: ${error.message}`, location: { file, line: 1, col: 1 } });
    return { value: undefined, positions, unset, diagnostics };
  }
}

/** Rewords the yaml library's errors where its wording is unclear to a user. */
function describeYamlError(code: string, message: string): string {
  switch (code) {
    case "DUPLICATE_KEY":
      return "duplicate key: each key may appear only once in a map";
    case "TAB_AS_INDENT":
      return "tabs are not allowed for indentation in YAML; indent with spaces";
    default:
      return `invalid YAML: ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
  }
}
