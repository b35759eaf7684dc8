/**
 * The YAML every renderer writes: the generated marker, then the document
 * with every string value double-quoted, and every key that is not a plain
 * word (hosts, regular expressions) too. Kubernetes tools read YAML with
 * YAML 1.1 rules (`on`, `yes`, `0o12` and `10:20` are not strings there), so
 * quoting is the one form every reader takes as text. No line folding.
 */
import { Document, isScalar, visit } from "yaml";
import { GENERATED_MARKER } from "./model.js";

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `document` as marked YAML text, ending in a newline. */
export function yamlText(document: unknown): string {
  const doc = new Document(document);
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && typeof pair.key.value === "string" && !PLAIN_KEY.test(pair.key.value)) pair.key.type = "QUOTE_DOUBLE";
    },
  });
  return `${GENERATED_MARKER}\n${doc.toString({ defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN", lineWidth: 0 })}`;
}
