#!/usr/bin/env node
/**
 * airgap's entry point: picks the command, runs it, maps the outcome to an
 * exit code. The only module that calls process.exit. Commands are imported
 * lazily so that `--version`, `--help` and `validate` never load the network
 * stack or the terminal UI.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AirgapError } from "../core/errors.js";
import { ExitCode } from "./exit-codes.js";
import { COMMAND_HELP, MAIN_HELP } from "./help.js";
import { paint, useColor, type CommandIo } from "./io.js";
import { createOutputBoundary } from "./output-boundary.js";

type Command = (args: readonly string[], io: CommandIo) => Promise<ExitCode>;

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  init: async () => (await import("./commands/init.js")).runInit,
  lock: async () => (await import("./commands/lock.js")).runLock,
  plan: async () => (await import("./commands/plan.js")).runPlan,
  apply: async () => (await import("./commands/apply.js")).runApply,
  bundle: async () => (await import("./commands/bundle.js")).runBundle,
  validate: async () => (await import("./commands/validate.js")).runValidate,
  version: async () => (await import("./commands/version.js")).runVersion,
};

/** Runs airgap with `argv` (without node and script) and returns the exit code; never exits itself. */
export async function runCli(argv: readonly string[], io: CommandIo): Promise<ExitCode> {
  const [first, ...rest] = argv;
  const style = paint(io.color);
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    const topic = first === "help" ? rest[0] : undefined;
    io.stdout.write(topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : MAIN_HELP);
    return first === undefined ? ExitCode.Error : ExitCode.Ok;
  }
  if (first === "-v" || first === "--version") return (await COMMANDS["version"]!())(rest, io);

  const load = COMMANDS[first];
  if (!load) {
    const { didYouMean } = await import("../config/suggest.js");
    const hint = first.startsWith("-") ? "" : (didYouMean(first, Object.keys(COMMANDS)) ?? "");
    io.stderr.write(`${style.red("error:")} unknown command \`${first}\`${hint ? `; ${hint}` : ""}. Run \`airgap --help\` for the list.\n`);
    return ExitCode.Error;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(COMMAND_HELP[first] ?? MAIN_HELP);
    return ExitCode.Ok;
  }
  try {
    return await (await load())(rest, io);
  } catch (error) {
    if (error instanceof AirgapError) {
      io.stderr.write(`${style.red("error:")} ${io.boundary.text(error.message)}\n`);
      return ExitCode.Error;
    }
    // A local disk that is full or read-only is the user's to fix, and named by its path.
    const local = await (await import("./local-output.js")).localFailure(error);
    if (local) {
      io.stderr.write(`${style.red("error:")} ${io.boundary.text(local.message)}\n`);
      return ExitCode.Error;
    }
    io.stderr.write(`${style.red("error:")} internal error: ${io.boundary.text((error as Error)?.stack ?? String(error))}\n(this is a bug in airgap; please report it)\n`);
    return ExitCode.Error;
  }
}

/** True when this module is the program being run (not imported by a test). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/**
 * Node prints process warnings (a library's notice that it will drop this
 * Node version, a deprecation) to stderr by default. They are not the user's
 * to act on and read like failures in the middle of a plan, so the default
 * printer is replaced: warnings are kept only when `NODE_OPTIONS` asks for
 * them with `--trace-warnings` (for whoever debugs airgap itself).
 */
function quietNodeWarnings(): void {
  if ((process.env["NODE_OPTIONS"] ?? "").includes("--trace-warnings")) return;
  process.removeAllListeners("warning");
  process.on("warning", () => undefined);
}

if (isEntryPoint()) {
  quietNodeWarnings();
  // `--version` and `help` start faster without node:v8 (3 ms of 170); they allocate too little to matter.
  if (!/^(-v|--version|version|-h|--help|help)?$/.test(process.argv[2] ?? "")) (await import("./v8-tuning.js")).tuneV8ForCli();
  const noColor = process.argv.includes("--no-color");
  const io: CommandIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    color: useColor(process.stderr, process.env, noColor),
    boundary: createOutputBoundary(),
  };
  const code = await runCli(process.argv.slice(2), io);
  // Let stdout drain before exiting: piped output must not be cut short.
  process.exitCode = code;
}
