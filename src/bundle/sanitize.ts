/**
 * The airgap.yaml that rides along in a bundle: the same file, comments and
 * all, with every literal secret removed. Values written as `${VAR}` are
 * references, not secrets, and stay; literal passwords and tokens do not.
 */
import { isPair, isScalar, parseDocument, visit } from "yaml";

/** Keys whose literal values are secrets. */
const SECRET_KEYS = new Set(["password", "token"]);

/** The marker that replaces a removed secret. */
export const REMOVED = "(removed by airgap bundle)";

/** Returns the config text with literal secrets replaced; everything else byte-for-byte where possible. */
export function sanitizeConfigText(text: string): string {
  const doc = parseDocument(text, { keepSourceTokens: true });
  let changed = false;
  visit(doc, {
    Pair(_key, pair) {
      if (!isPair(pair) || !isScalar(pair.key) || !SECRET_KEYS.has(String(pair.key.value))) return;
      if (!isScalar(pair.value)) return;
      const value = String(pair.value.value ?? "");
      if (value === "" || /^\$\{[^}]+\}$/.test(value.trim())) return;
      pair.value.value = REMOVED;
      changed = true;
    },
  });
  return changed ? doc.toString() : text;
}
