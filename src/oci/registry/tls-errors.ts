/**
 * TLS failures in words a user can act on: which host, what is wrong with
 * its certificate, and which airgap.yaml setting of that registry fixes it
 * (issue 9: "TLS failures name the host and say which setting fixes it").
 */
import type { TlsPolicy } from "./tls.js";

/** What kind of certificate problem a handshake hit. */
export type TlsProblem = "untrusted" | "wrong-name" | "expired" | "not-tls";

/** OpenSSL / Node codes by what they mean to the user. */
const PROBLEMS: Readonly<Record<string, TlsProblem>> = {
  SELF_SIGNED_CERT_IN_CHAIN: "untrusted",
  DEPTH_ZERO_SELF_SIGNED_CERT: "untrusted",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "untrusted",
  UNABLE_TO_GET_ISSUER_CERT: "untrusted",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "untrusted",
  CERT_UNTRUSTED: "untrusted",
  CERT_SIGNATURE_FAILURE: "untrusted",
  ERR_TLS_CERT_ALTNAME_INVALID: "wrong-name",
  HOSTNAME_MISMATCH: "wrong-name",
  CERT_HAS_EXPIRED: "expired",
  CERT_NOT_YET_VALID: "expired",
  ERR_SSL_WRONG_VERSION_NUMBER: "not-tls",
  ERR_SSL_PACKET_LENGTH_TOO_LONG: "not-tls",
};

/** The TLS problem behind an error (or one of its causes), with its code. */
export function tlsProblem(error: unknown): { readonly problem: TlsProblem; readonly code: string; readonly detail: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && PROBLEMS[code] !== undefined) {
      return { problem: PROBLEMS[code], code, detail: current instanceof Error ? current.message : code };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The message for a TLS failure with `host` (`host:port`): the problem,
 * then the airgap.yaml setting of that registry that fixes it. `policy` is
 * the registry's own TLS setting, so a CA file that does not vouch for the
 * certificate is called out instead of suggested again.
 */
export function describeTlsFailure(host: string, found: NonNullable<ReturnType<typeof tlsProblem>>, policy: TlsPolicy | undefined): string {
  const why = `${found.detail}${found.detail.includes(found.code) ? "" : `, ${found.code}`}`;
  const skip = `or, to skip verification for this registry only, set \`tls.insecureSkipVerify: true\``;
  switch (found.problem) {
    case "untrusted":
      if (policy?.caFile !== undefined) {
        return `TLS: the certificate of ${host} is not signed by the CA in ${policy.caFile} (${why}); point \`tls.caFile\` of this registry in airgap.yaml at the PEM file of the CA that issued it, ${skip}`;
      }
      return `TLS: the certificate of ${host} is not trusted (${why}); if a private CA issued it, set \`tls.caFile: <PEM file of that CA>\` for this registry in airgap.yaml (for a registry content comes from, in a \`sources\` entry with \`type: registry\` and \`host: ${host}\`), ${skip}`;
    case "wrong-name":
      return `TLS: the certificate of ${host} is not issued for that name (${why}); use a host name the certificate lists in this registry's url in airgap.yaml, ${skip}`;
    case "expired":
      return `TLS: the certificate of ${host} is outside its validity period (${why}); renew it on the registry, ${skip}`;
    case "not-tls":
      return `TLS: ${host} does not answer TLS on this port (${why}); if it is a plain-HTTP registry, write its url in airgap.yaml as http://${host}`;
  }
}
