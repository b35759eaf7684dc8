/**
 * Work done once per key in a run: the first caller starts it, later callers
 * share its promise. A failure is not remembered (the next caller tries
 * again), so a transient error never becomes the run's answer. Used where
 * many entries lead to the same content-addressed question, for example the
 * config label of one image that 1,000 tags point at (issue 14).
 */
export class OnceMap<T> {
  private readonly entries = new Map<string, Promise<T>>();

  /** The result of `work` for `key`: shared while in flight and after it succeeded. */
  get(key: string, work: () => Promise<T>): Promise<T> {
    const known = this.entries.get(key);
    if (known !== undefined) return known;
    const promise = work();
    this.entries.set(key, promise);
    promise.catch(() => {
      if (this.entries.get(key) === promise) this.entries.delete(key);
    });
    return promise;
  }

  /** How many keys are remembered or in flight. */
  get size(): number {
    return this.entries.size;
  }
}
