/**
 * The `fileserver` provider: plain files on an HTTP server that takes PUT,
 * MKCOL, MOVE and DELETE (WebDAV: nginx's dav module, Apache mod_dav,
 * caddy-webdav) or in a directory. Every file is written under a temp name
 * and moved into place, checked against its sha256, and gets a
 * `<file>.sha256` sidecar (`sha256sum -c` format) that observation reads, so
 * a plan with nothing to do costs one small GET per file. Charts sent here
 * form a Helm HTTP repository with an index.yaml kept current.
 */
import { createRequire } from "node:module";
import type { CredentialSettings, Provider, ProviderContext, ProviderPlugin, TlsSettings } from "airgap/sdk";
import { PROVIDER_API_VERSION } from "airgap/sdk";
import { DirectoryStore } from "./directory-store.js";
import { FileServerError } from "./errors.js";
import { HelmRepository } from "./helm-repository.js";
import type { FileStore } from "./store.js";
import { WebDavStore } from "./webdav-store.js";

export { FileServerError, type FileServerErrorCode } from "./errors.js";

/** The settings of a `fileserver` registry (plugins/fileserver/config.schema.json; `path` already absolute). */
export interface FileserverSettings {
  readonly url?: string;
  readonly path?: string;
  readonly credentials?: CredentialSettings;
  readonly tls?: TlsSettings;
  readonly concurrency?: number;
}

/** What tests inject: a clock for index.yaml times, and how retries wait. */
export interface FileserverOptions {
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Opens the store the settings name. */
async function openStore(settings: FileserverSettings, options: FileserverOptions): Promise<FileStore> {
  if (settings.url !== undefined) {
    const c = settings.credentials;
    if (c?.dockerConfig !== undefined || c?.helper !== undefined) {
      throw new FileServerError("FILE_UNSUPPORTED", "a fileserver takes `credentials.username`/`password` (Basic) or `token` (Bearer); `dockerConfig` and `helper` are for registries");
    }
    return WebDavStore.create({ ...settings, url: settings.url }, options.sleep !== undefined ? { sleep: options.sleep } : {});
  }
  if (settings.path !== undefined) return new DirectoryStore(settings.path, settings.concurrency ?? 4);
  throw new FileServerError("FILE_UNSUPPORTED", "a fileserver needs `url` or `path`");
}

/** Creates the provider; the plugin's `create` with injectable clock and retry wait. */
export async function createFileserverProvider(settings: FileserverSettings, _context: Pick<ProviderContext, "registryName">, options: FileserverOptions = {}): Promise<Provider> {
  const store = await openStore(settings, options);
  const charts = new HelmRepository(store, options.now ?? (() => new Date()));
  return {
    display: store.display,
    observeFiles: (paths, o) => store.observe(paths, o),
    putFile: (path, content, o) => store.put(path, content, o),
    deleteFile: (path, o) => store.delete(path, o),
    listFiles: (directory, o) => store.list(directory, o),
    observeCharts: (directory, refs, o) => charts.observe(directory, refs, o),
    publishCharts: (directory, contents, o) => charts.publish(directory, contents, o),
    close: () => store.close(),
  };
}

/** The plugin. */
export const plugin: ProviderPlugin<FileserverSettings> = {
  apiVersion: PROVIDER_API_VERSION,
  name: "fileserver",
  kinds: ["file", "chart"],
  configSchema: createRequire(import.meta.url)("./config.schema.json") as object,
  create: (settings, context) => {
    const clock = context.clock;
    return createFileserverProvider(settings, context, { ...(clock ? { now: () => new Date(clock()) } : {}), ...(context.sleep ? { sleep: context.sleep } : {}) });
  },
};
