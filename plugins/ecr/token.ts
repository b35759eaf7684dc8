/**
 * ECR's registry password: a GetAuthorizationToken token valid for 12 hours
 * (providers-notes §3.1). It is fetched when first needed and replaced before
 * it expires, so a long apply never sends an expired one (ECR answers those
 * with 403 "Your authorization token has expired", which no retry fixes).
 */
import type { EcrToken } from "./api.js";

/** How long before expiry a token is replaced: a quarter of its life, at most 30 minutes. */
export function refreshMargin(lifetimeMs: number): number {
  return Math.min(30 * 60_000, Math.max(0, lifetimeMs) / 4);
}

/** A token and the generation it belongs to (a new token, a new generation). */
export interface CurrentToken {
  readonly token: EcrToken;
  readonly generation: number;
}

/** Hands out the current token, fetching a new one when the old one is near its end; concurrent callers share one fetch. */
export class TokenSource {
  private readonly fetch: () => Promise<EcrToken>;
  private readonly clock: () => number;
  private current: { readonly value: CurrentToken; readonly refreshAt: number } | undefined;
  private pending: Promise<CurrentToken> | undefined;
  private generation = 0;

  constructor(fetch: () => Promise<EcrToken>, clock: () => number) {
    this.fetch = fetch;
    this.clock = clock;
  }

  /** The token to use now. */
  async get(): Promise<CurrentToken> {
    const current = this.current;
    if (current !== undefined && this.clock() < current.refreshAt) return current.value;
    this.pending ??= (async () => {
      try {
        const fetchedAt = this.clock();
        const token = await this.fetch();
        const value = { token, generation: ++this.generation };
        this.current = { value, refreshAt: token.expiresAt - refreshMargin(token.expiresAt - fetchedAt) };
        return value;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}
