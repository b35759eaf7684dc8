/**
 * The streams and environment a command runs with, injected so that commands
 * are testable without a real terminal and only main.ts touches `process`.
 */
import type { OutputBoundary } from "./output-boundary.js";

/** A writable text stream (stdout, stderr, or a test buffer). */
export interface TextOut {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Everything a command may use from the outside world. */
export interface CommandIo {
  readonly stdout: TextOut;
  readonly stderr: TextOut;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Colour on stderr: only on a TTY, and never with NO_COLOR or --no-color. */
  readonly color: boolean;
  /** Where free text is scrubbed of secrets on its way out (output-boundary.ts): one per run. */
  readonly boundary: OutputBoundary;
}

/** Decides colour once, as the NO_COLOR convention and `--no-color` require. */
export function useColor(stream: TextOut, env: Readonly<Record<string, string | undefined>>, noColorFlag: boolean): boolean {
  if (noColorFlag || (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "")) return false;
  if (env["FORCE_COLOR"] !== undefined && env["FORCE_COLOR"] !== "0") return true;
  return stream.isTTY === true && env["TERM"] !== "dumb";
}

/** ANSI styling that degrades to plain text when colour is off. */
export function paint(color: boolean): { red(s: string): string; yellow(s: string): string; green(s: string): string; bold(s: string): string; dim(s: string): string } {
  const wrap = (open: number, close: number) => (s: string) => (color ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), bold: wrap(1, 22), dim: wrap(2, 22) };
}
