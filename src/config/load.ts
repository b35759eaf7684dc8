/**
 * Loading airgap.yaml: read → parse with positions → schema → semantic rules.
 * Every stage collects diagnostics; the result says whether the config is
 * usable, and carries everything a later stage needs to point back at the file.
 */
import { open, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { hasErrors, sortDiagnostics, type Diagnostic } from "../core/diagnostics.js";
import type { AirgapConfig } from "./generated/airgap-config.js";
import { parseConfigDocument, type NodePosition } from "./document.js";
import { checkRules, type ProviderCatalog } from "./rules/index.js";
import { declaredNames, pruneInvalid } from "./prune.js";
import { checkSchema } from "./schema.js";

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
  /** JSON pointers of values that came from the environment. */
  readonly sensitive: ReadonlySet<string>;
  /** Values from the environment, to redact wherever they could appear. */
  readonly secrets: ReadonlySet<string>;
}

/** The outcome of loading: a config (possibly with warnings) or the full list of problems. */
export type LoadResult =
  | { readonly ok: true; readonly loaded: LoadedConfig; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/** Options for {@link loadConfig}. */
export interface LoadOptions {
  /** Path to airgap.yaml. */
  readonly file: string;
  /** How to name the file in diagnostics (default: `file` as given). */
  readonly displayName?: string;
  /** Environment for `${VAR}` expansion (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly providers: ProviderCatalog;
}

function fail(file: string, message: string): LoadResult {
  return { ok: false, diagnostics: [{ severity: "error", message, location: { file, line: 1, col: 1 } }] };
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
    const text = buffer.toString("utf8");
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
  if (parsed.value === undefined || parsed.value === null) {
    return fail(display, "the file is empty; it needs at least `apiVersion: airgap/v1` (run `airgap init` for a starter file)");
  }
  if (typeof parsed.value !== "object" || Array.isArray(parsed.value)) {
    return fail(display, "the top level must be a map of keys (apiVersion, sources, registries, bundles, cluster)");
  }

  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  // A value whose ${VAR} failed to expand is already reported; the schema's view of it would only repeat that.
  const expansionFailed = new Set(parsed.diagnostics.map((d) => d.pointer));
  const schemaProblems = (await checkSchema({ value: parsed.value, file: display, positions: parsed.positions, sensitive: parsed.sensitive })).filter(
    (d) => !expansionFailed.has(d.pointer),
  );
  diagnostics.push(...schemaProblems);
  // Rules read typed data: they see the document without the entries the schema rejected.
  const checked = schemaProblems.length === 0 ? parsed.value : pruneInvalid(parsed.value, [...schemaProblems, ...parsed.diagnostics]);
  if (checked !== undefined) {
    diagnostics.push(...checkRules(checked as AirgapConfig, declaredNames(parsed.value), options.providers, display, parsed.positions, parsed.sensitive));
  }
  const sorted = sortDiagnostics(diagnostics);
  if (hasErrors(sorted)) return { ok: false, diagnostics: sorted };
  return {
    ok: true,
    diagnostics: sorted,
    loaded: {
      config: parsed.value as AirgapConfig,
      path,
      baseDir: dirname(path),
      text: read.text,
      positions: parsed.positions,
      sensitive: parsed.sensitive,
      secrets: parsed.secrets,
    },
  };
}
