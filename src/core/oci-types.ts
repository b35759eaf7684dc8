/**
 * The OCI content model as plain data (image-spec descriptor, manifest, index).
 * Field names follow the spec so that JSON read from a registry maps 1:1.
 */
import type { Digest } from "./digest.js";

/** A platform as in the image index (`linux/arm64/v8`). */
export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly "os.version"?: string;
  readonly "os.features"?: readonly string[];
}

/** A content descriptor: what a blob or manifest is, how big, and its digest. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
  readonly artifactType?: string;
}

/** An image manifest (OCI or Docker schema 2): one config and ordered layers. */
export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An image index (OCI index or Docker manifest list): manifests per platform. */
export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly manifests: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Well-known annotation keys used by layouts and bundles. */
export const Annotation = {
  RefName: "org.opencontainers.image.ref.name",
  ContainerdImageName: "io.containerd.image.name",
  Created: "org.opencontainers.image.created",
  Title: "org.opencontainers.image.title",
} as const;

/** Formats a platform as `os/arch[/variant]`. */
export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

/** The outcome of parsing a platform string. */
export type ParsePlatformResult = { readonly ok: true; readonly platform: Platform } | { readonly ok: false; readonly reason: string };

const KNOWN_OS = new Set(["linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris", "illumos", "aix", "plan9", "android", "ios", "js", "wasip1", "dragonfly"]);
const KNOWN_ARCH = new Set(["amd64", "arm64", "arm", "386", "ppc64le", "ppc64", "s390x", "riscv64", "mips64le", "mips64", "mipsle", "mips", "loong64", "wasm"]);

/** Parses `os/arch[/variant]` (containerd's platform syntax), checking os and arch against GOOS/GOARCH. */
export function parsePlatform(value: string): ParsePlatformResult {
  const parts = value.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")) {
    return { ok: false, reason: `"${value}" is not a platform (expected os/arch or os/arch/variant, e.g. linux/amd64)` };
  }
  const [os = "", architecture = "", variant] = parts;
  if (!KNOWN_OS.has(os)) return { ok: false, reason: `unknown operating system "${os}" in platform "${value}"` };
  if (!KNOWN_ARCH.has(architecture)) return { ok: false, reason: `unknown architecture "${architecture}" in platform "${value}"` };
  return { ok: true, platform: { os, architecture, ...(variant !== undefined ? { variant } : {}) } };
}
