/**
 * Bounded concurrency: resolution touches thousands of entries and must not
 * open thousands of requests at once, nor wait for them one by one.
 */

/**
 * A counting limiter shared by every kind of entry (images, charts and
 * files resolve at the same time through one bound). Waiters are served in
 * order, and a finishing task hands its slot straight to the next waiter, so
 * the bound holds exactly.
 */
export class Limiter {
  readonly limit: number;
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive whole number, got ${limit}`);
    this.limit = limit;
  }

  /** Tasks running now. */
  get running(): number {
    return this.active;
  }

  /** Runs `task` when a slot is free; the slot is released when it settles. An aborted signal stops it from starting. */
  async run<R>(task: () => Promise<R>, signal?: AbortSignal): Promise<R> {
    signal?.throwIfAborted();
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    try {
      signal?.throwIfAborted();
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next !== undefined) next();
      else this.active--;
    }
  }
}
