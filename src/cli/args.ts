/**
 * Command-line parsing on node:util's parseArgs: no dependency, strict about
 * unknown flags, and the same common flags for every command.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../core/errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Flags every command accepts (DESIGN §4). */
export const COMMON_OPTIONS: Options = {
  file: { type: "string", short: "f" },
  json: { type: "boolean" },
  "no-color": { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/** Parsed flags and positionals of one command. */
export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

/** Parses a command's arguments; unknown flags become a UsageError that names the flag. */
export function parseCommandArgs(command: string, args: readonly string[], options: Options = {}, allowPositionals = false): ParsedArgs {
  try {
    const parsed = parseArgs({ args: [...args], options: { ...COMMON_OPTIONS, ...options }, allowPositionals, strict: true });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    throw new UsageError(`${command}: ${message.charAt(0).toLowerCase()}${message.slice(1)} (see \`airgap ${command} --help\`)`);
  }
}

/** A string flag's value, or undefined. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === "string" ? value : undefined;
}

/** A boolean flag's value. */
export function boolFlag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}
