/**
 * What a transport put on the wire: requests per method and TCP connections
 * opened, in total and per host. Tests assert these counts ("N manifest
 * HEADs use at most `concurrency` connections") instead of timing runs.
 */
import type { HttpMethod } from "./transport.js";

/** Requests sent per method; methods never used are absent. */
export type RequestCounts = Readonly<Partial<Record<HttpMethod, number>>>;

/** Counts for one host (`host:port`). */
export interface HostStats {
  readonly requests: RequestCounts;
  /** Connections opened (each TLS connection counts once). */
  readonly connections: number;
}

/**
 * A snapshot of a transport's counters. Every request on the wire counts:
 * each retry and each redirect hop is a request of its own.
 */
export interface TransportStats extends HostStats {
  readonly hosts: Readonly<Record<string, HostStats>>;
}

interface MutableHostStats {
  requests: Partial<Record<HttpMethod, number>>;
  connections: number;
}

/** The counters behind {@link TransportStats}. */
export class StatsCounter {
  private readonly total: MutableHostStats = { requests: {}, connections: 0 };
  private readonly hosts = new Map<string, MutableHostStats>();

  request(host: string, method: HttpMethod): void {
    for (const s of [this.total, this.host(host)]) s.requests[method] = (s.requests[method] ?? 0) + 1;
  }

  connection(host: string): void {
    this.total.connections++;
    this.host(host).connections++;
  }

  snapshot(): TransportStats {
    const copy = (s: MutableHostStats): HostStats => ({ requests: { ...s.requests }, connections: s.connections });
    return { ...copy(this.total), hosts: Object.fromEntries([...this.hosts].map(([h, s]) => [h, copy(s)])) };
  }

  private host(host: string): MutableHostStats {
    let s = this.hosts.get(host);
    if (s === undefined) this.hosts.set(host, (s = { requests: {}, connections: 0 }));
    return s;
  }
}
