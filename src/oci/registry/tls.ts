/**
 * Connection pools per TLS policy, owned by one {@link Transport}. One
 * keep-alive `Agent` serves every registry with default TLS; a registry with
 * its own CA file or with verification disabled gets a separate Agent, used
 * only for that registry's host, so its settings can never weaken the
 * connections to any other host. Nothing here is process-wide: two
 * transports never share an Agent, a CA or a connection.
 */
import { readFile } from "node:fs/promises";
import { createSecureContext, rootCertificates, type SecureContext } from "node:tls";
import { UsageError } from "../../core/errors.js";
import { Agent, buildConnector } from "./undici.js";

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
} as const;

const CONNECT_TIMEOUT_MS = 30_000;

/** True when a policy changes nothing about the default trust. */
export function isDefaultPolicy(policy: TlsPolicy | undefined): boolean {
  return policy === undefined || (policy.caFile === undefined && policy.ca === undefined && policy.insecureSkipVerify !== true);
}

function policyKey(policy: TlsPolicy): string {
  return JSON.stringify([policy.caFile ?? null, policy.ca ?? null, policy.insecureSkipVerify === true]);
}

async function secureContextFor(policy: TlsPolicy): Promise<SecureContext | undefined> {
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
  return extra.length > 0 ? createSecureContext({ ca: [...rootCertificates, ...extra] }) : undefined;
}

/**
 * The Agents of one transport. `onConnect` is told about every TCP (or TLS)
 * connection opened, with its `host:port`, so the transport can count them.
 */
export class AgentPool {
  private readonly onConnect: (host: string) => void;
  private defaultAgent: Agent | undefined;
  private readonly policyAgents = new Map<string, Promise<Agent>>();
  private closed = false;

  constructor(onConnect: (host: string) => void) {
    this.onConnect = onConnect;
  }

  /**
   * The Agent for a request URL: the scope's policy Agent when the URL's host
   * is the scope's host and the policy is not the default, else the default Agent.
   */
  async agentFor(url: URL, scope: TlsScope | undefined): Promise<Agent> {
    if (this.closed) throw new Error("the transport was closed");
    if (scope === undefined || isDefaultPolicy(scope.policy) || url.protocol !== "https:" || url.hostname !== scope.hostname) {
      this.defaultAgent ??= this.createAgent({});
      return this.defaultAgent;
    }
    const key = policyKey(scope.policy);
    let agent = this.policyAgents.get(key);
    if (agent === undefined) {
      const policy = scope.policy;
      agent = secureContextFor(policy).then((secureContext) =>
        this.createAgent({ ...(secureContext !== undefined ? { secureContext } : {}), rejectUnauthorized: policy.insecureSkipVerify !== true }),
      );
      this.policyAgents.set(key, agent);
      agent.catch(() => this.policyAgents.delete(key));
    }
    return agent;
  }

  /** Closes every pooled connection; the pool cannot be used afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const agents: Agent[] = this.defaultAgent !== undefined ? [this.defaultAgent] : [];
    this.defaultAgent = undefined;
    for (const pending of this.policyAgents.values()) {
      try {
        agents.push(await pending);
      } catch {
        // A policy whose CA file failed to load has no Agent to close.
      }
    }
    this.policyAgents.clear();
    await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
  }

  private createAgent(tls: { readonly secureContext?: SecureContext; readonly rejectUnauthorized?: boolean }): Agent {
    const connector = buildConnector({ timeout: CONNECT_TIMEOUT_MS, ...tls });
    const onConnect = this.onConnect;
    return new Agent({
      ...AGENT_OPTIONS,
      connect(options, callback) {
        connector(options, (error, socket) => {
          if (error === null) onConnect(options.port !== "" ? `${options.hostname}:${options.port}` : options.hostname);
          // undici's connector callback is typed as a union of (error, null) and (null, socket).
          (callback as (e: Error | null, s: typeof socket) => void)(error, socket);
        });
      },
    });
  }
}
