/**
 * The `oci-layout` provider: an OCI image layout directory on disk, the
 * embedded default target. Readable by skopeo (`oci:`), containerd and k0s.
 *
 * Reading never creates anything (plan is read-only: a missing directory
 * holds nothing); the directory is created on the first write. Writers
 * take the layout's cross-process lock first (`lockForWrite`): index.json
 * is rewritten whole, so two processes writing at once would lose entries.
 */
import type { CallOptions, ContentWriter, Descriptor, ItemObservation, LayoutDirectory, Provider, ProviderPlugin } from "airgap/sdk";
import { PROVIDER_API_VERSION, isLayoutFailure, lockLayoutForWrite, openLayoutDirectory } from "airgap/sdk";
import { createRequire } from "node:module";
import { access, constants, stat, statfs } from "node:fs/promises";
import { dirname } from "node:path";
import type { Readable } from "node:stream";

/** The settings of an `oci-layout` registry (path already absolute). */
export interface OciLayoutSettings {
  readonly path: string;
}

/** Opens the layout for reading (undefined when it does not exist yet) or for writing (created on demand). */
function layoutOpener(path: string) {
  let existing: Promise<LayoutDirectory | undefined> | undefined;
  let writable: Promise<LayoutDirectory> | undefined;
  return {
    read(): Promise<LayoutDirectory | undefined> {
      if (writable) return writable;
      existing ??= openLayoutDirectory(path).catch((error: unknown) => {
        if (isLayoutFailure(error, "NOT_A_LAYOUT")) return undefined;
        throw error;
      });
      return existing;
    },
    /** The layout to fetch from: a missing one fails with the layout's own NOT_A_LAYOUT error. */
    async fetchable(): Promise<LayoutDirectory> {
      return (await this.read()) ?? openLayoutDirectory(path);
    },
    write(): Promise<LayoutDirectory> {
      writable ??= openLayoutDirectory(path, { create: true });
      return writable;
    },
  };
}

/** A repository view that reads without creating and writes through a created layout. */
function lazyRepository(opener: ReturnType<typeof layoutOpener>, name: string, path: string): ContentWriter {
  return {
    name: `oci:${path}:${name}`,
    async resolve(reference: string, options?: CallOptions): Promise<Descriptor | undefined> {
      const layout = await opener.read();
      return layout?.repository(name).resolve(reference, options);
    },
    async exists(descriptor: Descriptor, options?: CallOptions): Promise<boolean> {
      const layout = await opener.read();
      return layout ? layout.repository(name).exists(descriptor, options) : false;
    },
    async fetch(descriptor: Descriptor, options?: CallOptions): Promise<Readable> {
      return (await opener.fetchable()).repository(name).fetch(descriptor, options);
    },
    async push(descriptor: Descriptor, content: Readable, options?: CallOptions): Promise<void> {
      return (await opener.write()).repository(name).push(descriptor, content, options);
    },
    async tag(descriptor: Descriptor, tag: string, options?: CallOptions): Promise<void> {
      return (await opener.write()).repository(name).tag(descriptor, tag, options);
    },
    async mount(descriptor: Descriptor, fromRepository: string, options?: CallOptions): Promise<boolean> {
      const repository = (await opener.write()).repository(name);
      return repository.mount ? repository.mount(descriptor, fromRepository, options) : false;
    },
  };
}

/** Free bytes for an unprivileged writer on the file system holding `path` (or its nearest existing parent). */
async function freeBytes(path: string): Promise<number | undefined> {
  for (let dir = path; ; dir = dirname(dir)) {
    try {
      const stats = await statfs(dir);
      return stats.bavail * stats.bsize;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || dirname(dir) === dir) return undefined;
    }
  }
}

/**
 * Why the layout cannot be written, or undefined when it can: checked on the
 * layout directory or, before it exists, the nearest directory above it
 * that apply would create it in.
 */
async function notWritable(path: string): Promise<string | undefined> {
  for (let dir = path; ; dir = dirname(dir)) {
    try {
      await access(dir, constants.W_OK);
      return undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EROFS") return `cannot write ${path}: the file system is read-only (${dir})`;
      if (code === "EACCES" || code === "EPERM") return `cannot write ${path}: permission denied on ${dir}`;
      if (code !== "ENOENT" || dirname(dir) === dir) return undefined;
    }
  }
}

function formatSize(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${bytes} B`;
}

/**
 * Why `path` can hold no layout at all, or undefined when it can: it exists
 * and is not a directory (a layout tar, say). Said once, at plan time, before
 * every object of the plan fails to be observed inside a file.
 */
async function notADirectory(path: string): Promise<string | undefined> {
  const found = await stat(path).catch(() => undefined);
  if (found === undefined || found.isDirectory()) return undefined;
  return `${path} is a file, not a directory: an oci-layout target is a directory (to read a layout tar, declare it as a \`source\`); point \`path\` at a directory`;
}

/** The plugin. */
export const plugin: ProviderPlugin<OciLayoutSettings> = {
  apiVersion: PROVIDER_API_VERSION,
  name: "oci-layout",
  kinds: ["image", "chart", "file"],
  configSchema: createRequire(import.meta.url)("./config.schema.json") as object,
  async create(settings): Promise<Provider> {
    const opener = layoutOpener(settings.path);
    return {
      display: `oci:${settings.path}`,
      repository: (name) => lazyRepository(opener, name, settings.path),
      /**
       * Every image and chart in one read of index.json, resolved as a repository view
       * resolves it (full ref.name, containerd's image name, then a bare skopeo tag). The
       * core would otherwise read this layout's tag list, which names only airgap's own
       * full-name entries (the ones prune may delete), and take a tag it leaves out as absent.
       */
      async observe(items, options) {
        const answers = new Map<string, ItemObservation>();
        for (const item of items) {
          if (item.kind === "file" || item.repository === undefined) continue;
          const reference = item.tag ?? item.digest;
          if (reference === undefined) continue;
          const found = await lazyRepository(opener, item.repository, settings.path).resolve(reference, options);
          answers.set(item.address, found ? { state: "present", digest: found.digest } : { state: "absent" });
        }
        return answers;
      },
      async ping() {
        const problem = await notADirectory(settings.path);
        if (problem !== undefined) throw new Error(problem);
      },
      async listTags(repository) {
        const layout = await opener.read();
        if (!layout) return [];
        const prefix = `${repository}:`;
        return (await layout.entries()).flatMap((e) => {
          const name = e.annotations?.["org.opencontainers.image.ref.name"];
          return name?.startsWith(prefix) ? [name.slice(prefix.length)] : [];
        });
      },
      async deleteTag(repository, tag) {
        const layout = await opener.read();
        await layout?.removeRef(`${repository}:${tag}`);
      },
      lockForWrite: (options = {}) => lockLayoutForWrite(settings.path, options),
      async preflight({ uploads, writes }) {
        // Any write (a tag moved, a prune) needs a writable directory; uploads also need the disk space
        // for the bytes the plan writes (each blob once), where the layout is or will be created.
        if (writes === false && uploads.length === 0) return [];
        const refused = await notWritable(settings.path);
        if (refused !== undefined) return [{ message: `${refused}: point \`path\` at a writable directory`, subject: settings.path }];
        const bytes = [...new Map(uploads.map((u) => [u.digest, u.size])).values()].reduce((a, b) => a + b, 0);
        if (bytes === 0) return [];
        const free = await freeBytes(settings.path);
        if (free === undefined || free >= bytes) return [];
        return [{ message: `${settings.path} has ${formatSize(free)} free, the plan writes ${formatSize(bytes)}: free space there or point \`path\` at a larger disk`, subject: settings.path }];
      },
    };
  },
};
