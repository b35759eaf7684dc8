/**
 * Cluster outputs as plan changes: the model built from the whole
 * configuration's content (what the nodes pull is everything, whatever a
 * `--target` shows), rendered, compared with the files on disk, and turned
 * into `output` changes with their unified diffs. Rendering problems come
 * back as diagnostics at `/cluster/...` instead of being ignored.
 */
import type { NormalizedConfig } from "../config/normalize.js";
import type { Diagnostic } from "../core/diagnostics.js";
import { formatAddress } from "../plan/address.js";
import type { OutputChange } from "../plan/model.js";
import { buildClusterModel, type ClusterContent } from "./build-model.js";
import { planOutputFiles, type OutputFileChange } from "./file-changes.js";
import { readCurrentOutputs } from "./read-outputs.js";
import { renderClusterOutputs } from "./render.js";

/** The output changes, and what rendering had to say. */
export interface ClusterPlan {
  readonly changes: readonly OutputChange[];
  readonly diagnostics: readonly Diagnostic[];
}

const REASON = { create: "no such file", update: "content differs", delete: "no longer rendered", "no-op": "up to date" } as const;

/** The address of one output file. */
export function outputAddress(path: string): string {
  return formatAddress({ scope: "cluster", name: "", kind: "output", key: path });
}

/** One planned file change as a plan change. */
function toChange(change: OutputFileChange, format: string): OutputChange {
  const place = { address: outputAddress(change.path), kind: "output" as const, format, path: change.path, output: change.output, reason: REASON[change.action] };
  switch (change.action) {
    case "delete":
      return { ...place, action: "delete", before: change.before ?? "", diff: change.diff };
    case "no-op":
      return { ...place, action: "no-op", before: change.before ?? "", after: change.after ?? "" };
    default:
      return { ...place, action: change.action, ...(change.before !== undefined ? { before: change.before } : {}), after: change.after ?? "", content: change.content ?? "", diff: change.diff };
  }
}

/** The plan-file form of an output change, as writeOutputChange takes it. */
export function toFileChange(change: OutputChange): OutputFileChange {
  switch (change.action) {
    case "delete":
      return { output: change.output, path: change.path, action: "delete", before: change.before, diff: change.diff };
    case "no-op":
      return { output: change.output, path: change.path, action: "no-op", before: change.before, after: change.after, diff: "" };
    default:
      return { output: change.output, path: change.path, action: change.action, ...(change.before !== undefined ? { before: change.before } : {}), after: change.after, content: change.content, diff: change.diff };
  }
}

/** Renders and plans every cluster output; read-only. */
export async function planClusterOutputs(config: NormalizedConfig, content: readonly ClusterContent[]): Promise<ClusterPlan> {
  const outputs = config.cluster?.outputs ?? [];
  if (!config.cluster || outputs.length === 0) return { changes: [], diagnostics: [] };
  const built = buildClusterModel(config, content);
  if (!built.ok) return { changes: [], diagnostics: [{ severity: "error", message: built.message, pointer: "/cluster/registry" }] };
  const rendering = renderClusterOutputs(built.model, outputs);
  const diagnostics: Diagnostic[] = [
    ...rendering.problems.map((p): Diagnostic => ({ severity: p.severity, message: p.message, pointer: "/cluster" })),
    ...rendering.outputs.flatMap((o) => o.problems.map((p): Diagnostic => ({ severity: p.severity, message: p.message, pointer: `/cluster/outputs/${o.index}` }))),
  ];
  const current = await readCurrentOutputs(config.baseDir, rendering.outputs);
  const changes = planOutputFiles(rendering.outputs, current).map((c) => toChange(c, outputs[c.output]?.type ?? "unknown"));
  return { changes, diagnostics };
}
