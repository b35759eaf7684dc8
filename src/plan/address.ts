/**
 * Stable change addresses, shared by the plan view, the plan file, events and
 * `--target`: `bundle.k0s.image["quay.io/k0sproject/coredns:1.11.3"]`, in the
 * spirit of Terraform's resource addresses.
 */

/** What kind of thing an address names. */
export type AddressKind = "image" | "chart" | "referrer" | "file" | "prerequisite" | "output";

/** The parts of an address. */
export interface ParsedAddress {
  /** `bundle`, `registry` or `cluster`. */
  readonly scope: "bundle" | "registry" | "cluster";
  /** Bundle or registry name; empty for cluster. */
  readonly name: string;
  readonly kind: AddressKind;
  /** The key inside brackets: an upstream reference, a file path, a project name. */
  readonly key: string;
}

const ADDRESS = /^(bundle|registry|cluster)(?:\.([A-Za-z0-9][A-Za-z0-9_-]*))?\.(image|chart|referrer|file|prerequisite|output)\["((?:[^"\\]|\\.)*)"\]$/;

/** Formats an address; the key is JSON-quoted so any reference or path fits. */
export function formatAddress(address: ParsedAddress): string {
  const scope = address.scope === "cluster" ? "cluster" : `${address.scope}.${address.name}`;
  return `${scope}.${address.kind}[${JSON.stringify(address.key)}]`;
}

/** Parses an address, or returns undefined when it is not one. */
export function parseAddress(text: string): ParsedAddress | undefined {
  const match = ADDRESS.exec(text);
  if (!match) return undefined;
  const [, scope, name = "", kind, key = ""] = match;
  if ((scope === "cluster") !== (name === "")) return undefined;
  return { scope: scope as ParsedAddress["scope"], name, kind: kind as AddressKind, key: JSON.parse(`"${key}"`) as string };
}

/**
 * True when `address` is selected by a `--target` value: the exact address,
 * or a prefix naming a bundle (`bundle.k0s`), a registry (`registry.harbor`)
 * or a kind within one (`bundle.k0s.image`).
 */
export function matchesTarget(address: string, target: string): boolean {
  if (address === target) return true;
  return address.startsWith(`${target}.`) || address.startsWith(`${target}[`);
}
