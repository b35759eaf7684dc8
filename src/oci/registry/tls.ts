/**
 * Connection pools per TLS policy. One keep-alive `Agent` serves every
 * registry with default TLS; a registry with its own CA file or with
 * verification disabled gets a separate Agent, used only for that registry's
 * host, so its settings can never weaken the connections to any other host.
 */
import { readFile } from "node:fs/promises";
import { createSecureContext, rootCertificates } from "node:tls";
import { Agent } from "undici";
import { UsageError } from "../../core/errors.js";

/** TLS settings of one registry (airgap.yaml `tls`); never global. */
export interface TlsPolicy {
  /** PEM file with extra CA certificates to trust, in addition to the system roots. */
  readonly caFile?: string;
  /** PEM text with extra CA certificates (for callers that already read the file). */
  readonly ca?: string;
  /** Skip certificate verification for this registry only. */
  readonly insecureSkipVerify?: boolean;
}

/**
 * Where a TLS policy applies: requests to `hostname` (any port, so a token
 * service beside the registry on the same host shares its CA) use the
 * policy; requests anywhere else (blob storage redirects, other hosts) use
 * the default trust.
 */
export interface TlsScope {
  readonly hostname: string;
  readonly policy: TlsPolicy;
}

/** Keep-alive and pool settings shared by every Agent. */
const AGENT_OPTIONS = {
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 120_000,
  connectTimeout: 30_000,
} as const;

let defaultAgent: Agent | undefined;
const policyAgents = new Map<string, Promise<Agent>>();

/** The process-wide Agent for default TLS (and plain HTTP). */
export function getDefaultAgent(): Agent {
  defaultAgent ??= new Agent(AGENT_OPTIONS);
  return defaultAgent;
}

function isDefaultPolicy(policy: TlsPolicy | undefined): boolean {
  return policy === undefined || (policy.caFile === undefined && policy.ca === undefined && policy.insecureSkipVerify !== true);
}

function policyKey(policy: TlsPolicy): string {
  return JSON.stringify([policy.caFile ?? null, policy.ca ?? null, policy.insecureSkipVerify === true]);
}

async function createPolicyAgent(policy: TlsPolicy): Promise<Agent> {
  const extra: string[] = [];
  if (policy.caFile !== undefined) {
    try {
      extra.push(await readFile(policy.caFile, "utf8"));
    } catch (error) {
      throw new UsageError(`cannot read the CA file ${policy.caFile}: ${(error as Error).message}`);
    }
  }
  if (policy.ca !== undefined) extra.push(policy.ca);
  // Extra CAs add to the system roots instead of replacing them. The context is built once:
  // passing `ca` per connection would parse every root certificate on each TLS handshake.
  const secureContext = extra.length > 0 ? createSecureContext({ ca: [...rootCertificates, ...extra] }) : undefined;
  return new Agent({
    ...AGENT_OPTIONS,
    connect: {
      ...(secureContext !== undefined ? { secureContext } : {}),
      rejectUnauthorized: policy.insecureSkipVerify !== true,
    },
  });
}

/**
 * The Agent for a request URL: the scope's policy Agent when the URL's host
 * is the scope's host and the policy is not the default, else the default Agent.
 */
export async function agentFor(url: URL, scope: TlsScope | undefined): Promise<Agent> {
  if (scope === undefined || isDefaultPolicy(scope.policy) || url.protocol !== "https:" || url.hostname !== scope.hostname) {
    return getDefaultAgent();
  }
  const key = policyKey(scope.policy);
  let agent = policyAgents.get(key);
  if (agent === undefined) {
    agent = createPolicyAgent(scope.policy);
    policyAgents.set(key, agent);
    agent.catch(() => policyAgents.delete(key));
  }
  return agent;
}

/** Closes every pooled connection (at the end of a CLI run; tests). Agents are recreated on next use. */
export async function closeAgents(): Promise<void> {
  const agents: Agent[] = [];
  if (defaultAgent !== undefined) agents.push(defaultAgent);
  defaultAgent = undefined;
  for (const pending of policyAgents.values()) {
    try {
      agents.push(await pending);
    } catch {
      // A policy whose CA file failed to load has no Agent to close.
    }
  }
  policyAgents.clear();
  await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
}
