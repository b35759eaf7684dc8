/**
 * Byte sizes for humans, in the units registries and Terraform users read:
 * decimal (kB, MB, GB), one decimal place where it helps.
 */
const UNITS = ["B", "kB", "MB", "GB", "TB"] as const;

/** `1234567` → `1.2 MB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}
