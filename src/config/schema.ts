/**
 * airgap.yaml's JSON Schema, compiled once (ajv, draft 2020-12), and the
 * translation of ajv's errors into one clear diagnostic per problem, with the
 * line and column of the key or value at fault.
 */
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import { AJV_OPTIONS } from "./ajv-options.js";
import { createRequire } from "node:module";
import { fromPointer, pointerToken, type Diagnostic, type SourceLocation } from "../core/diagnostics.js";
import { SENSITIVE } from "../core/secret.js";
import type { NodePosition } from "./document.js";
import { didYouMean } from "./suggest.js";

type SchemaNode = { readonly [key: string]: unknown };

/** The composed airgap.yaml schema (built-in provider schemas included by `npm run generate`). */
export const airgapSchema: SchemaNode = loadJson("../../schema/airgap.schema.json");

/**
 * Reads a JSON file shipped with airgap. `require` rather than a JSON import:
 * Node 20 still prints an ExperimentalWarning for JSON modules. The relative
 * path holds in src/ and in dist/src/ alike, because the build copies schema/.
 */
function loadJson(relative: string): SchemaNode {
  return createRequire(import.meta.url)(relative) as SchemaNode;
}

let compiled: ValidateFunction | undefined;

/**
 * The validator: the standalone code precompiled by the build
 * (scripts/build-validator.mjs, next to this module in dist/) when present,
 * else compiled now, once. Both use AJV_OPTIONS, so errors are the same.
 */
async function validator(): Promise<ValidateFunction> {
  if (compiled) return compiled;
  try {
    const precompiled = (await import(new URL("./airgap-validator.js", import.meta.url).href)) as { validate: ValidateFunction };
    compiled = precompiled.validate;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
    const { Ajv2020 } = await import("ajv/dist/2020.js");
    compiled = new Ajv2020(AJV_OPTIONS).compile(airgapSchema);
  }
  return compiled;
}

/** What the schema check needs to know about the parsed document. */
export interface SchemaCheckInput {
  readonly value: unknown;
  readonly file: string;
  readonly positions: ReadonlyMap<string, NodePosition>;
  /** Pointers of secret fields (config/secret-fields.ts): their values are shown as `(sensitive)`. */
  readonly sensitive: ReadonlySet<string>;
}

/** Checks data against the schema; returns every problem as a diagnostic (empty when valid). */
export async function checkSchema(input: SchemaCheckInput): Promise<Diagnostic[]> {
  const validate = await validator();
  if (validate(input.value)) return [];
  return translateErrors(validate.errors ?? [], input);
}

function resolveRef(node: unknown): SchemaNode | undefined {
  if (!node || typeof node !== "object") return undefined;
  const ref = (node as SchemaNode)["$ref"];
  if (typeof ref !== "string") return node as SchemaNode;
  const path = fromPointer(ref.replace(/^#/, ""));
  let current: unknown = airgapSchema;
  for (const segment of path) current = current && typeof current === "object" ? (current as SchemaNode)[segment] : undefined;
  return resolveRef(current);
}

function valueAt(root: unknown, pointer: string): unknown {
  let current = root;
  for (const segment of fromPointer(pointer)) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** Property names a schema node allows, following `$ref`, and `if`/`then` branches that apply to `data`. */
function allowedProperties(schema: SchemaNode | undefined, data: unknown, depth = 0): string[] {
  if (!schema || depth > 8) return [];
  const names = Object.keys((schema["properties"] as SchemaNode | undefined) ?? {});
  for (const branch of (schema["allOf"] as SchemaNode[] | undefined) ?? []) {
    const condition = (branch["if"] as SchemaNode | undefined)?.["properties"] as Record<string, SchemaNode> | undefined;
    const applies =
      condition === undefined ||
      Object.entries(condition).every(([key, rule]) => data && typeof data === "object" && rule["const"] === (data as Record<string, unknown>)[key]);
    if (applies) names.push(...allowedProperties(resolveRef(branch["then"] ?? branch), data, depth + 1));
  }
  return [...new Set(names)];
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a number";
  return `a ${typeof value}`;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: "a string",
  object: "a map",
  array: "a list",
  integer: "an integer",
  number: "a number",
  boolean: "true or false",
  null: "null",
};

function typeWords(types: unknown): string {
  const list = (Array.isArray(types) ? types : [types]).map((t) => TYPE_WORDS[String(t)] ?? String(t));
  return list.length <= 1 ? (list[0] ?? "") : `${list.slice(0, -1).join(", ")} or ${list.at(-1)}`;
}

/**
 * The first sentence of a schema description, for a message: up to the first
 * full stop that ends a sentence (followed by the end, or by a capital or a
 * backquote), never at "e.g." or "i.e." and never at a colon, whose other
 * side usually shows the form the value must take.
 */
export function firstSentence(text: unknown): string {
  if (typeof text !== "string") return "";
  const match = /^(.*?(?<!\b(?:e\.g|i\.e))\.)(?=\s+[A-Z`]|\s*$)/s.exec(text);
  return match?.[1] ?? text;
}

/** Turns ajv's error list into diagnostics, merging the noise of `oneOf`/`if` into one message per problem. */
function translateErrors(errors: readonly ErrorObject[], input: SchemaCheckInput): Diagnostic[] {
  const dropped = new Set<ErrorObject>();

  for (const error of errors) {
    if (error.keyword === "if") dropped.add(error);
    if (error.keyword === "propertyNames") {
      for (const inner of errors) if (inner !== error && inner.instancePath === error.instancePath && inner.propertyName !== undefined) dropped.add(inner);
    }
  }
  // oneOf between shapes (string or map, list or map): keep only the errors of the branch whose type matches.
  const oneOfErrors = errors.filter((e) => e.keyword === "oneOf");
  const replacements = new Map<ErrorObject, string>();
  for (const error of oneOfErrors) {
    const typeErrors = errors.filter(
      (e) => e.keyword === "type" && e.instancePath === error.instancePath && e.schemaPath.startsWith(`${error.schemaPath}/`) && /^\d+\/type$/.test(e.schemaPath.slice(error.schemaPath.length + 1)),
    );
    const branches = Array.isArray(error.schema) ? error.schema.length : 0;
    if (typeErrors.length === 0) continue;
    for (const t of typeErrors) dropped.add(t);
    if (typeErrors.length >= branches) {
      replacements.set(error, `must be ${typeWords(typeErrors.map((t) => (t.params as { type: string }).type))}, not ${describeType(error.data)}`);
    } else {
      dropped.add(error);
    }
  }

  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (dropped.has(error)) continue;
    const d = translateOne(error, input, replacements.get(error));
    if (!d) continue;
    const key = `${d.location?.line}:${d.location?.col}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

function translateOne(error: ErrorObject, input: SchemaCheckInput, replacement: string | undefined): Diagnostic | undefined {
  const pointer = error.instancePath;
  const display = (value: unknown, at: string): string => (input.sensitive.has(at) ? SENSITIVE : JSON.stringify(value));
  const base = (message: string, at: string, onKey: boolean, hint?: string): Diagnostic => {
    const location = locate(input, at, onKey);
    return { severity: "error", message, pointer: at, ...(location ? { location } : {}), ...(hint ? { hint } : {}) };
  };
  if (replacement) return base(replacement, pointer, false);

  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties":
    case "unevaluatedProperties": {
      const name = String(params["additionalProperty"] ?? params["unevaluatedProperty"]);
      const allowed = allowedProperties(error.parentSchema as SchemaNode, error.data);
      // A known key is "unevaluated" only because its branch failed elsewhere; that failure is reported on its own.
      if (error.keyword === "unevaluatedProperties" && allowed.includes(name)) return undefined;
      const hint = didYouMean(name, allowed);
      const known = !hint && allowed.length > 0 && allowed.length <= 12 ? `known keys here: ${allowed.join(", ")}` : undefined;
      return base(`unknown key \`${name}\``, `${pointer}/${pointerToken(name)}`, true, hint ?? known);
    }
    case "required":
      return base(`missing required key \`${String(params["missingProperty"])}\``, pointer, true);
    case "discriminator": {
      const tag = String(params["tag"]);
      if (params["error"] === "tag") return base(`missing required key \`${tag}\``, pointer, true);
      const allowed = ((error.parentSchema as SchemaNode)["oneOf"] as unknown[])
        .map((branch) => (resolveRef(branch)?.["properties"] as Record<string, SchemaNode> | undefined)?.[tag])
        .flatMap((rule) => (rule ? ((rule["enum"] as string[] | undefined) ?? [rule["const"] as string]) : []));
      const value = String(params["tagValue"]);
      return base(`unknown ${tag} \`${value}\`; expected one of: ${allowed.join(", ")}`, `${pointer}/${pointerToken(tag)}`, false, didYouMean(value, allowed));
    }
    case "enum": {
      const allowed = (params["allowedValues"] as unknown[]).map(String);
      return base(`${display(error.data, pointer)} is not allowed; expected one of: ${allowed.join(", ")}`, pointer, false, didYouMean(String(error.data), allowed));
    }
    case "const":
      return base(`must be \`${String(params["allowedValue"])}\`, not ${display(error.data, pointer)}`, pointer, false);
    case "type":
      return base(`must be ${typeWords(params["type"])}, not ${describeType(error.data)}`, pointer, false);
    case "pattern":
      return base(`${display(error.data, pointer)} is not valid here. ${firstSentence((error.parentSchema as SchemaNode)["description"])}`.trim(), pointer, false);
    case "propertyNames": {
      const name = String(params["propertyName"]);
      // A name rule of its own (Harbor projects) says what it allows; the default is the rule for airgap's own names.
      const rule = firstSentence((error.schema as SchemaNode | undefined)?.["description"]) || "use letters, digits, `-` and `_`, starting with a letter or digit";
      return base(`\`${name}\` is not a valid name: ${rule}`, `${pointer}/${pointerToken(name)}`, true);
    }
    case "not":
      return base(`${display(error.data, pointer)} is not allowed here. ${firstSentence((error.parentSchema as SchemaNode)["description"])}`.trim(), pointer, false);
    case "minLength":
      return base("must not be empty", pointer, false);
    case "minItems":
      return base(`must have at least ${String(params["limit"])} item${params["limit"] === 1 ? "" : "s"}`, pointer, false);
    case "uniqueItems":
      return base(`must not list the same value twice (items ${String(params["j"])} and ${String(params["i"])} are equal)`, pointer, false);
    case "oneOf":
      return base("must match exactly one of the allowed forms", pointer, false);
    default:
      return base(error.message ?? `fails the ${error.keyword} rule`, pointer, false);
  }
}

/** Finds the closest position for a pointer: the key when asked and known, else the value, else the nearest parent. */
export function locate(input: Pick<SchemaCheckInput, "positions">, pointer: string, onKey: boolean): SourceLocation | undefined {
  let current = pointer;
  for (;;) {
    const position = input.positions.get(current);
    if (position) return onKey ? (position.key ?? position.value) : position.value;
    if (current === "") return undefined;
    current = current.slice(0, current.lastIndexOf("/"));
  }
}

/** Exposed for rules: the data at a JSON pointer. */
export { valueAt };
