/**
 * Per-host request limits of ONE registry client: a semaphore per host, so
 * that a slow or rate-limited host never starves requests to another one,
 * and a client's `concurrency` setting is its own: no other client can
 * change it, and it changes no other client.
 */
import { Semaphore, type ReleaseSlot } from "../../core/semaphore.js";

/** Gives a slot back; calling it more than once is harmless. */
export type Release = ReleaseSlot;

/** Limits requests in flight per host (`host:port`). */
export class HostLimiter {
  /** Requests in flight allowed per host. */
  readonly limit: number;
  private readonly hosts = new Map<string, Semaphore>();

  constructor(limit: number) {
    this.limit = new Semaphore(limit).limit;
  }

  /** Requests in flight to a host. */
  active(host: string): number {
    return this.hosts.get(host)?.active ?? 0;
  }

  /** Requests waiting for a slot of a host. */
  waiting(host: string): number {
    return this.hosts.get(host)?.waiting ?? 0;
  }

  /** Waits for a slot for `host`; rejects with the signal's reason when aborted while waiting. */
  acquire(host: string, signal?: AbortSignal): Promise<Release> {
    let semaphore = this.hosts.get(host);
    if (semaphore === undefined) this.hosts.set(host, (semaphore = new Semaphore(this.limit)));
    return semaphore.acquire(signal);
  }
}
