/**
 * Opening the place an entry's content comes from. One {@link SourceOpener}
 * per command: it keeps one RegistryClient per registry host (so auth
 * schemes and tokens are reused), each opened layout and archive (indexed
 * once), and closes them in {@link SourceOpener.close}.
 *
 * Registries: one client per host ({@link canonicalRegistryHost}: every
 * spelling of Docker Hub is one). The URL comes from the source settings,
 * else `https://<host>` (`docker.io` is `https://registry-1.docker.io`).
 * Credentials: the source's `credentials` block (sources/credentials.ts);
 * without a source, the user's docker / containers auth files for the host.
 * TLS (`caFile`, `insecureSkipVerify`) applies to that host only.
 *
 * Disk: `oci-layout` is a layout directory or a layout tar (decided by
 * stat), `oci-archives` a directory of MKE-named archives;
 * `docker-archive` is not supported yet.
 */
import { stat } from "node:fs/promises";
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import type { Descriptor } from "../core/oci-types.js";
import type { ContentOrigin, RegistrySourceSettings } from "../config/normalize.js";
import type { Logger } from "../core/logger.js";
import { canonicalRegistryHost, registryApiHost } from "../core/reference.js";
import { silentLogger } from "../core/logger.js";
import type { CallOptions, ContentReader } from "../oci/content.js";
import { OciLayoutDirectory, OciLayoutTar, type LayoutStore } from "../oci/layout/index.js";
import { RegistryClient, type CredentialLookupOptions, type CredentialsProvider, type TlsPolicy, type Transport } from "../oci/registry/index.js";
import { ArchiveDirectory } from "./archive-directory.js";
import { registryCredentials } from "./credentials.js";
import { DockerArchive } from "../oci/docker-archive/index.js";
import { createHash } from "node:crypto";
import { redactUrl } from "../core/redact.js";
import { CHART_SIZE_LIMIT, HelmChartSource } from "./helm-chart-source.js";
import { ResolveError } from "./errors.js";
import { HttpFetcher } from "./http-fetch.js";
import { layoutCandidates, LayoutSourceRepository, RegistrySourceRepository, type SourceRepository } from "./source-repository.js";

/** Settings of a {@link SourceOpener}; all optional. */
export interface SourceOpenerOptions {
  readonly logger?: Logger;
  /** The command's HTTP transport, shared by registry clients and HTTP downloads (the caller closes it). */
  readonly transport: Transport;
  /** Where the user's auth files are looked up (tests point this at a temp HOME). */
  readonly credentialLookup?: CredentialLookupOptions;
  /** Where compressed layout archives are expanded (default: the OS temp directory). */
  readonly tempDir?: string;
  /**
   * Every source is this one layout (`plan --from BUNDLE`): images are found
   * by their full upstream names, and nothing else is reached.
   */
  readonly only?: LayoutStore & { repository(name: string): ContentReader };
}

/** The repository part of a reference: which repository of which registry. */
export interface RepositoryName {
  readonly registry: string;
  readonly repository: string;
}

/** The base URL of a registry: the source's `url`, else `https://<host>` (Docker Hub's API host for docker.io). */
export function registrySourceUrl(host: string, settings: RegistrySourceSettings | undefined): string {
  return settings !== undefined ? settings.url : `https://${registryApiHost(host)}`;
}

/** Credentials for a registry source, from its settings (see the module comment); undefined means the client's default lookup. */
export function sourceCredentials(settings: RegistrySourceSettings | undefined, lookup: CredentialLookupOptions): CredentialsProvider | undefined {
  if (settings === undefined) return undefined;
  return registryCredentials(settings.credentials, { host: settings.host, lookup, configuredIn: `sources.${settings.name}.credentials` });
}

function tlsPolicy(settings: RegistrySourceSettings | undefined): TlsPolicy | undefined {
  const tls = settings?.tls;
  if (tls === undefined) return undefined;
  const policy = { ...(tls.caFile !== undefined ? { caFile: tls.caFile } : {}), ...(tls.insecureSkipVerify === true ? { insecureSkipVerify: true } : {}) };
  return Object.keys(policy).length > 0 ? policy : undefined;
}

/** Opens sources for entries and keeps what it opened until {@link close}. */
export class SourceOpener {
  readonly logger: Logger;
  /** HTTP reads for Helm repositories and file URLs. */
  readonly http: HttpFetcher;
  private readonly transport: Transport;
  private readonly lookup: CredentialLookupOptions;
  private readonly tempDir: string | undefined;
  private readonly clients = new Map<string, RegistryClient>();
  private readonly layouts = new Map<string, Promise<OciLayoutDirectory | OciLayoutTar>>();
  private readonly archiveDirs = new Map<string, ArchiveDirectory>();
  private readonly dockerArchives = new Map<string, Promise<LayoutStore & { repository(name: string): ContentReader }>>();
  private closed = false;

  private readonly only: SourceOpenerOptions["only"];

  constructor(options: SourceOpenerOptions) {
    this.only = options.only;
    this.logger = options.logger ?? silentLogger;
    this.transport = options.transport;
    this.http = new HttpFetcher(this.transport);
    this.lookup = { ...options.credentialLookup, logger: options.credentialLookup?.logger ?? this.logger };
    this.tempDir = options.tempDir;
  }

  /** The client for a registry host (created once per host, in any spelling, and reused). */
  registryClient(host: string, settings?: RegistrySourceSettings): RegistryClient {
    const key = canonicalRegistryHost(host);
    let client = this.clients.get(key);
    if (client === undefined) {
      const credentials = sourceCredentials(settings, this.lookup);
      const tls = tlsPolicy(settings);
      if (settings?.tls?.certFile !== undefined) this.logger.log("warn", "client certificates (tls.certFile) are not supported for sources yet; connecting without one", { registry: host });
      client = new RegistryClient({
        url: registrySourceUrl(host, settings),
        transport: this.transport,
        logger: this.logger,
        ...(credentials !== undefined ? { credentials } : {}),
        ...(tls !== undefined ? { tls } : {}),
        ...(settings?.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /**
   * Opens one repository of an entry's origin. Throws {@link ResolveError}
   * for a source that cannot be used (missing path, unsupported type) and
   * LayoutError for a broken layout.
   */
  async open(name: RepositoryName, origin: ContentOrigin, options: CallOptions = {}): Promise<SourceRepository> {
    if (this.closed) throw new ResolveError("SOURCE_INVALID", "the source opener is closed");
    if (this.only) return new LayoutSourceRepository(this.only, layoutCandidates(name.registry, name.repository));
    if (origin.type === "helm-chart") return this.openHelmChart(name, origin);
    if (origin.type === "registry") return new RegistrySourceRepository(this.registryClient(name.registry, origin.settings), name.repository, `${name.registry}/${name.repository}`);
    switch (origin.format) {
      case "oci-layout": {
        const layout = await this.openLayout(origin.path, options);
        return new LayoutSourceRepository(layout, layoutCandidates(name.registry, name.repository));
      }
      case "oci-archives": {
        let dir = this.archiveDirs.get(origin.path);
        if (dir === undefined) {
          dir = new ArchiveDirectory(origin.path, (file, o) => this.openTar(file, o));
          this.archiveDirs.set(origin.path, dir);
        }
        return dir.repository(name.registry, name.repository);
      }
      case "docker-archive": {
        const archive = await this.openDockerArchive(origin.path, options);
        return new LayoutSourceRepository(archive, layoutCandidates(name.registry, name.repository));
      }
    }
  }

  /** An OCI layout directory or tar, by what is on disk. */
  private openLayout(path: string, options: CallOptions): Promise<OciLayoutDirectory | OciLayoutTar> {
    let pending = this.layouts.get(path);
    if (pending === undefined) {
      pending = stat(path).then(
        (info): Promise<OciLayoutDirectory | OciLayoutTar> => (info.isDirectory() ? OciLayoutDirectory.open(path) : this.openTar(path, options)),
        (error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") throw new ResolveError("SOURCE_NOT_FOUND", `oci-layout ${path} does not exist`, { cause: error });
          throw error;
        },
      );
      this.layouts.set(path, pending);
      pending.catch(() => this.layouts.delete(path));
    }
    return pending;
  }

  private openTar(path: string, options: CallOptions): Promise<OciLayoutTar> {
    const key = `tar:${path}`;
    let pending = this.layouts.get(key) as Promise<OciLayoutTar> | undefined;
    if (pending === undefined) {
      pending = OciLayoutTar.open(path, { ...(this.tempDir !== undefined ? { tempDir: this.tempDir } : {}), ...(options.signal !== undefined ? { signal: options.signal } : {}) });
      this.layouts.set(key, pending);
      pending.catch(() => this.layouts.delete(key));
    }
    return pending;
  }

  /** A Helm-repository chart, as the OCI artifact `helm push` would make; its archive is checked against the lock. */
  private openHelmChart(name: RepositoryName, origin: Extract<ContentOrigin, { type: "helm-chart" }>): SourceRepository {
    const display = `${name.registry}/${name.repository}`;
    const reader = new HelmChartSource(display, origin.version, async (options) => {
      const got = await this.http.bytes(origin.url, CHART_SIZE_LIMIT, { ...(options.signal !== undefined ? { signal: options.signal } : {}), ...(origin.credentials ? { credentials: origin.credentials } : {}) });
      if (!got.found) throw new ResolveError("SOURCE_NOT_FOUND", `chart archive ${redactUrl(origin.url)} is gone (HTTP ${got.status}); run \`airgap lock --update\``);
      const sha256 = createHash("sha256").update(got.bytes).digest("hex");
      if (sha256 !== origin.sha256) throw new ResolveError("SOURCE_INVALID", `chart archive ${redactUrl(origin.url)} has sha256 ${sha256}, but airgap.lock pins ${origin.sha256}: it was republished; run \`airgap lock --update\``);
      return got.bytes;
    });
    const tag = origin.version.replace(/\+/g, "_");
    return {
      name: display,
      reader,
      listTags: async () => [tag],
      getManifest: async (reference, options = {}) => {
        const found = await reader.resolve(reference, options);
        if (!found) return undefined;
        const stream = await reader.fetch(found, options);
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
        return { descriptor: found, bytes: Buffer.concat(chunks) };
      },
      hasManifest: async (digest, options = {}) => (await reader.resolve(digest, options)) !== undefined,
    };
  }

  /** A `docker save` tar (or, from Docker 25 on, the OCI layout inside one). */
  private openDockerArchive(path: string, options: CallOptions): Promise<LayoutStore & { repository(name: string): ContentReader }> {
    const key = `docker:${path}`;
    let pending = this.dockerArchives.get(key);
    if (pending === undefined) {
      pending = DockerArchive.open(path, { ...(this.tempDir !== undefined ? { tempDir: this.tempDir } : {}), ...(options.signal !== undefined ? { signal: options.signal } : {}) }).then(
        (opened): Promise<LayoutStore & { repository(name: string): ContentReader }> => (opened.kind === "docker-archive" ? Promise.resolve(opened.archive) : this.openTar(path, options)),
        (error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") throw new ResolveError("SOURCE_NOT_FOUND", `docker-archive ${path} does not exist`, { cause: error });
          throw error;
        },
      );
      this.dockerArchives.set(key, pending);
      pending.catch(() => this.dockerArchives.delete(key));
    }
    return pending;
  }

  /** Closes every archive it opened (removing expanded temp copies). Registry clients need no closing. */
  /**
   * A file's bytes from their start: offline, the bundle's blob with that
   * sha256; else the local path or the URL. The caller checks the bytes
   * against the sha256 as they stream.
   */
  async openFile(
    file: { readonly url?: string; readonly path?: string; readonly blob?: { readonly name: RepositoryName; readonly origin: ContentOrigin }; readonly sha256: string; readonly size: number },
    signal?: AbortSignal,
  ): Promise<Readable> {
    const descriptor = { mediaType: "application/octet-stream", digest: `sha256:${file.sha256}` as Descriptor["digest"], size: file.size };
    if (this.only) return this.only.openBlob(descriptor, signal ? { signal } : {});
    if (file.blob !== undefined) return (await this.open(file.blob.name, file.blob.origin, signal ? { signal } : {})).reader.fetch(descriptor, signal ? { signal } : {});
    if (file.path !== undefined) return createReadStream(file.path, signal ? { signal } : {});
    if (file.url !== undefined) return this.http.stream(file.url, signal ? { signal } : {});
    throw new ResolveError("SOURCE_INVALID", "a file entry has neither url nor path");
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.dockerArchives.values()) {
      const archive = await pending.catch(() => undefined);
      if (archive && "close" in archive && typeof archive.close === "function") await (archive.close as () => Promise<void>)().catch(() => undefined);
    }
    this.dockerArchives.clear();
    const opened = [...new Set(this.layouts.values())];
    this.layouts.clear();
    const tars = new Set<OciLayoutTar>();
    for (const pending of opened) {
      const layout = await pending.catch(() => undefined);
      if (layout instanceof OciLayoutTar) tars.add(layout);
    }
    for (const tar of tars) await tar.close();
  }
}
