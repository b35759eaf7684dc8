/**
 * `airgap validate`: every problem in airgap.yaml, without the network and
 * without secrets: an unset `${VAR}` is a warning and its value unknown
 * (config/load.ts), so a clean shell can validate any checked-in config.
 */
import { countDiagnostics, diagnosticsToJson, renderDiagnostics } from "../../ui/diagnostics.js";
import { boolFlag, parseCommandArgs, stringFlag } from "../args.js";
import { loadConfigFile } from "../config-file.js";
import { ExitCode } from "../exit-codes.js";
import { paint, type CommandIo } from "../io.js";
import type { AirgapConfig } from "../../config/generated/airgap-config.js";

function describe(config: AirgapConfig): string {
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const bundles = Object.values(config.bundles ?? {}).filter((b) => b !== undefined);
  const images = bundles.reduce((n, b) => n + (b.images?.length ?? 0), 0);
  const charts = bundles.reduce((n, b) => n + (b.charts?.length ?? 0), 0);
  const files = bundles.reduce((n, b) => n + (b.files?.length ?? 0), 0);
  return `${count(Object.keys(config.sources ?? {}).length, "source")}, ${count(Object.keys(config.registries ?? {}).length, "registry").replace("registrys", "registries")}, ${count(bundles.length, "bundle")} (${count(images, "image")}, ${count(charts, "chart")}, ${count(files, "file")})`;
}

/** Runs validate; returns the exit code. */
export async function runValidate(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const parsed = parseCommandArgs("validate", args);
  const json = boolFlag(parsed, "json");
  const result = await loadConfigFile(io, stringFlag(parsed, "file"), "unknown");
  const style = paint(io.color);
  const diagnostics = io.boundary.diagnostics(result.diagnostics);

  if (json) {
    io.stdout.write(`${JSON.stringify({ formatVersion: 1, valid: result.ok, diagnostics: diagnosticsToJson(diagnostics) }, null, 2)}\n`);
    return result.ok ? ExitCode.Ok : ExitCode.Error;
  }
  io.stderr.write(renderDiagnostics(diagnostics, style));
  if (!result.ok) {
    io.stderr.write(`${style.red("Invalid:")} ${countDiagnostics(diagnostics)}.\n`);
    return ExitCode.Error;
  }
  io.stdout.write(`${style.green("Valid:")} ${describe(result.loaded.config)}.\n`);
  return ExitCode.Ok;
}
