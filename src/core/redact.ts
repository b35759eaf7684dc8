/**
 * Redaction of secrets in text that may reach a log, an error message or a file.
 */

/** What airgap prints in place of a secret value. */
export const SENSITIVE = "(sensitive)";

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

/** Replaces every occurrence of the given secret values in a text. */
export function redactValues(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 3) out = out.split(secret).join(SENSITIVE);
  }
  return out;
}
