/**
 * Renders every `cluster.outputs` entry from one model. Pure and
 * deterministic: the same model and outputs give byte-identical files.
 * Every type the schema accepts has a renderer; a type without one (a newer
 * config read by an older airgap) is reported, never skipped silently.
 */
import { posix } from "node:path";
import type { ClusterOutput } from "../config/generated/airgap-config.js";
import type { ClusterModel, OutputProblem, RenderedOutput } from "./model.js";
import { renderContainerd } from "./render-containerd.js";
import { renderImageList } from "./render-image-list.js";
import { renderK0s } from "./render-k0s.js";
import { renderKappController } from "./render-kapp-controller.js";
import { renderMke4 } from "./render-mke4.js";
import { renderRegistriesConf } from "./render-registries-conf.js";
import { renderRegistriesYaml } from "./render-registries-yaml.js";
import { failed, type Rendering } from "./rendering.js";
import { conflictWarnings } from "./routes.js";

/** Every output rendered, plus warnings about the mapping itself. */
export interface ClusterRendering {
  /** One per `cluster.outputs` entry, in config order. */
  readonly outputs: readonly RenderedOutput[];
  /** Problems of the model as a whole (upstream repositories sharing a target). */
  readonly problems: readonly OutputProblem[];
}

/** The output types this version renders (every one the schema accepts). */
export const SUPPORTED_OUTPUT_TYPES: readonly ClusterOutput["type"][] = ["containerd", "k0s", "mke4", "k3s", "rke2", "registries-conf", "kapp-controller", "image-list"];

/** `a/./b//` → `a/b`: one spelling per path, so plan addresses and the files on disk agree. */
function normalizePath(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 ? normal.replace(/\/+$/, "") : normal;
}

function renderOne(model: ClusterModel, output: ClusterOutput): Rendering {
  if (model.registry.layout !== undefined && output.type !== "image-list") {
    return failed(`the cluster's registry is an OCI layout on disk (${model.registry.layout}): nodes import it (\`ctr images import\`) rather than pull from it, so only an \`image-list\` output applies; point \`cluster.registry\` at a registry, or set \`cluster.endpoint\` to where the nodes reach one`);
  }
  switch (output.type) {
    case "containerd":
      return renderContainerd(model, output);
    case "k0s":
      return renderK0s(model, output);
    case "mke4":
      return renderMke4(model, output);
    case "k3s":
    case "rke2":
      return renderRegistriesYaml(model, output);
    case "registries-conf":
      return renderRegistriesConf(model, output);
    case "kapp-controller":
      return renderKappController(model, output);
    case "image-list":
      return renderImageList(model, output);
    default: {
      const unknown: never = output;
      return failed(`cluster output type "${(unknown as { type?: unknown }).type as string}" is not supported by this version of airgap (supported: ${SUPPORTED_OUTPUT_TYPES.join(", ")})`);
    }
  }
}

/** Whether nodes need containerd-level settings for the mirror itself (plain HTTP, a private CA, no verification). */
function needsNodeSettings(model: ClusterModel): boolean {
  return model.registry.scheme === "http" || model.registry.tls.caFile !== undefined || model.registry.tls.insecureSkipVerify === true;
}

/** Renders `outputs` (`cluster.outputs`) from `model`. */
export function renderClusterOutputs(model: ClusterModel, outputs: readonly ClusterOutput[]): ClusterRendering {
  const configuresNodes = outputs.some((o) => o.type === "containerd" || o.type === "k3s" || o.type === "rke2" || o.type === "registries-conf");
  const rendered = outputs.map((output, index): RenderedOutput => {
    const result = renderOne(model, output);
    const problems = [...result.problems];
    if ((output.type === "k0s" || output.type === "kapp-controller") && !configuresNodes && needsNodeSettings(model)) {
      problems.push({ severity: "warning", message: `the nodes pull from ${model.registry.host} directly, which needs node settings (${model.registry.scheme === "http" ? "plain HTTP" : "its CA"}); add a \`containerd\` output` });
    }
    const hasError = problems.some((p) => p.severity === "error");
    return {
      index,
      type: output.type,
      path: output.path,
      files: hasError ? [] : result.files.map((f) => ({ path: normalizePath(f.path), content: f.content })),
      ...(output.type === "containerd" ? { directory: { root: normalizePath(output.path), pattern: "*/hosts.toml" as const } } : {}),
      problems,
    };
  });
  return { outputs: rendered, problems: conflictWarnings(model) };
}
