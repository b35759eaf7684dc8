/**
 * Apply progress as text: one line per finished change, and the closing
 * summary. Pure; the plain view prints these, the Ink view reuses them.
 */
import { shortDigest } from "../../core/digest.js";
import type { ApplySummary, ChangeDoneEvent, ChangeFailedEvent } from "../../apply/events.js";
import { formatBytes } from "./bytes.js";

const VERB = { create: "created", update: "updated", delete: "deleted", "no-op": "unchanged" } as const;

/** `+ created bundle.x.image["…"] (sha256:abc…, 1.2 MB moved)`. */
export function formatChangeDone(event: ChangeDoneEvent): string {
  const details = [event.digest ? shortDigest(event.digest) : "", event.bytesMoved > 0 ? `${formatBytes(event.bytesMoved)} moved` : ""].filter(Boolean).join(", ");
  return `${VERB[event.action]} ${event.address}${details ? ` (${details})` : ""}`;
}

/** `failed bundle.x.image["…"]: reason`. */
export function formatChangeFailed(event: ChangeFailedEvent): string {
  return `failed ${event.address}: ${event.error.message}`;
}

/** The closing lines: counts, bytes, and every failure with its cause. */
export function formatApplySummary(summary: ApplySummary, seconds: number): string[] {
  const head = summary.interrupted ? "Apply interrupted" : summary.failed > 0 ? "Apply finished with errors" : "Apply complete";
  const rate = seconds > 0 && summary.bytesMoved > 0 ? ` at ${formatBytes(summary.bytesMoved / seconds)}/s` : "";
  const lines = [
    `${head}: ${summary.done} done, ${summary.failed} failed, ${summary.notStarted} not started. ${formatBytes(summary.bytesMoved)} moved in ${seconds.toFixed(1)} s${rate}.`,
  ];
  for (const f of summary.failures) lines.push(`  ${f.address}: ${f.error.message}`);
  if (summary.interrupted) lines.push("Nothing was tagged for unfinished changes; run `airgap plan` to see what remains.");
  return lines;
}
