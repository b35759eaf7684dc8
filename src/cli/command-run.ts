/**
 * What every command that reads content starts with and ends with: its
 * view, the Ctrl-C signal, the one transport of the run (no process-wide
 * HTTP state), the source opener on it, and for `--from` the bundle as the
 * only source. One place, so the commands open and close them alike.
 */
import { resolve } from "node:path";
import { openBundle, type OpenBundle } from "../bundle/read-bundle.js";
import { silentLogger } from "../core/logger.js";
import { Transport } from "../oci/registry/index.js";
import type { Provider } from "../sdk/provider.js";
import { SourceOpener } from "../sources/index.js";
import type { View } from "../ui/view.js";
import type { CommandIo } from "./io.js";
import { closeAll } from "./pipeline.js";
import { interruptSignal, openView } from "./session.js";

/** The parts of one command run; `close` ends all of them, whatever happened. */
export interface CommandRun {
  readonly view: View;
  readonly interrupt: { readonly signal: AbortSignal };
  readonly transport: Transport;
  readonly opener: SourceOpener;
  /** Set with `--from`: the bundle, and the opener reads nothing else. */
  readonly bundle: OpenBundle | undefined;
  /** Closes the providers (when the command opened any), sources, transport, bundle and view, in that order. */
  close(providers?: ReadonlyMap<string, Provider>): Promise<void>;
}

/** Opens the parts of a command run; `from` is the `--from` bundle path as the user gave it. */
export async function startCommandRun(io: CommandIo, options: { readonly json: boolean; readonly from?: string | undefined }): Promise<CommandRun> {
  const view = await openView(io, options.json);
  const interrupt = interruptSignal();
  const bundle = options.from !== undefined ? await openBundle(resolve(io.cwd, options.from), { signal: interrupt.signal }) : undefined;
  const transport = new Transport();
  const opener = new SourceOpener({ logger: silentLogger, transport, ...(bundle ? { only: bundle.tar } : {}) });
  return {
    view,
    interrupt,
    transport,
    opener,
    bundle,
    async close(providers) {
      interrupt.dispose();
      await closeAll(providers, opener);
      await transport.close();
      await bundle?.close();
      await view.close();
    },
  };
}
