/**
 * `airgap init`: a commented starter airgap.yaml that validates as written,
 * with the modeline that makes editors check it against the schema.
 */
import { access } from "node:fs/promises";
import { dirname, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../core/errors.js";
import { writeFileAtomic } from "../../fs/atomic-file.js";
import { boolFlag, parseCommandArgs, stringFlag } from "../args.js";
import { DEFAULT_CONFIG_FILE } from "../config-file.js";
import { ExitCode } from "../exit-codes.js";
import type { CommandIo } from "../io.js";

/** Where the installed schema is: the repository's schema/ (src) or the build's copy (dist). */
function schemaPath(): string {
  return fileURLToPath(new URL("../../../schema/airgap.schema.json", import.meta.url));
}

/** The starter file; `schemaRef` goes into the yaml-language-server modeline. */
export function starterConfig(schemaRef: string): string {
  return `# yaml-language-server: $schema=${schemaRef}
# airgap.yaml: what to mirror, where it lands, and what the cluster needs.
# Check it with \`airgap validate\`; your editor shows what every key means.
apiVersion: airgap/v1

# Upstream places that need settings (credentials, TLS, plain HTTP, content on disk).
# A registry that is not listed is read anonymously or with your docker login.
sources: {}
#  quay:
#    type: registry
#    host: quay.io
#    credentials:
#      username: \${QUAY_USER}
#      password: \${QUAY_PASSWORD}      # a secret field: never printed or written

# Targets. An OCI image layout directory needs no server; for a registry write e.g.
#   mirror: { provider: oci, url: https://registry.internal, credentials: { username: \${U}, password: \${P} } }
registries:
  local:
    provider: oci-layout
    path: ./mirror

# Sets of content and where they land.
bundles:
  platform:
    registry: local
    path: platform                    # images land at <registry>/platform/<upstream repository>
    platforms: [linux/amd64]
    images:
      - registry.k8s.io/pause:3.9
    #  - ref: quay.io/example/app
    #    tags: { semver: ">=1.0 <2", newest: 3 }
    # charts:
    #   - oci://registry-1.docker.io/bitnamicharts/nginx:15.14.0
    # files:
    #   - url: https://example.com/tool-v1.0.0-linux-amd64
    #     sha256: <64 hex digits>
    #     to: { registry: local, path: tools/tool-v1.0.0-linux-amd64 }

# What the cluster needs to pull from the mirror.
# cluster:
#   registry: local
#   outputs:
#     - { type: containerd, path: out/certs.d }
#     - { type: k0s, path: out/k0s.yaml, pullPolicy: Never }
`;
}

/** Writes the starter file; refuses to overwrite without --force. */
export async function runInit(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const parsed = parseCommandArgs("init", args, { force: { type: "boolean" } });
  const file = stringFlag(parsed, "file") ?? DEFAULT_CONFIG_FILE;
  const path = resolve(io.cwd, file);
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  if (exists && !boolFlag(parsed, "force")) throw new UsageError(`${file} already exists; use --force to overwrite it`);
  let schemaRef = relative(dirname(path), schemaPath()).split(sep).join("/");
  if (!schemaRef.startsWith(".")) schemaRef = `./${schemaRef}`;
  try {
    await writeFileAtomic(path, starterConfig(schemaRef));
  } catch (error) {
    throw new UsageError(`cannot write ${file}: ${(error as Error).message}`);
  }
  io.stderr.write(`Wrote ${file}. Next: edit it, then run \`airgap validate${file === DEFAULT_CONFIG_FILE ? "" : ` -f ${file}`}\`.\n`);
  return ExitCode.Ok;
}
