/**
 * Per-host concurrency limit: registries (and the S3 behind them) throttle
 * or drop connections when one client opens too many at once (providers-notes
 * §1.11: ggcr uses 4 jobs; the .NET SDK serialised ECR uploads).
 */

/** Releases a permit; calling it twice is harmless. */
export type Release = () => void;

interface Waiter {
  readonly resolve: (release: Release) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

interface HostState {
  active: number;
  readonly queue: Waiter[];
}

/**
 * Counting semaphores keyed by host. A permit covers one request from
 * sending until its response headers arrive (and its request body has been
 * sent); see transport.ts for why streamed response bodies do not hold one.
 */
export class HostLimiter {
  private readonly defaultLimit: number;
  private readonly limits = new Map<string, number>();
  private readonly hosts = new Map<string, HostState>();

  constructor(defaultLimit: number) {
    if (!Number.isInteger(defaultLimit) || defaultLimit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${defaultLimit}`);
    this.defaultLimit = defaultLimit;
  }

  /** Sets the limit of one host (`host:port`), e.g. from a registry's `concurrency` setting. */
  setLimit(host: string, limit: number): void {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
    this.limits.set(host, limit);
    this.drain(host);
  }

  /** The limit in force for a host. */
  limitOf(host: string): number {
    return this.limits.get(host) ?? this.defaultLimit;
  }

  /** Requests in flight for a host (for tests and diagnostics). */
  active(host: string): number {
    return this.hosts.get(host)?.active ?? 0;
  }

  /** Waits for a permit; rejects with the signal's reason if it aborts first. */
  acquire(host: string, signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const state = this.state(host);
    if (state.active < this.limitOf(host)) {
      state.active++;
      return Promise.resolve(this.releaser(host));
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = state.queue.indexOf(waiter);
          if (index >= 0) state.queue.splice(index, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      state.queue.push(waiter);
    });
  }

  private state(host: string): HostState {
    let state = this.hosts.get(host);
    if (state === undefined) {
      state = { active: 0, queue: [] };
      this.hosts.set(host, state);
    }
    return state;
  }

  private releaser(host: string): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const state = this.state(host);
      state.active--;
      this.drain(host);
    };
  }

  private drain(host: string): void {
    const state = this.state(host);
    while (state.active < this.limitOf(host) && state.queue.length > 0) {
      const waiter = state.queue.shift();
      if (waiter === undefined) break;
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      state.active++;
      waiter.resolve(this.releaser(host));
    }
    if (state.active === 0 && state.queue.length === 0) this.hosts.delete(host);
  }
}
