/**
 * The settings of a `harbor` registry (config.schema.json) and the rules
 * Harbor applies to project names and quotas.
 */
import type { CredentialSettings, TlsSettings } from "airgap/sdk";

/** One entry of `projects:`. */
export interface HarborProjectSettings {
  readonly public?: boolean;
  /** Bytes, `-1` (unlimited) or a size such as `200GiB`. */
  readonly storageLimit?: number | string;
  readonly autoScan?: boolean;
  readonly preventVulnerable?: boolean;
}

/** The settings of a `harbor` registry. */
export interface HarborSettings {
  readonly url: string;
  readonly credentials?: CredentialSettings;
  readonly tls?: TlsSettings;
  readonly concurrency?: number;
  readonly projects?: Readonly<Record<string, HarborProjectSettings>>;
}

/** Harbor's project name rule (src/pkg/project/manager.go `validProjectName`, at most 255 characters). */
export const PROJECT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Why Harbor would refuse a project name, or undefined when it accepts it. */
export function projectNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 255) return `project name \`${name.slice(0, 40)}${name.length > 40 ? "…" : ""}\` must be 1 to 255 characters long`;
  if (!PROJECT_NAME.test(name)) return `Harbor refuses the project name \`${name}\`: lowercase letters and digits, separated by single \`.\`, \`_\` or \`-\``;
  return undefined;
}

const UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
  TIB: 1024 ** 4,
};

/** A `storageLimit` in bytes; -1 is unlimited. `KiB`…`TiB` are powers of 1024, `KB`…`TB` of 1000. */
export function parseStorageLimit(value: number | string | undefined): number {
  if (value === undefined) return -1;
  if (typeof value === "number") return value;
  const match = /^([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?B)?$/i.exec(value.trim());
  if (!match) throw new RangeError(`storageLimit \`${value}\` is not a size (e.g. 50GiB)`);
  return Math.floor(Number(match[1]) * (UNITS[(match[2] ?? "B").toUpperCase()] ?? 1));
}

/** Bytes for people: `1.5 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
