import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { createHttpClient, waitForHttp } from "./http.js";
import type { HarnessFetch } from "./http.js";
import { createCa, createServerCert, createSigningCert } from "./openssl.js";
import { getFreePort } from "./ports.js";
import { cleanEnv, spawnManaged, tail } from "./process.js";
import type { ManagedProcess } from "./process.js";
import { makeTempDir } from "./tmp.js";
import { startTokenServer } from "./token-server.js";
import type { AnonymousPolicy, TokenAccess, TokenServer } from "./token-server.js";

const execFileP = promisify(execFile);

/**
 * Response header carrying a per-instance id, so readiness checks cannot be fooled by another
 * server that grabbed the same random port first.
 */
const INSTANCE_HEADER = "X-Airgap-Harness-Instance";

/** Which authentication the registry enforces. */
export type RegistryAuth = "none" | "basic" | "token";

/** Options for {@link startRegistry}. */
export interface StartRegistryOptions {
  /** Default `"none"`. */
  readonly auth?: RegistryAuth;
  /** Serve HTTPS with a certificate from a throw-away CA (see `caFile`). Default false. */
  readonly tls?: boolean;
  /** Credentials for basic/token auth; random by default (username "tester"). */
  readonly username?: string;
  readonly password?: string;
  /** Token variant: token lifetime in seconds (default 300). */
  readonly tokenExpiresIn?: number;
  /** Token variant: what anonymous token requests get (default "none"). */
  readonly anonymous?: AnonymousPolicy;
  /** Token variant: full override of granted actions. */
  readonly grant?: (user: string | undefined, requested: TokenAccess) => readonly string[];
  /** How long to wait for `/v2/` to answer; default 20 s. */
  readonly readyTimeoutMs?: number;
}

/** A docker-registry (distribution 2.8) process owned by a test. */
export interface RunningRegistry {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  readonly url: string;
  /** `127.0.0.1:PORT`, as used in image references. */
  readonly host: string;
  readonly port: number;
  readonly auth: RegistryAuth;
  readonly tls: boolean;
  /** PEM of the CA that signed the server certificate (TLS only). */
  readonly caFile?: string;
  /** Directory holding only `ca.crt`, for `skopeo --cert-dir` / containerd `hosts.toml` (TLS only). */
  readonly certDir?: string;
  /** Set for basic and token auth. */
  readonly username?: string;
  readonly password?: string;
  /** Token variant: the in-process token server (counters, failure switch, expiry). */
  readonly tokenServer?: TokenServer;
  /** The registry's temp directory (config, keys, logs, storage). */
  readonly dir: string;
  /** Filesystem storage root. */
  readonly dataDir: string;
  readonly configFile: string;
  /** Registry stdout+stderr: access log (combined format) and application log. */
  readonly logFile: string;
  readLog(): Promise<string>;
  /** Unauthenticated fetch that trusts the registry's CA; relative paths resolve against `url`. */
  readonly fetch: HarnessFetch;
  /** Stops and starts the process with the same port, config and storage. */
  restart(): Promise<void>;
  /** Kills the process (and token server), waits for exit and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

class RegistryStartError extends Error {
  readonly portInUse: boolean;
  constructor(message: string, portInUse: boolean) {
    super(message);
    this.portInUse = portInUse;
  }
}

function randomSecret(bytes = 16): string {
  return randomBytes(bytes).toString("hex");
}

async function bcryptHtpasswd(username: string, password: string): Promise<string> {
  // The registry's htpasswd backend only understands bcrypt entries; -B makes one.
  const { stdout } = await execFileP("htpasswd", ["-Bbn", "-C", "4", username, password], { timeout: 20_000 });
  return stdout.trim() + "\n";
}

function renderConfig(params: {
  port: number;
  instanceId: string;
  dataDir: string;
  tls?: { certFile: string; keyFile: string } | undefined;
  auth:
    | { kind: "none" }
    | { kind: "basic"; htpasswdFile: string }
    | { kind: "token"; realm: string; service: string; issuer: string; rootCertBundle: string };
}): string {
  // Notes on distribution 2.8: the access log (Apache combined format) goes to stdout and
  // application logs to stderr, both captured in registry.log; `http.secret` must be fixed so
  // upload `_state` tokens survive restart(); no `http.debug` section means no debug/metrics
  // listener; upload purging is off so half-finished uploads stay around for resume tests.
  const lines = [
    "version: 0.1",
    "log:",
    "  level: warn",
    "  formatter: text",
    "  accesslog:",
    "    disabled: false",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${JSON.stringify(params.dataDir)}`,
    "  delete:",
    "    enabled: true",
    "  maintenance:",
    "    uploadpurging:",
    "      enabled: false",
    "http:",
    `  addr: 127.0.0.1:${params.port}`,
    `  secret: ${randomSecret()}`,
    "  headers:",
    "    X-Content-Type-Options: [nosniff]",
    `    ${INSTANCE_HEADER}: [${params.instanceId}]`,
  ];
  if (params.tls) {
    lines.push("  tls:", `    certificate: ${JSON.stringify(params.tls.certFile)}`, `    key: ${JSON.stringify(params.tls.keyFile)}`);
  }
  const auth = params.auth;
  if (auth.kind === "basic") {
    lines.push("auth:", "  htpasswd:", "    realm: airgap-test", `    path: ${JSON.stringify(auth.htpasswdFile)}`);
  } else if (auth.kind === "token") {
    lines.push(
      "auth:",
      "  token:",
      `    realm: ${JSON.stringify(auth.realm)}`,
      `    service: ${JSON.stringify(auth.service)}`,
      `    issuer: ${JSON.stringify(auth.issuer)}`,
      `    rootcertbundle: ${JSON.stringify(auth.rootCertBundle)}`,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * Starts Debian's `docker-registry` (CNCF distribution 2.8) on a random 127.0.0.1 port with
 * filesystem storage in a temp dir, in one of four variants: plain HTTP, HTTP Basic (bcrypt
 * htpasswd), token auth (in-process token server, RS256 JWT with `x5c`), and/or TLS (own CA).
 * Resolves once `GET /v2/` answers (401 counts as up).
 *
 * Why: integration tests must talk to a real registry implementation, isolated per test, and
 * must be able to read what happened (access log) and to clean up even after failures.
 */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const authKind = options.auth ?? "none";
  const useTls = options.tls ?? false;
  const tmp = await makeTempDir("registry");
  const dir = tmp.path;
  let tokenServer: TokenServer | undefined;
  let proc: ManagedProcess | undefined;
  let client: ReturnType<typeof createHttpClient> | undefined;
  try {
    const dataDir = join(dir, "data");
    const pkiDir = join(dir, "pki");
    await mkdir(dataDir, { recursive: true });
    await mkdir(pkiDir, { recursive: true });
    const scheme = useTls ? "https" : "http";
    const instanceId = randomSecret(8);
    const username = options.username ?? "tester";
    const password = options.password ?? randomSecret(12);

    let tls: { certFile: string; keyFile: string } | undefined;
    let caFile: string | undefined;
    let certDir: string | undefined;
    if (useTls) {
      const ca = await createCa(pkiDir);
      tls = await createServerCert(pkiDir, ca, { ips: ["127.0.0.1"], dnsNames: ["localhost"] });
      caFile = ca.certFile;
      certDir = join(dir, "certs.d");
      await mkdir(certDir);
      await copyFile(ca.certFile, join(certDir, "ca.crt"));
    }

    let auth: Parameters<typeof renderConfig>[0]["auth"] = { kind: "none" };
    if (authKind === "basic") {
      const htpasswdFile = join(dir, "htpasswd");
      await writeFile(htpasswdFile, await bcryptHtpasswd(username, password));
      auth = { kind: "basic", htpasswdFile };
    } else if (authKind === "token") {
      const signer = await createSigningCert(pkiDir);
      const service = "airgap-test-registry";
      const issuer = "airgap-test-issuer";
      tokenServer = await startTokenServer({
        username,
        password,
        service,
        issuer,
        certFile: signer.certFile,
        keyFile: signer.keyFile,
        ...(options.tokenExpiresIn === undefined ? {} : { expiresIn: options.tokenExpiresIn }),
        ...(options.anonymous === undefined ? {} : { anonymous: options.anonymous }),
        ...(options.grant === undefined ? {} : { grant: options.grant }),
      });
      auth = { kind: "token", realm: tokenServer.realm, service, issuer, rootCertBundle: signer.certFile };
    }

    const configFile = join(dir, "config.yml");
    const logFile = join(dir, "registry.log");
    client = createHttpClient({ caFile });
    const httpClient = client;
    const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;

    let port = 0;
    const launch = async (): Promise<ManagedProcess> => {
      const url = `${scheme}://127.0.0.1:${port}`;
      const p = spawnManaged("docker-registry", ["serve", configFile], { cwd: dir, logFile, env: cleanEnv() });
      try {
        await waitForHttp(`${url}/v2/`, {
          timeoutMs: readyTimeoutMs,
          fetch: httpClient.fetch,
          isUp: (s, headers) => (s === 200 || s === 401) && headers.get(INSTANCE_HEADER) === instanceId,
          check: () => {
            if (!p.isRunning()) throw new Error("docker-registry exited during startup");
          },
        });
      } catch (err) {
        await p.stop(500);
        const log = await p.readLog().catch(() => "");
        throw new RegistryStartError(
          `docker-registry did not start on ${url}: ${(err as Error).message}\n--- log tail (${logFile}) ---\n${tail(log)}`,
          /address already in use/i.test(log),
        );
      }
      return p;
    };
    // The free port may be taken between probing and binding (parallel test files): retry.
    for (let attempt = 1; ; attempt++) {
      port = await getFreePort();
      await writeFile(logFile, "");
      await writeFile(configFile, renderConfig({ port, instanceId, dataDir, tls, auth }));
      try {
        proc = await launch();
        break;
      } catch (err) {
        if (!(err instanceof RegistryStartError && err.portInUse && attempt < 5)) throw err;
      }
    }
    const host = `127.0.0.1:${port}`;
    const url = `${scheme}://${host}`;

    let stopped = false;
    const registry: RunningRegistry = {
      url,
      host,
      port,
      auth: authKind,
      tls: useTls,
      ...(caFile === undefined ? {} : { caFile }),
      ...(certDir === undefined ? {} : { certDir }),
      ...(authKind === "none" ? {} : { username, password }),
      ...(tokenServer === undefined ? {} : { tokenServer }),
      dir,
      dataDir,
      configFile,
      logFile,
      readLog: () => (proc ? proc.readLog() : Promise.resolve("")),
      fetch: (input, init) => httpClient.fetch(typeof input === "string" && input.startsWith("/") ? `${url}${input}` : input, init),
      async restart(): Promise<void> {
        if (stopped) throw new Error("registry already stopped");
        await proc?.stop();
        proc = await launch();
      },
      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        await proc?.stop();
        await tokenServer?.stop();
        await httpClient.close();
        await tmp.remove();
      },
    };
    return registry;
  } catch (err) {
    await proc?.stop(500);
    await tokenServer?.stop();
    await client?.close();
    await tmp.remove();
    throw err;
  }
}
