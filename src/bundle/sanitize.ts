/**
 * The airgap.yaml that rides along in a bundle: the same file, comments and
 * all, with the literal value of every secret field removed. Secret fields
 * are the ones the schema marks `writeOnly` (config/secret-fields.ts), the
 * same marks the loader uses: no list of key names here. A value written as
 * `${VAR}` is a reference, not a secret, and stays as written; so does every
 * field that is not secret. URLs cannot carry credentials (validate refuses
 * them), so nothing else needs removing.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Scalar } from "yaml";
import { isSecretField } from "../config/secret-fields.js";

/** The marker that replaces a removed secret. */
export const REMOVED = "(removed by airgap bundle)";

/** Only `${VAR}` references (and white space): what a secret field may keep. */
const ONLY_REFERENCES = /^\s*(\$\{[^}]+\}\s*)+$/;

/**
 * Returns the config text with the literal value of every secret field
 * replaced by {@link REMOVED}, spliced into the original text at the
 * value's own position: every other byte (comments, spacing, quoting, the
 * data) is kept exactly.
 */
export function sanitizeConfigText(text: string): string {
  const doc: Document = parseDocument(text);
  const secrets = new Set<Scalar>();
  const walking = new Set<Node>();
  const visit = (node: unknown, path: readonly (string | number)[]): void => {
    const target = isAlias(node) ? node.resolve(doc) : node;
    if (target === undefined || target === null) return;
    if (isScalar(target)) {
      if (!isSecretField(path) || typeof target.value !== "string") return;
      if (target.value === "" || ONLY_REFERENCES.test(target.value)) return;
      secrets.add(target);
      return;
    }
    // An anchor is walked under every path it is used at (a secret may come in through an alias); a recursive one only once.
    if (walking.has(target as Node)) return;
    walking.add(target as Node);
    if (isMap(target)) {
      for (const pair of target.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (key === "<<") visit(pair.value, path);
        else if (typeof key === "string" || typeof key === "number") visit(pair.value, [...path, String(key)]);
      }
    } else if (isSeq(target)) {
      target.items.forEach((item, i) => visit(item, [...path, i]));
    }
    walking.delete(target as Node);
  };
  visit(doc.contents, []);
  // From the end, so that earlier positions stay valid.
  let out = text;
  for (const scalar of [...secrets].sort((a, b) => (b.range?.[0] ?? 0) - (a.range?.[0] ?? 0))) {
    const [start, end] = scalar.range ?? [0, 0];
    const block = scalar.type === "BLOCK_LITERAL" || scalar.type === "BLOCK_FOLDED";
    out = `${out.slice(0, start)}${JSON.stringify(REMOVED)}${block ? "\n" : ""}${out.slice(end)}`;
  }
  return out;
}
