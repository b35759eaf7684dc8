/**
 * `airgap plan`: what would change in the targets, and why. With `-out FILE`
 * the plan is saved for `airgap apply FILE`; `--detailed-exitcode` makes the
 * exit code say whether there are changes (0 none, 1 error, 2 changes).
 */
import { resolve } from "node:path";
import { ConfigError, UsageError } from "../../core/errors.js";
import { silentLogger } from "../../core/logger.js";
import { hasChanges } from "../../plan/model.js";
import { createPlanFile, writePlanFile } from "../../plan/plan-file.js";
import { boolFlag, parseCommandArgs, stringFlag } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import type { CommandIo } from "../io.js";
import { checkOutputPath, localWriteError } from "../local-output.js";
import { makePlan, PipelineError, type Planned } from "../pipeline.js";
import { openSession } from "../session.js";
import { startCommandRun } from "../command-run.js";
import { airgapVersion } from "../version.js";

/** Flags plan and apply share. */
export const PLAN_OPTIONS = {
  target: { type: "string", multiple: true },
  from: { type: "string" },
  parallelism: { type: "string" },
  "refresh-lock": { type: "boolean" },
} as const;

/** The --parallelism value (default 4). */
export function parallelismFlag(value: string | undefined): number {
  if (value === undefined) return 4;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--parallelism must be a whole number from 1 to 64, not ${value}`);
  return n;
}

/** The --target values. */
export function targetsFlag(values: Readonly<Record<string, unknown>>): string[] {
  const value = values["target"];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** A word of a command line, quoted for a POSIX shell when it needs it. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that applies a saved plan: with the same config file and, for
 * a plan made from a bundle, the same bundle (the far side cannot reach the
 * sources, and apply checks that the bundle is the one planned from).
 */
export function applyCommand(planFile: string, from: string | undefined, configFile: string | undefined): string {
  const words = ["airgap", "apply", ...(configFile !== undefined ? ["-f", configFile] : []), ...(from !== undefined ? ["--from", from] : []), planFile];
  return words.map(shellWord).join(" ");
}

/** Runs plan. */
export async function runPlan(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  // Terraform spells it -out; accept --out and -out=FILE too.
  const normalized = args.map((a) => (a === "-out" ? "--out" : a.startsWith("-out=") ? `--out=${a.slice(5)}` : a));
  const parsed = parseCommandArgs("plan", normalized, { ...PLAN_OPTIONS, out: { type: "string" }, "detailed-exitcode": { type: "boolean" } });
  const planOut = stringFlag(parsed, "out");
  if (planOut !== undefined) await checkOutputPath(resolve(io.cwd, planOut), "-out", "plan.json");
  const from = stringFlag(parsed, "from");
  const run = await startCommandRun(io, { json: boolFlag(parsed, "json"), from });
  const { view, interrupt, transport, opener, bundle } = run;
  let planned: Planned | undefined;
  try {
    const session = await openSession(io, stringFlag(parsed, "file"), view);
    planned = await makePlan(session, opener, {
      ...(bundle ? { bundle } : {}),
      signal: interrupt.signal,
      logger: silentLogger,
      targets: targetsFlag(parsed.values),
      refreshLock: boolFlag(parsed, "refresh-lock"),
      parallelism: parallelismFlag(stringFlag(parsed, "parallelism")),
      transport,
    });
    if (planned.warnings.length) view.diagnostics(planned.warnings);
    view.plan(planned.plan);
    const out = stringFlag(parsed, "out");
    if (out !== undefined) {
      const targets = targetsFlag(parsed.values);
      const file = createPlanFile(
        planned.plan,
        {
          configSha256: session.configSha256,
          ...(planned.lock.sha256 ? { lockSha256: planned.lock.sha256 } : {}),
          ...(bundle ? { bundleSha256: bundle.sha256 } : {}),
          ...(targets.length ? { targets } : {}),
        },
        airgapVersion(),
      );
      await writePlanFile(resolve(io.cwd, out), file).catch((error: unknown) => {
        throw localWriteError(error, resolve(io.cwd, out), "the plan");
      });
      view.info(`Saved the plan to ${out}. Apply exactly this plan with: ${applyCommand(out, from, stringFlag(parsed, "file"))}`);
    }
    if (boolFlag(parsed, "detailed-exitcode") && hasChanges(planned.plan)) return ExitCode.Changes;
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof ConfigError) return ExitCode.Error;
    if (error instanceof PipelineError) {
      if (error.diagnostics.length) view.diagnostics(error.diagnostics);
    }
    throw error;
  } finally {
    await run.close(planned?.providers);
  }
}
