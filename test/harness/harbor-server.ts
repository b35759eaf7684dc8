/**
 * A small Harbor written from its published API (../shared/reference/harbor/
 * swagger.yaml) and the behaviour of its middlewares that airgap depends on
 * (providers-notes §2), for exactly the operations airgap calls. `/v2` goes
 * to a real distribution registry behind it, so pushes really land; this
 * server adds what Harbor adds in front: projects, robot accounts, the token
 * service, quota, immutable tag rules, the artifact database and CSRF.
 *
 * Behaviour copied from Harbor (goharbor/harbor, files named in comments):
 * - errors are `{"errors":[{"code","message"}]}` (lib/http/error.go);
 * - wrong Basic credentials make a request anonymous, they are not refused
 *   (server/middleware/security/basic_auth.go);
 * - `/v2` access checks and challenges (server/middleware/v2auth/auth.go):
 *   a missing project answers 401 with the project lookup's message and an
 *   empty `Www-Authenticate`; a request that carried credentials is
 *   challenged with `Basic realm="harbor"`, one without with a Bearer
 *   challenge to `/service/token`;
 * - a missing project on the REST API is 403 for a signed-in caller and 401
 *   for an anonymous one (server/v2.0/handler/base.go RequireProjectAccess);
 * - listing artifacts of a repository that does not exist is an empty page;
 *   children of indexes appear only under `references`, accessories only
 *   under `accessories` (pkg/artifact/dao);
 * - immutable tags refuse any second push to the tag, even of the same
 *   digest, with 412 PRECONDITION (server/middleware/immutable/pushmf.go);
 * - unsafe API requests that carry the session cookie need the CSRF token
 *   (server/middleware/csrf/csrf.go), so a client that keeps cookies fails.
 */
import { createHash, randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import picomatch from "picomatch";
import { createCa, createServerCert } from "./openssl.js";
import { basicCredentials, createForwarder, manifestFacts, parseV2Path, readBody, record, sendJson, type WireRecord } from "./registry-proxy.js";
import type { RunningRegistry } from "./registry.js";
import { makeTempDir, type TempDir } from "./tmp.js";

/** What an account may do in a project (Harbor's rbac actions, reduced to what airgap uses). */
export type HarborAction = "pull" | "push" | "delete" | "list" | "read";

/** An account of the test Harbor: a user, or a robot when the name starts with `robot$`. */
export interface HarborAccount {
  readonly username: string;
  readonly password: string;
  /** System administrator: may do anything. */
  readonly admin?: boolean;
  /** Per-project permissions (`*` for every project). */
  readonly projects?: Readonly<Record<string, readonly HarborAction[]>>;
  /** System-level `project:create` (robots); users may create projects when creation is open to everyone. */
  readonly createProjects?: boolean;
}

/** Options of {@link startHarbor}. */
export interface StartHarborOptions {
  /** The real registry behind `/v2` (auth `none`). */
  readonly registry: RunningRegistry;
  /** Serve HTTPS with a certificate from a throw-away CA (`caFile`). */
  readonly tls?: boolean;
  /** Accounts besides the built-in `admin`. */
  readonly accounts?: readonly HarborAccount[];
  /** Harbor's `project_creation_restriction`; default `everyone`. */
  readonly projectCreationRestriction?: "everyone" | "adminonly";
  readonly clock?: () => number;
}

interface Tag {
  readonly id: number;
  readonly name: string;
  readonly pushTime: string;
}

interface Artifact {
  readonly id: number;
  readonly digest: string;
  readonly manifestMediaType: string;
  readonly mediaType: string;
  readonly type: string;
  readonly size: number;
  readonly pushTime: string;
  readonly references: readonly { readonly childDigest: string; readonly platform?: Record<string, unknown> }[];
  readonly tags: Map<string, Tag>;
  subject: string | undefined;
  accessoryType: string | undefined;
}

interface Repository {
  readonly id: number;
  readonly name: string;
  readonly createdAt: string;
  readonly artifacts: Map<string, Artifact>;
}

interface ImmutableRule {
  readonly id: number;
  readonly body: Record<string, unknown>;
}

interface Project {
  readonly id: number;
  readonly name: string;
  readonly createdAt: string;
  metadata: Record<string, string>;
  readonly storageLimit: number;
  used: number;
  readonly counted: Set<string>;
  readonly repositories: Map<string, Repository>;
  readonly rules: ImmutableRule[];
}

/** A project as the test sees it. */
export interface HarborProjectView {
  readonly id: number;
  readonly name: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly storageLimit: number;
  readonly used: number;
  readonly repositories: readonly string[];
}

/** A running test Harbor. */
export interface HarborServer {
  /** `http(s)://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT` */
  readonly host: string;
  /** CA of the HTTPS certificate (with `tls`). */
  readonly caFile?: string;
  /** Directory holding only `ca.crt`, for `skopeo --cert-dir` (with `tls`). */
  readonly certDir?: string;
  /** The built-in system administrator. */
  readonly admin: { readonly username: string; readonly password: string };
  /** Every request, in arrival order. */
  readonly requests: WireRecord[];
  /** The token the server expects in `X-Harbor-CSRF-Token` from cookie-carrying clients. */
  readonly csrfToken: string;
  project(name: string): HarborProjectView | undefined;
  stop(): Promise<void>;
}

const PROJECT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const COSIGN_TAG = /^sha256-([0-9a-f]{64})\.sig$/;
const HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json";
const API = "/api/v2.0";

type Principal = { readonly kind: "anonymous" } | { readonly kind: "account"; readonly account: HarborAccount } | { readonly kind: "token"; readonly access: ReadonlyMap<string, readonly string[]> };

function harborError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { errors: [{ code, message }] }, { "x-request-id": randomBytes(8).toString("hex"), ...headers });
}

/** Sizes as Harbor's quota messages print them (`25.2 MiB`, `19.5 KiB`). */
function size(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Harbor's `Link` header: the query left unescaped, as base.go `Links` builds it. */
function links(path: string, query: URLSearchParams, total: number, page: number, size: number): string {
  const out: string[] = [];
  const at = (p: number, rel: string): void => {
    const q = new URLSearchParams(query);
    q.set("page", String(p));
    q.set("page_size", String(size));
    out.push(`<${path}?${decodeURIComponent(q.toString())}>; rel="${rel}"`);
  };
  if (page > 1 && (page - 1) * size < total) at(page - 1, "prev");
  if (size * page < total) at(page + 1, "next");
  return out.join(" , ");
}

/**
 * Starts the test Harbor on a random 127.0.0.1 port in front of `registry`.
 * Why: Harbor itself cannot run here; airgap's Harbor provider must still be
 * tested against the API it documents, with real content behind it.
 */
export async function startHarbor(options: StartHarborOptions): Promise<HarborServer> {
  const clock = options.clock ?? Date.now;
  const now = (): string => new Date(clock()).toISOString();
  const admin = { username: "admin", password: randomBytes(12).toString("hex") };
  const accounts: HarborAccount[] = [{ ...admin, admin: true }, ...(options.accounts ?? [])];
  const csrfToken = randomBytes(16).toString("hex");
  const requests: WireRecord[] = [];
  const projects = new Map<string, Project>();
  const tokens = new Map<string, ReadonlyMap<string, readonly string[]>>();
  let nextId = 1;
  let origin = "";
  const forwarder = createForwarder(options.registry, () => origin);

  const accountFor = (header: string | undefined): HarborAccount | undefined => {
    const given = basicCredentials(header);
    return given && accounts.find((a) => a.username === given.username && a.password === given.password);
  };
  const principalOf = (req: IncomingMessage): Principal => {
    const header = req.headers.authorization;
    const bearer = /^Bearer\s+(\S+)$/i.exec(header ?? "");
    if (bearer?.[1]) {
      const access = tokens.get(bearer[1]);
      return access ? { kind: "token", access } : { kind: "anonymous" };
    }
    const account = accountFor(header);
    return account ? { kind: "account", account } : { kind: "anonymous" };
  };
  const can = (principal: Principal, project: Project, action: HarborAction, repository?: string): boolean => {
    if (action === "pull" || action === "read" || action === "list") {
      if (project.metadata.public === "true" && principal.kind !== "token") return true;
    }
    if (principal.kind === "anonymous") return false;
    if (principal.kind === "token") return repository !== undefined && (principal.access.get(repository) ?? []).includes(action);
    const account = principal.account;
    if (account.admin) return true;
    const granted = account.projects?.[project.name] ?? account.projects?.["*"] ?? [];
    return granted.includes(action);
  };
  const immutable = (project: Project, repository: string, tag: string): boolean =>
    project.rules.some((rule) => {
      const body = rule.body as { disabled?: boolean; tag_selectors?: { decoration?: string; pattern?: string }[]; scope_selectors?: { repository?: { decoration?: string; pattern?: string }[] } };
      if (body.disabled) return false;
      const path = repository.slice(project.name.length + 1);
      const tagOk = (body.tag_selectors ?? []).every((s) => picomatch(s.pattern ?? "**", { dot: true })(tag) === (s.decoration !== "excludes"));
      const repoOk = (body.scope_selectors?.repository ?? []).every((s) => picomatch(s.pattern ?? "**", { dot: true })(path) === (s.decoration !== "repoExcludes"));
      return tagOk && repoOk;
    });

  // ---- /service/token (core/service/token): repository scopes filtered by what the caller may do.
  const tokenService = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void => {
    const account = accountFor(req.headers.authorization);
    if (req.headers.authorization && !account) {
      harborError(res, 401, "UNAUTHORIZED", "authentication failed");
      return;
    }
    const principal: Principal = account ? { kind: "account", account } : { kind: "anonymous" };
    const access = new Map<string, string[]>();
    for (const scope of query.getAll("scope").flatMap((s) => s.split(" "))) {
      const parts = /^repository:(.+):([a-z*,]+)$/.exec(scope);
      if (!parts) continue;
      const name = parts[1]!;
      const project = projects.get(name.split("/")[0]!);
      // creator.go: a project that does not exist gets an empty access set.
      const granted = project === undefined ? [] : parts[2]!.split(",").filter((a) => (a === "pull" || a === "push" || a === "delete") && can(principal, project, a));
      access.set(name, [...new Set([...(access.get(name) ?? []), ...granted])]);
    }
    const token = randomBytes(24).toString("hex");
    tokens.set(token, access);
    sendJson(res, 200, { token, access_token: token, expires_in: 1800, issued_at: now() });
  };

  // ---- /v2 (server/middleware/v2auth): Harbor's checks, then the real registry.
  const registryApi = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> => {
    const method = req.method ?? "GET";
    const principal = principalOf(req);
    const sentAuth = req.headers.authorization !== undefined;
    const challenge = (scope: string | undefined): string =>
      sentAuth ? 'Basic realm="harbor"' : `Bearer realm="${origin}/service/token",service="harbor-registry"${scope ? `,scope="${scope}"` : ""}`;
    const v2 = parseV2Path(path);
    if (!v2) {
      if (path === "/v2/" || path === "/v2") {
        if (principal.kind === "anonymous") {
          harborError(res, 401, "UNAUTHORIZED", "unauthorized", { "www-authenticate": challenge(undefined), "docker-distribution-api-version": "registry/2.0" });
          return;
        }
        await forwarder.forward(req, res);
        return;
      }
      harborError(res, 401, "UNAUTHORIZED", "unauthorized to list catalog", { "www-authenticate": 'Basic realm="harbor"' });
      return;
    }
    const action: HarborAction = method === "GET" || method === "HEAD" ? "pull" : method === "DELETE" ? "delete" : "push";
    const scope = `repository:${v2.repository}:${action === "push" ? "pull,push" : action}`;
    if (!sentAuth && method === "HEAD") {
      harborError(res, 401, "UNAUTHORIZED", "authorize header needed to send HEAD to repository", { "www-authenticate": challenge(scope), "docker-distribution-api-version": "registry/2.0" });
      return;
    }
    const projectName = v2.repository.split("/")[0]!;
    const project = projects.get(projectName);
    if (!project) {
      harborError(res, 401, "UNAUTHORIZED", `project ${projectName} not found`, { "www-authenticate": "", "docker-distribution-api-version": "registry/2.0" });
      return;
    }
    if (!can(principal, project, action, v2.repository)) {
      harborError(res, 401, "UNAUTHORIZED", `unauthorized to access repository: ${v2.repository}, action: ${action}`, {
        "www-authenticate": challenge(scope),
        "docker-distribution-api-version": "registry/2.0",
      });
      return;
    }
    const from = query.get("from");
    if (from !== null && query.has("mount")) {
      const source = projects.get(from.split("/")[0]!);
      if (!source || !can(principal, source, "pull", from)) {
        harborError(res, 401, "UNAUTHORIZED", `unauthorized to access repository: ${from}, action: pull`, { "www-authenticate": challenge(`repository:${from}:pull`) });
        return;
      }
    }
    if (v2.kind === "manifests" && method === "PUT") {
      await putManifest(req, res, project, v2.repository, v2.rest);
      return;
    }
    if (v2.kind === "manifests" && method === "DELETE") {
      const status = await forwarder.forward(req, res);
      if (status === 202) project.repositories.get(v2.repository)?.artifacts.delete(v2.rest);
      return;
    }
    await forwarder.forward(req, res);
  };

  const putManifest = async (req: IncomingMessage, res: ServerResponse, project: Project, repository: string, reference: string): Promise<void> => {
    const body = await readBody(req, 4 * 1024 * 1024);
    const isTag = !reference.includes(":");
    const repo = project.repositories.get(repository);
    if (isTag && repo && [...repo.artifacts.values()].some((a) => a.tags.has(reference)) && immutable(project, repository, reference)) {
      harborError(res, 412, "PRECONDITION", `Failed to process request due to '${repository}:${reference}' configured as immutable.`);
      return;
    }
    const facts = manifestFacts(body, req.headers["content-type"]);
    const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    const items = [{ digest, size: body.length }, ...facts.blobs];
    const delta = items.filter((b, i) => !project.counted.has(b.digest) && items.findIndex((o) => o.digest === b.digest) === i).reduce((n, b) => n + b.size, 0);
    if (project.storageLimit >= 0 && project.used + delta > project.storageLimit) {
      harborError(
        res,
        403,
        "DENIED",
        `Quota exceeded when processing the request of adding ${size(delta)} of storage resource, which when updated to current usage of ${size(project.used + delta)} will exceed the configured upper limit of ${size(project.storageLimit)}.`,
      );
      return;
    }
    const status = await forwarder.forward(req, res, { body });
    if (status !== 201) return;
    for (const b of items) {
      if (project.counted.has(b.digest)) continue;
      project.counted.add(b.digest);
      project.used += b.size;
    }
    let target = project.repositories.get(repository);
    if (!target) {
      target = { id: nextId++, name: repository, createdAt: now(), artifacts: new Map() };
      project.repositories.set(repository, target);
    }
    const cosign = isTag ? COSIGN_TAG.exec(reference) : null;
    let artifact = target.artifacts.get(digest);
    if (!artifact) {
      const childSizes = facts.children.reduce((n, c) => n + c.size, 0);
      artifact = {
        id: nextId++,
        digest,
        manifestMediaType: facts.mediaType,
        mediaType: facts.configMediaType ?? facts.mediaType,
        type: facts.configMediaType === HELM_CONFIG ? "CHART" : facts.children.length > 0 || /image\.v1|container\.image/.test(facts.configMediaType ?? "") ? "IMAGE" : "UNKNOWN",
        size: body.length + facts.blobs.reduce((n, b) => n + b.size, 0) + childSizes,
        pushTime: now(),
        references: facts.children.map((c) => ({ childDigest: c.digest, ...(c.platform ? { platform: c.platform } : {}) })),
        tags: new Map(),
        subject: facts.subject ?? (cosign ? `sha256:${cosign[1]}` : undefined),
        accessoryType: facts.subject !== undefined ? (facts.artifactType === "application/vnd.dev.cosign.artifact.sig.v1+json" ? "signature.cosign" : "subject.accessory") : cosign ? "signature.cosign" : undefined,
      };
      target.artifacts.set(digest, artifact);
    }
    if (isTag) {
      for (const other of target.artifacts.values()) other.tags.delete(reference);
      artifact.tags.set(reference, { id: nextId++, name: reference, pushTime: now() });
      // middleware/cosign: a `sha256-<hex>.sig` tag makes its artifact an accessory of that digest.
      if (cosign && artifact.subject === undefined) {
        artifact.subject = `sha256:${cosign[1]}`;
        artifact.accessoryType = "signature.cosign";
      }
    }
  };

  // ---- /api/v2.0 (the swagger operations airgap calls).
  const projectView = (p: Project, principal: Principal): Record<string, unknown> => ({
    project_id: p.id,
    name: p.name,
    owner_id: 1,
    owner_name: "admin",
    creation_time: p.createdAt,
    update_time: p.createdAt,
    deleted: false,
    repo_count: p.repositories.size,
    registry_id: null,
    togglable: true,
    current_user_role_ids: principal.kind === "account" && principal.account.admin ? [1] : null,
    metadata: { ...p.metadata },
  });
  const projectByParam = (param: string, req: IncomingMessage): Project | undefined => {
    const name = decodeURIComponent(param);
    // isResourceName: without the header, an all-digit parameter is an ID.
    if (/^\d+$/.test(name) && req.headers["x-is-resource-name"] !== "true") return [...projects.values()].find((p) => p.id === Number(name));
    return projects.get(name);
  };
  const requireProject = (res: ServerResponse, principal: Principal, project: Project | undefined, action: HarborAction): project is Project => {
    if (project && can(principal, project, action)) return true;
    if (principal.kind === "anonymous") harborError(res, 401, "UNAUTHORIZED", "unauthorized");
    else harborError(res, 403, "FORBIDDEN", "forbidden");
    return false;
  };
  const paging = (res: ServerResponse, query: URLSearchParams): { page: number; size: number } | undefined => {
    const page = Number(query.get("page") ?? "1");
    const size = Number(query.get("page_size") ?? "10");
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(size) || size < 0) {
      harborError(res, 422, "UNPROCESSABLE_ENTITY", "page and page_size must be positive integers");
      return undefined;
    }
    if (size > 100) {
      harborError(res, 422, "UNPROCESSABLE_ENTITY", "page_size in query should be less than or equal to 100");
      return undefined;
    }
    return { page, size };
  };
  const sendPage = (res: ServerResponse, path: string, query: URLSearchParams, all: readonly unknown[], paged: { page: number; size: number }): void => {
    const items = paged.size === 0 ? all : all.slice((paged.page - 1) * paged.size, paged.page * paged.size);
    sendJson(res, 200, items, { "x-total-count": String(all.length), link: links(`${API}${path}`, query, all.length, paged.page, paged.size) });
  };

  const restApi = async (req: IncomingMessage, res: ServerResponse, entry: WireRecord, path: string, query: URLSearchParams): Promise<void> => {
    const method = req.method ?? "GET";
    // session.go + csrf.go: the session cookie makes unsafe requests need the CSRF token.
    res.setHeader("set-cookie", `sid=${randomBytes(16).toString("hex")}; Path=/; HttpOnly`);
    res.setHeader("x-harbor-csrf-token", csrfToken);
    const carriesSession = /(^|;\s*)sid=/.test(req.headers.cookie ?? "");
    if (carriesSession && !["GET", "HEAD", "OPTIONS"].includes(method) && req.headers["x-harbor-csrf-token"] !== csrfToken) {
      harborError(res, 403, "FORBIDDEN", "CSRF token invalid");
      return;
    }
    const body = ["POST", "PUT", "PATCH"].includes(method) ? (await readBody(req, 1024 * 1024)).toString("utf8") : "";
    if (body !== "") entry.body = body;
    const principal = principalOf(req);
    const rest = path.slice(API.length);
    let m: RegExpExecArray | null;

    if (rest === "/projects" && method === "HEAD") {
      if (principal.kind === "anonymous") return harborError(res, 401, "UNAUTHORIZED", "unauthorized");
      const name = query.get("project_name");
      if (!name) return harborError(res, 422, "UNPROCESSABLE_ENTITY", "project_name in query is required");
      res.writeHead(projects.has(name) ? 200 : 404, { "content-length": "0" });
      res.end();
      return;
    }
    if (rest === "/projects" && method === "POST") {
      if (principal.kind !== "account") return harborError(res, 401, "UNAUTHORIZED", "unauthorized");
      const account = principal.account;
      const mayCreate = account.admin || (account.username.startsWith("robot$") ? account.createProjects === true : (options.projectCreationRestriction ?? "everyone") === "everyone");
      if (!mayCreate) return harborError(res, 403, "FORBIDDEN", `${account.username} is not allowed to create projects`);
      let req2: { project_name?: unknown; metadata?: Record<string, unknown>; storage_limit?: unknown; public?: unknown };
      try {
        req2 = JSON.parse(body) as typeof req2;
      } catch {
        return harborError(res, 400, "BAD_REQUEST", "parsing project body from \"\" failed, because invalid character");
      }
      const name = req2.project_name;
      if (typeof name !== "string" || name.length === 0 || name.length > 255 || !PROJECT_NAME.test(name)) {
        return harborError(res, 400, "BAD_REQUEST", "project name is not in lower case or contains illegal characters!");
      }
      for (const [key, value] of Object.entries(req2.metadata ?? {})) {
        if (typeof value !== "string") return harborError(res, 422, "UNPROCESSABLE_ENTITY", `metadata.${key} in body must be of type string: "${typeof value}"`);
      }
      const limit = req2.storage_limit ?? -1;
      if (typeof limit !== "number" || !Number.isInteger(limit) || limit === 0 || limit < -1) return harborError(res, 400, "BAD_REQUEST", `invalid storage_limit ${String(limit)}`);
      if (projects.has(name)) return harborError(res, 409, "CONFLICT", `The project named ${name} already exists`);
      const project: Project = {
        id: nextId++,
        name,
        createdAt: now(),
        metadata: { public: "false", ...(req2.metadata as Record<string, string> | undefined) },
        storageLimit: limit,
        used: 0,
        counted: new Set(),
        repositories: new Map(),
        rules: [],
      };
      projects.set(name, project);
      res.writeHead(201, { location: req.headers["x-resource-name-in-location"] === "true" ? `${API}/projects/${name}` : `${API}/projects/${project.id}`, "content-length": "0" });
      res.end();
      return;
    }
    if ((m = /^\/projects\/([^/]+)$/.exec(rest))) {
      const project = projectByParam(m[1]!, req);
      if (method === "GET") {
        if (!project) return principal.kind === "anonymous" ? harborError(res, 401, "UNAUTHORIZED", "unauthorized") : harborError(res, 404, "NOT_FOUND", `project ${decodeURIComponent(m[1]!)} not found`);
        if (!requireProject(res, principal, project, "read")) return;
        return sendJson(res, 200, projectView(project, principal));
      }
      if (method === "PUT") {
        if (!(principal.kind === "account" && principal.account.admin)) return harborError(res, principal.kind === "anonymous" ? 401 : 403, principal.kind === "anonymous" ? "UNAUTHORIZED" : "FORBIDDEN", principal.kind === "anonymous" ? "unauthorized" : "forbidden");
        if (!project) return harborError(res, 404, "NOT_FOUND", `project ${decodeURIComponent(m[1]!)} not found`);
        const update = JSON.parse(body) as { metadata?: Record<string, unknown> };
        for (const [key, value] of Object.entries(update.metadata ?? {})) {
          if (typeof value !== "string") return harborError(res, 422, "UNPROCESSABLE_ENTITY", `metadata.${key} in body must be of type string: "${typeof value}"`);
          project.metadata[key] = value;
        }
        return sendJson(res, 200, undefined);
      }
    }
    if ((m = /^\/projects\/([^/]+)\/summary$/.exec(rest)) && method === "GET") {
      const project = projectByParam(m[1]!, req);
      if (!requireProject(res, principal, project, "read")) return;
      return sendJson(res, 200, { repo_count: project.repositories.size, quota: { hard: { storage: project.storageLimit }, used: { storage: project.used } } });
    }
    if ((m = /^\/projects\/([^/]+)\/repositories$/.exec(rest)) && method === "GET") {
      const project = projects.get(decodeURIComponent(m[1]!));
      if (!requireProject(res, principal, project, "list")) return;
      const paged = paging(res, query);
      if (!paged) return;
      const all = [...project.repositories.values()]
        .sort((a, b) => b.id - a.id)
        .map((r) => ({ id: r.id, project_id: project.id, name: r.name, artifact_count: r.artifacts.size, pull_count: 0, creation_time: r.createdAt, update_time: r.createdAt }));
      return sendPage(res, rest, query, all, paged);
    }
    if ((m = /^\/projects\/([^/]+)\/repositories\/([^/]+)\/artifacts$/.exec(rest)) && method === "GET") {
      const project = projects.get(decodeURIComponent(m[1]!));
      if (!requireProject(res, principal, project, "list")) return;
      const paged = paging(res, query);
      if (!paged) return;
      // The repository name arrives encoded twice (a/b → a%252Fb); the router decoded it once.
      const repository = `${project.name}/${decodeURIComponent(decodeURIComponent(m[2]!))}`;
      const repo = project.repositories.get(repository);
      const withTag = query.get("with_tag") !== "false";
      const withImmutable = query.get("with_immutable_status") === "true";
      const withAccessory = query.get("with_accessory") === "true";
      const artifacts = [...(repo?.artifacts.values() ?? [])];
      const children = new Set(artifacts.flatMap((a) => a.references.map((r) => r.childDigest)));
      const listed = artifacts.filter((a) => a.subject === undefined && (a.tags.size > 0 || !children.has(a.digest))).sort((a, b) => b.id - a.id);
      const view = listed.map((a) => ({
        id: a.id,
        type: a.type,
        media_type: a.mediaType,
        manifest_media_type: a.manifestMediaType,
        project_id: project.id,
        repository_id: repo!.id,
        repository_name: repository,
        digest: a.digest,
        size: a.size,
        push_time: a.pushTime,
        pull_time: "0001-01-01T00:00:00.000Z",
        extra_attrs: {},
        references: a.references.length === 0 ? null : a.references.map((r) => ({ parent_id: a.id, child_id: repo!.artifacts.get(r.childDigest)?.id ?? 0, child_digest: r.childDigest, ...(r.platform ? { platform: r.platform } : {}) })),
        tags: !withTag || a.tags.size === 0 ? null : [...a.tags.values()].map((t) => ({ id: t.id, repository_id: repo!.id, artifact_id: a.id, name: t.name, push_time: t.pushTime, pull_time: "0001-01-01T00:00:00.000Z", immutable: withImmutable ? immutable(project, repository, t.name) : false })),
        accessories: !withAccessory
          ? null
          : artifacts
              .filter((x) => x.subject === a.digest)
              .map((x) => ({ id: x.id, artifact_id: x.id, subject_artifact_id: a.id, subject_artifact_digest: a.digest, subject_artifact_repo: repository, size: x.size, digest: x.digest, type: x.accessoryType, icon: "", creation_time: x.pushTime })),
        labels: null,
      }));
      return sendPage(res, rest, query, view, paged);
    }
    if ((m = /^\/projects\/([^/]+)\/repositories\/([^/]+)\/artifacts\/([^/]+)\/tags\/([^/]+)$/.exec(rest)) && method === "DELETE") {
      const project = projects.get(decodeURIComponent(m[1]!));
      if (!requireProject(res, principal, project, "delete")) return;
      const repository = `${project.name}/${decodeURIComponent(decodeURIComponent(m[2]!))}`;
      const reference = decodeURIComponent(m[3]!);
      const tag = decodeURIComponent(m[4]!);
      const artifact = [...(project.repositories.get(repository)?.artifacts.values() ?? [])].find((a) => a.digest === reference || a.tags.has(reference));
      if (!artifact) return harborError(res, 404, "NOT_FOUND", `artifact ${repository}@${reference} not found`);
      if (!artifact.tags.has(tag)) return harborError(res, 404, "NOT_FOUND", `tag ${tag} attached to artifact ${artifact.id} not found`);
      if (immutable(project, repository, tag)) return harborError(res, 412, "PRECONDITION", `the tag ${tag} is immutable, cannot be deleted`);
      artifact.tags.delete(tag);
      await forwarder.removeTag(repository, tag);
      return sendJson(res, 200, undefined);
    }
    if ((m = /^\/projects\/([^/]+)\/immutabletagrules$/.exec(rest))) {
      const project = projectByParam(m[1]!, req);
      if (!(principal.kind === "account" && principal.account.admin)) return harborError(res, 403, "FORBIDDEN", "forbidden");
      if (!project) return harborError(res, 404, "NOT_FOUND", "project not found");
      if (method === "POST") {
        const rule = { id: nextId++, body: JSON.parse(body) as Record<string, unknown> };
        project.rules.push(rule);
        res.writeHead(201, { location: `${API}/projects/${project.id}/immutabletagrules/${rule.id}`, "content-length": "0" });
        res.end();
        return;
      }
      if (method === "GET") return sendJson(res, 200, project.rules.map((r) => ({ ...r.body, id: r.id })));
    }
    harborError(res, 404, "NOT_FOUND", `no operation for ${method} ${path}`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const entry = record(requests, req, res);
    const path = entry.path;
    if (path === "/service/token" && req.method === "GET") return tokenService(req, res, entry.query);
    if (path === "/v2" || path.startsWith("/v2/")) return registryApi(req, res, path, entry.query);
    if (path.startsWith(`${API}/`)) return restApi(req, res, entry, path, entry.query);
    harborError(res, 404, "NOT_FOUND", "not found");
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) harborError(res, 500, "UNKNOWN", "internal server error");
      else res.destroy(error as Error);
    });
  };

  let tmp: TempDir | undefined;
  let caFile: string | undefined;
  let certDir: string | undefined;
  let server: Server;
  if (options.tls) {
    tmp = await makeTempDir("harbor");
    const ca = await createCa(tmp.path);
    const cert = await createServerCert(tmp.path, ca, { ips: ["127.0.0.1"], dnsNames: ["localhost"] });
    caFile = ca.certFile;
    certDir = join(tmp.path, "certs.d");
    await mkdir(certDir);
    await copyFile(ca.certFile, join(certDir, "ca.crt"));
    server = createHttpsServer({ cert: await readFile(cert.certFile), key: await readFile(cert.keyFile) }, listener);
  } else {
    server = createHttpServer(listener);
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  origin = `${options.tls ? "https" : "http"}://${host}`;
  return {
    url: origin,
    host,
    ...(caFile !== undefined ? { caFile } : {}),
    ...(certDir !== undefined ? { certDir } : {}),
    admin,
    requests,
    csrfToken,
    project(name) {
      const p = projects.get(name);
      return p && { id: p.id, name: p.name, metadata: { ...p.metadata }, storageLimit: p.storageLimit, used: p.used, repositories: [...p.repositories.keys()] };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      forwarder.close();
      await tmp?.remove();
    },
  };
}
