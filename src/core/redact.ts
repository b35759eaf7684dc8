/**
 * Redaction of URLs in log lines and error messages: userinfo and the query
 * values of signed URLs. Secret values from airgap.yaml are carried as
 * {@link ./secret.ts Secret} and scrubbed from free text by the CLI's output
 * boundary; nothing here searches data for them.
 */

const SECRET_QUERY_KEYS = /^(x-amz-.*|signature|sig|token|access_token|password|x-goog-.*|se|sp|sv|sr|skoid|sktid)$/i;

/**
 * Redacts a URL for logs and errors: userinfo and signed-URL query values
 * (S3/GCS/Azure presigned parameters, tokens) are replaced.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : new URL(url.href);
  } catch {
    return String(url);
  }
  if (parsed.username || parsed.password) {
    parsed.username = parsed.username ? "redacted" : "";
    parsed.password = "";
  }
  for (const key of [...parsed.searchParams.keys()]) {
    if (SECRET_QUERY_KEYS.test(key)) parsed.searchParams.set(key, "redacted");
  }
  return parsed.href;
}

/** `scheme://userinfo@`: credentials written into a URL. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s"'`]*@/gi;

/** True when a text is a URL that carries credentials (`https://user:pass@host`). */
export function hasUserinfo(text: string): boolean {
  return new RegExp(`^${USERINFO.source}`, "i").test(text);
}

/**
 * Free text with the userinfo of every URL in it replaced by `redacted@`.
 * Credentials in a URL are refused by validate, but a message may still
 * quote the value that was refused; the CLI's output boundary applies this
 * to every message it lets out. The rest of the text is kept as it is.
 */
export function hideUserinfo(text: string): string {
  return text.replace(USERINFO, "$1redacted@");
}
