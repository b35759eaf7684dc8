/**
 * Charts on a file target as a Helm HTTP repository: chart archives beside
 * an index.yaml, so `helm repo add <url>/<directory>` works on the far side.
 * Built on a FileStore, so a WebDAV server and a directory behave the same.
 *
 * Order: every .tgz (with its sidecar) first, index.yaml last and
 * atomically, so the index never lists an archive that is not there.
 * Observation reads index.yaml once per repository.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { CallOptions, ChartRef, FileContent, FileObservation, PublishChartsResult } from "airgap/sdk";
import { CHART_SIZE_LIMIT, chartYamlText } from "./chart-archive.js";
import { checkSha256, readChecked } from "./content-check.js";
import { FileServerError } from "./errors.js";
import { chartFileName, indexedCharts, indexEntry, INDEX_FILE, mergeIndex, type IndexEntry } from "./helm-index.js";
import { KeyedMutex } from "./limiter.js";
import { directorySegments, joinPath } from "./paths.js";
import type { FileStore } from "./store.js";

/** Largest index.yaml read (large public repositories reach tens of MiB). */
export const INDEX_LIMIT = 128 * 1024 * 1024;

/** Bytes as FileContent. */
function bytesContent(bytes: Buffer, sha256?: string): FileContent {
  return {
    sha256: sha256 ?? createHash("sha256").update(bytes).digest("hex"),
    size: bytes.length,
    open: async () => Readable.from([bytes]),
  };
}

/** A Helm repository view over a store. */
export class HelmRepository {
  private readonly store: FileStore;
  private readonly now: () => Date;
  private readonly indexLocks = new KeyedMutex();

  constructor(store: FileStore, now: () => Date) {
    this.store = store;
    this.now = now;
  }

  private where(directory: string): string {
    const path = joinPath(directory, INDEX_FILE);
    return `${this.store.display.replace(/\/?$/, "/")}${path}`;
  }

  /** See Provider.observeCharts: present (with the index's digest), absent, or unknown for all when the index is unreadable. */
  async observe(directory: string, charts: readonly ChartRef[], options: CallOptions = {}): Promise<Map<string, FileObservation>> {
    const paths = charts.map((c) => ({ chart: c, path: joinPath(directory, chartFileName(c.name, c.version)) }));
    const out = new Map<string, FileObservation>();
    let listed: Map<string, Map<string, string | undefined>>;
    try {
      const text = await this.store.read(joinPath(directory, INDEX_FILE), INDEX_LIMIT, options);
      listed = text === undefined ? new Map() : indexedCharts(text.toString("utf8"), this.where(directory));
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      for (const { path } of paths) out.set(path, { state: "unknown", error: message });
      return out;
    }
    for (const { chart, path } of paths) {
      const versions = listed.get(chart.name);
      if (!versions?.has(chart.version)) out.set(path, { state: "absent" });
      else {
        const digest = versions.get(chart.version);
        out.set(path, digest !== undefined ? { state: "present", sha256: digest } : { state: "unverified" });
      }
    }
    return out;
  }

  /** See Provider.publishCharts. */
  async publish(directory: string, charts: readonly FileContent[], options: CallOptions = {}): Promise<PublishChartsResult> {
    directorySegments(directory);
    const signal = options.signal;
    const now = this.now();
    // Charts are small: each is read whole, checked against its sha256 and opened for its Chart.yaml before anything is written.
    const prepared: { entry: IndexEntry; bytes: Buffer; sha256: string; path: string }[] = [];
    for (const [i, chart] of charts.entries()) {
      const what = `chart archive ${i + 1} (sha256 ${chart.sha256})`;
      const sha256 = checkSha256(chart.sha256, what);
      if (chart.size > CHART_SIZE_LIMIT) throw new FileServerError("FILE_CHART", `${what} is ${chart.size} bytes, more than a chart archive may be (${CHART_SIZE_LIMIT})`);
      const bytes = await readChecked({ ...chart, sha256 }, what, signal);
      const entry = indexEntry(await chartYamlText(bytes, what), { digest: sha256, created: now }, what);
      const path = joinPath(directory, chartFileName(entry.name, entry.version));
      if (prepared.some((p) => p.path === path)) throw new FileServerError("FILE_CHART", `two chart archives are ${entry.name} ${entry.version}; publish one`);
      prepared.push({ entry, bytes, sha256, path });
    }
    if (prepared.length === 0) throw new FileServerError("FILE_CHART", "publishCharts needs at least one chart archive");
    const indexPath = joinPath(directory, INDEX_FILE);
    let bytesSent = 0;
    // One publish per repository at a time: the index is read before anything is written (an index
    // airgap cannot read stops the publish untouched) and merged with what it held.
    await this.indexLocks.run(indexPath, async () => {
      const existing = (await this.store.read(indexPath, INDEX_LIMIT, options))?.toString("utf8");
      const previous = existing !== undefined ? indexedCharts(existing, this.where(directory)) : new Map<string, Map<string, string | undefined>>();
      // An entry already listed with this digest keeps its text (and `created`). The merge is computed
      // before any upload, so an index that cannot take the new entries stops the publish untouched.
      const entries = prepared.map((p) => p.entry).filter((e) => previous.get(e.name)?.get(e.version) !== e.fields["digest"]);
      const text = entries.length > 0 ? Buffer.from(mergeIndex(existing, entries, now, this.where(directory))) : undefined;
      await Promise.all(
        prepared.map(async (p) => {
          const result = await this.store.put(p.path, bytesContent(p.bytes, p.sha256), signal !== undefined ? { signal } : {});
          bytesSent += result.bytesSent;
        }),
      );
      if (text === undefined) return;
      const result = await this.store.put(indexPath, bytesContent(text), signal !== undefined ? { signal } : {});
      bytesSent += result.bytesSent;
    });
    return { charts: prepared.map((p) => ({ name: p.entry.name, version: p.entry.version, path: p.path, sha256: p.sha256 })), index: indexPath, bytesSent };
  }
}
