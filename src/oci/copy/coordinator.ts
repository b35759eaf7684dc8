/**
 * The state shared by every copy of one apply: which (target, digest) pairs
 * are being moved right now, which repositories of each target are known to
 * hold which content, and the transfer-slot limit. One coordinator per run
 * turns N concurrent `copyGraph` calls into one deduplicated transfer plan:
 * a base layer shared by twenty images is uploaded once, then mounted into
 * the other repositories of the same target instead of being uploaded again.
 */
import type { Digest } from "../../core/digest.js";
import { Semaphore } from "../../core/semaphore.js";

/** The default number of concurrent transfers: go-containerregistry's 4 jobs (providers-notes §1.11). */
export const DEFAULT_COPY_CONCURRENCY = 4;

/** Settings of a {@link CopyCoordinator}. */
export interface CopyCoordinatorOptions {
  /** Concurrent transfer slots shared by every copy using this coordinator. Default {@link DEFAULT_COPY_CONCURRENCY}. */
  readonly concurrency?: number;
}

/** What kind of content a claim is for: blobs are shared by a whole target (mountable), manifests belong to one repository. */
export type ContentKind = "blob" | "manifest";

/** Lets the next waiter for the same content go ahead. */
export type ReleaseClaim = () => void;

function waitFor(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}

/**
 * Run-wide dedupe and limits for the copy graph (oras-go's in-flight tracker,
 * widened from one CopyGraph call to a whole plan).
 *
 * Blobs are claimed per (target store, digest), not per repository: while one
 * copy uploads a layer to `mirror/a`, a copy of the same layer to `mirror/b`
 * waits, then finds `mirror/a` among {@link locations} and mounts from it.
 * Manifests are claimed per (store, repository, digest). A claim is only
 * waited on without holding a transfer slot, and content-addressed graphs
 * have no cycles, so claims cannot deadlock.
 */
export class CopyCoordinator {
  /** The transfer slots; every leaf operation of every copy takes one. */
  readonly limiter: Semaphore;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** store → digest → repositories known to hold the blob. */
  private readonly blobs = new Map<string, Map<string, Set<string>>>();
  /** Keys of manifests known to be complete (with their whole sub-graph) in a repository. */
  private readonly manifests = new Set<string>();

  constructor(options: CopyCoordinatorOptions = {}) {
    this.limiter = new Semaphore(options.concurrency ?? DEFAULT_COPY_CONCURRENCY);
  }

  /**
   * Records that `repository` of `store` holds the content: called after a
   * copy pushed, mounted or found it, and usable by observation to seed mount
   * sources ("which repositories of this target already have this blob").
   */
  recordPresent(kind: ContentKind, store: string, repository: string, digest: Digest | string): void {
    if (kind === "manifest") {
      this.manifests.add(manifestKey(store, repository, digest));
      return;
    }
    let byDigest = this.blobs.get(store);
    if (byDigest === undefined) this.blobs.set(store, (byDigest = new Map()));
    let repositories = byDigest.get(digest);
    if (repositories === undefined) byDigest.set(digest, (repositories = new Set()));
    repositories.add(repository);
  }

  /** True when the content is known to be in that repository (so no request is needed to skip it). */
  isPresent(kind: ContentKind, store: string, repository: string, digest: Digest | string): boolean {
    if (kind === "manifest") return this.manifests.has(manifestKey(store, repository, digest));
    return this.blobs.get(store)?.get(digest)?.has(repository) ?? false;
  }

  /** Repositories of `store` known to hold the blob, in the order they became known: mount sources. */
  locations(store: string, digest: Digest | string): readonly string[] {
    return [...(this.blobs.get(store)?.get(digest) ?? [])];
  }

  /**
   * Waits until no other copy is moving this content, then claims it. The
   * caller must release the claim when done (success or failure); a waiter
   * then re-checks {@link isPresent} and, for a blob in another repository,
   * mounts it. Rejects with the signal's reason if aborted while waiting.
   */
  async claim(kind: ContentKind, store: string, repository: string, digest: Digest | string, signal?: AbortSignal): Promise<ReleaseClaim> {
    const key = kind === "blob" ? `blob\u0000${store}\u0000${digest}` : `manifest\u0000${manifestKey(store, repository, digest)}`;
    for (;;) {
      const current = this.inFlight.get(key);
      if (current === undefined) break;
      await waitFor(current, signal);
    }
    let done!: () => void;
    const promise = new Promise<void>((resolve) => {
      done = resolve;
    });
    this.inFlight.set(key, promise);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (this.inFlight.get(key) === promise) this.inFlight.delete(key);
      done();
    };
  }

  /** Claims currently held (for tests and diagnostics). */
  get claimsInFlight(): number {
    return this.inFlight.size;
  }
}

function manifestKey(store: string, repository: string, digest: string): string {
  return `${store}\u0000${repository}\u0000${digest}`;
}
