/**
 * A Helm HTTP repository's index.yaml (providers-notes §5.3), kept current
 * as charts are published: `apiVersion: v1`, `entries.<name>` listing
 * versions newest first, each entry the chart's Chart.yaml fields plus
 * `urls` (relative: the archive beside the index), `created` and `digest`
 * (hex sha256 of the .tgz, no prefix).
 *
 * Merging never rewrites what it does not replace: the existing file is
 * edited as a YAML document read with the failsafe schema, so every other
 * entry keeps its text exactly (`version: 1.10` stays 1.10, comments stay).
 * Helm reads index.yaml strictly (unknown fields fail the whole file), so a
 * new entry carries only the fields Helm's ChartVersion knows.
 */
import type { Document} from "yaml";
import { isMap, isScalar, isSeq, parseDocument, stringify, visit, YAMLMap, YAMLSeq, type Node, type Scalar } from "yaml";
import semver from "semver";
import { FileServerError } from "./errors.js";

/** Fields of Helm's chart.Metadata (helm pkg/chart/metadata.go), the ones an index entry inlines. */
const METADATA_FIELDS = ["apiVersion", "name", "version", "kubeVersion", "description", "type", "keywords", "home", "sources", "dependencies", "maintainers", "icon", "appVersion", "deprecated", "annotations", "condition", "tags"];

/** Name of the index file in a repository directory. */
export const INDEX_FILE = "index.yaml";

/** One chart version to add to an index. */
export interface IndexEntry {
  readonly name: string;
  readonly version: string;
  /** The entry as written: Chart.yaml fields, urls, created, digest. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** File name of a chart archive in the repository, as `helm package` names it. */
export function chartFileName(name: string, version: string): string {
  return `${name}-${version}.tgz`;
}

/**
 * Builds an index entry from Chart.yaml text. Numbers are written as the
 * text they were (`appVersion: 1.10` is the string "1.10", not 1.1): every
 * Chart.yaml field Helm knows is a string, a list, a map or a boolean.
 */
export function indexEntry(chartYaml: string, facts: { readonly digest: string; readonly created: Date }, what: string): IndexEntry {
  const doc = parseDocument(chartYaml);
  if (doc.errors.length > 0) throw new FileServerError("FILE_CHART", `${what}: Chart.yaml is not valid YAML: ${doc.errors[0]?.message.split("\n")[0] ?? ""}`);
  if (!isMap(doc.contents)) throw new FileServerError("FILE_CHART", `${what}: Chart.yaml is not a YAML map`);
  visit(doc, {
    Scalar(_key, node: Scalar) {
      if (typeof node.value === "number" && node.source !== undefined) node.value = node.source;
    },
  });
  const chart = doc.toJS() as Record<string, unknown>;
  const name = chart["name"];
  const version = chart["version"];
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new FileServerError("FILE_CHART", `${what}: Chart.yaml has no usable \`name\``);
  if (typeof version !== "string" || version === "" || /[/\\\s]/.test(version)) throw new FileServerError("FILE_CHART", `${what}: Chart.yaml has no usable \`version\``);
  const fields: Record<string, unknown> = {};
  for (const key of METADATA_FIELDS) {
    const value = chart[key];
    if (value === undefined || value === null) continue;
    fields[key] = value;
  }
  fields["apiVersion"] ??= "v1";
  fields["urls"] = [chartFileName(name, version)];
  fields["created"] = facts.created.toISOString();
  fields["digest"] = facts.digest;
  // Helm writes entries with sorted keys; so do we, so our entries read like `helm repo index` output.
  const sorted = Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { name, version, fields: sorted };
}

/** The charts an index lists: name → version → digest (hex, undefined when the entry states none). */
export function indexedCharts(text: string, where: string): Map<string, Map<string, string | undefined>> {
  const doc = readIndex(text, where);
  const out = new Map<string, Map<string, string | undefined>>();
  const entries = doc.get("entries", true);
  if (!isMap(entries)) return out;
  for (const pair of entries.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : undefined;
    if (name === undefined || !isSeq(pair.value)) continue;
    const versions = new Map<string, string | undefined>();
    for (const item of pair.value.items) {
      if (!isMap(item)) continue;
      const version = scalarText(item.get("version", true));
      if (version === undefined) continue;
      const digest = scalarText(item.get("digest", true))?.replace(/^sha256:/, "").toLowerCase();
      versions.set(version, digest !== undefined && /^[a-f0-9]{64}$/.test(digest) ? digest : undefined);
    }
    out.set(name, versions);
  }
  return out;
}

function scalarText(node: unknown): string | undefined {
  return isScalar(node) && node.value !== null && node.value !== undefined ? String(node.value) : undefined;
}

/** Parses index.yaml with the failsafe schema (every scalar stays its text); refuses what is not an index. */
function readIndex(text: string, where: string): Document {
  const doc = parseDocument(text, { schema: "failsafe" });
  if (doc.errors.length > 0) throw new FileServerError("FILE_CHART", `${where} is not valid YAML (${doc.errors[0]?.message.split("\n")[0] ?? ""}); fix or remove it: airgap does not overwrite an index it cannot read`);
  if (!isMap(doc.contents)) throw new FileServerError("FILE_CHART", `${where} is not a Helm repository index (not a YAML map); fix or remove it`);
  const apiVersion = scalarText(doc.get("apiVersion", true));
  if (apiVersion !== undefined && apiVersion !== "v1") throw new FileServerError("FILE_CHART", `${where} has apiVersion ${apiVersion}; only v1 is known`);
  const entries = doc.get("entries", true);
  if (entries !== undefined && !isMap(entries) && !(isScalar(entries) && (entries.value === null || entries.value === ""))) {
    throw new FileServerError("FILE_CHART", `${where}: \`entries\` is not a map; fix or remove it`);
  }
  return doc;
}

/** A version for ordering: Helm's Masterminds semver accepts `1.2` and `v1.2.3`; npm semver needs help. */
function orderingVersion(text: string): semver.SemVer | null {
  const parsed = semver.parse(text, { loose: true });
  if (parsed) return parsed;
  const short = /^v?(\d+)(?:\.(\d+))?([-+].*)?$/.exec(text);
  return short ? semver.parse(`${short[1]}.${short[2] ?? "0"}.0${short[3] ?? ""}`, { loose: true }) : null;
}

/** Newest first, as Helm's SortEntries; versions that are not semver go last, in their order. */
function compareVersions(a: string | undefined, b: string | undefined): number {
  const va = a !== undefined ? orderingVersion(a) : null;
  const vb = b !== undefined ? orderingVersion(b) : null;
  if (va && vb) return semver.rcompare(va, vb);
  if (va) return -1;
  if (vb) return 1;
  return 0;
}

/**
 * index.yaml with `added` merged in: an entry with the same name and version
 * is replaced, every other entry is kept as written; names sorted, versions
 * newest first; `generated` set to `now`.
 */
export function mergeIndex(existing: string | undefined, added: readonly IndexEntry[], now: Date, where: string): string {
  const doc = existing !== undefined && existing.trim() !== "" ? readIndex(existing, where) : parseDocument("apiVersion: v1\nentries: {}\n", { schema: "failsafe" });
  if (doc.get("apiVersion") === undefined) doc.set("apiVersion", "v1");
  let entries = doc.get("entries", true);
  if (!isMap(entries)) {
    entries = new YAMLMap();
    doc.set("entries", entries);
  }
  const map = entries as YAMLMap<unknown, unknown>;
  for (const entry of added) {
    const found: unknown = map.get(entry.name, true);
    let seq: YAMLSeq<unknown>;
    if (isSeq(found)) {
      seq = found;
    } else if (found !== undefined && !(isScalar(found) && (found.value === null || found.value === ""))) {
      throw new FileServerError("FILE_CHART", `${where}: \`entries.${entry.name}\` is not a list; fix or remove it`);
    } else {
      seq = new YAMLSeq();
      map.set(entry.name, seq);
    }
    seq.items = seq.items.filter((item) => !(isMap(item) && scalarText(item.get("version", true)) === entry.version));
    // Written by the core schema (so "1.10" is quoted and booleans are plain), then read back as failsafe nodes.
    seq.items.push(parseDocument(stringify(entry.fields, { lineWidth: 0 }), { schema: "failsafe" }).contents as Node);
  }
  map.items.sort((a, b) => {
    const ka = String(isScalar(a.key) ? a.key.value : a.key);
    const kb = String(isScalar(b.key) ? b.key.value : b.key);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  for (const pair of map.items) {
    if (!isSeq(pair.value)) continue;
    const items = pair.value.items.map((item, i) => ({ item, i, version: isMap(item) ? scalarText(item.get("version", true)) : undefined }));
    items.sort((a, b) => compareVersions(a.version, b.version) || a.i - b.i);
    pair.value.items = items.map((x) => x.item);
  }
  doc.set("generated", now.toISOString());
  return doc.toString({ lineWidth: 0 });
}
