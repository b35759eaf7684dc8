/**
 * `airgap version` and `airgap --version`.
 */
import { boolFlag, parseCommandArgs } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import type { CommandIo } from "../io.js";
import { airgapVersion } from "../version.js";

/** Prints the version; with --json, also the runtime. */
export async function runVersion(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const parsed = parseCommandArgs("version", args);
  if (boolFlag(parsed, "json")) {
    io.stdout.write(`${JSON.stringify({ version: airgapVersion(), node: process.versions.node, platform: `${process.platform}/${process.arch}` })}\n`);
  } else {
    io.stdout.write(`airgap ${airgapVersion()}\n`);
  }
  return ExitCode.Ok;
}
