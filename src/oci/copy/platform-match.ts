/**
 * Which index entries a bundle's `platforms` list selects. The rules follow
 * containerd's platform matcher (normalised variants) because containerd is
 * what finally pulls the mirrored images:
 *
 * - `os` and `architecture` must be equal.
 * - A wanted platform without a variant matches every variant: `linux/arm`
 *   selects `linux/arm/v6` and `linux/arm/v7`; `linux/arm64` selects
 *   `linux/arm64` and `linux/arm64/v8`.
 * - A wanted variant must equal the entry's variant after normalisation:
 *   arm64 without a variant is `v8` (so `linux/arm64/v8` also selects a plain
 *   `linux/arm64` entry), arm without a variant is `v7`, and amd64 `v1` is
 *   the same as no variant.
 * - `os.version` and `os.features` are not compared (Windows images are out
 *   of scope for now).
 * - Entries without a platform, and the `unknown/unknown` entries buildx adds
 *   for attestations, never match, so filtering drops them.
 */
import { formatPlatform, type Platform } from "../../core/oci-types.js";

/** The variant a platform implies when it names none (containerd's `platforms.Normalize`). */
export function normalizedVariant(architecture: string, variant: string | undefined): string | undefined {
  if (architecture === "arm64") return variant === undefined || variant === "" ? "v8" : variant;
  if (architecture === "arm") return variant === undefined || variant === "" ? "v7" : variant;
  if (architecture === "amd64") return variant === "v1" || variant === "" ? undefined : variant;
  return variant === "" ? undefined : variant;
}

/** True when `candidate` (an index entry's platform) is what `wanted` (from the configuration) asks for. */
export function platformMatches(wanted: Platform, candidate: Platform | undefined): boolean {
  if (candidate === undefined) return false;
  if (candidate.os !== wanted.os || candidate.architecture !== wanted.architecture) return false;
  if (wanted.variant === undefined || wanted.variant === "") return true;
  return normalizedVariant(wanted.architecture, wanted.variant) === normalizedVariant(candidate.architecture, candidate.variant);
}

/** True when any of `wanted` matches `candidate`. */
export function matchesAnyPlatform(wanted: readonly Platform[], candidate: Platform | undefined): boolean {
  return wanted.some((w) => platformMatches(w, candidate));
}

/** `os/arch[/variant]`, or `(no platform)` for entries without one: for error messages listing what an index offers. */
export function describePlatform(platform: Platform | undefined): string {
  return platform === undefined ? "(no platform)" : formatPlatform(platform);
}
