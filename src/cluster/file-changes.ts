/**
 * Rendered outputs compared with what is on disk: one change per file, with
 * the unified diff the plan shows. Pure; the caller reads the current
 * files (read-outputs.ts) and apply writes them (write-outputs.ts).
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import { GENERATED_MARKER, type RenderedOutput } from "./model.js";

/** What apply does to one output file. */
export type OutputFileAction = "create" | "update" | "delete" | "no-op";

/** One planned file change. */
export interface OutputFileChange {
  /** Index of the output in `cluster.outputs`. */
  readonly output: number;
  /** Relative to airgap.yaml, `/`-separated. */
  readonly path: string;
  readonly action: OutputFileAction;
  /** `sha256:<hex>` of the file on disk at plan time; absent when there was none. Apply refuses if it moved. */
  readonly before?: string;
  /** `sha256:<hex>` of the rendered content; absent for a deletion. */
  readonly after?: string;
  /** The content apply writes; absent for a deletion. */
  readonly content?: string;
  /** Unified diff (`--- a` / `+++ b`, 3 lines of context); `""` for no-op. */
  readonly diff: string;
}

/** `sha256:<hex>` of a file's text (UTF-8). */
export function contentDigest(text: string): string {
  return `sha256:${createHash("sha256").update(text, "utf8").digest("hex")}`;
}

/** True when `text` is a file airgap wrote (it starts with the generated marker). */
export function isGenerated(text: string): boolean {
  return text.startsWith(`${GENERATED_MARKER}\n`);
}

function unifiedDiff(path: string, before: string | undefined, after: string | undefined): string {
  return createTwoFilesPatch(before === undefined ? "/dev/null" : path, after === undefined ? "/dev/null" : path, before ?? "", after ?? "", undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
}

/** True when `path` is `<root>/<one directory>/hosts.toml`. */
function inDirectory(path: string, root: string): boolean {
  const rest = posix.relative(root, path).split("/");
  return rest.length === 2 && rest[0] !== ".." && rest[0] !== "" && rest[1] === "hosts.toml";
}

/**
 * Plans the file changes of `outputs` against `current` (path → content on
 * disk, undefined when absent; paths as the renderers write them). Outputs
 * with an error plan nothing. Files in a directory output that airgap wrote
 * earlier (they start with the generated marker) and that are no longer
 * rendered are deleted; files without the marker are never touched.
 * Sorted by path.
 */
export function planOutputFiles(outputs: readonly RenderedOutput[], current: ReadonlyMap<string, string | undefined>): OutputFileChange[] {
  const changes: OutputFileChange[] = [];
  const rendered = new Set(outputs.flatMap((o) => o.files.map((f) => f.path)));
  for (const output of outputs) {
    if (output.problems.some((p) => p.severity === "error")) continue;
    for (const file of output.files) {
      const before = current.get(file.path);
      const after = contentDigest(file.content);
      const base = { output: output.index, path: file.path, after, content: file.content };
      if (before === undefined) changes.push({ ...base, action: "create", diff: unifiedDiff(file.path, undefined, file.content) });
      else if (before === file.content) changes.push({ ...base, action: "no-op", before: after, diff: "" });
      else changes.push({ ...base, action: "update", before: contentDigest(before), diff: unifiedDiff(file.path, before, file.content) });
    }
    if (output.directory === undefined) continue;
    for (const [path, text] of current) {
      if (text === undefined || rendered.has(path) || !inDirectory(path, output.directory.root) || !isGenerated(text)) continue;
      changes.push({ output: output.index, path, action: "delete", before: contentDigest(text), diff: unifiedDiff(path, text, undefined) });
    }
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
