/**
 * The plan as text, Terraform style: grouped by registry and repository,
 * `+ ~ -` markers, short digests, sizes, the reason, and a summary line;
 * cluster settings files with a unified diff of their content.
 * Pure: the plain and Ink views both render these lines.
 */
import { shortDigest } from "../../core/digest.js";
import type { BlobMount, Plan, PlannedChange } from "../../plan/model.js";
import { formatBytes } from "./bytes.js";

/** One rendered line, with a style hint the views map to colours. */
export interface PlanLine {
  readonly text: string;
  readonly style: "heading" | "create" | "update" | "delete" | "plain" | "dim" | "summary";
}

const MARKER = { create: "+", update: "~", delete: "-", "no-op": " " } as const;

/** The group a change is listed under. */
function heading(change: PlannedChange): string {
  switch (change.kind) {
    case "prerequisite":
      return `${change.registry} (prerequisites)`;
    case "output":
      return "cluster settings";
    case "file":
      return `${change.registry} (files)`;
    default:
      return `${change.registry}: ${change.repository}`;
  }
}

/** The object itself: a tag, a path, a prerequisite key. */
function what(change: PlannedChange): string {
  switch (change.kind) {
    case "prerequisite":
      return change.address.replace(/^registry\.[^.]+\.prerequisite/, "");
    case "output":
      return `${change.path} (${change.format})`;
    case "file":
      return change.path;
    default:
      return change.tag !== undefined ? `:${change.tag}` : `@${shortDigest(change.action === "delete" ? change.before : change.after)}`;
  }
}

/** Digests and bytes in parentheses. */
function detail(change: PlannedChange): string {
  if (change.kind === "prerequisite") return "";
  switch (change.action) {
    case "delete":
      return shortDigest(change.before);
    case "no-op":
      return shortDigest(change.after);
    case "update":
    case "create": {
      const digests = change.action === "update" && change.before !== undefined ? `${shortDigest(change.before)} → ${shortDigest(change.after)}` : shortDigest(change.after);
      if (change.kind === "output") return digests;
      return [digests, change.transfer > 0 ? formatBytes(change.transfer) : "0 B to move", ...("mounts" in change ? mounted(change.mounts) : [])].join(", ");
    }
  }
}

/** "2 blobs mounted from mke/library/nginx": what the target already holds elsewhere. */
function mounted(mounts: readonly BlobMount[] | undefined): string[] {
  if (!mounts?.length) return [];
  const repositories = [...new Set(mounts.map((m) => m.from))];
  return [`${mounts.length} blob${mounts.length === 1 ? "" : "s"} mounted from ${repositories.join(", ")}`];
}

function from(change: PlannedChange): string {
  if (change.kind === "prerequisite" || change.kind === "output" || change.action === "delete") return "";
  return ` ← ${change.source}`;
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
    const head = heading(change);
    if (head !== group) {
      if (group) lines.push({ text: "", style: "plain" });
      lines.push({ text: head, style: "heading" });
      group = head;
    }
    const d = detail(change);
    lines.push({
      text: `  ${MARKER[change.action]} ${what(change)}${from(change)}${d ? `  (${d})` : ""}  # ${change.reason}`,
      style: change.action === "no-op" ? "dim" : change.action,
    });
    if (change.kind === "output" && change.action !== "no-op") lines.push(...diffLines(change.diff));
  }
  if (lines.length) lines.push({ text: "", style: "plain" });
  lines.push({ text: formatPlanSummary(plan), style: "summary" });
  return lines;
}

/** A unified diff, indented under its change, coloured by line. */
function diffLines(diff: string): PlanLine[] {
  return diff
    .split("\n")
    .filter((line, i, all) => line !== "" || i < all.length - 1)
    .map((line) => ({
      text: `      ${line}`,
      style: line.startsWith("+") && !line.startsWith("+++") ? "create" : line.startsWith("-") && !line.startsWith("---") ? "delete" : "dim",
    }));
}
