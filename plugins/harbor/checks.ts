/**
 * Plan-time checks that need nothing but numbers: does the content the plan
 * uploads fit in each project's quota? Harbor counts every blob once per
 * project (providers-notes §2.3); a push past the quota fails halfway with
 * 403 "Quota exceeded", so the plan says it first.
 */
import type { PlannedUpload, ProviderProblem } from "airgap/sdk";
import type { HarborQuota } from "./api.js";
import { formatBytes } from "./settings.js";

/** The project a repository lives in: its first path segment. */
export function projectOf(repository: string): string {
  return repository.split("/")[0] ?? repository;
}

/** Bytes the uploads add to each project, every blob counted once per project. */
export function bytesPerProject(uploads: readonly PlannedUpload[]): Map<string, number> {
  const seen = new Set<string>();
  const bytes = new Map<string, number>();
  for (const upload of uploads) {
    const project = projectOf(upload.repository);
    const key = `${project}\n${upload.digest}`;
    if (seen.has(key)) continue;
    seen.add(key);
    bytes.set(project, (bytes.get(project) ?? 0) + upload.size);
  }
  return bytes;
}

/**
 * One problem per project whose quota cannot take the bytes the plan
 * uploads into it (hard limit minus used). Projects without a quota entry,
 * or with an unlimited one (-1), are fine.
 */
export function quotaProblems(uploads: readonly PlannedUpload[], quotas: ReadonlyMap<string, HarborQuota>, registry: { readonly display: string; readonly name: string }): ProviderProblem[] {
  const problems: ProviderProblem[] = [];
  for (const [project, needed] of bytesPerProject(uploads)) {
    const quota = quotas.get(project);
    if (quota === undefined || quota.hard < 0) continue;
    const left = Math.max(0, quota.hard - quota.used);
    if (needed <= left) continue;
    problems.push({
      subject: project,
      message:
        `project \`${project}\` on ${registry.display} cannot take this plan: it uploads ${formatBytes(needed)}, but the project's quota has ${formatBytes(left)} left ` +
        `(${formatBytes(quota.used)} of ${formatBytes(quota.hard)} used); raise the quota (\`registries.${registry.name}.projects.${project}.storageLimit\` for a project airgap creates, or in Harbor) or free space`,
    });
  }
  return problems;
}
