/**
 * The plain list of the cluster's images as the nodes pull them from the
 * mirror, one reference per line, sorted and without duplicates: for
 * `xargs`, pre-pull scripts and admission allow-lists. No comment line, so
 * every line is a reference.
 */
import type { ImageListOutput } from "../config/generated/airgap-config.js";
import { nodeReference } from "./mirror.js";
import type { ClusterModel, OutputProblem } from "./model.js";
import type { Rendering } from "./rendering.js";

/** Renders the image list. */
export function renderImageList(model: ClusterModel, output: ImageListOutput): Rendering {
  const references = [...new Set(model.artifacts.filter((a) => a.kind === "image" && (a.tag !== undefined || a.digest !== undefined)).map((a) => nodeReference(model, a)))].sort();
  const problems: OutputProblem[] = references.length === 0 ? [{ severity: "warning", message: "the cluster's bundles hold no images: the list is empty" }] : [];
  return { files: [{ path: output.path, content: references.map((r) => `${r}\n`).join("") }], problems };
}
