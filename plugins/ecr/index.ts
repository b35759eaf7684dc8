/**
 * The `ecr` provider: AWS Elastic Container Registry (private). ECR never
 * creates repositories on push, so every repository the plan writes to is a
 * prerequisite created with the configured tag mutability, scanning and
 * encryption; the registry password comes from GetAuthorizationToken through
 * the AWS SDK's credential chain and is replaced before it expires;
 * observation uses DescribeImages; blobs go up in one request each (ECR's
 * chunk rules); IMMUTABLE tags are reported, never pushed over
 * (providers-notes §3).
 */
import { createRequire } from "node:module";
import type {
  CallOptions,
  ContentWriter,
  ItemObservation,
  PreflightRequest,
  Provider,
  ProviderApplyResult,
  ProviderContext,
  ProviderPlugin,
  ProviderPrerequisite,
  ProviderProblem,
  Registry,
  TargetItem,
} from "airgap/sdk";
import { PROVIDER_API_VERSION, Secret, failureFacts, mapLimit } from "airgap/sdk";
import { EcrError, createEcrApi, type CreateRepositoryRequest, type EcrApi, type EcrRepository } from "./api.js";
import { repositoryNameProblem, resolveLocation, type EcrLocation, type EcrSettings } from "./settings.js";
import { TokenSource } from "./token.js";
import { failureOf, refreshingWriter } from "./writer.js";

export type { EcrSettings, EcrRepositorySettings } from "./settings.js";
export { EcrError } from "./api.js";
export { parseEcrHost, repositoryNameProblem } from "./settings.js";
export { refreshMargin } from "./token.js";

/** What an ECR prerequisite carries through the plan file. */
export interface EcrPrerequisiteData {
  readonly action: "create-repository";
  readonly request: CreateRepositoryRequest;
}

function isPrerequisiteData(data: unknown): data is EcrPrerequisiteData {
  const d = data as { action?: unknown; request?: { repositoryName?: unknown } } | undefined;
  return d?.action === "create-repository" && typeof d.request?.repositoryName === "string";
}

/** `*` in an ECR exclusion filter matches any run of characters. */
function wildcard(filter: string): RegExp {
  return new RegExp(`^${filter.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

/** Whether ECR refuses to move `tag` in this repository. */
export function tagIsImmutable(repository: EcrRepository, tag: string): boolean {
  const excluded = repository.exclusionFilters.some((f) => wildcard(f).test(tag));
  if (repository.imageTagMutability === "IMMUTABLE") return true;
  if (repository.imageTagMutability === "IMMUTABLE_WITH_EXCLUSION") return !excluded;
  if (repository.imageTagMutability === "MUTABLE_WITH_EXCLUSION") return excluded;
  return false;
}

/** The ECR provider for one registry of airgap.yaml. */
class EcrProvider implements Provider {
  readonly display: string;
  private readonly settings: EcrSettings;
  private readonly context: ProviderContext;
  private readonly api: EcrApi;
  private readonly tokens: TokenSource;
  private readonly url: string;
  private readonly described = new Map<string, Promise<EcrRepository | undefined>>();
  private client: { readonly generation: number; readonly client: Registry } | undefined;
  private readonly stores = new Map<string, { readonly generation: number; readonly store: ContentWriter }>();

  constructor(settings: EcrSettings, context: ProviderContext, api: EcrApi, tokens: TokenSource, url: string) {
    this.settings = settings;
    this.context = context;
    this.api = api;
    this.tokens = tokens;
    this.url = url;
    this.display = new URL(url).host;
  }

  /** The registry client for the token in use; a new token gets a new client. */
  private async currentClient(): Promise<{ generation: number; client: Registry }> {
    const { token, generation } = await this.tokens.get();
    if (this.client?.generation !== generation) {
      const client = this.context.oci.client({
        url: this.url,
        credentials: { username: token.username, password: new Secret(token.password) },
        singleRequestUploads: true,
        ...(this.settings.tls ? { tls: this.settings.tls } : {}),
        ...(this.settings.concurrency !== undefined ? { concurrency: this.settings.concurrency } : {}),
      });
      this.client = { generation, client };
      this.stores.clear();
    }
    return this.client;
  }

  repository(name: string): ContentWriter {
    return refreshingWriter(
      `${this.display}/${name}`,
      name,
      async () => {
        const { generation, client } = await this.currentClient();
        const known = this.stores.get(name);
        if (known?.generation === generation) return known.store;
        const store = this.context.oci.repository(client, name);
        this.stores.set(name, { generation, store });
        return store;
      },
      (error) => this.explain(error, name),
    );
  }

  /** Explains ECR's `/v2` answers that name the symptom rather than the cause. */
  private explain(error: unknown, repository: string): unknown {
    const failure = failureOf(error);
    if (failure.status === 404 && failure.codes.includes("NAME_UNKNOWN")) {
      this.described.delete(repository);
      return new EcrError(`repository ${repository} does not exist in ${this.display}: ECR never creates repositories on push; airgap creates them as prerequisites of the plan (apply them, or create the repository). ECR said: ${failure.message}`, { status: 404, cause: error });
    }
    if (failure.codes.includes("TAG_INVALID")) {
      return new EcrError(`${repository}: the repository is IMMUTABLE and the tag already holds another image; ECR never moves it. ECR said: ${failure.message}`, { ...(failure.status !== undefined ? { status: failure.status } : {}), cause: error });
    }
    if (failure.status === 403 && /token has expired/i.test(failure.message)) {
      return new EcrError(`${repository}: ECR refused an expired authorization token although airgap replaces tokens before they expire; is this machine's clock right? ECR said: ${failure.message}`, { status: 403, cause: error });
    }
    return error;
  }

  /** Describes repositories once per run (DescribeRepositories in batches of 100). */
  private async describe(names: readonly string[], signal?: AbortSignal): Promise<Map<string, EcrRepository | undefined>> {
    const wanted = [...new Set(names)].filter((n) => !this.described.has(n));
    if (wanted.length > 0) {
      const batch = this.api.describeRepositories(wanted, signal);
      for (const name of wanted) {
        const one = batch.then((found) => found.get(name));
        one.catch(() => this.described.delete(name));
        this.described.set(name, one);
      }
    }
    const out = new Map<string, EcrRepository | undefined>();
    for (const name of new Set(names)) out.set(name, await this.described.get(name)!);
    return out;
  }

  private repositoriesOf(items: readonly TargetItem[]): string[] {
    return [...new Set(items.flatMap((i) => (i.repository !== undefined ? [i.repository] : [])))].sort();
  }

  private nameProblems(repositories: readonly string[]): ProviderProblem[] {
    return repositories.flatMap((name) => {
      const problem = repositoryNameProblem(name);
      return problem !== undefined ? [{ subject: name, message: `${problem} (${this.display}); change the bundle's \`path\` or naming` }] : [];
    });
  }

  async listTags(repository: string, options?: CallOptions): Promise<readonly string[]> {
    const images = await this.api.describeImages(repository, options?.signal);
    return (images ?? []).flatMap((i) => i.tags).sort();
  }

  /** Removes exactly this tag (BatchDeleteImage by tag); the image goes only with its last tag. */
  async deleteTag(repository: string, tag: string, _digest: string, options?: CallOptions): Promise<void> {
    await this.api.deleteTag(repository, tag, options?.signal);
  }

  async observe(items: readonly TargetItem[], options?: CallOptions): Promise<ReadonlyMap<string, ItemObservation>> {
    const signal = options?.signal;
    const out = new Map<string, ItemObservation>();
    const repositories = this.repositoriesOf(items).filter((r) => repositoryNameProblem(r) === undefined);
    let described: Map<string, EcrRepository | undefined>;
    try {
      described = await this.describe(repositories, signal);
    } catch (error) {
      for (const item of items) out.set(item.address, { state: "unknown", error: failureFacts(error) });
      return out;
    }
    await mapLimit(repositories, this.settings.concurrency ?? 4, async (repository) => {
      const list = items.filter((i) => i.repository === repository);
      const repo = described.get(repository);
      let images: Awaited<ReturnType<EcrApi["describeImages"]>>;
      try {
        images = repo === undefined ? [] : ((await this.api.describeImages(repository, signal)) ?? []);
      } catch (error) {
        for (const item of list) out.set(item.address, { state: "unknown", error: failureFacts(error) });
        return;
      }
      const byTag = new Map<string, string>();
      const digests = new Set<string>();
      for (const image of images) {
        digests.add(image.digest);
        for (const tag of image.tags) byTag.set(tag, image.digest);
      }
      for (const item of list) {
        if (item.tag !== undefined) {
          const digest = byTag.get(item.tag);
          out.set(item.address, digest === undefined ? { state: "absent" } : { state: "present", digest, ...(repo !== undefined && tagIsImmutable(repo, item.tag) ? { immutable: true } : {}) });
        } else if (item.digest !== undefined) {
          out.set(item.address, digests.has(item.digest) ? { state: "present", digest: item.digest } : { state: "absent" });
        } else {
          out.set(item.address, { state: "unknown", error: { message: `${item.address} names neither a tag nor a digest` } });
        }
      }
    });
    for (const item of items) {
      if (item.repository !== undefined && !out.has(item.address)) out.set(item.address, { state: "unknown", error: { message: repositoryNameProblem(item.repository) ?? "not observed" } });
    }
    return out;
  }

  async preflight(request: PreflightRequest, options?: CallOptions): Promise<readonly ProviderProblem[]> {
    const problems = this.nameProblems(this.repositoriesOf(request.items));
    try {
      await this.tokens.get();
    } catch (error) {
      problems.push({ message: `${this.display}: ${(error as Error).message}` });
      return problems;
    }
    try {
      await this.describe(this.repositoriesOf(request.items).filter((r) => repositoryNameProblem(r) === undefined), options?.signal);
    } catch (error) {
      problems.push({ message: `${this.display}: ${(error as Error).message}` });
    }
    return problems;
  }

  async prerequisites(items: readonly TargetItem[], options?: CallOptions): Promise<readonly ProviderPrerequisite[]> {
    const repositories = this.repositoriesOf(items);
    const problems = this.nameProblems(repositories);
    if (problems.length > 0) throw new EcrError(problems.map((p) => p.message).join("\n"));
    const described = await this.describe(repositories, options?.signal);
    const settings = this.settings.repositories ?? {};
    const encryption = settings.encryption ?? "AES256";
    return repositories
      .filter((name) => described.get(name) === undefined)
      .map((name) => {
        const request: CreateRepositoryRequest = {
          repositoryName: name,
          ...(this.settings.registryId !== undefined ? { registryId: this.settings.registryId } : {}),
          imageTagMutability: settings.tagMutability ?? "MUTABLE",
          imageScanningConfiguration: { scanOnPush: settings.scanOnPush ?? false },
          encryptionConfiguration: { encryptionType: encryption, ...(settings.kmsKey !== undefined && encryption !== "AES256" ? { kmsKey: settings.kmsKey } : {}) },
        };
        const how = [request.imageTagMutability, request.imageScanningConfiguration.scanOnPush ? "scan on push" : undefined, encryption].filter((s) => s !== undefined).join(", ");
        const data: EcrPrerequisiteData = { action: "create-repository", request };
        return { key: `repository ${name}`, reason: `create repository ${name} (${how}) in ${this.display}`, data };
      });
  }

  async applyPrerequisite(prerequisite: ProviderPrerequisite, options?: CallOptions): Promise<ProviderApplyResult> {
    const data = prerequisite.data;
    if (!isPrerequisiteData(data)) return { status: "failed", error: `${prerequisite.key}: not an ECR prerequisite this version of airgap knows (plan made by another version?)` };
    try {
      const outcome = await this.api.createRepository(data.request, options?.signal);
      if (outcome === "created") this.described.set(data.request.repositoryName, Promise.resolve({ repositoryName: data.request.repositoryName, imageTagMutability: data.request.imageTagMutability, exclusionFilters: [] }));
      else this.described.delete(data.request.repositoryName);
      return outcome === "created" ? { status: "applied" } : { status: "already-current" };
    } catch (error) {
      return { status: "failed", error: (error as Error).message };
    }
  }

  async close(): Promise<void> {
    this.api.close();
  }
}

/** The plugin. */
export const plugin: ProviderPlugin<EcrSettings> = {
  apiVersion: PROVIDER_API_VERSION,
  name: "ecr",
  kinds: ["image", "chart"],
  configSchema: createRequire(import.meta.url)("./config.schema.json") as object,
  async create(settings, context): Promise<Provider> {
    let location: EcrLocation;
    try {
      location = resolveLocation(settings, context.registryName);
    } catch (error) {
      throw new EcrError((error as Error).message);
    }
    const api = await createEcrApi({
      region: location.region,
      ...(settings.registryId !== undefined || location.accountId !== undefined ? { registryId: settings.registryId ?? location.accountId! } : {}),
      ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
      ...(settings.profile !== undefined ? { profile: settings.profile } : {}),
      ...(settings.tls ? { tls: settings.tls } : {}),
    });
    const tokens = new TokenSource(() => api.getAuthorizationToken(), context.clock ?? Date.now);
    let url = location.url;
    if (url === undefined) {
      // Only the region is known: the caller's default registry is the token's proxyEndpoint.
      const { token } = await tokens.get();
      if (token.proxyEndpoint === undefined) throw new EcrError(`registries.${context.registryName}: set \`registryId\` or \`url\`; GetAuthorizationToken named no registry`);
      url = token.proxyEndpoint;
    }
    return new EcrProvider({ ...settings, ...(location.accountId !== undefined ? { registryId: location.accountId } : {}) }, context, api, tokens, url);
  },
};
