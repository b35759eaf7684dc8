/**
 * A chart from a classic Helm repository (index.yaml + .tgz) presented as
 * the OCI artifact `helm push` would make of it: the .tgz as the one layer,
 * its Chart.yaml as the config. With it, Helm-repository charts mirror into
 * OCI registries and ride in bundles like any other content, through the
 * same copy graph. Charts are small: the archive is held in memory.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { parse } from "yaml";
import type { Descriptor } from "../core/oci-types.js";
import { MediaType } from "../core/media-types.js";
import type { CallOptions, ContentReader } from "../oci/content.js";
import { paddedSize, parseTarHeader, TAR_BLOCK } from "../oci/layout/tar-format.js";
import { ResolveError } from "./errors.js";

/** Largest chart archive read (Helm refuses far smaller ones in practice). */
export const CHART_SIZE_LIMIT = 64 * 1024 * 1024;

/** Helm's chart.Metadata field order, so the config JSON reads like Helm's own. */
const METADATA_ORDER = ["name", "home", "sources", "version", "description", "keywords", "maintainers", "icon", "apiVersion", "condition", "tags", "appVersion", "deprecated", "annotations", "kubeVersion", "dependencies", "type"];

function digestOf(bytes: Buffer): Descriptor["digest"] {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}` as Descriptor["digest"];
}

/** Chart.yaml out of a chart archive (`<chart>/Chart.yaml`). */
export function chartYamlOf(tgz: Buffer, what: string): Record<string, unknown> {
  let tar: Buffer;
  try {
    tar = gunzipSync(tgz);
  } catch (error) {
    throw new ResolveError("SOURCE_INVALID", `${what} is not a gzip-compressed chart archive: ${(error as Error).message}`);
  }
  let offset = 0;
  let longName: string | undefined;
  while (offset + TAR_BLOCK <= tar.length) {
    const parsed = parseTarHeader(tar.subarray(offset, offset + TAR_BLOCK));
    if (parsed.kind !== "header") break;
    const { header } = parsed;
    const data = tar.subarray(offset + TAR_BLOCK, offset + TAR_BLOCK + header.size);
    offset += TAR_BLOCK + paddedSize(header.size);
    if (header.typeflag === "L") {
      longName = data.toString("utf8").replace(/\0+$/, "");
      continue;
    }
    const name = longName ?? header.name;
    longName = undefined;
    if (header.kind === "file" && /^[^/]+\/Chart\.yaml$/.test(name)) {
      const value = parse(data.toString("utf8")) as unknown;
      if (!value || typeof value !== "object") throw new ResolveError("SOURCE_INVALID", `${what}: ${name} is not a YAML map`);
      return value as Record<string, unknown>;
    }
  }
  throw new ResolveError("SOURCE_INVALID", `${what} has no <chart>/Chart.yaml: not a Helm chart archive`);
}

/** The config blob: Chart.yaml as JSON, keys in Helm's order, empty values left out as Helm does. */
export function chartConfig(chartYaml: Record<string, unknown>): Buffer {
  const ordered: Record<string, unknown> = {};
  for (const key of [...METADATA_ORDER, ...Object.keys(chartYaml).filter((k) => !METADATA_ORDER.includes(k)).sort()]) {
    const value = chartYaml[key];
    if (value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0)) continue;
    ordered[key] = value;
  }
  return Buffer.from(JSON.stringify(ordered));
}

/** A Helm-repository chart as a ContentReader with one tag: its version (`+` written `_`, Helm's OCI convention). */
export class HelmChartSource implements ContentReader {
  readonly name: string;
  private readonly load: (options: CallOptions) => Promise<Buffer>;
  private readonly tag: string;
  private built: Promise<{ manifest: Descriptor; blobs: Map<string, Buffer> }> | undefined;

  /** `load` returns the chart archive, already checked against the locked sha256. */
  constructor(name: string, version: string, load: (options: CallOptions) => Promise<Buffer>) {
    this.name = name;
    this.tag = version.replace(/\+/g, "_");
    this.load = load;
  }

  private build(options: CallOptions): Promise<{ manifest: Descriptor; blobs: Map<string, Buffer> }> {
    this.built ??= this.load(options).then((tgz) => {
      const config = chartConfig(chartYamlOf(tgz, this.name));
      const layer: Descriptor = { mediaType: MediaType.HelmChartContent, digest: digestOf(tgz), size: tgz.length };
      const configDescriptor: Descriptor = { mediaType: MediaType.HelmConfig, digest: digestOf(config), size: config.length };
      const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: configDescriptor, layers: [layer] }));
      const manifest: Descriptor = { mediaType: MediaType.OciManifest, digest: digestOf(manifestBytes), size: manifestBytes.length };
      return { manifest, blobs: new Map([[manifest.digest, manifestBytes], [configDescriptor.digest, config], [layer.digest, tgz]]) };
    });
    this.built.catch(() => (this.built = undefined));
    return this.built;
  }

  async resolve(reference: string, options: CallOptions = {}): Promise<Descriptor | undefined> {
    const { manifest } = await this.build(options);
    return reference === this.tag || reference === manifest.digest ? manifest : undefined;
  }

  async exists(descriptor: Descriptor, options: CallOptions = {}): Promise<boolean> {
    return (await this.build(options)).blobs.has(descriptor.digest);
  }

  async fetch(descriptor: Descriptor, options: CallOptions = {}): Promise<Readable> {
    const bytes = (await this.build(options)).blobs.get(descriptor.digest);
    if (!bytes) throw new ResolveError("SOURCE_NOT_FOUND", `${this.name} has no ${descriptor.digest}`);
    return Readable.from([bytes]);
  }
}
