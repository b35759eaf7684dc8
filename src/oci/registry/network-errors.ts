/**
 * Which connection failures are worth another attempt. Resets, timeouts and
 * a socket closed mid-response are; refused connections, unknown hosts and
 * certificate problems are configuration errors, and waiting would only
 * delay the message.
 */
import { AirgapError } from "../../core/errors.js";

const RETRYABLE_NETWORK_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETRESET",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/** The error code of an error or of its causes (undici wraps system errors). */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && (RETRYABLE_NETWORK_CODES.has(code) || code.startsWith("E") || code.startsWith("UND_ERR"))) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for connection failures worth retrying (see the module comment). */
export function isRetryableNetworkError(error: unknown): boolean {
  if (error instanceof AirgapError) return false;
  const code = networkErrorCode(error);
  return code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
}

/**
 * True when an error that destroyed a request body came from the body's own
 * source (a file read error, a digest mismatch) rather than from the socket:
 * undici destroys the body with the socket's error when the connection fails.
 */
export function isSourceFailure(error: unknown): boolean {
  if (error instanceof AirgapError) return true;
  const code = networkErrorCode(error);
  return code === undefined || !(RETRYABLE_NETWORK_CODES.has(code) || code.startsWith("UND_ERR") || code === "ABORT_ERR");
}
