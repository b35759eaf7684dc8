/**
 * Cancellation without listener build-up. Many requests of one command
 * share the command's AbortSignal; if each added its own "abort" listener
 * to it, eleven requests in flight would trip Node's
 * MaxListenersExceededWarning (issue 9). A {@link AbortFanout} adds ONE
 * listener per signal it watches and hands each request a private child
 * signal, on which undici, the limiter and backoff sleeps listen instead.
 */

interface Watch {
  readonly callbacks: Set<() => void>;
  readonly onAbort: () => void;
}

/** A request's own signal, aborted with its parent until {@link ChildSignal.dispose} detaches it. */
export interface ChildSignal {
  /** Undefined when there is no parent to follow. */
  readonly signal: AbortSignal | undefined;
  /** Stops following the parent; call once the work is over. Idempotent. */
  dispose(): void;
}

/** One "abort" listener per watched signal, shared by every child of that signal. */
export class AbortFanout {
  private readonly watches = new WeakMap<AbortSignal, Watch>();

  /** A child signal of `parent` that costs the parent no listener beyond the shared one. */
  child(parent: AbortSignal | undefined): ChildSignal {
    if (parent === undefined) return { signal: undefined, dispose: () => undefined };
    const controller = new AbortController();
    if (parent.aborted) {
      controller.abort(parent.reason);
      return { signal: controller.signal, dispose: () => undefined };
    }
    const unsubscribe = this.subscribe(parent, () => controller.abort(parent.reason));
    return { signal: controller.signal, dispose: unsubscribe };
  }

  /** Calls `callback` once when `signal` aborts; returns the unsubscribe function. */
  subscribe(signal: AbortSignal, callback: () => void): () => void {
    let watch = this.watches.get(signal);
    if (watch === undefined) {
      const callbacks = new Set<() => void>();
      const onAbort = (): void => {
        this.watches.delete(signal);
        for (const cb of [...callbacks]) cb();
        callbacks.clear();
      };
      watch = { callbacks, onAbort };
      this.watches.set(signal, watch);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    const current = watch;
    current.callbacks.add(callback);
    return () => {
      if (!current.callbacks.delete(callback) || current.callbacks.size > 0) return;
      signal.removeEventListener("abort", current.onAbort);
      if (this.watches.get(signal) === current) this.watches.delete(signal);
    };
  }
}
