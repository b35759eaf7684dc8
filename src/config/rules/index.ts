/**
 * The semantic rules run after the schema check: each reads the config and
 * reports, so that one run lists every problem.
 */
import type { Diagnostic } from "../../core/diagnostics.js";
import type { AirgapConfig } from "../generated/airgap-config.js";
import type { NodePosition } from "../document.js";
import type { DeclaredNames } from "../prune.js";
import { bundleContent, clusterOutputs } from "./content.js";
import { createRuleContext, type ProviderCatalog, type Rule } from "./context.js";
import { consistentSettings, crossReferences, knownProviders } from "./providers.js";
import { noCredentialsInUrls, wellFormedAddresses } from "./urls.js";
import { referrersSupport } from "./referrers.js";

export type { ContentKind, ProviderCatalog, Rule, RuleContext } from "./context.js";
export { namingPolicy, parseOciChart } from "./content.js";

/** Every rule, in the order their findings read best. */
export const RULES: readonly Rule[] = [knownProviders, crossReferences, consistentSettings, noCredentialsInUrls, wellFormedAddresses, bundleContent, referrersSupport, clusterOutputs];

/** Runs every rule over a schema-valid config. */
export function checkRules(
  config: AirgapConfig,
  declared: DeclaredNames,
  providers: ProviderCatalog,
  file: string,
  positions: ReadonlyMap<string, NodePosition>,
  /** Pointers of values that are unknown (unset `${VAR}` during validate). */
  unknown: ReadonlySet<string> = new Set(),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const ctx = createRuleContext(config, declared, providers, file, positions, unknown, out);
  for (const rule of RULES) rule(ctx);
  return out;
}
