/**
 * The OciToolkit handed to providers: registry clients on the command's
 * transport (one connection pool per run), with credentials and TLS from
 * airgap.yaml. Each client keeps its own concurrency limit.
 */
import type { Logger } from "../core/logger.js";
import { RegistryClient, RegistryRepository, registryBaseUrl, registryDisplayName, type Transport } from "../oci/registry/index.js";
import type { OciToolkit } from "../sdk/provider.js";
import { credentialsFor, tlsFor } from "./credentials.js";

/** What {@link createOciToolkit} needs. */
export interface OciToolkitOptions {
  /** The command run's transport: every client of the toolkit shares its connections. The caller closes it. */
  readonly transport: Transport;
  readonly logger: Logger;
  /** Where credential lookups read `DOCKER_CONFIG`, `HOME` and the like from. Default: the process environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Creates the toolkit for one command run. */
export function createOciToolkit(options: OciToolkitOptions): OciToolkit {
  const { transport, logger } = options;
  const env = options.env ?? process.env;
  return {
    client(settings) {
      const tls = tlsFor(settings.tls);
      return new RegistryClient({
        url: settings.url,
        transport,
        credentials: credentialsFor(settings.credentials, env),
        logger,
        ...(tls ? { tls } : {}),
        ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
        // One request per blob, whatever its size (ECR's chunk rules): no PATCHes.
        ...(settings.singleRequestUploads ? { limits: { mode: "single-shot" as const } } : {}),
      });
    },
    repository(registry, name) {
      // The sdk hands out registries as an interface; only clients built here can move content.
      if (!(registry instanceof RegistryClient)) throw new TypeError(`${registry.registry}: not a registry from this run's OciToolkit`);
      return new RegistryRepository(registry, name);
    },
    async credentials(url, settings) {
      const found = await credentialsFor(settings, env)(registryDisplayName(registryBaseUrl(url)));
      return found !== undefined && "password" in found ? { username: found.username, password: found.password } : undefined;
    },
  };
}
