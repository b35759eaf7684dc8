/**
 * Reads what is on disk where the rendered outputs go, for planOutputFiles:
 * each rendered file, and every `*\/hosts.toml` under a containerd output's
 * directory (so that files airgap wrote earlier for an upstream registry the
 * config no longer has can be planned for deletion). Read-only.
 */
import { lstat, readdir, readFile } from "node:fs/promises";
import { join, posix, resolve } from "node:path";
import { ClusterOutputError } from "./errors.js";
import type { RenderedOutput } from "./model.js";

/** Output files are small configuration files; anything larger is not one of ours. */
export const MAX_OUTPUT_FILE_BYTES = 1024 * 1024;

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The file's text, or undefined when nothing is there. */
async function readOutputFile(baseDir: string, path: string): Promise<string | undefined> {
  const absolute = resolve(baseDir, path);
  let info;
  try {
    info = await lstat(absolute);
  } catch (error) {
    if (errno(error) === "ENOENT" || errno(error) === "ENOTDIR") return undefined;
    throw new ClusterOutputError("OUTPUT_UNREADABLE", path, `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (!info.isFile()) throw new ClusterOutputError("OUTPUT_UNREADABLE", path, `${path} exists but is not a regular file; airgap will not replace it`);
  if (info.size > MAX_OUTPUT_FILE_BYTES) throw new ClusterOutputError("OUTPUT_UNREADABLE", path, `${path} is ${info.size} bytes, too large to be a cluster setting airgap wrote; move it away`);
  try {
    return await readFile(absolute, "utf8");
  } catch (error) {
    throw new ClusterOutputError("OUTPUT_UNREADABLE", path, `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** The `<root>/<dir>/hosts.toml` files present under a directory output. */
async function hostsFiles(baseDir: string, root: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(resolve(baseDir, root), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (error) {
    if (errno(error) === "ENOENT" || errno(error) === "ENOTDIR") return [];
    throw new ClusterOutputError("OUTPUT_UNREADABLE", root, `cannot list ${root}: ${(error as Error).message}`, { cause: error });
  }
  const found: string[] = [];
  for (const name of names.sort()) {
    try {
      if ((await lstat(join(resolve(baseDir, root), name, "hosts.toml"))).isFile()) found.push(posix.join(root, name, "hosts.toml"));
    } catch (error) {
      if (errno(error) !== "ENOENT") throw new ClusterOutputError("OUTPUT_UNREADABLE", posix.join(root, name), `cannot read ${posix.join(root, name, "hosts.toml")}: ${(error as Error).message}`, { cause: error });
    }
  }
  return found;
}

/**
 * Current content by path (as the renderers name them, relative to
 * `baseDir`, the directory of airgap.yaml); undefined for absent files.
 * Outputs with an error are skipped: nothing will be planned for them.
 */
export async function readCurrentOutputs(baseDir: string, outputs: readonly RenderedOutput[]): Promise<Map<string, string | undefined>> {
  const paths = new Set<string>();
  for (const output of outputs) {
    if (output.problems.some((p) => p.severity === "error")) continue;
    for (const file of output.files) paths.add(file.path);
    if (output.directory) for (const path of await hostsFiles(baseDir, output.directory.root)) paths.add(path);
  }
  const current = new Map<string, string | undefined>();
  for (const path of [...paths].sort()) current.set(path, await readOutputFile(baseDir, path));
  return current;
}
