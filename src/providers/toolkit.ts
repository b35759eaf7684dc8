/**
 * The OciToolkit handed to providers: registry clients that share the
 * process-wide connection pool, with credentials and TLS from airgap.yaml.
 */
import type { Logger } from "../core/logger.js";
import { RegistryClient, RegistryRepository } from "../oci/registry/index.js";
import type { OciToolkit } from "../sdk/provider.js";
import { credentialsFor, tlsFor } from "./credentials.js";

/** Creates the toolkit; `env` is where `${VAR}`-free credential lookups read from. */
export function createOciToolkit(logger: Logger, env: Readonly<Record<string, string | undefined>> = process.env): OciToolkit {
  return {
    client(options) {
      const tls = tlsFor(options.tls);
      return new RegistryClient({
        url: options.url,
        credentials: credentialsFor(options.credentials, env),
        logger,
        ...(tls ? { tls } : {}),
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      });
    },
    repository(client, name) {
      return new RegistryRepository(client, name);
    },
  };
}
