/**
 * The OciToolkit handed to providers: registry clients that share the
 * process-wide connection pool, with credentials and TLS from airgap.yaml.
 */
import type { Logger } from "../core/logger.js";
import { RegistryClient, RegistryRepository, registryBaseUrl, registryDisplayName } from "../oci/registry/index.js";
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
        // One streamed PUT per blob, whatever its size: no chunked PATCHes.
        ...(options.singleRequestUploads ? { limits: { chunkedThreshold: Number.MAX_SAFE_INTEGER } } : {}),
      });
    },
    repository(client, name) {
      return new RegistryRepository(client, name);
    },
    async credentials(url, settings) {
      const found = await credentialsFor(settings, env)(registryDisplayName(registryBaseUrl(url)));
      return found !== undefined && "password" in found ? { username: found.username, password: found.password } : undefined;
    },
  };
}
