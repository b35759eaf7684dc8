/**
 * What `referrers` can and cannot do yet, said at validate time rather than
 * discovered in a plan: referrers name an image's exact digest, so those of
 * a multi-platform image whose index the platform filter rewrites cannot
 * land (plan leaves them out, each named); and a registry's `referrersApi`
 * setting is not read yet (airgap asks the registry, as `auto` does).
 */
import { entries, type Rule } from "./context.js";

/** Warns where `referrers` will not carry everything it is asked to. */
export const referrersSupport: Rule = (ctx) => {
  for (const [name, bundle] of entries(ctx.config.bundles)) {
    if (bundle.referrers === undefined || bundle.referrers === false) continue;
    const filtered = (platforms: unknown, preserve: boolean | undefined) => platforms !== undefined && preserve !== true;
    const rewrites = (bundle.images ?? []).some((i) =>
      typeof i === "string" ? filtered(bundle.platforms, bundle.preserveDigests) : typeof i === "object" && i !== null && filtered(i.platforms ?? bundle.platforms, i.preserveDigests ?? bundle.preserveDigests),
    );
    if (rewrites) {
      ctx.report(
        "warning",
        ["bundles", name, "referrers"],
        "referrers name an image's exact digest: those of multi-platform images whose index `platforms` rewrites cannot be copied, and plan leaves them out (naming each); set `preserveDigests: true` to carry them",
        { onKey: true },
      );
    }
  }
  for (const [name, registry] of entries(ctx.config.registries)) {
    const setting = (registry as { referrersApi?: unknown }).referrersApi;
    if (setting === "yes" || setting === "no") {
      ctx.report("warning", ["registries", name, "referrersApi"], `\`referrersApi: ${setting}\` is not used by this version of airgap yet: it asks the registry whether it has the referrers API (as \`auto\` does)`);
    }
  }
};
