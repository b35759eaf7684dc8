/**
 * RFC 8288 (formerly 5988) `Link` header parsing for tag, catalog and
 * referrers pagination (distribution-spec §Listing Tags).
 */

/** One link of a `Link` header. */
export interface LinkValue {
  readonly url: string;
  readonly rel: readonly string[];
}

/**
 * Parses a `Link` header (one string, or several header lines). Tolerates
 * unquoted parameters and the unescaped commas some registries put inside
 * the `<…>` target, since the target is delimited by the angle brackets.
 */
export function parseLinkHeader(value: string | readonly string[] | undefined): LinkValue[] {
  if (value === undefined) return [];
  const text = typeof value === "string" ? value : value.join(", ");
  const links: LinkValue[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("<", i);
    if (open < 0) break;
    const close = text.indexOf(">", open + 1);
    if (close < 0) break;
    const url = text.slice(open + 1, close).trim();
    const rel: string[] = [];
    i = close + 1;
    // Parameters: `; name[=value]` until a comma outside quotes (or the end).
    for (;;) {
      while (i < text.length && /\s/.test(text[i] ?? "")) i++;
      if (text[i] !== ";") break;
      i++;
      while (i < text.length && /\s/.test(text[i] ?? "")) i++;
      const nameMatch = /^[^=;,\s]+/.exec(text.slice(i));
      const name = nameMatch?.[0] ?? "";
      i += name.length;
      while (i < text.length && /\s/.test(text[i] ?? "")) i++;
      let paramValue = "";
      if (text[i] === "=") {
        i++;
        while (i < text.length && /\s/.test(text[i] ?? "")) i++;
        if (text[i] === '"') {
          const end = text.indexOf('"', i + 1);
          paramValue = text.slice(i + 1, end < 0 ? text.length : end);
          i = end < 0 ? text.length : end + 1;
        } else {
          const valueMatch = /^[^;,]*/.exec(text.slice(i));
          paramValue = (valueMatch?.[0] ?? "").trim();
          i += valueMatch?.[0].length ?? 0;
        }
      }
      if (name.toLowerCase() === "rel") rel.push(...paramValue.split(/\s+/).filter((r) => r !== "").map((r) => r.toLowerCase()));
    }
    links.push({ url, rel });
  }
  return links;
}

/**
 * The absolute URL of the `rel="next"` page, resolved against the URL of the
 * request that returned it (distribution returns a path such as
 * `/v2/app/tags/list?last=b&n=2`). Undefined when there is no next page.
 */
export function nextPageUrl(value: string | readonly string[] | undefined, requestUrl: URL | string): URL | undefined {
  const next = parseLinkHeader(value).find((l) => l.rel.includes("next"));
  if (next === undefined || next.url === "") return undefined;
  try {
    return new URL(next.url, requestUrl);
  } catch {
    return undefined;
  }
}
