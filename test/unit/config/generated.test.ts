import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain ESM script without types; generate() returns strings
import { generate, OUTPUTS } from "../../../scripts/generate-types.mjs";

describe("schema/airgap.schema.json and the generated types", () => {
  it("match what `npm run generate` produces (run it after editing a schema)", async () => {
    const { schemaText, typesText } = (await generate()) as { schemaText: string; typesText: string };
    const root = new URL("../../../", import.meta.url);
    expect(readFileSync(new URL(OUTPUTS.schema, root), "utf8")).toBe(schemaText);
    expect(readFileSync(new URL(OUTPUTS.types, root), "utf8")).toBe(typesText);
  }, 30_000);

  it("gives every property a description, and closes every object", () => {
    const schema = JSON.parse(readFileSync(new URL("../../../schema/airgap.schema.json", import.meta.url), "utf8"));
    const problems: string[] = [];
    const described = (prop: Record<string, unknown>): boolean => {
      if (typeof prop["description"] === "string") return true;
      const ref = prop["$ref"];
      if (typeof ref !== "string") return false;
      const def = schema.$defs[ref.replace("#/$defs/", "")] as Record<string, unknown> | undefined;
      return def !== undefined && described(def);
    };
    const visit = (node: unknown, path: string): void => {
      if (!node || typeof node !== "object") return;
      if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${path}/${i}`));
      const n = node as Record<string, unknown>;
      const props = n["properties"] as Record<string, Record<string, unknown>> | undefined;
      for (const [name, prop] of Object.entries(props ?? {})) {
        if (!described(prop) && !(path.includes("/then") || path.includes("/if"))) problems.push(`${path}/properties/${name} has no description`);
      }
      // every object either forbids unknown keys itself or is a branch/provider block checked by unevaluatedProperties
      const closed = n["additionalProperties"] !== undefined || n["unevaluatedProperties"] !== undefined;
      const branch = /\/(then|if|oneOf\/\d+|allOf\/\d+)$/.test(path) || /\$defs\/provider-/.test(path) || path.endsWith("/not");
      if (n["type"] === "object" && props && !closed && !branch) problems.push(`${path} allows unknown keys`);
      for (const [key, value] of Object.entries(n)) visit(value, `${path}/${key}`);
    };
    visit(schema, "#");
    expect(problems).toEqual([]);
  });
});
