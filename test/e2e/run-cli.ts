/**
 * Runs the built CLI (dist/, made by `npm ci` / `npm run build`) as a user
 * would, capturing stdout, stderr and the exit code separately.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** The built entry point. */
export const CLI = new URL("../../dist/src/cli/main.js", import.meta.url).pathname;

/** What one run of the CLI produced. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `airgap ARGS` in `cwd` with `env` added to a minimal environment. */
export function runCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string>; nodeArgs?: readonly string[] } = {}): CliRun {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const result = spawnSync(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/tmp", ...options.env },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
