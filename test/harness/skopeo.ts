import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Digest } from "./random.js";
import { makeTempDir } from "./tmp.js";

/** How skopeo should reach one side (source/destination) of an operation. */
export interface SkopeoEndpointOptions {
  /** Verify TLS (HTTPS required). Default: true when `certDir` is set, otherwise false (plain HTTP allowed). */
  readonly tlsVerify?: boolean;
  /** Directory with `*.crt` CA files (e.g. `RunningRegistry.certDir`). */
  readonly certDir?: string;
  readonly username?: string;
  readonly password?: string;
  /** Use a bearer token directly instead of credentials. */
  readonly registryToken?: string;
}

/** Options shared by all skopeo calls. */
export interface SkopeoRunOptions {
  /** Kill skopeo after this long; default 60 s. */
  readonly timeoutMs?: number;
  /** Extra arguments appended before the image references. */
  readonly extraArgs?: readonly string[];
  /** Content of the sandbox's registries.conf (default: no search registries, short names off). */
  readonly registriesConf?: string;
}

/** Options for {@link inspectRaw}. */
export interface InspectRawOptions extends SkopeoEndpointOptions, SkopeoRunOptions {
  /** Return the raw config blob instead of the manifest (`--config --raw`). */
  readonly config?: boolean;
}

/** Options for {@link copy}. */
export interface CopyOptions extends SkopeoRunOptions {
  readonly src?: SkopeoEndpointOptions;
  readonly dest?: SkopeoEndpointOptions;
  /** Copy every image of an index/manifest list (`--all`). */
  readonly all?: boolean;
  /** `--preserve-digests`: fail instead of converting manifests. */
  readonly preserveDigests?: boolean;
  /** `--format`: destination manifest type. */
  readonly format?: "oci" | "v2s2";
  readonly retryTimes?: number;
}

/** Raw manifest (or config) bytes as seen by skopeo, with their digest. */
export interface RawManifest {
  readonly bytes: Buffer;
  readonly digest: string;
  /** The `mediaType` field of the JSON, when present. */
  readonly mediaType: string | undefined;
}

/** Output of one skopeo invocation. */
export interface SkopeoResult {
  readonly stdout: Buffer;
  readonly stderr: string;
}

interface Sandbox {
  readonly dir: string;
  readonly policy: string;
  readonly registriesConf: string;
  readonly registriesD: string;
  readonly authFile: string;
  readonly tmp: string;
  remove(): Promise<void>;
}

/**
 * Private configuration for one skopeo run: accept-anything policy, empty registries.conf and
 * registries.d, an empty auth file, HOME/XDG dirs and tmpdir inside a fresh temp dir.
 */
async function makeSandbox(): Promise<Sandbox> {
  const { path: dir, remove } = await makeTempDir("skopeo");
  const s: Sandbox = {
    dir,
    policy: join(dir, "policy.json"),
    registriesConf: join(dir, "registries.conf"),
    registriesD: join(dir, "registries.d"),
    authFile: join(dir, "auth.json"),
    tmp: join(dir, "tmp"),
    remove,
  };
  await Promise.all([mkdir(s.registriesD), mkdir(s.tmp), mkdir(join(dir, "home")), mkdir(join(dir, "run"))]);
  await Promise.all([
    writeFile(s.policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] })),
    writeFile(s.registriesConf, 'unqualified-search-registries = []\nshort-name-mode = "disabled"\n'),
    writeFile(s.authFile, JSON.stringify({ auths: {} })),
  ]);
  return s;
}

function endpointArgs(prefix: "" | "src-" | "dest-", ref: string, e: SkopeoEndpointOptions = {}): string[] {
  if (!ref.startsWith("docker://")) return [];
  const args: string[] = [];
  const verify = e.tlsVerify ?? e.certDir !== undefined;
  args.push(`--${prefix}tls-verify=${String(verify)}`);
  if (e.certDir !== undefined) args.push(`--${prefix}cert-dir`, e.certDir);
  if (e.registryToken !== undefined) args.push(`--${prefix}registry-token`, e.registryToken);
  else if (e.username !== undefined) args.push(`--${prefix}creds`, `${e.username}:${e.password ?? ""}`);
  else args.push(`--${prefix}no-creds`);
  return args;
}

/**
 * Runs `skopeo <args>` in a fresh sandbox (own policy, registries.conf, registries.d, auth file,
 * HOME, tmpdir; no proxy variables), with a timeout; rejects with stderr in the message.
 *
 * Why: skopeo is the independent client that checks what airgap wrote; it must not be influenced
 * by the machine's container configuration or the developer's credentials.
 */
export async function runSkopeo(args: readonly string[], options: SkopeoRunOptions = {}): Promise<SkopeoResult> {
  const s = await makeSandbox();
  try {
    if (options.registriesConf !== undefined) await writeFile(s.registriesConf, options.registriesConf);
    return await execSkopeo(s, args, options);
  } finally {
    await s.remove();
  }
}

/** Hides passwords and tokens in argument lists shown in error messages. */
function redact(args: readonly string[]): string[] {
  return args.map((a, i) => {
    const prev = args[i - 1] ?? "";
    if (/^--(src-|dest-)?creds$/.test(prev)) return a.replace(/:.*$/, ":***");
    if (/^--(src-|dest-)?(registry-token|password)$/.test(prev)) return "***";
    return a;
  });
}

function execSkopeo(s: Sandbox, args: readonly string[], options: SkopeoRunOptions): Promise<SkopeoResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const command = [
    "--policy", s.policy,
    "--registries-conf", s.registriesConf,
    "--registries.d", s.registriesD,
    "--tmpdir", s.tmp,
    ...args,
  ];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: join(s.dir, "home"),
    XDG_RUNTIME_DIR: join(s.dir, "run"),
    XDG_CONFIG_HOME: join(s.dir, "home", ".config"),
    DOCKER_CONFIG: join(s.dir, "home", ".docker"),
    REGISTRY_AUTH_FILE: s.authFile,
    CONTAINERS_REGISTRIES_CONF: s.registriesConf,
    TMPDIR: s.tmp,
    LANG: "C",
  };
  return new Promise<SkopeoResult>((resolve, reject) => {
    execFile(
      "skopeo",
      command,
      { env, timeout: timeoutMs, killSignal: "SIGKILL", encoding: "buffer", maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const errText = stderr.toString("utf8");
        if (err) {
          const e = err as { killed?: boolean; code?: unknown; signal?: unknown };
          const why = e.killed ? `timed out after ${timeoutMs} ms` : typeof e.code === "number" ? `exit code ${e.code}` : String(e.code ?? e.signal ?? err.message);
          reject(new Error(`skopeo ${redact(args).join(" ")} failed (${why})\n${errText.trim()}`));
          return;
        }
        resolve({ stdout, stderr: errText });
      },
    );
  });
}

/**
 * `skopeo inspect --raw <ref>`: the manifest exactly as stored, and its sha256 digest.
 *
 * Why: comparing digests computed by an independent client is the strongest evidence that a
 * copy was byte-for-byte.
 */
export async function inspectRaw(ref: string, options: InspectRawOptions = {}): Promise<RawManifest> {
  const args = ["inspect", "--raw", ...(options.config ? ["--config"] : []), ...endpointArgs("", ref, options), ...(options.extraArgs ?? []), ref];
  const { stdout } = await runSkopeo(args, options);
  let mediaType: string | undefined;
  try {
    const parsed = JSON.parse(stdout.toString("utf8")) as { mediaType?: unknown };
    if (typeof parsed.mediaType === "string") mediaType = parsed.mediaType;
  } catch {
    // Not JSON: leave mediaType undefined; the bytes are still returned.
  }
  return { bytes: stdout, digest: sha256Digest(stdout), mediaType };
}

/**
 * `skopeo copy <src> <dst>` with per-side TLS/credential options and optional `--all`.
 *
 * Why: tests use skopeo to seed sources from generated OCI layouts and to pull what airgap pushed
 * into an OCI layout for verification.
 */
export async function copy(src: string, dst: string, options: CopyOptions = {}): Promise<SkopeoResult> {
  const args = [
    "copy",
    ...(options.all ? ["--all"] : []),
    ...(options.preserveDigests ? ["--preserve-digests"] : []),
    ...(options.format === undefined ? [] : ["--format", options.format]),
    ...(options.retryTimes === undefined ? [] : ["--retry-times", String(options.retryTimes)]),
    ...endpointArgs("src-", src, options.src),
    ...endpointArgs("dest-", dst, options.dest),
    ...(options.extraArgs ?? []),
    src,
    dst,
  ];
  return runSkopeo(args, options);
}

/** Skopeo endpoint options for a harness registry (CA dir and credentials). */
export function skopeoOptionsFor(registry: {
  readonly certDir?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}): SkopeoEndpointOptions {
  return {
    ...(registry.certDir === undefined ? {} : { certDir: registry.certDir, tlsVerify: true }),
    ...(registry.username === undefined ? {} : { username: registry.username, password: registry.password ?? "" }),
  };
}
