/**
 * `airgap apply [PLANFILE]`: make it so. With a plan file, exactly that plan,
 * refused when the config, the lock or any target changed since. Without
 * one, it plans, shows the plan and asks on a terminal; without a terminal
 * it refuses unless --auto-approve.
 *
 * Before its first write apply takes the write lock of each target that has
 * one (an oci-layout directory; see `lockTargets`) and holds it to the end.
 * It waits for another holder at most 60 s, or `AIRGAP_LOCK_TIMEOUT` seconds
 * (0: refuse at once), then refuses naming the holder.
 */
import { createInterface } from "node:readline/promises";
import { resolve } from "node:path";
import { executePlan, lockTargets } from "../../apply/executor.js";
import { assertNotStale } from "../../apply/stale.js";
import { ConfigError, UsageError } from "../../core/errors.js";
import { silentLogger } from "../../core/logger.js";
import { hasChanges, registryOf, type Plan } from "../../plan/model.js";
import { assertSameInputs, readPlanFile } from "../../plan/plan-file.js";
import { desiredState, type DesiredState } from "../../desired/desired-state.js";
import { verifyBundle } from "../../bundle/read-bundle.js";
import type { View } from "../../ui/view.js";
import { readLockFile } from "../../lock/index.js";
import type { SourceOpener } from "../../sources/index.js";
import type { Provider, WriteLock, WriteLockOptions } from "../../sdk/provider.js";
import { boolFlag, parseCommandArgs, stringFlag } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import type { CommandIo } from "../io.js";
import { currentLockSha256, lockForPlan, makePlan, openProviders, PipelineError } from "../pipeline.js";
import { openSession, openView, type Session } from "../session.js";
import { startCommandRun } from "../command-run.js";
import { PLAN_OPTIONS, parallelismFlag, targetsFlag } from "./plan.js";

async function confirm(io: CommandIo): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question("\nDo you want to apply these changes? Only 'yes' will be accepted: ");
    return answer.trim() === "yes";
  } finally {
    rl.close();
    io.stderr.write("\n");
  }
}

/** Runs apply. */
export async function runApply(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const parsed = parseCommandArgs("apply", args, { ...PLAN_OPTIONS, "auto-approve": { type: "boolean" } }, true);
  if (parsed.positionals.length > 1) throw new UsageError("apply takes at most one plan file");
  const planPath = parsed.positionals[0];
  const from = stringFlag(parsed, "from");
  const run = await startCommandRun(io, { json: boolFlag(parsed, "json"), from });
  const { view, interrupt, transport, opener, bundle } = run;
  let providers: ReadonlyMap<string, Provider> | undefined;
  let locks: WriteLock | undefined;
  // Where apply's progress renders: a fresh view after a confirmation prompt closed the first one.
  let progress = view;
  try {
    const waitMs = lockTimeout(io);
    const lockOptions = (): WriteLockOptions => ({ signal: interrupt.signal, notify: (message) => progress.info(message), ...(waitMs !== undefined ? { waitMs } : {}) });
    const session = await openSession(io, stringFlag(parsed, "file"), view);
    const parallelism = parallelismFlag(stringFlag(parsed, "parallelism"));
    let plan: Plan;
    let sources;
    if (planPath !== undefined) {
      // Exactly the reviewed plan: same inputs, same target state.
      const file = await readPlanFile(resolve(io.cwd, planPath));
      const lockSha256 = await currentLockSha256(session.lockPath);
      assertSameInputs(file, { configSha256: session.configSha256, ...(lockSha256 && !bundle ? { lockSha256 } : {}), ...(bundle ? { bundleSha256: bundle.sha256 } : {}) }, planPath);
      plan = file.plan;
      providers = await openProviders(session, plan.changes.flatMap((c) => registryOf(c) ?? []), silentLogger, transport);
      // Locked before the stale check, so nothing can change the targets between the check and the writes.
      locks = await lockTargets(plan.changes, providers, lockOptions());
      // On the far side a new plan is made from the bundle, never from the sources.
      const replan = from !== undefined ? `airgap plan --from ${from}` : undefined;
      await assertNotStale(plan.changes, providers, { signal: interrupt.signal, baseDir: session.config.baseDir, concurrency: parallelism, ...(replan ? { replan } : {}) });
      sources = bundle
        ? await desiredState(session.config, bundle.lock, opener, { describe: false })
        : await sourcesForSavedPlan(session, opener, interrupt.signal);
    } else {
      const planned = await makePlan(session, opener, {
        signal: interrupt.signal,
        logger: silentLogger,
        targets: targetsFlag(parsed.values),
        refreshLock: boolFlag(parsed, "refresh-lock"),
        parallelism,
        transport,
        ...(bundle ? { bundle } : {}),
      });
      providers = planned.providers;
      plan = planned.plan;
      sources = planned.desired;
      if (planned.warnings.length) view.diagnostics(planned.warnings);
      view.plan(plan);
      if (!hasChanges(plan)) return ExitCode.Ok;
      if (!boolFlag(parsed, "auto-approve")) {
        if (io.stdout.isTTY !== true || process.stdin.isTTY !== true) {
          throw new UsageError("apply without a plan file needs confirmation: run it on a terminal, pass --auto-approve, or save a plan with `airgap plan -out FILE` and apply that");
        }
        await view.close();
        if (!(await confirm(io))) {
          io.stderr.write("Apply cancelled.\n");
          return ExitCode.Error;
        }
        progress = await openView(io, boolFlag(parsed, "json"));
      }
    }
    // Every blob of the bundle is checked before anything is written to a target.
    if (bundle) await verifyBundle(bundle);
    locks ??= await lockTargets(plan.changes, providers, lockOptions());
    return await execute(plan, providers, sources, opener, { parallelism, baseDir: session.config.baseDir }, interrupt.signal, progress);
  } catch (error) {
    if (error instanceof ConfigError) return ExitCode.Error;
    if (error instanceof PipelineError && error.diagnostics.length) view.diagnostics(error.diagnostics);
    throw error;
  } finally {
    await locks?.release();
    await run.close(providers);
    if (progress !== view) await progress.close();
  }
}

/** `AIRGAP_LOCK_TIMEOUT`: how long to wait for another writer's lock, in seconds (undefined: the provider's default). */
function lockTimeout(io: CommandIo): number | undefined {
  const text = io.env["AIRGAP_LOCK_TIMEOUT"];
  if (text === undefined || text.trim() === "") return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError(`AIRGAP_LOCK_TIMEOUT must be a number of seconds (0 or more), not "${text}"`);
  return Math.round(seconds * 1000);
}

/** Where each change's content comes from, for a saved plan: from airgap.lock, or resolved again when there is none. */
async function sourcesForSavedPlan(session: Session, opener: SourceOpener, signal: AbortSignal) {
  const read = await readLockFile(session.lockPath, "airgap.lock");
  const lock = read.found ? read.lock : (await lockForPlan(session, opener, { signal, logger: silentLogger, refresh: false })).lock;
  return desiredState(session.config, lock, opener, { describe: false });
}

async function execute(
  plan: Plan,
  providers: ReadonlyMap<string, Provider>,
  sources: Pick<DesiredState, "sources" | "fileSources">,
  opener: SourceOpener,
  settings: { readonly parallelism: number; readonly baseDir: string },
  signal: AbortSignal,
  view: View,
): Promise<ExitCode> {
  const summary = await executePlan(plan, {
    providers,
    ...settings,
    signal,
    onEvent: (event) => view.applyEvent(event),
    async openSource(change) {
      const source = sources.sources.get(change.address);
      if (!source) throw new Error(`no source for ${change.address} in the current configuration`);
      return (await opener.open(source.name, source.origin, { signal })).reader;
    },
    async openFile(change, fileSignal) {
      const source = sources.fileSources.get(change.address);
      if (!source) throw new Error(`no source for ${change.address} in the current configuration`);
      return opener.openFile(source, fileSignal ?? signal);
    },
  });
  await view.close();
  return summary.failed > 0 || summary.interrupted ? ExitCode.Error : ExitCode.Ok;
}
