/**
 * Rules about targets: providers exist, references between sections point at
 * something real, and content goes only where it can be held.
 */
import { canonicalRegistryHost } from "../../core/reference.js";
import type { Credentials } from "../generated/airgap-config.js";
import { didYouMean } from "../suggest.js";
import { entries, type Rule } from "./context.js";

/** Every registry's provider is built in or an installed plugin package. */
export const knownProviders: Rule = (ctx) => {
  for (const [name, registry] of entries(ctx.config.registries)) {
    if (ctx.providers.isKnown(registry.provider)) continue;
    ctx.report("error", ["registries", name, "provider"], `unknown provider \`${registry.provider}\`: not built in (${ctx.providers.builtins.join(", ")}) and no installed package of that name`, {
      ...(didYouMean(registry.provider, ctx.providers.builtins) ? { hint: didYouMean(registry.provider, ctx.providers.builtins)! } : {}),
    });
  }
};

/** Names used in `registry:`, `source:` and `cluster.bundles` exist, and name the right kind of thing. */
export const crossReferences: Rule = (ctx) => {
  const registries = [...ctx.declared.registries];
  const sources = ctx.config.sources ?? {};
  const sourceNames = [...ctx.declared.sources];
  const registryRef = (path: (string | number)[], name: string, what: string): boolean => {
    if (registries.includes(name)) return true;
    const hint = didYouMean(name, registries);
    const known = registries.length ? `defined: ${registries.join(", ")}` : "no registries are defined";
    ctx.report("error", path, `${what} names registry \`${name}\`, which is not defined under \`registries\` (${known})`, hint ? { hint } : {});
    return false;
  };
  const sourceRef = (path: (string | number)[], name: string, allowed: readonly string[], what: string): void => {
    const source = sources[name];
    if (!ctx.declared.sources.has(name)) {
      const hint = didYouMean(name, sourceNames);
      ctx.report("error", path, `${what} names source \`${name}\`, which is not defined under \`sources\``, hint ? { hint } : {});
      return;
    }
    if (source && !allowed.includes(source.type)) {
      ctx.report("error", path, `${what} cannot come from source \`${name}\` of type \`${source.type}\` (allowed: ${allowed.join(", ")})`);
    }
  };

  for (const [name, bundle] of entries(ctx.config.bundles)) {
    const base = ["bundles", name];
    const hasImages = (bundle.images?.length ?? 0) > 0;
    const hasCharts = (bundle.charts?.length ?? 0) > 0;
    if (bundle.registry === undefined) {
      if (hasImages || hasCharts) ctx.report("error", base, `bundle \`${name}\` has images or charts but no \`registry\` to copy them into`, { onKey: true });
    } else if (registryRef([...base, "registry"], bundle.registry, `bundle \`${name}\``)) {
      const provider = ctx.config.registries?.[bundle.registry]?.provider;
      const kinds = provider ? ctx.providers.kinds(provider) : undefined;
      if (kinds && hasImages && !kinds.includes("image")) {
        ctx.report("error", [...base, "registry"], `registry \`${bundle.registry}\` (provider ${provider}) cannot hold images; use an oci, harbor, ecr or oci-layout registry`);
      } else if (kinds && hasCharts && !kinds.includes("chart")) {
        ctx.report("error", [...base, "registry"], `registry \`${bundle.registry}\` (provider ${provider}) cannot hold charts; use an oci, harbor, ecr, oci-layout or fileserver registry`);
      }
    }
    (bundle.images ?? []).forEach((image, i) => {
      if (typeof image !== "string" && image.source !== undefined) {
        sourceRef([...base, "images", i, "source"], image.source, ["registry", "oci-layout", "oci-archives", "docker-archive"], "an image");
      }
    });
    (bundle.charts ?? []).forEach((chart, i) => {
      if (typeof chart !== "string" && chart.source !== undefined) sourceRef([...base, "charts", i, "source"], chart.source, ["helm", "registry"], "a chart");
    });
    (bundle.files ?? []).forEach((file, i) => {
      const path = [...base, "files", i];
      if (file.source !== undefined) sourceRef([...path, "source"], file.source, ["http"], "a file");
      if (!registryRef([...path, "to", "registry"], file.to.registry, "a file")) return;
      const provider = ctx.config.registries?.[file.to.registry]?.provider;
      const kinds = provider ? ctx.providers.kinds(provider) : undefined;
      if (kinds && !kinds.includes("file")) {
        ctx.report("error", [...path, "to", "registry"], `registry \`${file.to.registry}\` (provider ${provider}) cannot hold files; send files to a \`fileserver\` or \`oci-layout\` registry`);
      }
    });
  }

  const cluster = ctx.config.cluster;
  if (cluster) {
    if (registryRef(["cluster", "registry"], cluster.registry, "`cluster`")) {
      const provider = ctx.config.registries?.[cluster.registry]?.provider;
      const kinds = provider ? ctx.providers.kinds(provider) : undefined;
      if (kinds && !kinds.includes("image")) ctx.report("error", ["cluster", "registry"], `the cluster cannot pull images from \`${cluster.registry}\` (provider ${provider})`);
    }
    const bundles = [...ctx.declared.bundles];
    (cluster.bundles ?? []).forEach((name, i) => {
      const bundle = ctx.config.bundles?.[name];
      if (!ctx.declared.bundles.has(name)) {
        const hint = didYouMean(name, bundles);
        ctx.report("error", ["cluster", "bundles", i], `\`cluster.bundles\` names bundle \`${name}\`, which is not defined under \`bundles\``, hint ? { hint } : {});
      } else if (bundle && bundle.registry !== cluster.registry) {
        ctx.report("warning", ["cluster", "bundles", i], `bundle \`${name}\` lands in \`${bundle.registry}\`, not in the cluster's registry \`${cluster.registry}\``);
      }
    });
  }

  const hosts = new Map<string, string>();
  for (const [name, source] of entries(ctx.config.sources)) {
    if (source.type !== "registry") continue;
    // docker.io, index.docker.io and registry-1.docker.io are one host.
    const host = canonicalRegistryHost(source.host);
    const first = hosts.get(host);
    if (first) ctx.report("error", ["sources", name, "host"], `sources \`${first}\` and \`${name}\` both configure registry host ${host}; merge them`);
    else hosts.set(host, name);
  }
};

/** Settings that contradict each other inside one registry or source block. */
export const consistentSettings: Rule = (ctx) => {
  const blocks: [string, string, Record<string, unknown>][] = [
    ...entries(ctx.config.registries).map(([n, r]): [string, string, Record<string, unknown>] => ["registries", n, r as Record<string, unknown>]),
    ...entries(ctx.config.sources).map(([n, s]): [string, string, Record<string, unknown>] => ["sources", n, s as unknown as Record<string, unknown>]),
  ];
  for (const [section, name, block] of blocks) {
    const credentials = block["credentials"] as Credentials | undefined;
    if (credentials) {
      if (credentials.password !== undefined && credentials.username === undefined) {
        ctx.report("error", [section, name, "credentials"], "a password needs a `username`");
      }
      if (credentials.token !== undefined && (credentials.username || (credentials.password !== undefined && !credentials.password.empty))) {
        ctx.report("error", [section, name, "credentials"], "give either `token` or `username`/`password`, not both");
      }
    }
    const tls = block["tls"] as { caFile?: string; insecureSkipVerify?: boolean; certFile?: string; keyFile?: string } | undefined;
    if (tls?.insecureSkipVerify && tls.caFile) {
      ctx.report("warning", [section, name, "tls", "insecureSkipVerify"], "`insecureSkipVerify` makes `caFile` pointless; remove one");
    }
    if (tls && (tls.certFile === undefined) !== (tls.keyFile === undefined)) {
      ctx.report("error", [section, name, "tls"], "mutual TLS needs both `certFile` and `keyFile`");
    } else if (tls?.certFile !== undefined && block["provider"] !== "fileserver") {
      ctx.report("warning", [section, name, "tls", "certFile"], "client certificates (mutual TLS) are not supported by this version of airgap yet: `certFile` and `keyFile` are ignored");
    }
  }
  for (const [name, source] of entries(ctx.config.sources)) {
    if (source.type === "registry" && source.mirror?.length) {
      ctx.report("warning", ["sources", name, "mirror"], "`mirror` is not used by this version of airgap yet: content is read from `url`");
    }
    if (source.type === "helm" || source.type === "http") {
      const c = source.credentials;
      if (c && (c.token !== undefined || c.dockerConfig !== undefined || c.helper !== undefined)) {
        ctx.report("warning", ["sources", name, "credentials"], "helm and http sources use `username` and `password` only (sent as Basic auth); `token`, `dockerConfig` and `helper` are ignored");
      }
      if (source.tls !== undefined) ctx.report("warning", ["sources", name, "tls"], "`tls` of helm and http sources is not used by this version of airgap yet");
    }
  }
  for (const [name, registry] of entries(ctx.config.registries)) {
    if (registry.provider !== "fileserver") continue;
    const block = registry as { url?: string; path?: string; credentials?: { dockerConfig?: unknown; helper?: unknown }; tls?: unknown };
    if (block.credentials?.dockerConfig !== undefined || block.credentials?.helper !== undefined) {
      ctx.report("error", ["registries", name, "credentials"], "a fileserver takes `username`/`password` (sent as Basic auth) or `token` (Bearer); `dockerConfig` and `helper` are for registries");
    }
    if (block.path !== undefined && (block.credentials !== undefined || block.tls !== undefined)) {
      ctx.report("warning", ["registries", name], "a fileserver with `path` is a local directory: its `credentials` and `tls` are not used", { onKey: true });
    }
  }
  for (const [name, registry] of entries(ctx.config.registries)) {
    if (registry.provider !== "harbor") continue;
    const projects = Object.keys((registry as { projects?: Record<string, unknown> }).projects ?? {});
    for (const [bundleName, bundle] of entries(ctx.config.bundles)) {
      if (bundle.registry !== name || (!bundle.images?.length && !bundle.charts?.length)) continue;
      const project = bundle.path?.split("/")[0];
      if (project === undefined) {
        ctx.report("error", ["bundles", bundleName], `bundle \`${bundleName}\` lands in Harbor registry \`${name}\`, where every repository lives in a project: set \`path\` to the project (e.g. \`path: ${projects[0] ?? "library"}\`)`, { onKey: true });
      } else if (projects.length > 0 && !projects.includes(project)) {
        ctx.report("warning", ["bundles", bundleName, "path"], `project \`${project}\` is not declared under \`registries.${name}.projects\`, so airgap will not create it; it must already exist`, {
          ...(didYouMean(project, projects) ? { hint: didYouMean(project, projects)! } : {}),
        });
      }
    }
  }
};
