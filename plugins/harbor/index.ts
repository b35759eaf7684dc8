/**
 * The `harbor` provider: Harbor v2.x. Content moves through `/v2` like any
 * registry; Harbor's REST API adds what the plan needs first: projects
 * (created with their visibility and quota), observation by artifact
 * listing, the quota check, immutable tags, and errors that say what
 * Harbor's answers mean (providers-notes §2).
 */
import { createRequire } from "node:module";
import type {
  CallOptions,
  ItemObservation,
  PreflightRequest,
  Provider,
  ProviderApplyResult,
  ProviderContext,
  ProviderPlugin,
  ProviderPrerequisite,
  ProviderProblem,
  TargetItem,
} from "airgap/sdk";
import { PROVIDER_API_VERSION, failureFacts, mapLimit } from "airgap/sdk";
import { HarborApi, HarborError, type HarborQuota, type ProjectRequest } from "./api.js";
import { projectOf, quotaProblems } from "./checks.js";
import { EMPTY_LISTING, listingOf, observeItem, type RepositoryListing } from "./observe.js";
import { formatBytes, parseStorageLimit, projectNameProblem, type HarborProjectSettings, type HarborSettings } from "./settings.js";
import { explainingWriter, failureOf } from "./writer.js";

export type { HarborSettings, HarborProjectSettings } from "./settings.js";
export { quotaProblems, bytesPerProject } from "./checks.js";
export { HarborError } from "./api.js";

/** What a Harbor prerequisite carries through the plan file. */
export type HarborPrerequisiteData =
  | { readonly action: "create-project"; readonly project: ProjectRequest }
  | { readonly action: "update-project"; readonly name: string; readonly metadata: Readonly<Record<string, string>> };

/** Harbor metadata (strings "true"/"false") for what a project declares; undeclared settings are left out. */
export function projectMetadata(settings: HarborProjectSettings, creating: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (settings.public !== undefined || creating) out.public = String(settings.public ?? false);
  if (settings.autoScan !== undefined) out.auto_scan = String(settings.autoScan);
  if (settings.preventVulnerable !== undefined) out.prevent_vul = String(settings.preventVulnerable);
  return out;
}

function isPrerequisiteData(data: unknown): data is HarborPrerequisiteData {
  const d = data as { action?: unknown; project?: { project_name?: unknown }; name?: unknown; metadata?: unknown } | undefined;
  if (d?.action === "create-project") return typeof d.project?.project_name === "string";
  if (d?.action === "update-project") return typeof d.name === "string" && typeof d.metadata === "object" && d.metadata !== null;
  return false;
}

function describeProject(settings: HarborProjectSettings): string {
  const limit = parseStorageLimit(settings.storageLimit);
  return [settings.public ? "public" : "private", limit >= 0 ? `quota ${formatBytes(limit)}` : undefined, settings.autoScan ? "scan on push" : undefined, settings.preventVulnerable ? "prevent vulnerable" : undefined]
    .filter((s) => s !== undefined)
    .join(", ");
}

/** The Harbor provider for one registry of airgap.yaml. */
class HarborProvider implements Provider {
  readonly display: string;
  private readonly settings: HarborSettings;
  private readonly context: ProviderContext;
  private readonly api: HarborApi;
  private readonly client: ReturnType<ProviderContext["oci"]["client"]>;
  private readonly username: string | undefined;
  private readonly exists = new Map<string, Promise<boolean>>();

  constructor(settings: HarborSettings, context: ProviderContext, api: HarborApi, client: ReturnType<ProviderContext["oci"]["client"]>, username: string | undefined) {
    this.settings = settings;
    this.context = context;
    this.api = api;
    this.client = client;
    this.username = username;
    this.display = client.registry;
  }

  private get declared(): Readonly<Record<string, HarborProjectSettings>> {
    return this.settings.projects ?? {};
  }

  /**
   * Does the project exist? A project that exists is remembered for the run;
   * "missing" is asked again next time, since someone may create it meanwhile.
   */
  private projectExists(name: string, signal?: AbortSignal): Promise<boolean> {
    let known = this.exists.get(name);
    if (known === undefined) {
      known = this.api.projectExists(name, signal).then(
        (exists) => {
          if (!exists) this.exists.delete(name);
          return exists;
        },
        (error: unknown) => {
          this.exists.delete(name);
          throw this.explainApi(error);
        },
      );
      this.exists.set(name, known);
    }
    return known;
  }

  /** A 401 from the API means the credentials were refused (Harbor treats wrong ones as anonymous). */
  private explainApi(error: unknown): unknown {
    if (!(error instanceof HarborError) || error.status !== 401) return error;
    const who = this.username === undefined ? "no credentials are configured" : `the credentials of \`${this.username}\` were not accepted`;
    return new HarborError(`Harbor ${this.display} answered 401 unauthorized: ${who}; set \`registries.${this.context.registryName}.credentials\` to a Harbor user or robot account (robot$…). ${error.message}`, {
      status: 401,
      errors: error.errors,
      cause: error,
    });
  }

  repository(name: string) {
    return explainingWriter(this.context.oci.repository(this.client, name), (error) => this.explainPush(error, name));
  }

  /** Explains a `/v2` failure: Harbor's 401 for a missing project, its 412 for an immutable tag. */
  private async explainPush(error: unknown, repository: string): Promise<unknown> {
    const failure = failureOf(error);
    const project = projectOf(repository);
    if (failure.status === 401) {
      this.exists.delete(project);
      const exists = await this.api.projectExists(project).catch(() => undefined);
      const why =
        exists === false
          ? `project \`${project}\` does not exist on ${this.display} (Harbor answers a push to a missing project with 401, not 404): declare it under \`registries.${this.context.registryName}.projects\` so airgap creates it, or create it in Harbor`
          : exists === true
            ? `the account ${this.username ?? "(anonymous)"} may not push to project \`${project}\` (a robot account needs repository pull and push in it)`
            : `project \`${project}\` does not exist or the account ${this.username ?? "(anonymous)"} may not push to it`;
      return new HarborError(`Harbor ${this.display} refused ${repository} with 401: ${why}. Harbor said: ${failure.message}`, { status: 401, cause: error });
    }
    if (failure.status === 412 && failure.codes.includes("PRECONDITION")) {
      return new HarborError(`${repository}: an immutable tag rule of project \`${project}\` on ${this.display} protects this tag, and Harbor refuses any second push to it. Harbor said: ${failure.message}`, { status: 412, cause: error });
    }
    return error;
  }

  async listTags(repository: string, options?: CallOptions): Promise<readonly string[]> {
    return this.client.listTags(repository, options?.signal ? { signal: options.signal } : {});
  }

  /** Removes exactly this tag through the API; other tags of the same artifact stay (a `/v2` delete would take them all). */
  async deleteTag(repository: string, tag: string, digest: string, options?: CallOptions): Promise<void> {
    const project = projectOf(repository);
    await this.api.deleteTag(project, repository.slice(project.length + 1), digest, tag, options?.signal).catch((error: unknown) => {
      throw this.explainApi(error);
    });
  }

  async observe(items: readonly TargetItem[], options?: CallOptions): Promise<ReadonlyMap<string, ItemObservation>> {
    const signal = options?.signal;
    const out = new Map<string, ItemObservation>();
    const byRepository = new Map<string, TargetItem[]>();
    for (const item of items) {
      if (item.repository === undefined) continue;
      const list = byRepository.get(item.repository) ?? [];
      list.push(item);
      byRepository.set(item.repository, list);
    }
    // One repository listing per project tells which repositories exist at all.
    const projects = [...new Set([...byRepository.keys()].map(projectOf))];
    const repositories = new Map<string, Promise<ReadonlySet<string> | undefined>>();
    for (const project of projects) {
      const listed = this.projectExists(project, signal).then(async (exists) => (exists ? new Set(await this.api.listRepositories(project, signal)) : undefined));
      listed.catch(() => undefined); // awaited below, per repository
      repositories.set(project, listed);
    }
    await mapLimit([...byRepository], this.settings.concurrency ?? 4, async ([repository, list]) => {
      const project = projectOf(repository);
      const store = this.repository(repository);
      const call = signal ? { signal } : {};
      let listing: RepositoryListing | undefined;
      try {
        const known = await repositories.get(project)!;
        listing = known === undefined || !known.has(repository) ? EMPTY_LISTING : listingOf(await this.api.listArtifacts(project, repository.slice(project.length + 1), signal));
      } catch (error) {
        if (!(error instanceof HarborError && error.status === 403)) {
          const message = (this.explainApi(error) as Error).message;
          for (const item of list) out.set(item.address, { state: "unknown", error: { message } });
          return;
        }
        // An account that may push but not list (a robot without "list artifact"): ask /v2 tag by tag.
        this.context.logger.log("warn", "the account may not list artifacts; observing tag by tag through /v2, without immutable tag status", { registry: this.display, repository });
      }
      for (const item of list) {
        try {
          if (listing === undefined) {
            const reference = item.tag ?? item.digest;
            const found = reference === undefined ? undefined : await store.resolve(reference, call);
            out.set(item.address, found ? { state: "present", digest: found.digest } : { state: "absent" });
          } else {
            out.set(item.address, await observeItem(item, listing, async (tag) => (await store.resolve(tag, call))?.digest));
          }
        } catch (error) {
          out.set(item.address, { state: "unknown", error: failureFacts(error) });
        }
      }
    });
    return out;
  }

  /** Problems with names and projects, shared by preflight and prerequisites. */
  private async projectProblems(items: readonly TargetItem[], signal?: AbortSignal): Promise<{ problems: ProviderProblem[]; missing: string[] }> {
    const problems: ProviderProblem[] = [];
    const used = [...new Set(items.flatMap((i) => (i.repository !== undefined ? [projectOf(i.repository)] : [])))];
    const names = [...new Set([...used, ...Object.keys(this.declared)])];
    const valid: string[] = [];
    for (const name of names) {
      const problem = projectNameProblem(name);
      if (problem !== undefined) problems.push({ subject: name, message: `${problem} (${this.display}); change the bundle's \`path\`` });
      else valid.push(name);
    }
    const missing: string[] = [];
    await mapLimit(valid, 4, async (name) => {
      if (await this.projectExists(name, signal)) return;
      if (name in this.declared) missing.push(name);
      else {
        problems.push({
          subject: name,
          message: `project \`${name}\` does not exist on ${this.display} and is not declared under \`registries.${this.context.registryName}.projects\`: declare it there so airgap creates it, or create it in Harbor`,
        });
      }
    });
    return { problems, missing: missing.sort() };
  }

  async preflight(request: PreflightRequest, options?: CallOptions): Promise<readonly ProviderProblem[]> {
    const signal = options?.signal;
    let checked: { problems: ProviderProblem[]; missing: string[] };
    try {
      checked = await this.projectProblems(request.items, signal);
    } catch (error) {
      return [{ message: (error as Error).message }];
    }
    const quotas = new Map<string, HarborQuota>();
    const wanted = [...new Set(request.uploads.map((u) => projectOf(u.repository)))].filter((p) => projectNameProblem(p) === undefined);
    await mapLimit(wanted, 4, async (project) => {
      if (checked.missing.includes(project)) {
        quotas.set(project, { hard: parseStorageLimit(this.declared[project]?.storageLimit), used: 0 });
        return;
      }
      if (!(await this.projectExists(project, signal))) return;
      try {
        quotas.set(project, await this.api.quota(project, signal));
      } catch (error) {
        if (error instanceof HarborError && error.status === 403) {
          this.context.logger.log("warn", "cannot read the project's quota with these credentials; quota not checked", { registry: this.display, project });
          return;
        }
        checked.problems.push({ subject: project, message: (this.explainApi(error) as Error).message });
      }
    });
    return [...checked.problems, ...quotaProblems(request.uploads, quotas, { display: this.display, name: this.context.registryName })];
  }

  async prerequisites(items: readonly TargetItem[], options?: CallOptions): Promise<readonly ProviderPrerequisite[]> {
    const signal = options?.signal;
    const { problems, missing } = await this.projectProblems(items, signal);
    if (problems.length > 0) throw new HarborError(problems.map((p) => p.message).join("\n"));
    const out: ProviderPrerequisite[] = missing.map((name) => {
      const settings = this.declared[name] ?? {};
      const data: HarborPrerequisiteData = { action: "create-project", project: { project_name: name, metadata: projectMetadata(settings, true), storage_limit: parseStorageLimit(settings.storageLimit) } };
      return { key: `project ${name}`, reason: `create project ${name} (${describeProject(settings)}) on ${this.display}`, data };
    });
    // Declared projects that exist: bring the declared metadata (visibility, scanning) to Harbor.
    const existing = Object.keys(this.declared).filter((n) => !missing.includes(n)).sort();
    await mapLimit(existing, 4, async (name) => {
      const wanted = projectMetadata(this.declared[name] ?? {}, false);
      if (Object.keys(wanted).length === 0) return;
      const project = await this.api.getProject(name, signal).catch((error: unknown) => {
        throw this.explainApi(error);
      });
      const changed = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => (project?.metadata?.[key] ?? "false") !== value));
      if (Object.keys(changed).length === 0) return;
      const data: HarborPrerequisiteData = { action: "update-project", name, metadata: changed };
      const what = Object.entries(changed).map(([key, value]) => `${key} ${project?.metadata?.[key] ?? "false"} → ${value}`).join(", ");
      out.push({ key: `project ${name} settings`, reason: `update project ${name} on ${this.display}: ${what}`, data });
    });
    return out;
  }

  async applyPrerequisite(prerequisite: ProviderPrerequisite, options?: CallOptions): Promise<ProviderApplyResult> {
    const data = prerequisite.data;
    if (!isPrerequisiteData(data)) return { status: "failed", error: `${prerequisite.key}: not a Harbor prerequisite this version of airgap knows (plan made by another version?)` };
    try {
      if (data.action === "create-project") {
        const outcome = await this.api.createProject(data.project, options?.signal);
        this.exists.set(data.project.project_name, Promise.resolve(true));
        return outcome === "created" ? { status: "applied" } : { status: "already-current" };
      }
      await this.api.updateProjectMetadata(data.name, data.metadata, options?.signal);
      return { status: "applied" };
    } catch (error) {
      return { status: "failed", error: (this.explainApi(error) as Error).message };
    }
  }

  async close(): Promise<void> {
    await this.api.close();
  }
}

/** The plugin. */
export const plugin: ProviderPlugin<HarborSettings> = {
  apiVersion: PROVIDER_API_VERSION,
  name: "harbor",
  kinds: ["image", "chart"],
  configSchema: createRequire(import.meta.url)("./config.schema.json") as object,
  async create(settings, context): Promise<Provider> {
    const client = context.oci.client({
      url: settings.url,
      ...(settings.tls ? { tls: settings.tls } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
    });
    const credentials = await context.oci.credentials(settings.url, settings.credentials);
    const api = new HarborApi({ origin: client.baseUrl, credentials, ...(settings.tls ? { tls: settings.tls } : {}), ...(context.sleep ? { sleep: context.sleep } : {}) });
    return new HarborProvider(settings, context, api, client, credentials?.username);
  },
};
