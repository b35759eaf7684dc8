/**
 * Models for the renderer tests, built with the same targetRepository()
 * that apply uses, so a test that follows a rendered config from an
 * upstream name lands where apply pushed.
 */
import type { ClusterArtifact, ClusterModel, ClusterRegistry } from "../../../src/cluster/index.js";
import { DEFAULT_NAMING, targetRepository, type NamingPolicy } from "../../../src/core/naming.js";
import { parseReference } from "../../../src/core/reference.js";

/** An image (or chart) of a bundle with `path` and `policy`: upstream reference → artifact. */
export function mapped(reference: string, path?: string, policy: NamingPolicy = DEFAULT_NAMING, options: { as?: string; kind?: "image" | "chart"; digest?: string } = {}): ClusterArtifact {
  const parsed = parseReference(reference);
  if (!parsed.ok) throw new Error(parsed.reason);
  const ref = parsed.reference;
  return {
    kind: options.kind ?? "image",
    registry: ref.registry,
    repository: ref.repository,
    targetRepository: targetRepository(ref, path, policy, options.as),
    ...(ref.tag !== undefined ? { tag: ref.tag } : {}),
    ...(options.digest !== undefined ? { digest: options.digest } : {}),
  };
}

/** A model pulling from `registry` (default https://mirror.example:5000, no TLS settings). */
export function model(artifacts: readonly ClusterArtifact[], registry: Partial<ClusterRegistry> = {}, upstreamUrls: Record<string, string> = {}): ClusterModel {
  return {
    registry: { host: "mirror.example:5000", scheme: "https", namespace: "", tls: {}, ...registry },
    artifacts,
    upstreamUrls: new Map(Object.entries(upstreamUrls)),
  };
}

export const flatten = (maxDepth: number): NamingPolicy => ({ host: "drop", maxDepth, separator: "-" });
export const keepHost: NamingPolicy = { host: "keep", separator: "-" };

/** The upstream images most tests use: two registries, a nested repository. */
export const PLATFORM = ["docker.io/library/nginx:1.25", "quay.io/k0sproject/coredns:1.12.0", "docker.io/team/sub/app:v1", "registry.k8s.io/pause:3.9"];
