/**
 * `airgap bundle -o FILE.tar`: everything the bundles carry, in one OCI
 * image layout tar, with the config (secrets removed) and the lock, to carry
 * across the gap. `--since OLD.lock|OLD.tar` leaves out what the far side
 * already has.
 */
import { resolve } from "node:path";
import { Readable } from "node:stream";
import { bundleContents } from "../../bundle/contents.js";
import { fileArtifacts } from "../../bundle/file-artifacts.js";
import { lockForBundle } from "../../bundle/bundle-lock.js";
import { openBundle, walkBundle } from "../../bundle/read-bundle.js";
import { describeCopy } from "../../oci/copy/index.js";
import { sanitizeConfigText } from "../../bundle/sanitize.js";
import { writeBundle } from "../../bundle/write-bundle.js";
import { ConfigError, UsageError } from "../../core/errors.js";
import { silentLogger } from "../../core/logger.js";
import { formatBytes } from "../../ui/format/bytes.js";
import { readLockFile, serializeLock, writeLockFile } from "../../lock/index.js";
import type { SourceOpener } from "../../sources/index.js";
import { boolFlag, parseCommandArgs, stringFlag } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import type { CommandIo } from "../io.js";
import { checkOutputPath, localWriteError } from "../local-output.js";
import { lockForPlan, PipelineError } from "../pipeline.js";
import { openSession, type Session } from "../session.js";
import { startCommandRun } from "../command-run.js";

/**
 * The blobs a previous bundle (or the lock it was made from) delivered: what
 * a differential bundle can leave out. From a lock: every image, chart and
 * file of this configuration as that lock pinned it (a file that did not
 * change has the same sha256, so its bytes stay behind too). From a bundle:
 * everything it holds, and what it had itself left out (a differential
 * bundle builds on what its own predecessor delivered).
 */
async function deliveredBefore(session: Session, since: string, opener: SourceOpener, signal: AbortSignal, chosen: readonly string[]): Promise<Set<string>> {
  const path = resolve(since);
  if (/\.tar(\.gz)?$/.test(path)) {
    const old = await openBundle(path, { signal });
    try {
      const walked = await walkBundle(old, { signal });
      if (walked.problems.length > 0) throw new UsageError(`--since ${since} is damaged:\n${walked.problems.map((p) => `  ${p.entry}: ${p.message}`).join("\n")}\npass the airgap.lock it was made from instead`);
      if (walked.absent.length > 0) {
        throw new UsageError(`--since ${since}: ${walked.absent.length} blob(s) are not in it, and it does not say whether it left them out on purpose (it was written by an older airgap); pass the airgap.lock it was made from instead`);
      }
      return new Set(walked.descriptors.map((b) => b.digest));
    } finally {
      await old.close();
    }
  }
  const read = await readLockFile(path, since);
  if (!read.found) throw new UsageError(`--since ${since}: no such file`);
  const { images } = await bundleContents(session.config, read.lock, opener, { signal, bundles: chosen });
  const delivered = new Set<string>();
  for (const image of images) {
    const described = await describeCopy(image.reader, image.root, { signal, preserveDigests: image.preserveDigests, ...(image.platforms ? { platforms: image.platforms } : {}) }).catch(() => undefined);
    for (const d of described?.content ?? []) delivered.add(d.digest);
  }
  for (const file of fileArtifacts(session.config, read.lock, opener, { bundles: chosen }).artifacts) delivered.add(file.content.digest);
  return delivered;
}

/** Runs bundle. */
export async function runBundle(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const parsed = parseCommandArgs("bundle", args, { output: { type: "string", short: "o" }, bundle: { type: "string", multiple: true }, since: { type: "string" } });
  const output = stringFlag(parsed, "output");
  if (output === undefined) throw new UsageError("bundle needs -o FILE.tar: where to write the bundle");
  const outputPath = resolve(io.cwd, output);
  await checkOutputPath(outputPath, "-o", "bundle.tar");
  const run = await startCommandRun(io, { json: boolFlag(parsed, "json") });
  const { view, interrupt, opener } = run;
  try {
    const session = await openSession(io, stringFlag(parsed, "file"), view);
    const hadLock = (await readLockFile(session.lockPath, "airgap.lock")).found;
    const lock = await lockForPlan(session, opener, { signal: interrupt.signal, logger: silentLogger, refresh: false });
    if (!hadLock) {
      // A bundle is a release artifact: what it carries is pinned, and a rerun gives the same bytes.
      await writeLockFile(session.lockPath, lock.lock);
      view.info("Wrote airgap.lock (there was none): commit it with the configuration.");
    }
    const chosen = Array.isArray(parsed.values["bundle"]) ? parsed.values["bundle"].filter((b): b is string => typeof b === "string") : [];
    const { images, problems } = await bundleContents(session.config, lock.lock, opener, { bundles: chosen, signal: interrupt.signal });
    const files = fileArtifacts(session.config, lock.lock, opener, { bundles: chosen });
    const diagnostics = [...problems, ...files.problems].map((p) => session.place({ severity: p.severity, message: p.message, pointer: p.pointer }));
    if (diagnostics.some((d) => d.severity === "error")) throw new PipelineError("cannot write the bundle", diagnostics);
    if (diagnostics.length) view.diagnostics(diagnostics);
    const since = stringFlag(parsed, "since");
    const exclude = since !== undefined ? await deliveredBefore(session, resolve(io.cwd, since), opener, interrupt.signal, chosen) : undefined;
    const address = `bundle[${JSON.stringify(output)}]`;
    let started = false;
    const result = await writeBundle(
      outputPath,
      images,
      (carried) => [
        { name: "airgap.yaml", content: sanitizeConfigText(session.loaded.text) },
        { name: "airgap.lock", content: serializeLock(lockForBundle(lock.lock, carried)) },
      ],
      {
        signal: interrupt.signal,
        ...(exclude ? { exclude } : {}),
        artifacts: {
          entries: files.artifacts.map((a) => ({ name: a.name, descriptor: a.manifest })),
          blobs: [
            ...(files.artifacts.length ? [{ descriptor: files.empty.descriptor, open: () => Readable.from([files.empty.bytes]) }] : []),
            ...files.artifacts.flatMap((a) => [
              { descriptor: a.manifest, open: () => Readable.from([a.manifestBytes]) },
              { descriptor: a.content, open: (o: { readonly signal?: AbortSignal }) => a.open(o.signal) },
            ]),
          ],
        },
        onProgress(bytes, total) {
          if (!started) {
            started = true;
            view.applyEvent({ type: "apply-start", changes: 1, bytes: total });
            view.applyEvent({ type: "change-start", address, action: "create", bytes: total });
          }
          view.applyEvent({ type: "change-progress", address, bytes });
        },
      },
    );
    if (started) view.applyEvent({ type: "change-done", address, action: "create", bytesMoved: result.blobBytes });
    const extra = result.excluded ? `; ${result.excluded} blob(s) left out that the far side must already have` : "";
    view.info(`Wrote ${output}: ${result.images.size} image(s) and chart(s), ${files.artifacts.length} file(s), ${result.blobs} blobs, ${formatBytes(result.size)}${extra}.`);
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof ConfigError) return ExitCode.Error;
    if (error instanceof PipelineError && error.diagnostics.length) view.diagnostics(error.diagnostics);
    throw localWriteError(error, outputPath, "the bundle");
  } finally {
    await run.close();
  }
}
