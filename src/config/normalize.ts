/**
 * The validated airgap.yaml turned into the model every later stage reads:
 * references parsed and normalised, defaults applied, paths made absolute,
 * source URLs joined. Pure: no I/O. Call only on a config that passed
 * validation (it relies on the rules having run).
 */
import { isAbsolute, resolve } from "node:path";
import { toPointer } from "../core/diagnostics.js";
import { InternalError } from "../core/errors.js";
import { DEFAULT_NAMING, type NamingPolicy } from "../core/naming.js";
import { parsePlatform, type Platform } from "../core/oci-types.js";
import { canonicalRegistryHost, parseReference, registryApiHost, type ImageReference } from "../core/reference.js";
import { Secret } from "../core/secret.js";
import type { AirgapConfig, Bundle, Cluster, Credentials, DiskSource, RegistrySource, TagFilter, Tls } from "./generated/airgap-config.js";

/** A username and password sent as HTTP Basic auth (helm and http sources); the password is a {@link Secret}. */
export interface BasicCredentials {
  readonly username: string;
  readonly password: Secret;
}

/** A source registry's settings, found by host ({@link canonicalRegistryHost}). */
export interface RegistrySourceSettings {
  readonly name: string;
  /** The host as written in airgap.yaml. */
  readonly host: string;
  /** Base URL (`https://host` unless the source says otherwise). */
  readonly url: string;
  readonly mirrors: readonly string[];
  readonly credentials?: Credentials;
  readonly tls?: Tls;
  readonly concurrency?: number;
}

/** Where an image or chart comes from. */
export type ContentOrigin =
  | { readonly type: "registry"; readonly settings?: RegistrySourceSettings }
  | { readonly type: "disk"; readonly source: string; readonly format: DiskSource["type"]; readonly path: string }
  /** A chart archive from a Helm repository, as locked (never written in airgap.yaml: made from the lock), with the repository's credentials for its own origin. */
  | { readonly type: "helm-chart"; readonly url: string; readonly sha256: string; readonly version: string; readonly credentials?: BasicCredentials };

/** An image to mirror. */
export interface ImageEntry {
  /** JSON pointer of the entry in airgap.yaml, for diagnostics. */
  readonly pointer: string;
  readonly bundle: string;
  /** The upstream reference, normalised (docker.io/library/…). */
  readonly reference: ImageReference;
  readonly origin: ContentOrigin;
  /** Tag filter when the entry names a repository. */
  readonly tags?: TagFilter;
  /** Platforms to keep; undefined keeps all. */
  readonly platforms?: readonly Platform[];
  readonly preserveDigests: boolean;
  /** Target repository override, relative to the bundle path. */
  readonly as?: string;
}

/** A Helm chart to mirror. */
export type ChartEntry =
  | { readonly pointer: string; readonly bundle: string; readonly type: "oci"; readonly reference: ImageReference; readonly version: string; readonly origin: ContentOrigin; readonly as?: string }
  | {
      readonly pointer: string;
      readonly bundle: string;
      readonly type: "helm";
      readonly source: string;
      /** The repository's URL exactly as written (no credentials: those are in `credentials`). */
      readonly repositoryUrl: string;
      /** The repository's credentials, sent to its own origin only (Helm's rule). */
      readonly credentials?: BasicCredentials;
      readonly name: string;
      readonly version: string;
      readonly as?: string;
    };

/** A file to carry. */
export interface FileEntry {
  readonly pointer: string;
  readonly bundle: string;
  /** Absolute http(s) URL, with any source base joined. */
  readonly url?: string;
  /** The `http` source's credentials, for `url`. */
  readonly credentials?: BasicCredentials;
  /** Absolute local path. */
  readonly path?: string;
  readonly sha256?: string;
  readonly mode?: string;
  readonly to: { readonly registry: string; readonly path: string };
}

/** A bundle with defaults applied. */
export interface NormalizedBundle {
  readonly name: string;
  readonly registry?: string;
  readonly path?: string;
  readonly naming: NamingPolicy;
  readonly platforms?: readonly Platform[];
  readonly preserveDigests: boolean;
  readonly images: readonly ImageEntry[];
  readonly charts: readonly ChartEntry[];
  readonly files: readonly FileEntry[];
  readonly referrers: boolean | { readonly artifactTypes: readonly string[] };
  readonly prune: boolean;
}

/** A target registry: its provider and that provider's settings (paths made absolute). */
export interface TargetRegistry {
  readonly name: string;
  readonly provider: string;
  readonly settings: Readonly<Record<string, unknown>>;
}

/** The model later stages read. */
export interface NormalizedConfig {
  readonly baseDir: string;
  /** Registry source settings by {@link canonicalRegistryHost}. */
  readonly registrySources: ReadonlyMap<string, RegistrySourceSettings>;
  readonly registries: ReadonlyMap<string, TargetRegistry>;
  readonly bundles: readonly NormalizedBundle[];
  readonly cluster?: Cluster;
}

function platforms(list: readonly string[] | undefined): Platform[] | undefined {
  return list?.map((p) => {
    const parsed = parsePlatform(p);
    if (!parsed.ok) throw new InternalError(`unvalidated platform ${p}`);
    return parsed.platform;
  });
}

function reference(text: string): ImageReference {
  const parsed = parseReference(text);
  if (!parsed.ok) throw new InternalError(`unvalidated reference ${text}: ${parsed.reason}`);
  return parsed.reference;
}

/** Paths in registry settings that are relative to airgap.yaml. */
const PATH_SETTINGS = ["path", "secretFile"];

function absolutize(settings: Record<string, unknown>, baseDir: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...settings };
  for (const key of PATH_SETTINGS) if (typeof out[key] === "string") out[key] = resolve(baseDir, out[key] as string);
  const tls = out["tls"] as Record<string, unknown> | undefined;
  if (tls) out["tls"] = Object.fromEntries(Object.entries(tls).map(([k, v]) => [k, typeof v === "string" && k.endsWith("File") ? resolve(baseDir, v) : v]));
  const robot = out["robot"] as Record<string, unknown> | undefined;
  if (robot) out["robot"] = absolutize(robot, baseDir);
  return out;
}

/** A URL source: its base URL as written, and Basic credentials when a username is given. */
interface UrlSource {
  readonly url: string;
  readonly credentials?: BasicCredentials;
}

/** A helm/http source's username and password (an empty username, e.g. `${USER:-}` unset, means none). */
function basicCredentials(credentials: Credentials | undefined): BasicCredentials | undefined {
  if (!credentials?.username) return undefined;
  return { username: credentials.username, password: credentials.password ?? new Secret("") };
}

/** Normalises a validated config; `baseDir` is the directory of airgap.yaml. */
export function normalizeConfig(config: AirgapConfig, baseDir: string): NormalizedConfig {
  const registrySources = new Map<string, RegistrySourceSettings>();
  const disk = new Map<string, DiskSource>();
  const urlSources = new Map<string, UrlSource>();
  for (const [name, source] of Object.entries(config.sources ?? {})) {
    if (!source) continue;
    if (source.type === "registry") {
      const s = source as RegistrySource;
      const tls = s.tls ? (absolutize({ tls: s.tls }, baseDir)["tls"] as Tls) : undefined;
      registrySources.set(canonicalRegistryHost(s.host), {
        name,
        host: s.host,
        url: (s.url ?? `https://${registryApiHost(s.host)}`).replace(/\/+$/, ""),
        mirrors: s.mirror ?? [],
        ...(s.credentials ? { credentials: s.credentials } : {}),
        ...(tls ? { tls } : {}),
        ...(s.concurrency !== undefined ? { concurrency: s.concurrency } : {}),
      });
    } else if (source.type === "helm" || source.type === "http") {
      const credentials = basicCredentials(source.credentials);
      urlSources.set(name, { url: source.url.replace(/\/+$/, ""), ...(credentials ? { credentials } : {}) });
    } else {
      disk.set(name, { ...source, path: resolve(baseDir, source.path) });
    }
  }

  const originFor = (ref: ImageReference, sourceName: string | undefined): ContentOrigin => {
    const diskSource = sourceName !== undefined ? disk.get(sourceName) : undefined;
    if (diskSource) return { type: "disk", source: sourceName!, format: diskSource.type, path: diskSource.path };
    const settings = registrySources.get(canonicalRegistryHost(ref.registry));
    return settings ? { type: "registry", settings } : { type: "registry" };
  };
  /** With a registry source named, a reference without a host belongs to that source's host. */
  const withSourceHost = (text: string, sourceName: string | undefined): string => {
    if (sourceName === undefined) return text;
    const source = config.sources?.[sourceName];
    if (source?.type !== "registry") return text;
    const first = text.split("/")[0] ?? "";
    return /[.:]/.test(first) || first === "localhost" ? text : `${source.host}/${text}`;
  };

  const bundles: NormalizedBundle[] = [];
  for (const [name, bundle] of Object.entries(config.bundles ?? {})) {
    if (!bundle) continue;
    bundles.push(normalizeBundle(name, bundle, baseDir, originFor, withSourceHost, urlSources));
  }

  const registries = new Map<string, TargetRegistry>();
  for (const [name, registry] of Object.entries(config.registries ?? {})) {
    if (!registry) continue;
    const { provider, description: _d, ...settings } = registry as { provider: string; description?: string } & Record<string, unknown>;
    registries.set(name, { name, provider, settings: absolutize(settings, baseDir) });
  }
  return { baseDir, registrySources, registries, bundles, ...(config.cluster ? { cluster: config.cluster } : {}) };
}

function normalizeBundle(
  name: string,
  bundle: Bundle,
  baseDir: string,
  originFor: (ref: ImageReference, source: string | undefined) => ContentOrigin,
  withSourceHost: (text: string, source: string | undefined) => string,
  urlSources: ReadonlyMap<string, UrlSource>,
): NormalizedBundle {
  const bundlePlatforms = platforms(bundle.platforms);
  const preserve = bundle.preserveDigests ?? false;
  const images: ImageEntry[] = (bundle.images ?? []).flatMap((image, i) => {
    if (image === undefined) return [];
    const pointer = toPointer(["bundles", name, "images", i]);
    if (typeof image === "string") {
      const ref = reference(image);
      return [{ pointer, bundle: name, reference: ref, origin: originFor(ref, undefined), ...(bundlePlatforms ? { platforms: bundlePlatforms } : {}), preserveDigests: preserve }];
    }
    const ref = reference(withSourceHost(image.ref, image.source));
    const own = platforms(image.platforms) ?? bundlePlatforms;
    return [
      {
        pointer,
        bundle: name,
        reference: ref,
        origin: originFor(ref, image.source),
        ...(image.tags !== undefined ? { tags: image.tags } : {}),
        ...(own ? { platforms: own } : {}),
        preserveDigests: image.preserveDigests ?? preserve,
        ...(image.as !== undefined ? { as: image.as } : {}),
      },
    ];
  });
  const charts: ChartEntry[] = (bundle.charts ?? []).flatMap((chart, i): ChartEntry[] => {
    if (chart === undefined) return [];
    const pointer = toPointer(["bundles", name, "charts", i]);
    if (typeof chart === "string") {
      const ref = reference(chart.replace(/^oci:\/\//, ""));
      const { tag: version = "", ...repository } = ref;
      return [{ pointer, bundle: name, type: "oci", reference: repository, version, origin: originFor(ref, undefined) }];
    }
    const as = chart.as !== undefined ? { as: chart.as } : {};
    if (chart.ref !== undefined) {
      const ref = reference(`${chart.ref.replace(/^oci:\/\//, "").replace(/\/+$/, "")}/${chart.name}`);
      return [{ pointer, bundle: name, type: "oci", reference: ref, version: chart.version, origin: originFor(ref, undefined), ...as }];
    }
    const source = chart.source ?? "";
    const helm = urlSources.get(source);
    if (helm !== undefined) {
      return [{ pointer, bundle: name, type: "helm", source, repositoryUrl: helm.url, ...(helm.credentials ? { credentials: helm.credentials } : {}), name: chart.name, version: chart.version, ...as }];
    }
    const ref = reference(withSourceHost(chart.name, source));
    return [{ pointer, bundle: name, type: "oci", reference: ref, version: chart.version, origin: originFor(ref, source), ...as }];
  });
  const files: FileEntry[] = (bundle.files ?? []).flatMap((file, i) => {
    if (file === undefined) return [];
    const pointer = toPointer(["bundles", name, "files", i]);
    const base = file.source !== undefined ? urlSources.get(file.source) : undefined;
    const url = file.url === undefined ? undefined : base !== undefined ? `${base.url}/${file.url.replace(/^\/+/, "")}` : file.url;
    return [
      {
        pointer,
        bundle: name,
        ...(url !== undefined ? { url } : {}),
        ...(url !== undefined && base?.credentials ? { credentials: base.credentials } : {}),
        ...(file.path !== undefined ? { path: isAbsolute(file.path) ? file.path : resolve(baseDir, file.path) } : {}),
        ...(file.sha256 !== undefined ? { sha256: file.sha256 } : {}),
        ...(file.mode !== undefined ? { mode: file.mode } : {}),
        to: file.to,
      },
    ];
  });
  const referrers = bundle.referrers === undefined ? false : typeof bundle.referrers === "boolean" ? bundle.referrers : { artifactTypes: bundle.referrers.artifactTypes ?? [] };
  return {
    name,
    ...(bundle.registry !== undefined ? { registry: bundle.registry } : {}),
    ...(bundle.path !== undefined ? { path: bundle.path } : {}),
    naming: { ...DEFAULT_NAMING, ...(bundle.naming ?? {}) } as NamingPolicy,
    ...(bundlePlatforms ? { platforms: bundlePlatforms } : {}),
    preserveDigests: preserve,
    images,
    charts,
    files,
    referrers,
    prune: bundle.prune ?? false,
  };
}
