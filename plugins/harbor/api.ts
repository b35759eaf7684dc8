/**
 * The part of Harbor's REST API (`/api/v2.0`, ../shared/reference/harbor/
 * swagger.yaml) the provider calls: projects, quota, repositories and
 * artifacts. HTTP Basic on every request (a user or a robot account); no
 * cookie jar, so Harbor's CSRF check, which only applies to requests that
 * carry its session cookie, never fires (providers-notes §2.1). Errors carry
 * Harbor's own `errors[]` text.
 */
import { readFile } from "node:fs/promises";
import { rootCertificates } from "node:tls";
import { Agent, request, type Dispatcher } from "undici";
import { AirgapError, type TlsSettings, type UsernamePassword } from "airgap/sdk";

/** One entry of Harbor's error body. */
export interface HarborErrorEntry {
  readonly code: string;
  readonly message: string;
}

/** A Harbor API call failed; `errors` are Harbor's own entries. */
export class HarborError extends AirgapError {
  readonly status: number | undefined;
  readonly errors: readonly HarborErrorEntry[];

  constructor(message: string, options: { readonly status?: number; readonly errors?: readonly HarborErrorEntry[]; readonly cause?: unknown } = {}) {
    super("HARBOR", message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.status = options.status;
    this.errors = options.errors ?? [];
  }
}

/** Harbor's `Project` (the fields used). */
export interface HarborProject {
  readonly project_id: number;
  readonly name: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Harbor's `Artifact` (the fields used). */
export interface HarborArtifact {
  readonly digest: string;
  readonly manifest_media_type?: string;
  readonly tags?: readonly { readonly name: string; readonly immutable?: boolean }[] | null;
  readonly references?: readonly { readonly child_digest: string }[] | null;
  readonly accessories?: readonly { readonly digest: string; readonly type?: string }[] | null;
}

/** Quota of a project in bytes; `hard` -1 is unlimited. */
export interface HarborQuota {
  readonly hard: number;
  readonly used: number;
}

/** What `POST /projects` takes (`ProjectReq`); metadata values are the strings "true"/"false". */
export interface ProjectRequest {
  readonly project_name: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly storage_limit: number;
}

/** Settings of a {@link HarborApi}. */
export interface HarborApiOptions {
  /** The Harbor origin (`https://harbor.example.internal`). */
  readonly origin: URL;
  readonly credentials: UsernamePassword | undefined;
  readonly tls?: TlsSettings;
  /** Page size of listings (Harbor allows at most 100). */
  readonly pageSize?: number;
  /** How a retry waits (the provider context's); default real timers. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const PAGE_SIZE_MAX = 100;
const RETRY_STATUS = new Set([429, 502, 503, 504]);

function errorEntries(text: string): HarborErrorEntry[] {
  try {
    const json = JSON.parse(text) as { errors?: unknown };
    if (!Array.isArray(json.errors)) return [];
    return json.errors.filter((e): e is HarborErrorEntry => typeof e === "object" && e !== null && typeof (e as HarborErrorEntry).code === "string").map((e) => ({ code: e.code, message: String(e.message ?? "") }));
  } catch {
    return [];
  }
}

/** `a/b` → `a%252Fb`: repository names in API paths are encoded twice (swagger `repositoryName`). */
export function encodeRepositoryPath(path: string): string {
  return encodeURIComponent(encodeURIComponent(path));
}

/** A client for one Harbor's REST API. */
export class HarborApi {
  readonly origin: URL;
  private readonly authorization: string | undefined;
  private readonly agent: Promise<Agent>;
  private readonly pageSize: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: HarborApiOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.origin = new URL(options.origin.origin);
    this.authorization = options.credentials ? `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`, "utf8").toString("base64")}` : undefined;
    this.pageSize = Math.min(options.pageSize ?? PAGE_SIZE_MAX, PAGE_SIZE_MAX);
    this.agent = (async () => {
      const tls = options.tls;
      const extra = tls?.caFile !== undefined ? await readFile(tls.caFile, "utf8") : undefined;
      return new Agent({
        keepAliveTimeout: 30_000,
        connect: {
          ...(extra !== undefined ? { ca: [...rootCertificates, extra] } : {}),
          ...(tls?.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
        },
      });
    })();
    // A CA file that cannot be read is reported by the first call, not as an unhandled rejection.
    this.agent.catch(() => undefined);
  }

  /** True when the caller sends credentials. */
  get authenticated(): boolean {
    return this.authorization !== undefined;
  }

  /** `HEAD /projects?project_name=` (headProject): 200 exists, 404 does not. */
  async projectExists(name: string, signal?: AbortSignal): Promise<boolean> {
    const res = await this.call("HEAD", "/projects", { query: { project_name: name }, signal, ok: [200, 404] });
    return res.status === 200;
  }

  /** `GET /projects/{name}` with `X-Is-Resource-Name` (an all-digit name is otherwise an ID); undefined when absent. */
  async getProject(name: string, signal?: AbortSignal): Promise<HarborProject | undefined> {
    const res = await this.call("GET", `/projects/${encodeURIComponent(name)}`, { headers: { "x-is-resource-name": "true" }, signal, ok: [200, 404] });
    return res.status === 404 ? undefined : (JSON.parse(res.text) as HarborProject);
  }

  /** `POST /projects` (createProject): `created`, or `exists` on 409. */
  async createProject(project: ProjectRequest, signal?: AbortSignal): Promise<"created" | "exists"> {
    const res = await this.call("POST", "/projects", { json: project, signal, ok: [201, 409] });
    return res.status === 201 ? "created" : "exists";
  }

  /** `PUT /projects/{name}` with new metadata values. */
  async updateProjectMetadata(name: string, metadata: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<void> {
    await this.call("PUT", `/projects/${encodeURIComponent(name)}`, { headers: { "x-is-resource-name": "true" }, json: { metadata }, signal, ok: [200] });
  }

  /** `GET /projects/{name}/summary`: the storage quota. */
  async quota(name: string, signal?: AbortSignal): Promise<HarborQuota> {
    const res = await this.call("GET", `/projects/${encodeURIComponent(name)}/summary`, { headers: { "x-is-resource-name": "true" }, signal, ok: [200] });
    const summary = JSON.parse(res.text) as { quota?: { hard?: { storage?: number }; used?: { storage?: number } } };
    return { hard: summary.quota?.hard?.storage ?? -1, used: summary.quota?.used?.storage ?? 0 };
  }

  /** Every repository of a project (`listRepositories`, paginated): full names (`project/a/b`). */
  async listRepositories(project: string, signal?: AbortSignal): Promise<string[]> {
    const pages = await this.pages<{ name: string }>(`/projects/${encodeURIComponent(project)}/repositories`, {}, signal);
    return pages.map((r) => r.name);
  }

  /**
   * Every artifact of a repository with tags, immutability, index children
   * and accessories (`listArtifacts`, paginated). `path` is the repository
   * below the project. A repository that does not exist has none.
   */
  async listArtifacts(project: string, path: string, signal?: AbortSignal): Promise<HarborArtifact[]> {
    return this.pages<HarborArtifact>(
      `/projects/${encodeURIComponent(project)}/repositories/${encodeRepositoryPath(path)}/artifacts`,
      { with_tag: "true", with_immutable_status: "true", with_accessory: "true" },
      signal,
    );
  }

  /** `DELETE …/artifacts/{reference}/tags/{tag}`: removes one tag, leaving the artifact's others. False when it was not there. */
  async deleteTag(project: string, path: string, reference: string, tag: string, signal?: AbortSignal): Promise<boolean> {
    const res = await this.call("DELETE", `/projects/${encodeURIComponent(project)}/repositories/${encodeRepositoryPath(path)}/artifacts/${encodeURIComponent(reference)}/tags/${encodeURIComponent(tag)}`, { signal, ok: [200, 404] });
    return res.status === 200;
  }

  async close(): Promise<void> {
    const agent = await this.agent.catch(() => undefined);
    await agent?.close();
  }

  /** Reads every page: `page` advances until `X-Total-Count` is reached (Harbor's `Link` carries an unescaped query). */
  private async pages<T>(path: string, query: Readonly<Record<string, string>>, signal: AbortSignal | undefined): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; ; page++) {
      const res = await this.call("GET", path, { query: { ...query, page: String(page), page_size: String(this.pageSize) }, signal, ok: [200] });
      const items = JSON.parse(res.text) as T[];
      out.push(...items);
      const total = Number(res.headers["x-total-count"]);
      const more = Number.isFinite(total) ? out.length < total && items.length > 0 : items.length === this.pageSize;
      if (!more) return out;
    }
  }

  private async call(
    method: Dispatcher.HttpMethod,
    path: string,
    options: { readonly query?: Readonly<Record<string, string>>; readonly headers?: Readonly<Record<string, string>>; readonly json?: unknown; readonly signal: AbortSignal | undefined; readonly ok: readonly number[] },
  ): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
    const url = new URL(`/api/v2.0${path}`, this.origin);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (this.authorization !== undefined) headers.authorization = this.authorization;
    const body = options.json !== undefined ? JSON.stringify(options.json) : undefined;
    if (body !== undefined) headers["content-type"] = "application/json";
    const what = `${method} ${url.pathname}${url.search}`;
    const idempotent = method === "GET" || method === "HEAD";
    const dispatcher = await this.agent.catch((error: unknown) => {
      throw new HarborError(`cannot read the CA file for ${this.origin.host}: ${(error as Error).message}`, { cause: error });
    });
    for (let attempt = 1; ; attempt++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, { method, headers, ...(body !== undefined ? { body } : {}), dispatcher, ...(options.signal ? { signal: options.signal } : {}) });
      } catch (error) {
        if (idempotent && attempt < 3 && !options.signal?.aborted) {
          await this.sleep(250 * 4 ** (attempt - 1), options.signal);
          continue;
        }
        throw new HarborError(`Harbor ${this.origin.host}: ${what} failed: ${(error as Error).message}`, { cause: error });
      }
      const text = method === "HEAD" ? (await res.body.dump(), "") : await res.body.text();
      if (options.ok.includes(res.statusCode)) return { status: res.statusCode, text, headers: res.headers };
      if (idempotent && attempt < 3 && RETRY_STATUS.has(res.statusCode)) {
        await this.sleep(250 * 4 ** (attempt - 1), options.signal);
        continue;
      }
      const errors = errorEntries(text);
      const own = errors.length > 0 ? errors.map((e) => `${e.code}: ${e.message}`).join("; ") : method === "HEAD" ? "no message (HEAD)" : text.trim().slice(0, 200) || "no message";
      throw new HarborError(`Harbor ${this.origin.host} answered ${res.statusCode} to ${what}: ${own}`, { status: res.statusCode, errors });
    }
  }
}
