/**
 * Upload `Location` handling: the registry's upload URL may be relative or
 * absolute and may carry critical query parameters (distribution's `_state`),
 * so it is used verbatim and only extended, never rebuilt (spec §POST then PUT).
 */

/** Resolves a `Location` header against the URL of the request that returned it. */
export function resolveLocation(location: string, requestUrl: URL | string): URL {
  return new URL(location.trim(), requestUrl);
}

/**
 * Adds query parameters to a URL, keeping every parameter it already has
 * (the result uses `&` when the Location already had a query, `?` otherwise).
 * Values are percent-encoded; `:` in digests is kept readable.
 */
export function withQuery(url: URL | string, params: Readonly<Record<string, string | readonly string[]>>): URL {
  const result = new URL(typeof url === "string" ? url : url.href);
  const extra: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    const values = typeof value === "string" ? [value] : value;
    for (const v of values) extra.push(`${encodeQueryPart(key)}=${encodeQueryPart(v)}`);
  }
  if (extra.length === 0) return result;
  const existing = result.search.replace(/^\?/, "");
  result.search = existing === "" ? extra.join("&") : `${existing}&${extra.join("&")}`;
  return result;
}

function encodeQueryPart(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ":").replace(/%2F/gi, "/");
}

/** True when two URLs share scheme, host and port: credentials may only travel within one origin. */
export function sameOrigin(a: URL, b: URL): boolean {
  return a.origin === b.origin;
}
