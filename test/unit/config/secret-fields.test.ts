/**
 * Secret fields come from the schema's `writeOnly` marks, and the loader
 * seals exactly those values: everything else, `${VAR}` expansions
 * included, stays data.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Secret } from "../../../src/core/secret.js";
import { airgapSecretFields, isSecretField, secretFieldPatterns, secretPointers } from "../../../src/config/secret-fields.js";
import { BASE, loadYaml } from "../../helpers/config.js";

describe("secret fields from the schema", () => {
  it("are every writeOnly node of airgap.schema.json: passwords and tokens of sources and registries, never usernames", () => {
    const schemaText = readFileSync(new URL("../../../schema/airgap.schema.json", import.meta.url), "utf8");
    const marks = (schemaText.match(/"writeOnly": true/g) ?? []).length;
    expect(marks).toBe(2); // $defs/credentials: password and token, referenced from every credentials block
    const fields = airgapSecretFields().map((p) => p.join("/"));
    expect(fields).toEqual(expect.arrayContaining(["sources/*/credentials/password", "sources/*/credentials/token", "registries/*/credentials/password", "registries/*/credentials/token"]));
    expect(fields.every((f) => /\/credentials\/(password|token)$/.test(f))).toBe(true);
    expect(isSecretField(["registries", "mirror", "credentials", "username"])).toBe(false);
    expect(isSecretField(["registries", "mirror", "credentials", "password"])).toBe(true);
  });

  it("follow $ref, properties, additionalProperties, items and the applicators, and survive recursive schemas", () => {
    const schema = {
      type: "object",
      properties: {
        plain: { type: "string" },
        list: { type: "array", items: { $ref: "#/$defs/login" } },
        map: { additionalProperties: { allOf: [{ if: { required: ["x"] }, then: { properties: { key: { type: "string", writeOnly: true } } } }] } },
        tree: { $ref: "#/$defs/tree" },
      },
      $defs: {
        login: { properties: { secret: { type: "string", writeOnly: true }, user: { type: "string" } } },
        tree: { properties: { child: { $ref: "#/$defs/tree" }, token: { writeOnly: true } } },
      },
    };
    const patterns = secretFieldPatterns(schema).map((p) => p.join("/"));
    expect(patterns.sort()).toEqual(["list/*/secret", "map/*/key", "tree/token"]);
    const value = { plain: "a", list: [{ secret: "s", user: "u" }], map: { one: { key: "k", x: 1 } }, tree: { token: "t", child: { token: "deeper" } } };
    expect([...secretPointers(value, secretFieldPatterns(schema))].sort()).toEqual(["/list/0/secret", "/map/one/key", "/tree/token"]);
  });
});

describe("the loader seals secret fields and nothing else", () => {
  const yaml = `${BASE}sources:
  up:
    type: registry
    host: registry.example.com
    credentials: { username: "\${USER_NAME}", password: "\${PASSWORD}" }
  charts:
    type: helm
    url: https://charts.example.com/stable
    credentials: { username: robot, password: literal-pw }
  tok:
    type: registry
    host: quay.io
    credentials: { token: "\${TOKEN}" }
bundles:
  b:
    registry: mirror
    images: ["registry.example.com/team/sub/app:\${TAG:-1.0}"]
`;

  it("turns passwords and tokens into Secrets, keeps usernames, refs and tags as data", async () => {
    const result = await loadYaml(yaml, { USER_NAME: "team", PASSWORD: "pw-from-env", TOKEN: "tok-123" });
    if (!result.ok) throw new Error(result.lines.join("\n"));
    const { config, secrets } = result.loaded;
    const up = config.sources?.["up"];
    const charts = config.sources?.["charts"];
    expect(up?.type === "registry" && up.credentials?.password).toBeInstanceOf(Secret);
    expect(up?.type === "registry" && up.credentials?.username).toBe("team");
    expect(charts?.type === "helm" && charts.credentials?.password?.reveal()).toBe("literal-pw");
    expect(config.bundles?.["b"]?.images).toEqual(["registry.example.com/team/sub/app:1.0"]);
    expect(secrets.map((s) => s.reveal()).sort()).toEqual(["literal-pw", "pw-from-env", "tok-123"]);
    const printed = JSON.stringify(config);
    for (const value of ["pw-from-env", "literal-pw", "tok-123"]) expect(printed).not.toContain(value);
    expect(printed).toContain('"username":"team"');
    expect(printed).toContain("registry.example.com/team/sub/app:1.0");
  });
});
