/**
 * The local files a config names for TLS (`tls.caFile`, and `certFile` /
 * `keyFile` for mutual TLS) exist and hold PEM. Read at validate time, so a
 * wrong path is a config error at its line instead of a failure at the first
 * request, after a lock or plan already ran.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { toPointer, type Diagnostic } from "../core/diagnostics.js";
import type { AirgapConfig } from "./generated/airgap-config.js";
import type { NodePosition } from "./document.js";
import { locate } from "./schema.js";

/** What each TLS file must contain, and what it is for in messages. */
const TLS_FILES = {
  caFile: { label: /-----BEGIN (?:TRUSTED )?CERTIFICATE-----/, what: "a PEM CA certificate (-----BEGIN CERTIFICATE-----)" },
  certFile: { label: /-----BEGIN CERTIFICATE-----/, what: "a PEM certificate (-----BEGIN CERTIFICATE-----)" },
  keyFile: { label: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/, what: "a PEM private key (-----BEGIN PRIVATE KEY-----)" },
} as const;

/** Largest TLS file read: a CA bundle is a few hundred KiB at most. */
const MAX_PEM_BYTES = 4 * 1024 * 1024;

/** Where the config lives and how to point back into it. */
export interface LocalFilesInput {
  readonly config: AirgapConfig;
  readonly baseDir: string;
  readonly file: string;
  readonly positions: ReadonlyMap<string, NodePosition>;
  /** Pointers of unknown values (unset `${VAR}` during validate): not checked. */
  readonly unknown: ReadonlySet<string>;
}

/** The problem with one TLS file, or undefined when it is readable PEM of the right kind. */
async function fileProblem(path: string, written: string, kind: keyof typeof TLS_FILES): Promise<string | undefined> {
  let text: string;
  try {
    const buffer = await readFile(path);
    if (buffer.length > MAX_PEM_BYTES) return `${written} is ${buffer.length} bytes; expected ${TLS_FILES[kind].what}`;
    text = buffer.toString("latin1");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a directory" : (error as Error).message;
    return `cannot read ${written} (${path}): ${why}; relative paths are relative to airgap.yaml`;
  }
  if (!TLS_FILES[kind].label.test(text)) return `${written} is not ${TLS_FILES[kind].what}; a DER file converts with \`openssl x509 -inform der -in FILE -out FILE.pem\``;
  return undefined;
}

/**
 * The TLS files airgap reads for a block. Settings it does not use (TLS of a
 * fileserver directory, of helm and http sources, client certificates outside
 * a fileserver) are warned about by the rules instead, and not read here.
 */
function usedFiles(block: Record<string, unknown>): (keyof typeof TLS_FILES)[] {
  if (block["type"] === "helm" || block["type"] === "http") return [];
  if (block["provider"] === "fileserver") return block["path"] !== undefined ? [] : ["caFile", "certFile", "keyFile"];
  return ["caFile"];
}

/** Checks every TLS file of every registry and source; one diagnostic per problem. */
export async function checkLocalFiles(input: LocalFilesInput): Promise<Diagnostic[]> {
  const checks: Promise<Diagnostic | undefined>[] = [];
  for (const section of ["registries", "sources"] as const) {
    for (const [name, block] of Object.entries(input.config[section] ?? {})) {
      const tls = (block as { tls?: Record<string, unknown> } | undefined)?.tls;
      if (!tls) continue;
      for (const kind of usedFiles(block as Record<string, unknown>)) {
        const written = tls[kind];
        if (typeof written !== "string") continue;
        const pointer = toPointer([section, name, "tls", kind]);
        if (input.unknown.has(pointer)) continue;
        checks.push(
          fileProblem(resolve(input.baseDir, written), written, kind).then((message) => {
            if (message === undefined) return undefined;
            const location = locate(input, pointer, false);
            return { severity: "error", message: `\`tls.${kind}\` of ${section}.${name}: ${message}`, pointer, ...(location ? { location: { ...location, file: input.file } } : {}) };
          }),
        );
      }
    }
  }
  return (await Promise.all(checks)).filter((d): d is Diagnostic => d !== undefined);
}
