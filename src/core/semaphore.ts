/**
 * A counting semaphore with abortable waits: the one limiter behind the copy
 * graph's transfer slots, the registry client's per-host limits and
 * resolution's concurrency. Callers hold a slot only around one leaf
 * operation, never while waiting for other work (oras-go's `region.End()`
 * lesson), so a small limit cannot deadlock.
 */

/** Gives a slot back; calling it more than once is harmless. */
export type ReleaseSlot = () => void;

interface Waiter {
  readonly grant: (release: ReleaseSlot) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  return limit;
}

/** At most `limit` holders at once; waiters are served first come, first served. */
export class Semaphore {
  /** The number of slots. */
  private max: number;
  private held = 0;
  private readonly queue: Waiter[] = [];

  constructor(limit: number) {
    this.max = checkLimit(limit);
  }

  /** Slots in all. */
  get limit(): number {
    return this.max;
  }

  /** Changes the number of slots; waiters are let in at once when it grows. */
  setLimit(limit: number): void {
    this.max = checkLimit(limit);
    this.drain();
  }

  /** Slots in use (for tests and diagnostics). */
  get active(): number {
    return this.held;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Waits for a slot; rejects with the signal's reason when it aborts first. */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.held < this.max) {
      this.held++;
      return Promise.resolve(this.releaser());
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        signal,
        onAbort: () => {
          const at = this.queue.indexOf(waiter);
          if (at >= 0) this.queue.splice(at, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  /** Runs `work` holding one slot. */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await work();
    } finally {
      release();
    }
  }

  private releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held--;
      this.drain();
    };
  }

  private drain(): void {
    while (this.held < this.max) {
      const next = this.queue.shift();
      if (next === undefined) return;
      next.signal?.removeEventListener("abort", next.onAbort);
      this.held++;
      next.grant(this.releaser());
    }
  }
}
