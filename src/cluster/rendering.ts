/**
 * What one renderer returns: its files, or the problems that stopped it.
 */
import type { OutputProblem, RenderedFile } from "./model.js";

/** Files (sorted by path) and problems; an error means `files` is empty. */
export interface Rendering {
  readonly files: readonly RenderedFile[];
  readonly problems: readonly OutputProblem[];
}

/** A rendering that failed for one reason. */
export function failed(message: string): Rendering {
  return { files: [], problems: [{ severity: "error", message }] };
}
