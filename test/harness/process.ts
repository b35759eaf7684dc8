import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** How a managed child process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A long-running server process started by the harness, with its output in a log file. */
export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** File receiving the process's stdout and stderr (appended, so it survives restarts). */
  readonly logFile: string;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  /** True until the process has exited. */
  isRunning(): boolean;
  /** Reads the whole log file. */
  readLog(): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<ProcessExit>;
}

/** Options for {@link spawnManaged}. */
export interface SpawnManagedOptions {
  readonly cwd: string;
  readonly logFile: string;
  /** Full environment of the child; nothing from `process.env` is inherited unless passed here. */
  readonly env?: NodeJS.ProcessEnv;
}

const liveChildren = new Set<ChildProcess>();
let setprivPath: string | null | undefined;

/** util-linux `setpriv`, used to give children a parent-death signal; null when unavailable. */
function findSetpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  for (const dir of (process.env["PATH"] ?? "/usr/bin:/bin").split(":")) {
    const candidate = join(dir, "setpriv");
    if (dir.length > 0 && existsSync(candidate)) {
      setprivPath = candidate;
      break;
    }
  }
  return setprivPath;
}
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test run ends without calling stop(). Note: vitest's fork workers are
  // killed without running "exit" handlers, which is why children also get a parent-death
  // signal (see spawnManaged).
  process.on("exit", () => {
    for (const child of liveChildren) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
  });
}

/**
 * A minimal environment for spawned servers: PATH only, so that variables of the developer's
 * shell (REGISTRY_* overrides, proxies, DOCKER_CONFIG, ...) cannot change what a test observes.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C", ...extra };
}

/**
 * Spawns a server process whose stdout and stderr go straight to `logFile` (by file descriptor,
 * so logging never depends on the test's event loop) and which is killed when the test process
 * exits.
 *
 * Why: registry and nginx are real external servers; tests need their logs after the fact
 * (access logs, crash reasons) and must never leave them running. Three layers make sure of it:
 * `stop()`, a `process.on("exit")` kill, and a parent-death signal (util-linux `setpriv
 * --pdeathsig KILL`, exec'ing the server under the same pid) for when the test process is killed.
 */
export function spawnManaged(command: string, args: readonly string[], options: SpawnManagedOptions): ManagedProcess {
  installExitHook();
  const fd = openSync(options.logFile, "a");
  let child: ChildProcess;
  try {
    // PR_SET_PDEATHSIG via setpriv: the kernel SIGKILLs the server when this process dies,
    // however it dies (vitest kills its fork workers without running exit handlers).
    const setpriv = findSetpriv();
    const [file, argv] = setpriv === null ? [command, [...args]] : [setpriv, ["--pdeathsig", "KILL", "--", command, ...args]];
    child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ["ignore", fd, fd],
      detached: false,
    });
  } finally {
    closeSync(fd);
  }
  liveChildren.add(child);
  let running = true;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once("error", () => {
      running = false;
      liveChildren.delete(child);
      resolve({ code: null, signal: null });
    });
    child.once("exit", (code, signal) => {
      running = false;
      liveChildren.delete(child);
      resolve({ code, signal });
    });
  });
  const pid = child.pid;
  if (pid === undefined) {
    // spawn failed synchronously (e.g. ENOENT); the "error" event resolves `exited`.
    return {
      child,
      pid: -1,
      logFile: options.logFile,
      exited,
      isRunning: () => false,
      readLog: () => readFile(options.logFile, "utf8"),
      stop: () => exited,
    };
  }
  return {
    child,
    pid,
    logFile: options.logFile,
    exited,
    isRunning: () => running,
    readLog: () => readFile(options.logFile, "utf8"),
    async stop(graceMs = 3000): Promise<ProcessExit> {
      if (!running) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (running) child.kill("SIGKILL");
      }, graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Last `lines` lines of a log text, for error messages. */
export function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split("\n");
  return all.slice(-lines).join("\n");
}
