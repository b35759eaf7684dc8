/** Reading a chart archive's `<chart>/Chart.yaml`, the source of its index entry. */
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { extract } from "tar-stream";
import { FileServerError } from "./errors.js";

/** Largest chart archive published (Helm itself refuses far smaller ones). */
export const CHART_SIZE_LIMIT = 64 * 1024 * 1024;

/** The text of `<chart>/Chart.yaml` in a chart archive (.tgz); `what` names it in errors. */
export async function chartYamlText(tgz: Buffer, what: string): Promise<string> {
  let tar: Buffer;
  try {
    tar = gunzipSync(tgz);
  } catch (error) {
    throw new FileServerError("FILE_CHART", `${what} is not a gzip-compressed chart archive: ${(error as Error).message}`);
  }
  const entries = extract();
  Readable.from([tar]).pipe(entries);
  try {
    for await (const entry of entries) {
      if (entry.header.type === "file" && /^[^/]+\/Chart\.yaml$/.test(entry.header.name)) {
        const parts: Buffer[] = [];
        for await (const chunk of entry) parts.push(Buffer.from(chunk as Uint8Array));
        entries.destroy();
        return Buffer.concat(parts).toString("utf8");
      }
      entry.resume();
    }
  } catch (error) {
    throw new FileServerError("FILE_CHART", `${what} is not a readable tar archive: ${(error as Error).message}`);
  }
  throw new FileServerError("FILE_CHART", `${what} has no <chart>/Chart.yaml: not a Helm chart archive`);
}
