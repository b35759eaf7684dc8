/**
 * airgap's own version, read from package.json next to the code, wherever it
 * is installed (src/ in development, dist/src/ when built).
 */
import { readFileSync } from "node:fs";

/** The version in package.json, or "unknown" if it cannot be found. */
export function airgapVersion(): string {
  for (const relative of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "airgap" && pkg.version) return pkg.version;
    } catch {
      // not at this depth; try the next
    }
  }
  return "unknown";
}
