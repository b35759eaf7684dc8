/**
 * Diagnostics as text for a terminal or a log, and as JSON for machines.
 * Pure: takes data, returns strings.
 */
import { formatDiagnostic, type Diagnostic } from "../core/diagnostics.js";

/** Styling hooks; identity functions when colour is off. */
export interface DiagnosticStyle {
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
}

/** One line per diagnostic, compiler style, with the severity coloured. */
export function renderDiagnostics(diagnostics: readonly Diagnostic[], style: DiagnosticStyle): string {
  return diagnostics
    .map((d) => {
      const line = formatDiagnostic(d);
      const severity = `${d.severity}:`;
      const painted = d.severity === "error" ? style.red(severity) : style.yellow(severity);
      return `${line.replace(severity, painted)}\n`;
    })
    .join("");
}

/** A summary line such as "2 errors, 1 warning". */
export function countDiagnostics(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const part = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return [errors ? part(errors, "error") : "", warnings ? part(warnings, "warning") : ""].filter(Boolean).join(", ");
}

/** The JSON form of diagnostics (stable field names, 1-based positions). */
export function diagnosticsToJson(diagnostics: readonly Diagnostic[]): object[] {
  return diagnostics.map((d) => ({
    severity: d.severity,
    message: d.message,
    ...(d.hint ? { hint: d.hint } : {}),
    ...(d.location ? { file: d.location.file, line: d.location.line, column: d.location.col } : {}),
    ...(d.pointer !== undefined ? { pointer: d.pointer } : {}),
  }));
}
