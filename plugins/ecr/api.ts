/**
 * The ECR control-plane calls the provider makes, through
 * `@aws-sdk/client-ecr` (DESIGN §8): the SDK signs with SigV4 and finds
 * credentials through its default chain (environment, SSO, shared profile,
 * web identity, container and instance roles). The SDK is imported on first
 * use only, so commands that never talk to ECR never load it.
 */
import { readFile } from "node:fs/promises";
import { Agent as HttpsAgent } from "node:https";
import { rootCertificates } from "node:tls";
import type { ECRClient } from "@aws-sdk/client-ecr";
import { AirgapError, type TlsSettings } from "airgap/sdk";

/** An ECR call failed; `awsCode` is the exception name ECR answered (`RepositoryNotFoundException`). */
export class EcrError extends AirgapError {
  readonly awsCode: string | undefined;
  readonly status: number | undefined;

  constructor(message: string, options: { readonly awsCode?: string; readonly status?: number; readonly cause?: unknown } = {}) {
    super("ECR", message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.awsCode = options.awsCode;
    this.status = options.status;
  }
}

/** A repository as DescribeRepositories reports it (the fields used). */
export interface EcrRepository {
  readonly repositoryName: string;
  readonly imageTagMutability: string;
  /** `IMMUTABLE_WITH_EXCLUSION` / `MUTABLE_WITH_EXCLUSION` wildcard filters. */
  readonly exclusionFilters: readonly string[];
}

/** An image as DescribeImages reports it (the fields used). */
export interface EcrImage {
  readonly digest: string;
  readonly tags: readonly string[];
}

/** A registry password from GetAuthorizationToken. */
export interface EcrToken {
  readonly username: string;
  readonly password: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly proxyEndpoint: string | undefined;
}

/** What CreateRepository is given. */
export interface CreateRepositoryRequest {
  readonly repositoryName: string;
  readonly registryId?: string;
  readonly imageTagMutability: "MUTABLE" | "IMMUTABLE";
  readonly imageScanningConfiguration: { readonly scanOnPush: boolean };
  readonly encryptionConfiguration: { readonly encryptionType: "AES256" | "KMS" | "KMS_DSSE"; readonly kmsKey?: string };
}

/** The ECR operations the provider uses. */
export interface EcrApi {
  getAuthorizationToken(signal?: AbortSignal): Promise<EcrToken>;
  /** The named repositories; a missing one maps to undefined. */
  describeRepositories(names: readonly string[], signal?: AbortSignal): Promise<Map<string, EcrRepository | undefined>>;
  createRepository(request: CreateRepositoryRequest, signal?: AbortSignal): Promise<"created" | "exists">;
  /** Every image of a repository (paginated); undefined when the repository does not exist. */
  describeImages(repository: string, signal?: AbortSignal): Promise<EcrImage[] | undefined>;
  /** Removes one tag (BatchDeleteImage by tag); false when it was not there. */
  deleteTag(repository: string, tag: string, signal?: AbortSignal): Promise<boolean>;
  close(): void;
}

/** Settings of the SDK client. */
export interface EcrApiOptions {
  readonly region: string;
  readonly registryId?: string;
  readonly endpoint?: string;
  readonly profile?: string;
  readonly tls?: TlsSettings;
  /** Images per DescribeImages page (1–1000; default 1000). */
  readonly pageSize?: number;
}

/** Turns an SDK failure into an EcrError that keeps ECR's own exception name and message. */
export function ecrError(error: unknown, what: string): EcrError {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? "Error";
  const status = e.$metadata?.httpStatusCode;
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(e.message ?? "")) {
    return new EcrError(
      `${what}: no AWS credentials found (${e.message ?? name}); provide them through the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), a shared profile (\`profile:\` or AWS_PROFILE), SSO, web identity or an instance role`,
      { awsCode: name, cause: error },
    );
  }
  return new EcrError(`${what}: ${name}: ${e.message ?? "no message"}`, { awsCode: name, ...(status !== undefined ? { status } : {}), cause: error });
}

/** Creates the API, loading the SDK now. */
export async function createEcrApi(options: EcrApiOptions): Promise<EcrApi> {
  const sdk = await import("@aws-sdk/client-ecr");
  let httpsAgent: HttpsAgent | undefined;
  if (options.tls?.caFile !== undefined || options.tls?.insecureSkipVerify) {
    const extra = options.tls.caFile !== undefined ? await readFile(options.tls.caFile, "utf8") : undefined;
    httpsAgent = new HttpsAgent({ keepAlive: true, ...(extra !== undefined ? { ca: [...rootCertificates, extra] } : {}), ...(options.tls.insecureSkipVerify ? { rejectUnauthorized: false } : {}) });
  }
  const client: ECRClient = new sdk.ECRClient({
    region: options.region,
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(httpsAgent !== undefined ? { requestHandler: { httpsAgent } } : {}),
  });
  const registry = options.registryId !== undefined ? { registryId: options.registryId } : {};
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw ecrError(error, what);
    }
  };
  const isNotFound = (error: unknown): boolean => (error as { name?: string }).name === "RepositoryNotFoundException";
  const describeOne = async (name: string, signal?: AbortSignal): Promise<EcrRepository | undefined> => {
    try {
      const out = await client.send(new sdk.DescribeRepositoriesCommand({ ...registry, repositoryNames: [name] }), signal ? { abortSignal: signal } : {});
      const repo = out.repositories?.[0];
      return repo ? toRepository(repo) : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw ecrError(error, `DescribeRepositories ${name}`);
    }
  };
  const toRepository = (repo: { repositoryName?: string | undefined; imageTagMutability?: string | undefined; imageTagMutabilityExclusionFilters?: { filter?: string | undefined }[] | undefined }): EcrRepository => ({
    repositoryName: repo.repositoryName ?? "",
    imageTagMutability: repo.imageTagMutability ?? "MUTABLE",
    exclusionFilters: (repo.imageTagMutabilityExclusionFilters ?? []).flatMap((f) => (f.filter !== undefined ? [f.filter] : [])),
  });
  return {
    getAuthorizationToken(signal) {
      return call("GetAuthorizationToken", async () => {
        const out = await client.send(new sdk.GetAuthorizationTokenCommand(options.registryId !== undefined ? { registryIds: [options.registryId] } : {}), signal ? { abortSignal: signal } : {});
        const data = out.authorizationData?.[0];
        const decoded = Buffer.from(data?.authorizationToken ?? "", "base64").toString("utf8");
        const colon = decoded.indexOf(":");
        if (!data || colon < 0 || data.expiresAt === undefined) throw new EcrError("GetAuthorizationToken answered without a token");
        return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), expiresAt: data.expiresAt.getTime(), proxyEndpoint: data.proxyEndpoint };
      });
    },
    async describeRepositories(names, signal) {
      const out = new Map<string, EcrRepository | undefined>();
      for (let i = 0; i < names.length; i += 100) {
        const batch = names.slice(i, i + 100);
        try {
          const found = await client.send(new sdk.DescribeRepositoriesCommand({ ...registry, repositoryNames: [...batch] }), signal ? { abortSignal: signal } : {});
          for (const repo of found.repositories ?? []) out.set(repo.repositoryName ?? "", toRepository(repo));
        } catch (error) {
          // One missing name fails the whole batch (model doc): ask for each name of it instead.
          if (!isNotFound(error)) throw ecrError(error, "DescribeRepositories");
          for (const name of batch) out.set(name, await describeOne(name, signal));
        }
      }
      return out;
    },
    createRepository(request, signal) {
      return call(`CreateRepository ${request.repositoryName}`, async () => {
        try {
          await client.send(new sdk.CreateRepositoryCommand({ ...request, ...registry, imageScanningConfiguration: { ...request.imageScanningConfiguration }, encryptionConfiguration: { ...request.encryptionConfiguration } }), signal ? { abortSignal: signal } : {});
          return "created";
        } catch (error) {
          if ((error as { name?: string }).name === "RepositoryAlreadyExistsException") return "exists";
          throw error;
        }
      });
    },
    async describeImages(repository, signal) {
      const images: EcrImage[] = [];
      try {
        for await (const page of sdk.paginateDescribeImages({ client, pageSize: options.pageSize ?? 1000, ...(signal ? { abortSignal: signal } : {}) }, { ...registry, repositoryName: repository })) {
          for (const detail of page.imageDetails ?? []) if (detail.imageDigest !== undefined) images.push({ digest: detail.imageDigest, tags: detail.imageTags ?? [] });
        }
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw ecrError(error, `DescribeImages ${repository}`);
      }
      return images;
    },
    deleteTag(repository, tag, signal) {
      return call(`BatchDeleteImage ${repository}:${tag}`, async () => {
        const out = await client.send(new sdk.BatchDeleteImageCommand({ ...registry, repositoryName: repository, imageIds: [{ imageTag: tag }] }), signal ? { abortSignal: signal } : {});
        const failure = out.failures?.find((f) => f.failureCode !== "ImageNotFound");
        if (failure) throw new EcrError(`BatchDeleteImage ${repository}:${tag}: ${failure.failureCode ?? ""}: ${failure.failureReason ?? ""}`);
        return (out.imageIds ?? []).length > 0;
      });
    },
    close() {
      client.destroy();
      httpsAgent?.destroy();
    },
  };
}
