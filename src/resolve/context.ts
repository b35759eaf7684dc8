/**
 * What every resolver shares during one run: the opener, the signal, the
 * previous lock (indexed by key), the refresh request, one concurrency
 * bound, the problems found so far, and the registries known to be down
 * (so a dead registry is reported once per entry without being asked again).
 */
import type { ContentOrigin } from "../config/normalize.js";
import { AirgapError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { silentLogger } from "../core/logger.js";
import type { CallOptions } from "../oci/content.js";
import { RegistryError } from "../oci/registry/index.js";
import { ResolveError } from "../sources/errors.js";
import { chartEntryKey, fileEntryKey, imageEntryKey, type AirgapLock, type LockedChart, type LockedFile, type LockedImageEntry } from "../lock/model.js";
import { OnceMap } from "../core/once.js";
import { Semaphore } from "../core/semaphore.js";
import type { ResolveProblem, ResolveProblemKind } from "./problems.js";
import { RefreshPolicy } from "./refresh.js";
import type { RepositoryName, SourceOpener } from "../sources/opener.js";
import type { SourceRepository } from "../sources/source-repository.js";

/** What {@link ResolveContext} is built from (resolveDesired's deps). */
export interface ResolveContextInit {
  readonly opener: SourceOpener;
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
  readonly lock?: AirgapLock;
  readonly refresh?: boolean | readonly string[];
  readonly concurrency?: number;
}

/** Default number of entries resolved at once. */
export const DEFAULT_RESOLVE_CONCURRENCY = 8;

/** The state of one resolution run. */
export class ResolveContext {
  readonly opener: SourceOpener;
  readonly signal: AbortSignal | undefined;
  readonly logger: Logger;
  readonly refresh: RefreshPolicy;
  readonly limiter: Semaphore;
  readonly lockedImages: ReadonlyMap<string, LockedImageEntry>;
  readonly lockedCharts: ReadonlyMap<string, LockedChart>;
  readonly lockedFiles: ReadonlyMap<string, LockedFile>;
  /**
   * Whether `registry/repository@digest` is an imgpkg bundle: its config is
   * read once per run, however many tags point at it.
   */
  readonly imgpkgBundles = new OnceMap<boolean>();
  private readonly problems: ResolveProblem[] = [];
  private readonly unreachable = new Map<string, string>();

  constructor(init: ResolveContextInit) {
    this.opener = init.opener;
    this.signal = init.signal;
    this.logger = init.logger ?? silentLogger;
    this.refresh = new RefreshPolicy(init.refresh);
    this.limiter = new Semaphore(init.concurrency ?? DEFAULT_RESOLVE_CONCURRENCY);
    this.lockedImages = new Map((init.lock?.images ?? []).map((e) => [imageEntryKey(e), e]));
    this.lockedCharts = new Map((init.lock?.charts ?? []).map((e) => [chartEntryKey(e), e]));
    this.lockedFiles = new Map((init.lock?.files ?? []).map((e) => [fileEntryKey(e), e]));
  }

  /** Options for every call: the run's signal. */
  get call(): CallOptions {
    return this.signal !== undefined ? { signal: this.signal } : {};
  }

  /**
   * Records a problem once per distinct entry pointer. Subject and message
   * are data and free text as they are: registry messages may quote a
   * secret, and the CLI's output boundary scrubs them where they leave.
   */
  report(pointers: readonly string[], kind: ResolveProblemKind, subject: string, message: string, severity: "error" | "warning" = "error"): void {
    const list = pointers.length > 0 ? [...new Set(pointers)] : [undefined];
    for (const pointer of list) this.problems.push({ kind, severity, ...(pointer !== undefined ? { pointer } : {}), subject, message });
  }

  /** Every problem so far. */
  allProblems(): readonly ResolveProblem[] {
    return this.problems;
  }

  /** Opens a repository of an origin; a registry already known to be unreachable is not asked again. */
  async open(name: RepositoryName, origin: ContentOrigin): Promise<SourceRepository> {
    if (origin.type === "registry") {
      const down = this.unreachable.get(name.registry);
      if (down !== undefined) throw new UnreachableSource(down);
    }
    return this.opener.open(name, origin, this.call);
  }

  /**
   * Runs one entry's work in a concurrency slot and turns expected failures
   * into problems for `pointers` (returning undefined). Aborts and bugs
   * (anything that is not an AirgapError or a file system error) propagate.
   */
  async attempt<R>(pointers: readonly string[], subject: string, work: () => Promise<R>): Promise<R | undefined> {
    try {
      return await this.limiter.run(work, this.signal);
    } catch (error) {
      if (this.signal?.aborted === true) throw error;
      this.failure(pointers, subject, error);
      return undefined;
    }
  }

  private failure(pointers: readonly string[], subject: string, error: unknown): void {
    if (error instanceof UnreachableSource) {
      this.report(pointers, "source-unreachable", subject, `${subject}: ${error.message}`);
      return;
    }
    if (error instanceof RegistryError && (error.code === "REGISTRY_NETWORK" || error.code === "REGISTRY_TLS")) {
      const message = `cannot reach ${error.registry}: ${error.message}`;
      this.unreachable.set(error.registry, message);
      this.report(pointers, "source-unreachable", subject, `${subject}: ${message}`);
      return;
    }
    if (error instanceof ResolveError && error.code === "SOURCE_UNSUPPORTED") {
      this.report(pointers, "source-unsupported", subject, `${subject}: ${error.message}`);
      return;
    }
    if (error instanceof AirgapError) {
      this.report(pointers, "source-error", subject, `${subject}: ${error.message}`);
      return;
    }
    const code = (error as { code?: unknown } | undefined)?.code;
    if (error instanceof Error && typeof code === "string" && /^E[A-Z]+$/.test(code)) {
      this.report(pointers, "source-error", subject, `${subject}: ${error.message}`);
      return;
    }
    throw error;
  }
}

/** A registry that already failed to answer in this run. */
class UnreachableSource extends Error {}
