/**
 * Per-host request limits: one semaphore per registry host, so that a slow
 * or rate-limited registry never starves requests to another one, and a
 * per-registry `concurrency` setting applies to that host only.
 */
import { Semaphore, type ReleaseSlot } from "../../core/semaphore.js";

/** Gives a slot back; calling it more than once is harmless. */
export type Release = ReleaseSlot;

/** Limits requests in flight per host. */
export class HostLimiter {
  private readonly defaultLimit: number;
  private readonly limits = new Map<string, number>();
  private readonly hosts = new Map<string, Semaphore>();

  constructor(defaultLimit: number) {
    this.defaultLimit = new Semaphore(defaultLimit).limit;
  }

  /** Sets the limit for one host (the registry's `concurrency`). */
  setLimit(host: string, limit: number): void {
    const checked = new Semaphore(limit).limit;
    this.limits.set(host, checked);
    this.hosts.get(host)?.setLimit(checked);
  }

  /** The limit in force for a host. */
  limitOf(host: string): number {
    return this.limits.get(host) ?? this.defaultLimit;
  }

  /** Requests in flight to a host. */
  active(host: string): number {
    return this.hosts.get(host)?.active ?? 0;
  }

  /** Waits for a slot for `host`; rejects with the signal's reason when aborted while waiting. */
  acquire(host: string, signal?: AbortSignal): Promise<Release> {
    let semaphore = this.hosts.get(host);
    if (semaphore === undefined) this.hosts.set(host, (semaphore = new Semaphore(this.limitOf(host))));
    return semaphore.acquire(signal);
  }
}
