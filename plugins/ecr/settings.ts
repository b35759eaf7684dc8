/**
 * The settings of an `ecr` registry (config.schema.json), where the account
 * and region come from, and ECR's repository name rules.
 */
import type { TlsSettings } from "airgap/sdk";

/** What `repositories:` sets on repositories airgap creates. */
export interface EcrRepositorySettings {
  readonly tagMutability?: "MUTABLE" | "IMMUTABLE";
  readonly scanOnPush?: boolean;
  readonly encryption?: "AES256" | "KMS" | "KMS_DSSE";
  readonly kmsKey?: string;
}

/** The settings of an `ecr` registry. */
export interface EcrSettings {
  readonly region?: string;
  readonly registryId?: string;
  readonly url?: string;
  readonly endpoint?: string;
  readonly profile?: string;
  readonly tls?: TlsSettings;
  readonly concurrency?: number;
  readonly repositories?: EcrRepositorySettings;
}

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` (AuthorizationData.proxyEndpoint). */
const ECR_HOST = /^([0-9]{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** Account and region of an ECR registry host, or undefined for any other host. */
export function parseEcrHost(host: string): { readonly accountId: string; readonly region: string } | undefined {
  const match = ECR_HOST.exec(host.toLowerCase());
  return match ? { accountId: match[1]!, region: match[2]! } : undefined;
}

/** Where the registry is: from `url` (an ECR host gives account and region) or from `registryId` and `region`. */
export interface EcrLocation {
  readonly region: string;
  readonly accountId: string | undefined;
  /** The `/v2` base URL; undefined until the caller's default registry is known (GetAuthorizationToken's proxyEndpoint). */
  readonly url: string | undefined;
}

/** Works out account, region and URL; throws a message naming the setting to fix when they disagree or are missing. */
export function resolveLocation(settings: EcrSettings, registryName: string): EcrLocation {
  const fromUrl = settings.url !== undefined ? parseEcrHost(new URL(settings.url).hostname) : undefined;
  if (fromUrl && settings.region !== undefined && settings.region !== fromUrl.region) {
    throw new Error(`registries.${registryName}: \`region: ${settings.region}\` contradicts the registry URL ${settings.url}, which is in ${fromUrl.region}`);
  }
  if (fromUrl && settings.registryId !== undefined && settings.registryId !== fromUrl.accountId) {
    throw new Error(`registries.${registryName}: \`registryId: ${settings.registryId}\` contradicts the registry URL ${settings.url}, which belongs to account ${fromUrl.accountId}`);
  }
  const region = settings.region ?? fromUrl?.region;
  if (region === undefined) throw new Error(`registries.${registryName}: set \`region\` (the URL ${settings.url ?? ""} is not an ECR host that names one)`);
  const accountId = settings.registryId ?? fromUrl?.accountId;
  const url = settings.url ?? (accountId !== undefined ? `https://${accountId}.dkr.ecr.${region}.amazonaws.com` : undefined);
  return { region, accountId, url };
}

/** ECR's repository name rule (model `RepositoryName`): lowercase segments, single separators, 2–256 characters. */
export const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Why ECR would refuse a repository name, or undefined when it accepts it. */
export function repositoryNameProblem(name: string): string | undefined {
  if (name.length < 2 || name.length > 256) return `ECR repository names are 2 to 256 characters long; \`${name.slice(0, 60)}\` has ${name.length}`;
  if (/[A-Z]/.test(name)) return `ECR refuses the repository name \`${name}\`: it has uppercase letters`;
  if (!REPOSITORY_NAME.test(name)) return `ECR refuses the repository name \`${name}\`: lowercase letters and digits separated by single \`.\`, \`_\` or \`-\`, and \`/\` between segments`;
  return undefined;
}
