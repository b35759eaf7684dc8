/**
 * The `oci` provider: any registry that implements the OCI distribution
 * spec. The core copies content through `repository()`; this plugin adds
 * listing and deletion for prune.
 */
import type { CredentialSettings, Provider, ProviderPlugin, TlsSettings } from "airgap/sdk";
import { PROVIDER_API_VERSION } from "airgap/sdk";
import { createRequire } from "node:module";

/** The settings of an `oci` registry (plugins/oci/config.schema.json). */
export interface OciSettings {
  readonly url: string;
  readonly credentials?: CredentialSettings;
  readonly tls?: TlsSettings;
  readonly concurrency?: number;
  readonly referrersApi?: "auto" | "yes" | "no";
}

/** The plugin. */
export const plugin: ProviderPlugin<OciSettings> = {
  apiVersion: PROVIDER_API_VERSION,
  name: "oci",
  kinds: ["image", "chart", "file"],
  configSchema: createRequire(import.meta.url)("./config.schema.json") as object,
  async create(settings, context): Promise<Provider> {
    const client = context.oci.client({
      url: settings.url,
      ...(settings.tls ? { tls: settings.tls } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
    });
    return {
      display: client.registry,
      repository: (name) => context.oci.repository(client, name),
      async ping(options) {
        await client.ping(options?.signal ? { signal: options.signal } : {});
      },
      async listTags(repository, options) {
        return client.listTags(repository, options?.signal ? { signal: options.signal } : {});
      },
      async deleteTag(repository, _tag, digest, options) {
        // Distribution deletes manifests by digest only: every tag on that digest goes with it.
        await client.deleteManifest(repository, digest, options?.signal ? { signal: options.signal } : {});
      },
    };
  },
};
