/**
 * `airgap lock`: resolve every image, chart and file to digests and write
 * airgap.lock (commit it). Byte-identical on a rerun when nothing changed
 * upstream; `--update [REF]…` re-resolves everything or the named entries.
 */
import { ConfigError } from "../../core/errors.js";
import { readLockFile, writeLockFile } from "../../lock/index.js";
import { problemToDiagnostic, resolveDesired } from "../../resolve/index.js";
import { boolFlag, parseCommandArgs, stringFlag } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import type { CommandIo } from "../io.js";
import { openSession } from "../session.js";
import { startCommandRun } from "../command-run.js";

/** Runs lock. */
export async function runLock(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const parsed = parseCommandArgs("lock", args, { update: { type: "boolean" } }, true);
  const run = await startCommandRun(io, { json: boolFlag(parsed, "json") });
  const { view, interrupt, opener } = run;
  try {
    const session = await openSession(io, stringFlag(parsed, "file"), view);
    const previous = await readLockFile(session.lockPath, "airgap.lock");
    const update = boolFlag(parsed, "update");
    const refresh = update ? (parsed.positionals.length > 0 ? parsed.positionals : true) : false;
    const result = await resolveDesired(session.config, {
      opener,
      signal: interrupt.signal,
      refresh,
      ...(previous.found ? { lock: previous.lock } : {}),
    });
    const diagnostics = result.problems.map((p) => session.place(problemToDiagnostic(p)));
    if (diagnostics.length) view.diagnostics(diagnostics);
    if (diagnostics.some((d) => d.severity === "error")) {
      view.info("airgap.lock was not written: fix the problems above and run `airgap lock` again.");
      return ExitCode.Error;
    }
    const written = await writeLockFile(session.lockPath, result.lock);
    const count = written.lock.images.length + written.lock.charts.length + written.lock.files.length;
    view.info(written.changed ? `Wrote airgap.lock (${count} entries).` : `airgap.lock is up to date (${count} entries).`);
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof ConfigError) return ExitCode.Error;
    throw error;
  } finally {
    await run.close();
  }
}
