/**
 * Loading airgap.yaml: read → parse with positions (expanding `${VAR}`) →
 * schema → semantic rules → secrets sealed. Every stage collects
 * diagnostics; the result says whether the config is usable, and carries
 * everything a later stage needs to point back at the file.
 *
 * Secrets: the strings in fields the schema marks `writeOnly` (passwords,
 * tokens) become {@link Secret}s, which print as `(sensitive)`. Every other
 * value is data, `${VAR}` expansions included.
 *
 * Unset variables: a `${VAR}` without a value (and without a default) is an
 * error with its position for the commands that use the values (lock, plan,
 * apply, bundle). `validate` checks the file the way Terraform validates
 * without variable values (`unsetVariables: "unknown"`): the variable is a
 * warning, the string holding it is unknown, and the checks that read that
 * value (its schema pattern, reference syntax, duplicate destinations) are
 * skipped for it; everything else is checked as usual.
 */
import { open, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { hasErrors, pointerToken, sortDiagnostics, type Diagnostic } from "../core/diagnostics.js";
import { collectSecrets, Secret } from "../core/secret.js";
import type { AirgapConfig } from "./generated/airgap-config.js";
import { parseConfigDocument, type NodePosition, type UnsetReference } from "./document.js";
import { unsetMessage } from "./env.js";
import { checkLocalFiles } from "./local-files.js";
import { checkRules, type ProviderCatalog } from "./rules/index.js";
import { declaredNames, pruneInvalid } from "./prune.js";
import { checkSchema } from "./schema.js";
import { secretPointers } from "./secret-fields.js";

/** Largest airgap.yaml airgap reads: thousands of images fit in far less; a bigger file is a mistake. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** A config that passed every check, with what later stages need to report against it. */
export interface LoadedConfig {
  readonly config: AirgapConfig;
  /** Absolute path of the file. */
  readonly path: string;
  /** Directory that relative paths in the file are relative to. */
  readonly baseDir: string;
  /** The raw bytes' text, for hashing into plans. */
  readonly text: string;
  readonly positions: ReadonlyMap<string, NodePosition>;
  /** Every secret of the config (also inside `config`), for the output boundary to scrub from free text. */
  readonly secrets: readonly Secret[];
}

/** The outcome of loading: a config (possibly with warnings) or the full list of problems. */
export type LoadResult =
  | { readonly ok: true; readonly loaded: LoadedConfig; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[]; readonly secrets?: readonly Secret[] };

/** What an unset `${VAR}` is: an `error` (the default), or `unknown` (validate; see the module comment). */
export type UnsetVariables = "error" | "unknown";

/** Options for {@link loadConfig}. */
export interface LoadOptions {
  /** Path to airgap.yaml. */
  readonly file: string;
  /** How to name the file in diagnostics (default: `file` as given). */
  readonly displayName?: string;
  /** Environment for `${VAR}` expansion (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly providers: ProviderCatalog;
  /** How an unset `${VAR}` is treated (default `error`). */
  readonly unsetVariables?: UnsetVariables;
}

/** The diagnostic for one unset variable. */
function unsetDiagnostic(unset: UnsetReference, mode: UnsetVariables): Diagnostic {
  const message =
    mode === "error"
      ? unsetMessage(unset.name)
      : `environment variable ${unset.name} is not set: validate treats this value as unknown and skips the checks that read it; lock, plan, apply and bundle need it (or write \${${unset.name}:-} to allow it to be empty)`;
  return { severity: mode === "error" ? "error" : "warning", message, location: unset.location, pointer: unset.pointer };
}

/** A copy of `value` with the string at each pointer sealed into a {@link Secret}. */
export function sealSecrets(value: unknown, pointers: ReadonlySet<string>, path = ""): unknown {
  if (typeof value === "string") return pointers.has(path) ? new Secret(value) : value;
  if (Array.isArray(value)) return value.map((item, i) => (item === undefined ? item : sealSecrets(item, pointers, `${path}/${i}`)));
  if (value === null || typeof value !== "object" || value instanceof Secret) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, sealSecrets(item, pointers, `${path}/${pointerToken(key)}`)]));
}

function fail(file: string, message: string): LoadResult {
  return { ok: false, diagnostics: [{ severity: "error", message, location: { file, line: 1, col: 1 } }] };
}

/** Where the first byte that is not UTF-8 sits, for a config file that is not UTF-8. */
function firstInvalidUtf8(buffer: Buffer): number {
  const strict = new TextDecoder("utf-8", { fatal: true });
  for (let i = 0; i < buffer.length; ) {
    const lead = buffer[i]!;
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead < 0xe0 ? 2 : lead >= 0xe0 && lead < 0xf0 ? 3 : lead >= 0xf0 && lead < 0xf5 ? 4 : 0;
    if (length === 0 || i + length > buffer.length) return i;
    try {
      strict.decode(buffer.subarray(i, i + length));
    } catch {
      return i;
    }
    i += length;
  }
  return buffer.length;
}

/**
 * A file that is not UTF-8 is refused at the first bad byte: decoding it
 * anyway would replace bytes with U+FFFD, and a name or tag would silently
 * become another one.
 */
function invalidUtf8(buffer: Buffer, display: string): LoadResult {
  const offset = firstInvalidUtf8(buffer);
  const lineStart = offset === 0 ? 0 : buffer.lastIndexOf(0x0a, offset - 1) + 1;
  const line = buffer.subarray(0, lineStart).filter((b) => b === 0x0a).length + 1;
  const col = buffer.subarray(lineStart, offset).toString("utf8").length + 1;
  const byte = buffer[offset]!.toString(16).toUpperCase().padStart(2, "0");
  return {
    ok: false,
    diagnostics: [{ severity: "error", message: `not valid UTF-8: byte 0x${byte} cannot start or continue a character here; save the file as UTF-8`, location: { file: display, line, col } }],
  };
}

/** Reads the file, refusing what cannot be a config before parsing anything. */
async function readConfigText(path: string, display: string): Promise<{ text: string } | { error: LoadResult }> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file (create one with `airgap init`)" : code === "EACCES" ? "permission denied" : (error as Error).message;
    return { error: { ok: false, diagnostics: [{ severity: "error", message: `cannot read ${display}: ${why}` }] } };
  }
  if (info.isDirectory()) return { error: { ok: false, diagnostics: [{ severity: "error", message: `${display} is a directory; give the path of airgap.yaml (-f DIR/airgap.yaml)` }] } };
  if (!info.isFile()) return { error: { ok: false, diagnostics: [{ severity: "error", message: `${display} is not a regular file` }] } };
  if (info.size > MAX_CONFIG_BYTES) {
    return { error: fail(display, `file is ${(info.size / 1024 / 1024).toFixed(1)} MiB; an airgap.yaml may be at most ${MAX_CONFIG_BYTES / 1024 / 1024} MiB (is this the right file?)`) };
  }
  const handle = await open(path, "r");
  try {
    const buffer = await handle.readFile();
    if (buffer.includes(0)) return { error: fail(display, "not a text file (it contains NUL bytes)") };
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(buffer);
    } catch {
      return { error: invalidUtf8(buffer, display) };
    }
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } finally {
    await handle.close();
  }
}

/** Loads, parses and validates airgap.yaml, collecting every problem before returning. */
export async function loadConfig(options: LoadOptions): Promise<LoadResult> {
  const display = options.displayName ?? options.file;
  const path = resolve(options.file);
  const read = await readConfigText(path, display);
  if ("error" in read) return read.error;

  const parsed = parseConfigDocument(read.text, display, options.env ?? process.env);
  if (parsed.diagnostics.length > 0 && parsed.value === undefined) return { ok: false, diagnostics: sortDiagnostics(parsed.diagnostics) };
  const mode = options.unsetVariables ?? "error";
  if (parsed.value === undefined || parsed.value === null) {
    return fail(display, "the file is empty; it needs at least `apiVersion: airgap/v1` (run `airgap init` for a starter file)");
  }
  if (typeof parsed.value !== "object" || Array.isArray(parsed.value)) {
    return fail(display, "the top level must be a map of keys (apiVersion, sources, registries, bundles, cluster)");
  }

  const diagnostics: Diagnostic[] = [...parsed.diagnostics, ...parsed.unset.map((u) => unsetDiagnostic(u, mode))];
  const secrets = secretPointers(parsed.value);
  const config = sealSecrets(parsed.value, secrets) as AirgapConfig;
  const sealed = collectSecrets(config);
  // A value whose ${VAR} failed to expand is already reported, and an unknown one cannot be checked: the schema's view of either would only mislead.
  const unknown = new Set(parsed.unset.map((u) => u.pointer));
  const notChecked = new Set([...parsed.diagnostics.map((d) => d.pointer), ...unknown]);
  const schemaProblems = (await checkSchema({ value: parsed.value, file: display, positions: parsed.positions, sensitive: secrets })).filter((d) => !notChecked.has(d.pointer));
  diagnostics.push(...schemaProblems);
  // Rules read typed data: they see the document without the entries the schema rejected.
  const checked = schemaProblems.length === 0 ? config : sealSecrets(pruneInvalid(parsed.value, [...schemaProblems, ...parsed.diagnostics]), secrets);
  if (checked !== undefined) {
    diagnostics.push(...checkRules(checked as AirgapConfig, declaredNames(parsed.value), options.providers, display, parsed.positions, unknown));
    diagnostics.push(...(await checkLocalFiles({ config: checked as AirgapConfig, baseDir: dirname(path), file: display, positions: parsed.positions, unknown })));
  }
  const sorted = sortDiagnostics(diagnostics);
  if (hasErrors(sorted)) return { ok: false, diagnostics: sorted, secrets: sealed };
  return {
    ok: true,
    diagnostics: sorted,
    loaded: { config, path, baseDir: dirname(path), text: read.text, positions: parsed.positions, secrets: sealed },
  };
}
