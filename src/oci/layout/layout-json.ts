/**
 * Decoding of the two JSON files at a layout's root, shared by the directory
 * store and the tar reader so that both refuse the same things the same way.
 */
import type { ImageIndex } from "../../core/oci-types.js";
import { checkIndex, isJsonObject, parseJson } from "./descriptor-json.js";
import { LayoutError } from "./errors.js";
import { IMAGE_LAYOUT_VERSION, INDEX_FILE, OCI_LAYOUT_FILE } from "./layout-files.js";

/** Checks the `oci-layout` marker: JSON with `imageLayoutVersion` "1.0.0". */
export function checkOciLayoutMarker(bytes: Uint8Array, location: string): void {
  const parsed = parseJson(bytes);
  if (!parsed.ok || !isJsonObject(parsed.value)) {
    throw new LayoutError("NOT_A_LAYOUT", location, `${OCI_LAYOUT_FILE} is not a JSON object`, { entry: OCI_LAYOUT_FILE });
  }
  const version = parsed.value.imageLayoutVersion;
  if (version !== IMAGE_LAYOUT_VERSION) {
    throw new LayoutError("NOT_A_LAYOUT", location, `unsupported imageLayoutVersion ${JSON.stringify(version)} in ${OCI_LAYOUT_FILE} (expected "${IMAGE_LAYOUT_VERSION}")`, {
      entry: OCI_LAYOUT_FILE,
    });
  }
}

/** Parses and checks `index.json`; the raw object is returned too, so a rewrite keeps fields airgap does not know. */
export function decodeIndexJson(bytes: Uint8Array, location: string): { readonly index: ImageIndex; readonly raw: Record<string, unknown> } {
  const parsed = parseJson(bytes);
  if (!parsed.ok) throw new LayoutError("INVALID_INDEX", location, `${INDEX_FILE} is ${parsed.reason}`, { entry: INDEX_FILE });
  const checked = checkIndex(parsed.value);
  if (!checked.ok) throw new LayoutError("INVALID_INDEX", location, `${INDEX_FILE} is not an image index: ${checked.reason}`, { entry: INDEX_FILE });
  return { index: checked.value, raw: parsed.value as Record<string, unknown> };
}
