/**
 * Helpers for the workflow tests: the BUILT CLI run as a child process
 * (asynchronously, so in-process servers such as the fault proxy keep
 * serving while it runs), a private workspace with airgap.yaml and an empty
 * HOME, and skopeo checks of what landed in a target registry.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copy, inspectRaw } from "../../harness/skopeo.js";
import type { RawManifest } from "../../harness/skopeo.js";
import { afterAll, beforeAll } from "vitest";
import { pushImages, type GeneratedImages } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";

/** The built entry point (`npm run build`). */
export const CLI = new URL("../../../dist/src/cli/main.js", import.meta.url).pathname;

/** What one run of the CLI produced. */
export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A private directory holding airgap.yaml (and the lock, plans), plus an empty HOME. */
export interface Workspace {
  readonly dir: string;
  readonly home: string;
  /** Writes airgap.yaml. */
  writeConfig(yaml: string): void;
  /** Environment for the CLI: minimal, HOME empty (no docker config leaks in), no CI. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Runs `airgap ARGS` in the workspace. */
  run(args: readonly string[], options?: { env?: Record<string, string>; timeoutMs?: number }): Promise<CliRun>;
  /** Starts `airgap ARGS` and returns the child (for kill tests); output is collected into `output`. */
  start(args: readonly string[], options?: { env?: Record<string, string> }): { child: ChildProcess; output: { stdout: string; stderr: string }; exited: Promise<CliRun> };
  remove(): void;
}

function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
}

/** Creates a workspace under the OS temp dir. */
export function createWorkspace(label: string): Workspace {
  const dir = mkdtempSync(join(tmpdir(), `airgap-wf-${label}-`));
  const home = join(dir, ".home");
  mkdirSync(home);
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: home,
    XDG_RUNTIME_DIR: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    DOCKER_CONFIG: join(home, ".docker"),
    TMPDIR: tmpdir(),
    NO_COLOR: "1",
    ...extra,
  });
  const start: Workspace["start"] = (args, options = {}) => {
    assertBuilt();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: env(options.env), stdio: ["ignore", "pipe", "pipe"] });
    const output = { stdout: "", stderr: "" };
    child.stdout.setEncoding("utf8").on("data", (s: string) => (output.stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (output.stderr += s));
    const exited = new Promise<CliRun>((resolve) => {
      child.on("close", (code, signal) => resolve({ code, signal, stdout: output.stdout, stderr: output.stderr }));
    });
    return { child, output, exited };
  };
  return {
    dir,
    home,
    writeConfig: (yaml) => writeFileSync(join(dir, "airgap.yaml"), yaml),
    env,
    start,
    async run(args, options = {}) {
      const started = start(args, options.env ? { env: options.env } : {});
      const timeoutMs = options.timeoutMs ?? 45_000;
      const timer = setTimeout(() => started.child.kill("SIGKILL"), timeoutMs);
      try {
        const result = await started.exited;
        if (result.signal === "SIGKILL") throw new Error(`airgap ${args.join(" ")} timed out after ${timeoutMs} ms\n${result.stderr}`);
        return result;
      } finally {
        clearTimeout(timer);
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** One image entry of a bundle in airgap.yaml. */
/** The servers most workflow tests share, valid once the file's `beforeAll` ran. */
export interface RegistryPair {
  /** A registry holding the test images. */
  readonly upstream: RunningRegistry;
  /** An empty registry, the target. */
  readonly mirror: RunningRegistry;
  /** A workspace removed after the file's tests. */
  workspace(label: string): Workspace;
}

/**
 * Starts an upstream registry with `images` pushed and an empty mirror
 * before the file's tests; stops both, and removes every workspace made
 * through it, after them.
 */
export function useRegistryPair(images: GeneratedImages): RegistryPair {
  let upstream: RunningRegistry | undefined;
  let mirror: RunningRegistry | undefined;
  const workspaces: Workspace[] = [];
  beforeAll(async () => {
    [upstream, mirror] = await Promise.all([startRegistry(), startRegistry()]);
    await pushImages(upstream, images);
  });
  afterAll(async () => {
    await Promise.all([upstream?.stop(), mirror?.stop()]);
    for (const ws of workspaces) ws.remove();
  });
  const started = (registry: RunningRegistry | undefined): RunningRegistry => {
    if (!registry) throw new Error("the registries start in beforeAll");
    return registry;
  };
  return {
    get upstream() {
      return started(upstream);
    },
    get mirror() {
      return started(mirror);
    },
    workspace(label) {
      const ws = createWorkspace(label);
      workspaces.push(ws);
      return ws;
    },
  };
}

export type ImageEntry = string | { readonly ref: string; readonly tags?: string };

/** Settings of {@link workflowConfig}. */
export interface WorkflowConfig {
  /** `127.0.0.1:PORT` of the upstream (what image references name). */
  readonly upstreamHost: string;
  /** URL the CLI uses for the upstream (the registry itself or a fault proxy in front of it). */
  readonly upstreamUrl: string;
  /** URL of the target registry (or a fault proxy in front of it). */
  readonly mirrorUrl: string;
  readonly images: readonly ImageEntry[];
  readonly prune?: boolean;
  readonly preserveDigests?: boolean;
  readonly platforms?: readonly string[];
  /** Bundle path prefix; default `mke`. */
  readonly path?: string;
}

/** airgap.yaml for an upstream registry source and an `oci` mirror, one bundle `platform`. */
export function workflowConfig(c: WorkflowConfig): string {
  const images = c.images.map((i) => (typeof i === "string" ? `      - ${i}` : `      - { ref: ${i.ref}${i.tags === undefined ? "" : `, tags: ${i.tags}`} }`));
  return [
    "apiVersion: airgap/v1",
    "sources:",
    `  upstream: { type: registry, host: "${c.upstreamHost}", url: "${c.upstreamUrl}", credentials: { username: "\${UP_USER:-}", password: "\${UP_PASS:-}" } }`,
    "registries:",
    `  mirror: { provider: oci, url: "${c.mirrorUrl}", credentials: { username: "\${MIRROR_USER:-}", password: "\${MIRROR_PASS:-}" } }`,
    "bundles:",
    "  platform:",
    "    registry: mirror",
    `    path: ${c.path ?? "mke"}`,
    `    platforms: [${(c.platforms ?? ["linux/amd64", "linux/arm64"]).join(", ")}]`,
    `    prune: ${String(c.prune ?? false)}`,
    ...(c.preserveDigests === undefined ? [] : [`    preserveDigests: ${String(c.preserveDigests)}`]),
    "    images:",
    ...images,
    "",
  ].join("\n");
}

/** The part of a `plan --json` change the tests read. */
export interface JsonChange {
  readonly address: string;
  readonly action: "create" | "update" | "delete" | "no-op";
  readonly registry: string;
  readonly repository?: string;
  readonly tag?: string;
  readonly source?: string;
  readonly before?: string;
  readonly after?: string;
  readonly copy?: { readonly sourceDigest: string; readonly platforms?: readonly string[]; readonly preserveDigests: boolean };
}

/** The part of a `plan --json` document the tests read. */
export interface JsonPlan {
  readonly formatVersion: number;
  readonly changes: readonly JsonChange[];
  readonly summary: { readonly add: number; readonly change: number; readonly destroy: number; readonly unchanged: number };
}

/** Runs `plan --json` and parses it; throws with stderr when it fails. */
export async function planJson(ws: Workspace, extra: readonly string[] = []): Promise<JsonPlan> {
  const run = await ws.run(["plan", "--json", ...extra]);
  if (run.code !== 0) throw new Error(`airgap plan --json exited ${String(run.code)}\n${run.stderr}\n${run.stdout}`);
  return JSON.parse(run.stdout) as JsonPlan;
}

/** A manifest or index as JSON (the fields the tests read). */
export interface ManifestJson {
  readonly mediaType?: string;
  readonly manifests?: readonly { readonly digest: string; readonly platform?: { readonly os: string; readonly architecture: string; readonly variant?: string } }[];
  readonly layers?: readonly { readonly digest: string }[];
}

/** `skopeo inspect --raw docker://HOST/REF` over plain HTTP, anonymously. */
export async function inspect(host: string, ref: string): Promise<RawManifest & { json: ManifestJson }> {
  const raw = await inspectRaw(`docker://${host}/${ref}`, { tlsVerify: false });
  return { ...raw, json: JSON.parse(raw.bytes.toString("utf8")) as ManifestJson };
}

/** `skopeo copy --all docker://HOST/REF oci:DIR:x`: proves every manifest and blob of the image is present and valid. */
export async function copyAllToLayout(host: string, ref: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "airgap-wf-pull-"));
  try {
    await copy(`docker://${host}/${ref}`, `oci:${join(dir, "layout")}:x`, { all: true, src: { tlsVerify: false } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Tags of a repository through the registry's API (empty when the repository is unknown). */
export async function listTags(registry: Pick<RunningRegistry, "fetch">, repository: string): Promise<string[]> {
  const res = await registry.fetch(`/v2/${repository}/tags/list`);
  if (res.status === 404) {
    await res.text();
    return [];
  }
  if (res.status !== 200) throw new Error(`tags/list ${repository}: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { tags?: string[] | null };
  return [...(body.tags ?? [])].sort();
}

/** `os/arch[/variant]` of an index entry. */
export function platformOf(entry: NonNullable<ManifestJson["manifests"]>[number]): string {
  const p = entry.platform;
  if (p === undefined) return "?";
  return [p.os, p.architecture, p.variant].filter((s) => s !== undefined).join("/");
}

/** The upstream repository and tag of a change's `source` (`HOST/REPO:TAG`). */
export function upstreamOf(change: Pick<JsonChange, "source">, host: string): { repository: string; tag: string } {
  const source = change.source ?? "";
  if (!source.startsWith(`${host}/`)) throw new Error(`change source ${source} is not on ${host}`);
  const rest = source.slice(host.length + 1);
  const colon = rest.lastIndexOf(":");
  return { repository: rest.slice(0, colon), tag: rest.slice(colon + 1) };
}

/** The target reference of a change: `REPO:TAG`. */
export function targetRef(change: Pick<JsonChange, "repository" | "tag">): string {
  if (change.repository === undefined || change.tag === undefined) throw new Error("change without repository or tag");
  return `${change.repository}:${change.tag}`;
}

/** Removes terminal escape sequences and carriage returns from PTY output. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r/g, "");
}

/** Polls `check` every 100 ms until it returns true; throws after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
