/**
 * The manifests one client has fetched in this run, by repository and
 * digest. A manifest fetched by digest never changes, so a run asks the
 * registry for each one once: a plan over 1,000 tags that share one image
 * GETs that image's manifests once, not 1,000 times (issue 14). Concurrent
 * asks for the same digest share one request. Only verified manifests are
 * kept; failures and "not found" are never remembered, so the next ask
 * tries again.
 */
import type { FetchedManifest } from "./manifests.js";

/** Bytes of manifests a client keeps by default: thousands of typical manifests, far below a run's other memory. */
export const DEFAULT_MANIFEST_MEMO_BYTES = 32 * 1024 * 1024;

/** A memo of verified manifests of one registry, bounded in bytes (the oldest go first). */
export class ManifestMemo {
  private readonly limit: number;
  private readonly pending = new Map<string, Promise<FetchedManifest | undefined>>();
  private readonly done = new Map<string, FetchedManifest>();
  private bytes = 0;

  constructor(limitBytes: number = DEFAULT_MANIFEST_MEMO_BYTES) {
    this.limit = limitBytes;
  }

  /**
   * The manifest `repository@digest`: from the memo, from a fetch already in
   * flight, or from `fetch` (whose verified result is kept). Undefined when
   * `fetch` says it is absent.
   */
  get(repository: string, digest: string, fetch: () => Promise<FetchedManifest | undefined>): Promise<FetchedManifest | undefined> {
    const key = `${repository}@${digest}`;
    const hit = this.done.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    const inFlight = this.pending.get(key);
    if (inFlight !== undefined) return inFlight;
    const started = fetch().then(
      (manifest) => {
        this.pending.delete(key);
        if (manifest !== undefined) this.remember(key, manifest);
        return manifest;
      },
      (error: unknown) => {
        this.pending.delete(key);
        throw error;
      },
    );
    this.pending.set(key, started);
    return started;
  }

  /** Keeps a manifest fetched some other way (a GET by tag). */
  put(repository: string, manifest: FetchedManifest): void {
    this.remember(`${repository}@${manifest.descriptor.digest}`, manifest);
  }

  private remember(key: string, manifest: FetchedManifest): void {
    if (manifest.bytes.length > this.limit || this.done.has(key)) return;
    this.done.set(key, manifest);
    this.bytes += manifest.bytes.length;
    for (const [oldest, value] of this.done) {
      if (this.bytes <= this.limit) break;
      this.done.delete(oldest);
      this.bytes -= value.bytes.length;
    }
  }
}
