/**
 * What every semantic rule receives: the schema-valid config, a way to report
 * a problem at a JSON pointer, and the facts about providers that only the
 * CLI can establish (which plugins are installed).
 */
import type { Diagnostic, Severity } from "../../core/diagnostics.js";
import { toPointer } from "../../core/diagnostics.js";
import { SENSITIVE } from "../../core/redact.js";
import type { AirgapConfig } from "../generated/airgap-config.js";
import type { NodePosition } from "../document.js";
import type { DeclaredNames } from "../prune.js";
import { locate } from "../schema.js";

/** What a provider can hold, as far as validation needs to know. */
export type ContentKind = "image" | "chart" | "file";

/** Provider facts for the rules: known names and what each can hold. */
export interface ProviderCatalog {
  /** True for built-in providers and installed third-party plugin packages. */
  isKnown(name: string): boolean;
  /** Kinds a provider holds; undefined when unknown until the plugin loads (third-party). */
  kinds(name: string): readonly ContentKind[] | undefined;
  /** Names to suggest for a typo. */
  readonly builtins: readonly string[];
}

/** The rule context: config plus reporting. */
export interface RuleContext {
  /** The config; entries the schema rejected are absent (array entries are holes). */
  readonly config: AirgapConfig;
  /** Every name declared per section, including entries the schema rejected, for reference checks. */
  readonly declared: DeclaredNames;
  readonly providers: ProviderCatalog;
  /** Reports a problem at `path` (segments of a JSON pointer); `onKey` points at the key rather than the value. */
  report(severity: Severity, path: readonly (string | number)[], message: string, options?: { hint?: string; onKey?: boolean }): void;
  /** A value for messages: `(sensitive)` when it came from the environment. */
  show(path: readonly (string | number)[], value: string): string;
}

/** A semantic rule: reads the config, reports through the context. */
export type Rule = (ctx: RuleContext) => void;

/** Builds a context that collects diagnostics into `out`. */
export function createRuleContext(
  config: AirgapConfig,
  declared: DeclaredNames,
  providers: ProviderCatalog,
  file: string,
  positions: ReadonlyMap<string, NodePosition>,
  sensitive: ReadonlySet<string>,
  out: Diagnostic[],
): RuleContext {
  return {
    config,
    declared,
    providers,
    report(severity, path, message, options = {}) {
      const pointer = toPointer(path);
      const location = locate({ positions }, pointer, options.onKey ?? false);
      out.push({ severity, message, pointer, ...(location ? { location: { ...location, file } } : {}), ...(options.hint ? { hint: options.hint } : {}) });
    },
    show(path, value) {
      return sensitive.has(toPointer(path)) ? SENSITIVE : `"${value}"`;
    },
  };
}

/** Entries of an optional map, skipping undefined values. */
export function entries<T>(map: { readonly [key: string]: T | undefined } | undefined): [string, T][] {
  return Object.entries(map ?? {}).filter((e): e is [string, T] => e[1] !== undefined);
}
