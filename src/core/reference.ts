/**
 * Image references, parsed and normalised exactly as docker and
 * distribution/reference do, so that `nginx`, `library/nginx` and
 * `docker.io/library/nginx` are one repository everywhere in airgap.
 */
import { parseDigest, type Digest } from "./digest.js";

/** The registry that docker assumes when a reference names none. */
export const DOCKER_HUB = "docker.io";

/** The host Docker Hub's registry API answers on. */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";

/** Every spelling of Docker Hub that names the same registry (docker's `index.docker.io` and the API host). */
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([DOCKER_HUB, "index.docker.io", DOCKER_HUB_API_HOST]);

/**
 * One name per registry host: lowercase (host names are case-insensitive)
 * and Docker Hub's spellings (`index.docker.io`, `registry-1.docker.io`)
 * folded to `docker.io`. Every lookup by host (sources, credentials,
 * clients, lock keys) goes through this, so any spelling finds the same
 * settings. The reverse, for connecting, is {@link registryApiHost}.
 */
export function canonicalRegistryHost(host: string): string {
  const lower = host.trim().toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/** The host to connect to for a registry: `registry-1.docker.io` for Docker Hub, else the host itself. */
export function registryApiHost(host: string): string {
  const canonical = canonicalRegistryHost(host);
  return canonical === DOCKER_HUB ? DOCKER_HUB_API_HOST : canonical;
}

/** A fully normalised image reference: always a registry, a repository, and a tag and/or a digest. */
export interface ImageReference {
  /** Registry host with optional port, normalised by {@link canonicalRegistryHost} (`index.docker.io` becomes `docker.io`). */
  readonly registry: string;
  /** Repository path inside the registry (`library/nginx`, `team/sub/app`). */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

/** The outcome of parsing: a reference, or the reason it is not one. */
export type ParseReferenceResult =
  | { readonly ok: true; readonly reference: ImageReference }
  | { readonly ok: false; readonly reason: string };

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const NAME_MAX = 255;

/** True when a tag is legal by the distribution spec (`[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`). */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** True when a repository path is legal (lowercase components separated by `/`). */
export function isValidRepository(repository: string): boolean {
  return repository.length > 0 && repository.length <= NAME_MAX && repository.split("/").every((c) => PATH_COMPONENT.test(c));
}

/**
 * Splits the first path component off as a registry host the way docker does:
 * only when it contains `.` or `:`, is `localhost`, or has uppercase letters.
 */
function splitRegistry(name: string): { registry: string; remainder: string } {
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  const isHost = slash >= 0 && (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase());
  if (!isHost) return { registry: DOCKER_HUB, remainder: name };
  return { registry: canonicalRegistryHost(first), remainder: name.slice(slash + 1) };
}

/**
 * Parses `[registry/]repository[:tag][@digest]` and normalises it like docker
 * (`nginx` → `docker.io/library/nginx`). A reference with neither tag nor
 * digest is kept without one; callers decide whether `latest` applies.
 */
export function parseReference(input: string): ParseReferenceResult {
  const text = input.trim();
  if (text === "") return { ok: false, reason: "empty image reference" };
  if (/\s/.test(text)) return { ok: false, reason: `"${input}" contains white space` };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    return { ok: false, reason: `"${input}" has a URL scheme; write an image reference as host/repository:tag` };
  }

  let rest = text;
  let digest: Digest | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    const parsed = parseDigest(rest.slice(at + 1));
    if (!parsed.ok) return { ok: false, reason: `invalid digest in "${input}": ${parsed.reason}` };
    digest = parsed.digest;
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(":");
  if (lastColon > rest.lastIndexOf("/")) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!isValidTag(tag)) return { ok: false, reason: `invalid tag "${tag}" in "${input}"` };
  }

  const { registry, remainder } = splitRegistry(rest);
  if (registry !== DOCKER_HUB && !DOMAIN.test(registry)) return { ok: false, reason: `invalid registry host "${registry}" in "${input}"` };
  let repository = remainder;
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  if (!isValidRepository(repository)) {
    const hint = repository !== repository.toLowerCase() ? " (repository names must be lowercase)" : "";
    return { ok: false, reason: `invalid repository name "${remainder}" in "${input}"${hint}` };
  }
  if (registry.length + 1 + repository.length > NAME_MAX) return { ok: false, reason: `name in "${input}" is longer than ${NAME_MAX} characters` };

  return { ok: true, reference: { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) } };
}

/** The repository's full name, `registry/repository`. */
export function repositoryName(ref: Pick<ImageReference, "registry" | "repository">): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The canonical string form: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
}

/** The docker-style familiar form (`nginx:1.25` for `docker.io/library/nginx:1.25`), for display only. */
export function familiarReference(ref: ImageReference): string {
  let name = repositoryName(ref);
  if (ref.registry === DOCKER_HUB) name = ref.repository.startsWith("library/") ? ref.repository.slice(8) : ref.repository;
  return `${name}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
}
