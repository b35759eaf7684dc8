/**
 * Diagnostics: user mistakes collected as data, so that validation can report
 * every problem at once (Terraform's tfdiags) instead of stopping at the first.
 */

/** How serious a diagnostic is: errors stop the command, warnings do not. */
export type Severity = "error" | "warning";

/** Where in a file a diagnostic points (1-based line and column). */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One problem found in the user's input. */
export interface Diagnostic {
  readonly severity: Severity;
  readonly message: string;
  /** File position; absent when the problem has no place in a file (a missing file). */
  readonly location?: SourceLocation;
  /** JSON pointer into the document (`/bundles/platform/registry`). */
  readonly pointer?: string;
  /** A suggestion, e.g. "did you mean `registries`?". */
  readonly hint?: string;
}

/** Formats a diagnostic as one compiler-style line: `file:LINE:COL: error: WHAT (at /pointer)`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.location ? `${d.location.file}:${d.location.line}:${d.location.col}: ` : "";
  const at = d.pointer !== undefined ? ` (at ${d.pointer === "" ? "/" : d.pointer})` : "";
  const hint = d.hint ? `; ${d.hint}` : "";
  return `${where}${d.severity}: ${d.message}${hint}${at}`;
}

/** True when any diagnostic is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Orders diagnostics by file position, so output reads top to bottom like the file. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => {
    const la = a.location;
    const lb = b.location;
    if (!la || !lb) return la ? 1 : lb ? -1 : 0;
    return la.file.localeCompare(lb.file) || la.line - lb.line || la.col - lb.col;
  });
}

/** Escapes one JSON pointer token (RFC 6901). */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, "~0").replace(/\//g, "~1");
}

/** Builds a JSON pointer from path segments. */
export function toPointer(path: readonly (string | number)[]): string {
  return path.map((p) => `/${pointerToken(p)}`).join("");
}

/** Splits a JSON pointer into its unescaped segments. */
export function fromPointer(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}
