/**
 * What every semantic rule receives: the schema-valid config, a way to report
 * a problem at a JSON pointer, and the facts about providers that only the
 * CLI can establish (which plugins are installed).
 */
import type { Diagnostic, Severity } from "../../core/diagnostics.js";
import { toPointer } from "../../core/diagnostics.js";
import type { AirgapConfig } from "../generated/airgap-config.js";
import type { NodePosition } from "../document.js";
import { entryOf, type DeclaredNames } from "../prune.js";
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
  /** True when a value at or under `path` is unknown (an unset `${VAR}` during validate): checks that read it are skipped. */
  isUnknown(path: readonly (string | number)[]): boolean;
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
  unknown: ReadonlySet<string>,
  out: Diagnostic[],
): RuleContext {
  const isUnknown = (pointer: string): boolean => [...unknown].some((u) => u === pointer || u.startsWith(`${pointer}/`));
  /** A finding about an unknown value, or about the entry (image, file, source…) that holds one, cannot be trusted. */
  const readsUnknown = (pointer: string): boolean =>
    [...unknown].some((u) => u === pointer || pointer.startsWith(`${u}/`) || (u.startsWith(`${pointer}/`) && toPointer(entryOf(u) ?? []) === pointer));
  return {
    config,
    declared,
    providers,
    report(severity, path, message, options = {}) {
      const pointer = toPointer(path);
      if (unknown.size > 0 && readsUnknown(pointer)) return;
      const location = locate({ positions }, pointer, options.onKey ?? false);
      out.push({ severity, message, pointer, ...(location ? { location: { ...location, file } } : {}), ...(options.hint ? { hint: options.hint } : {}) });
    },
    isUnknown: (path) => unknown.size > 0 && isUnknown(toPointer(path)),
  };
}

/** Entries of an optional map, skipping undefined values. */
export function entries<T>(map: { readonly [key: string]: T | undefined } | undefined): [string, T][] {
  return Object.entries(map ?? {}).filter((e): e is [string, T] => e[1] !== undefined);
}
