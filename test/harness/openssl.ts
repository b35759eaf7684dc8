import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  try {
    await execFileP("openssl", [...args], { cwd, timeout: 30_000, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" } });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args.join(" ")} failed: ${(err as Error).message}\n${stderr}`);
  }
}

/** Paths of a PEM certificate and its private key. */
export interface CertKeyPair {
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Creates a self-signed CA (EC P-256, SHA-256, valid 2 days) as `<name>.crt` / `<name>.key` in `dir`.
 *
 * Why: the TLS registry variant needs a CA that only the test trusts, so that certificate
 * verification is exercised for real instead of being switched off.
 */
export async function createCa(dir: string, name = "ca", commonName = "airgap test CA"): Promise<CertKeyPair> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await openssl(
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-sha256",
      "-days", "2", "-subj", `/CN=${commonName}`,
      "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "keyUsage=critical,keyCertSign,cRLSign",
      "-keyout", keyFile, "-out", certFile,
    ],
    dir,
  );
  return { certFile, keyFile };
}

/**
 * Issues a TLS server certificate signed by `ca` with the given IP and DNS subject alt names.
 *
 * Why: Go (docker-registry, skopeo) ignores the CN and requires a SAN matching `127.0.0.1`.
 * `usage: "clientAuth"` makes a client certificate for mutual TLS instead.
 */
export async function createServerCert(
  dir: string,
  ca: CertKeyPair,
  options: { name?: string; ips?: readonly string[]; dnsNames?: readonly string[]; usage?: "serverAuth" | "clientAuth" } = {},
): Promise<CertKeyPair> {
  const name = options.name ?? "server";
  const ips = options.ips ?? ["127.0.0.1"];
  const dnsNames = options.dnsNames ?? ["localhost"];
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const csrFile = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  const sans = [...ips.map((ip) => `IP:${ip}`), ...dnsNames.map((dns) => `DNS:${dns}`)].join(",");
  await writeFile(
    extFile,
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      `extendedKeyUsage=${options.usage ?? "serverAuth"}`,
      `subjectAltName=${sans}`,
      "",
    ].join("\n"),
  );
  await openssl(
    ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-sha256",
      "-subj", `/CN=${ips[0] ?? dnsNames[0] ?? "server"}`, "-keyout", keyFile, "-out", csrFile],
    dir,
  );
  await openssl(
    ["x509", "-req", "-in", csrFile, "-CA", ca.certFile, "-CAkey", ca.keyFile, "-CAcreateserial",
      "-sha256", "-days", "2", "-extfile", extFile, "-out", certFile],
    dir,
  );
  return { certFile, keyFile };
}

/**
 * Creates a self-signed RSA-2048 certificate for signing JWTs (RS256).
 *
 * Why: docker-registry 2.8 verifies a bearer token's `x5c` chain against `auth.token.rootcertbundle`;
 * a self-signed leaf that is itself in the bundle is the smallest valid chain.
 */
export async function createSigningCert(dir: string, name = "token-signer", commonName = "airgap test token signer"): Promise<CertKeyPair> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await openssl(
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2", "-subj", `/CN=${commonName}`,
      "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
      "-keyout", keyFile, "-out", certFile],
    dir,
  );
  return { certFile, keyFile };
}
