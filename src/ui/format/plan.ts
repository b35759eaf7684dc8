/**
 * The plan as text, Terraform style: grouped by registry and repository,
 * `+ ~ -` markers, short digests, sizes, the reason, and a summary line.
 * Pure: the plain and Ink views both render these lines.
 */
import { shortDigest } from "../../core/digest.js";
import type { Plan, PlannedChange } from "../../plan/model.js";
import { formatBytes } from "./bytes.js";

/** One rendered line, with a style hint the views map to colours. */
export interface PlanLine {
  readonly text: string;
  readonly style: "heading" | "create" | "update" | "delete" | "plain" | "dim" | "summary";
}

const MARKER = { create: "+", update: "~", delete: "-", "no-op": " " } as const;

function what(change: PlannedChange): string {
  if (change.kind === "prerequisite") return change.address.replace(/^registry\.[^.]+\.prerequisite/, "");
  if (change.kind === "file" || change.kind === "output") return change.path ?? change.address;
  return `:${change.tag ?? ""}`;
}

function detail(change: PlannedChange): string {
  const digests =
    change.action === "update"
      ? `${shortDigest(change.before ?? "")} → ${shortDigest(change.after ?? "")}`
      : change.action === "delete"
        ? shortDigest(change.before ?? "")
        : change.after
          ? shortDigest(change.after)
          : "";
  const size = change.action === "create" || change.action === "update" ? (change.transfer ? formatBytes(change.transfer) : change.size ? "0 B to move" : "") : "";
  return [digests, size].filter(Boolean).join(", ");
}

/** The summary line: "Plan: 12 to add, 1 to change, 0 to destroy. 1.2 GB to transfer, 340 MB already there." */
export function formatPlanSummary(plan: Plan): string {
  const s = plan.summary;
  if (s.add + s.change + s.destroy === 0) return `No changes. ${s.unchanged} object${s.unchanged === 1 ? "" : "s"} up to date.`;
  return `Plan: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy. ${formatBytes(s.transferBytes)} to transfer, ${formatBytes(s.presentBytes)} already there.`;
}

/** Renders a plan; `showUnchanged` lists no-op objects too (they are counted either way). */
export function formatPlan(plan: Plan, options: { readonly showUnchanged?: boolean } = {}): PlanLine[] {
  const lines: PlanLine[] = [];
  let group = "";
  for (const change of plan.changes) {
    if (change.action === "no-op" && !options.showUnchanged) continue;
    const heading = change.kind === "prerequisite" ? `${change.registry} (prerequisites)` : change.repository ? `${change.registry}: ${change.repository}` : `${change.registry} (files)`;
    if (heading !== group) {
      if (group) lines.push({ text: "", style: "plain" });
      lines.push({ text: heading, style: "heading" });
      group = heading;
    }
    const d = detail(change);
    const from = change.source && change.kind !== "prerequisite" ? ` ← ${change.source}` : "";
    lines.push({
      text: `  ${MARKER[change.action]} ${what(change)}${from}${d ? `  (${d})` : ""}  # ${change.reason}`,
      style: change.action === "no-op" ? "dim" : change.action,
    });
  }
  if (lines.length) lines.push({ text: "", style: "plain" });
  lines.push({ text: formatPlanSummary(plan), style: "summary" });
  return lines;
}
