/**
 * What lock, plan and apply share: the loaded and normalised config, the
 * lock file, the view (behind the run's output boundary), and Ctrl-C
 * handling. Built once per command; the only place these pieces meet.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { LoadedConfig } from "../config/load.js";
import { normalizeConfig, type NormalizedConfig } from "../config/normalize.js";
import { locate } from "../config/schema.js";
import type { Diagnostic } from "../core/diagnostics.js";
import { ConfigError } from "../core/errors.js";
import { paint, type CommandIo } from "./io.js";
import { loadConfigFile } from "./config-file.js";
import type { View } from "../ui/view.js";
import { chooseView } from "../ui/view.js";

/** A loaded config with everything derived from it. */
export interface Session {
  readonly loaded: LoadedConfig;
  readonly config: NormalizedConfig;
  readonly lockPath: string;
  readonly configSha256: string;
  /** Adds a file position to a diagnostic that only has a JSON pointer. */
  readonly place: (diagnostic: Diagnostic) => Diagnostic;
}

/** Loads and normalises the config; throws ConfigError with every problem. */
export async function openSession(io: CommandIo, file: string | undefined, view: View): Promise<Session> {
  const result = await loadConfigFile(io, file);
  if (!result.ok) {
    view.diagnostics(result.diagnostics);
    throw new ConfigError(result.diagnostics, `${result.diagnostics.filter((d) => d.severity === "error").length} problem(s) in the configuration`);
  }
  if (result.diagnostics.length > 0) view.diagnostics(result.diagnostics);
  const loaded = result.loaded;
  const display = file ?? "airgap.yaml";
  return {
    loaded,
    config: normalizeConfig(loaded.config, loaded.baseDir),
    lockPath: join(loaded.baseDir, "airgap.lock"),
    configSha256: createHash("sha256").update(loaded.text).digest("hex"),
    place: (d) => {
      if (d.location || d.pointer === undefined) return d;
      const location = locate({ positions: loaded.positions }, d.pointer, false);
      return location ? { ...d, location: { ...location, file: display } } : d;
    },
  };
}

/** Creates the view for a command, chosen once from flags and terminal, behind the run's output boundary. */
export async function openView(io: CommandIo, json: boolean): Promise<View> {
  return io.boundary.view(await chosenView(io, json));
}

async function chosenView(io: CommandIo, json: boolean): Promise<View> {
  const kind = chooseView({ json, stdoutIsTTY: io.stdout.isTTY === true, stderrIsTTY: io.stderr.isTTY === true, columns: (io.stdout as { columns?: number }).columns, rows: (io.stdout as { rows?: number }).rows, env: io.env });
  if (kind === "json") return (await import("../ui/json-view.js")).createJsonView(io.stdout);
  if (kind === "ink") return (await import("../ui/ink/ink-view.js")).createInkView(io.stdout as NodeJS.WriteStream, { colour: io.color });
  const { createPlainView } = await import("../ui/plain-view.js");
  return createPlainView({ stdout: io.stdout, stderr: io.stderr, style: paint(io.color) });
}

/** An AbortSignal that the first Ctrl-C aborts (a second one exits at once). */
export function interruptSignal(): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Error("interrupted (Ctrl-C)"));
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  return { signal: controller.signal, dispose: () => (process.off("SIGINT", onSigint), process.off("SIGTERM", onSigint)) };
}
