import { execFile } from "node:child_process";
import { access, mkdir, writeFile } from "node:fs/promises";
import { constants } from "node:fs";
import { join } from "node:path";
import { cleanEnv, spawnManaged, tail } from "./process.js";
import type { ManagedProcess } from "./process.js";
import { makeTempDir } from "./tmp.js";

/** The Debian package's binaries (containerd 1.6.x). */
const CONTAINERD = "/usr/bin/containerd";
const CTR = "/usr/bin/ctr";
/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const SOCKET_PATH_MAX = 107;

/**
 * Plugins switched off: CRI (needs CNI, networking and a sandbox image), every snapshotter but
 * `native` (aufs/btrfs/zfs/devmapper need special file systems; overlayfs would mount, and a
 * mount left behind by a killed test makes its temp dir undeletable), and everything that runs
 * containers (runtimes, tasks, cgroup monitor, restart manager). What is left is what
 * `ctr images import` needs: content store, metadata (bolt), images, leases, the walking differ
 * and the native snapshotter for unpacking.
 */
const DISABLED_PLUGINS = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.overlayfs",
  "io.containerd.runtime.v1.linux",
  "io.containerd.runtime.v2.task",
  "io.containerd.monitor.v1.cgroups",
  "io.containerd.service.v1.tasks-service",
  "io.containerd.grpc.v1.tasks",
  "io.containerd.internal.v1.restart",
] as const;

/** The only snapshotter left enabled: plain directory copies, no kernel features needed. */
export const CONTAINERD_SNAPSHOTTER = "native";

/** Options for {@link startContainerd}. */
export interface StartContainerdOptions {
  /** Namespace used when a call names none; default `airgap-test`. */
  readonly namespace?: string;
  /** How long to wait for `ctr version` to answer; default 20 s. */
  readonly readyTimeoutMs?: number;
  /** containerd's log level; default `info`. */
  readonly logLevel?: "debug" | "info" | "warn" | "error";
}

/** What one `ctr` invocation printed and how it ended. */
export interface CtrResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code; null when ctr was killed (timeout). */
  readonly code: number | null;
}

/** Options for {@link RunningContainerd.ctr}. */
export interface CtrOptions {
  /** Default: the instance's namespace. */
  readonly namespace?: string;
  /** Kill ctr after this long; default 60 s. */
  readonly timeoutMs?: number;
}

/** One row of `ctr images ls`. */
export interface ContainerdImage {
  /** The image name exactly as containerd stores it (`docker.io/library/nginx:1.25`). */
  readonly name: string;
  /** Media type of the target (manifest or index). */
  readonly mediaType: string;
  readonly digest: string;
  /** `linux/amd64`, … as ctr lists them (empty when ctr prints `-`). */
  readonly platforms: readonly string[];
}

/** One row of `ctr images check`: is everything the image needs in the content store? */
export interface ContainerdImageCheck {
  readonly name: string;
  readonly digest: string;
  /** `complete`, `incomplete` or `missing`, as ctr prints it. */
  readonly status: string;
  /** Blobs present and required (for the host platform), when ctr prints them. */
  readonly present?: number;
  readonly required?: number;
  readonly unpacked: boolean;
}

/** Options for {@link RunningContainerd.importArchive}; each maps to a `ctr images import` flag. */
export interface ImportArchiveOptions {
  /** Default: the instance's namespace. */
  readonly namespace?: string;
  /** `--all-platforms`: fetch every platform's content (otherwise only linux/amd64 is required). */
  readonly allPlatforms?: boolean;
  /** `--platform`. */
  readonly platform?: string;
  /** Unpack into the native snapshotter (`--snapshotter native`); default false (`--no-unpack`). */
  readonly unpack?: boolean;
  /** `--base-name`: prefix for bare ref names; also filters out full ref names without that prefix. */
  readonly baseName?: string;
  /** `--digests`: also create `<base>@sha256:…` images. */
  readonly digests?: boolean;
  readonly timeoutMs?: number;
}

/** Options for {@link RunningContainerd.pull}; each maps to a `ctr images pull` flag. */
export interface PullOptions {
  /** Default: the instance's namespace. */
  readonly namespace?: string;
  /** `--hosts-dir`: a certs.d-style directory of `<host>/hosts.toml` (mirrors, CA, plain HTTP). */
  readonly hostsDir?: string;
  /** `--all-platforms` (otherwise only the host's platform is fetched and unpacked). */
  readonly allPlatforms?: boolean;
  /** `--http-dump`: ctr prints every registry request and response on stderr. */
  readonly httpDump?: boolean;
  readonly timeoutMs?: number;
}

/** What an import changed. */
export interface ImportArchiveResult {
  /**
   * Names created or re-pointed by the import, sorted: the namespace's images after the import
   * whose name is new or whose digest changed, plus the names ctr printed while unpacking.
   * Re-importing identical content without unpacking changes nothing and lists nothing, so
   * tests that need the exact set import into a fresh namespace.
   */
  readonly names: readonly string[];
  /** Every image in the namespace after the import. */
  readonly images: readonly ContainerdImage[];
  readonly stdout: string;
  readonly stderr: string;
}

/** A containerd daemon owned by one test, with its own config, root, state and socket. */
export interface RunningContainerd {
  /** The temp directory holding everything below. */
  readonly dir: string;
  readonly configFile: string;
  /** containerd `root` (content store, metadata, snapshots). */
  readonly root: string;
  /** containerd `state` (runtime state; stays empty without runtimes). */
  readonly state: string;
  /** The gRPC unix socket (`ctr --address`). */
  readonly address: string;
  /** Default namespace of `ctr`, `importArchive` and `listImages`. */
  readonly namespace: string;
  /** containerd's stdout+stderr. */
  readonly logFile: string;
  readLog(): Promise<string>;
  /** Runs `/usr/bin/ctr --address SOCK --namespace NS <args>`; never throws for a non-zero exit. */
  ctr(args: readonly string[], options?: CtrOptions): Promise<CtrResult>;
  /** `ctr images import [flags] FILE`; throws with ctr's stderr when it fails. */
  importArchive(tarPath: string, options?: ImportArchiveOptions): Promise<ImportArchiveResult>;
  /**
   * `ctr images pull [flags] REF` into the native snapshotter; never throws for a non-zero exit
   * (tests assert failures too). The registry configuration comes only from `hostsDir`.
   */
  pull(ref: string, options?: PullOptions): Promise<CtrResult>;
  /** `ctr images ls`, parsed and sorted by name. */
  listImages(namespace?: string): Promise<readonly ContainerdImage[]>;
  /**
   * `ctr images check`, parsed. Needed because `ctr images import --no-unpack` accepts an index
   * entry whose config and layers are absent and creates the image anyway (containerd 1.6).
   */
  checkImages(namespace?: string): Promise<readonly ContainerdImageCheck[]>;
  /** Stops the daemon (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

function renderConfig(p: { root: string; state: string; address: string; opt: string; logLevel: string }): string {
  // `opt` must be set: its default is /opt/containerd, which the plugin creates on startup.
  // No debug socket and no metrics listener: nothing outside the temp dir, no TCP ports.
  return [
    "version = 2",
    `root = ${JSON.stringify(p.root)}`,
    `state = ${JSON.stringify(p.state)}`,
    `disabled_plugins = [${DISABLED_PLUGINS.map((d) => JSON.stringify(d)).join(", ")}]`,
    "",
    "[grpc]",
    `  address = ${JSON.stringify(p.address)}`,
    "",
    "[ttrpc]",
    `  address = ${JSON.stringify(`${p.address}.ttrpc`)}`,
    "",
    "[debug]",
    `  level = ${JSON.stringify(p.logLevel)}`,
    "",
    "[metrics]",
    '  address = ""',
    "",
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${JSON.stringify(p.opt)}`,
    "",
  ].join("\n");
}

function runCtr(address: string, namespace: string, args: readonly string[], timeoutMs: number): Promise<CtrResult> {
  // CONTAINERD_SNAPSHOTTER: ctr's own default is overlayfs, which this daemon does not load.
  const env = cleanEnv({ CONTAINERD_SNAPSHOTTER: CONTAINERD_SNAPSHOTTER });
  return new Promise<CtrResult>((resolve) => {
    execFile(
      CTR,
      ["--address", address, "--namespace", namespace, ...args],
      { env, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err === null) {
          resolve({ stdout, stderr, code: 0 });
          return;
        }
        const code = (err as { code?: unknown }).code;
        resolve({ stdout, stderr: stderr || err.message, code: typeof code === "number" ? code : null });
      },
    );
  });
}

/**
 * Parses `ctr images ls` (columns REF TYPE DIGEST SIZE PLATFORMS LABELS; SIZE holds a space,
 * e.g. `703.0 B`, so columns are taken from both ends).
 */
export function parseImageList(stdout: string): ContainerdImage[] {
  const rows: ContainerdImage[] = [];
  for (const line of stdout.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 6) continue;
    const [name = "", mediaType = "", digest = ""] = fields;
    const platforms = fields[fields.length - 2] ?? "-";
    rows.push({ name, mediaType, digest, platforms: platforms === "-" ? [] : platforms.split(",") });
  }
  return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Parses `ctr images check` (REF TYPE DIGEST STATUS SIZE UNPACKED; STATUS and SIZE hold spaces). */
export function parseImageCheck(stdout: string): ContainerdImageCheck[] {
  const rows: ContainerdImageCheck[] = [];
  for (const line of stdout.split("\n").slice(1)) {
    const match = /^(\S+)\s+\S+\s+(\S+)\s+([a-z]+)(?:\s+\((\d+)\/(\d+)\))?.*\s(true|false)\s*$/.exec(line);
    if (match === null) continue;
    const [, name = "", digest = "", status = "", present, required, unpacked] = match;
    rows.push({
      name,
      digest,
      status,
      ...(present === undefined ? {} : { present: Number(present) }),
      ...(required === undefined ? {} : { required: Number(required) }),
      unpacked: unpacked === "true",
    });
  }
  return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function checkPrerequisites(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("startContainerd: containerd needs root (this process runs as a non-root user)");
  for (const binary of [CONTAINERD, CTR]) {
    try {
      await access(binary, constants.X_OK);
    } catch {
      throw new Error(`startContainerd: ${binary} is missing (Debian package "containerd")`);
    }
  }
}

/**
 * Starts the real containerd (Debian 1.6.x) as root with its own config file and its root,
 * state and gRPC socket in a fresh temp dir, and resolves once `ctr version` answers.
 *
 * Why: bundles must import into containerd exactly as k0s does it (`ctr images import`), under
 * each image's full name; only the real daemon shows what it makes of index.json annotations.
 * Only the image plugins run (see DISABLED_PLUGINS): no cgroups, no networking, no mounts, so it
 * works in a plain root sandbox and leaves nothing outside its temp dir. The daemon gets a
 * parent-death SIGKILL through {@link spawnManaged}.
 */
export async function startContainerd(options: StartContainerdOptions = {}): Promise<RunningContainerd> {
  await checkPrerequisites();
  const namespace = options.namespace ?? "airgap-test";
  const tmp = await makeTempDir("containerd");
  const dir = tmp.path;
  let proc: ManagedProcess | undefined;
  try {
    const root = join(dir, "root");
    const state = join(dir, "state");
    const opt = join(dir, "opt");
    const address = join(dir, "containerd.sock");
    if (Buffer.byteLength(`${address}.ttrpc`) > SOCKET_PATH_MAX) {
      throw new Error(`startContainerd: socket path ${address}.ttrpc is longer than ${SOCKET_PATH_MAX} bytes; set TMPDIR to a shorter directory`);
    }
    await Promise.all([mkdir(root, { mode: 0o711 }), mkdir(state, { mode: 0o711 }), mkdir(opt)]);
    const configFile = join(dir, "config.toml");
    const logFile = join(dir, "containerd.log");
    await writeFile(configFile, renderConfig({ root, state, address, opt, logLevel: options.logLevel ?? "info" }));
    proc = spawnManaged(CONTAINERD, ["--config", configFile], { cwd: dir, logFile, env: cleanEnv() });
    const daemon = proc;

    const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
    for (;;) {
      if (!daemon.isRunning()) {
        throw new Error(`containerd exited during startup\n--- log tail (${logFile}) ---\n${tail(await daemon.readLog().catch(() => ""))}`);
      }
      const probe = await runCtr(address, namespace, ["version"], 5_000);
      if (probe.code === 0 && probe.stdout.includes("Server:")) break;
      if (Date.now() > deadline) {
        throw new Error(`containerd did not answer on ${address}: ${probe.stderr.trim()}\n--- log tail (${logFile}) ---\n${tail(await daemon.readLog().catch(() => ""))}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }

    const ctr = (args: readonly string[], o: CtrOptions = {}): Promise<CtrResult> => runCtr(address, o.namespace ?? namespace, args, o.timeoutMs ?? 60_000);
    const listImages = async (ns?: string): Promise<readonly ContainerdImage[]> => {
      const result = await ctr(["images", "ls"], ns === undefined ? {} : { namespace: ns });
      if (result.code !== 0) throw new Error(`ctr images ls failed (exit ${String(result.code)}): ${result.stderr.trim()}`);
      return parseImageList(result.stdout);
    };

    let stopped = false;
    return {
      dir,
      configFile,
      root,
      state,
      address,
      namespace,
      logFile,
      readLog: () => daemon.readLog(),
      ctr,
      listImages,
      pull(ref: string, o: PullOptions = {}): Promise<CtrResult> {
        const args = ["images", "pull", "--snapshotter", CONTAINERD_SNAPSHOTTER];
        if (o.hostsDir !== undefined) args.push("--hosts-dir", o.hostsDir);
        if (o.allPlatforms) args.push("--all-platforms");
        if (o.httpDump) args.push("--http-dump");
        args.push(ref);
        return ctr(args, { ...(o.namespace === undefined ? {} : { namespace: o.namespace }), ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }) });
      },
      async checkImages(ns?: string): Promise<readonly ContainerdImageCheck[]> {
        const result = await ctr(["images", "check"], ns === undefined ? {} : { namespace: ns });
        // ctr exits 1 when it cannot check an incomplete image's unpack state, after printing the table.
        if (!result.stdout.startsWith("REF")) throw new Error(`ctr images check failed (exit ${String(result.code)}): ${result.stderr.trim()}`);
        return parseImageCheck(result.stdout);
      },
      async importArchive(tarPath: string, o: ImportArchiveOptions = {}): Promise<ImportArchiveResult> {
        const ns = o.namespace ?? namespace;
        const before = new Map((await listImages(ns)).map((i) => [i.name, i.digest]));
        const args = ["images", "import"];
        if (o.allPlatforms) args.push("--all-platforms");
        if (o.platform !== undefined) args.push("--platform", o.platform);
        if (o.unpack) args.push("--snapshotter", CONTAINERD_SNAPSHOTTER);
        else args.push("--no-unpack");
        if (o.baseName !== undefined) args.push("--base-name", o.baseName);
        if (o.digests) args.push("--digests");
        args.push(tarPath);
        const result = await ctr(args, { namespace: ns, ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }) });
        if (result.code !== 0) throw new Error(`ctr ${args.join(" ")} failed (exit ${String(result.code)}): ${result.stderr.trim()}`);
        const images = await listImages(ns);
        const names = new Set(images.filter((i) => before.get(i.name) !== i.digest).map((i) => i.name));
        // "unpacking docker.io/library/nginx:1.25 (sha256:…)...done"
        for (const match of result.stdout.matchAll(/^unpacking (\S+) \(sha256:[0-9a-f]{64}\)/gm)) names.add(match[1] ?? "");
        return { names: [...names].sort(), images, stdout: result.stdout, stderr: result.stderr };
      },
      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        await daemon.stop();
        await tmp.remove();
      },
    };
  } catch (err) {
    await proc?.stop(500);
    await tmp.remove();
    throw err;
  }
}
