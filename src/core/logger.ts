/**
 * The logger that library code receives instead of printing: silent unless the
 * CLI injects one (go-containerregistry's logs default to io.Discard).
 */

/** Levels in increasing severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured fields attached to a log line; values must already be redacted. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/** A leveled logger; `enabled` guards expensive debug output such as request dumps. */
export interface Logger {
  enabled(level: LogLevel): boolean;
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

/** A logger that drops everything: the default for libraries. */
export const silentLogger: Logger = {
  enabled: () => false,
  log: () => undefined,
};
