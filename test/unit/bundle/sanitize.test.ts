import { describe, expect, it } from "vitest";
import { REMOVED, sanitizeConfigText } from "../../../src/bundle/sanitize.js";

describe("the bundle's copy of airgap.yaml", () => {
  it("drops literal values of secret fields (schema writeOnly) and keeps ${VAR} references, usernames and everything else", () => {
    const text = `# comment stays
apiVersion: airgap/v1
sources:
  up:
    type: registry
    host: registry.example.com   # trailing comment
    credentials: { username: team, password: "literal-pw" }
  tok:
    type: registry
    host: quay.io
    credentials:
      token: literal-token
registries:
  mirror:
    provider: oci
    url: https://mirror.example.com
    description: "the password is literal-pw"   # not a secret field: data
    credentials:
      username: \${MIRROR_USER}
      password: \${MIRROR_PASSWORD}
bundles:
  b:
    registry: mirror
    images: [registry.example.com/team/password:literal-pw]
`;
    const out = sanitizeConfigText(text);
    expect(out).toBe(
      text
        .replace('password: "literal-pw"', `password: "${REMOVED}"`)
        .replace("token: literal-token", `token: "${REMOVED}"`),
    );
    expect(out).toContain("password: ${MIRROR_PASSWORD}");
    expect(out).toContain("images: [registry.example.com/team/password:literal-pw]");
  });

  it("returns the file byte for byte when it holds no literal secret", () => {
    const text = "apiVersion: airgap/v1\n# x\nregistries:\n  m: { provider: oci, url: 'https://m', credentials: { username: u, password: '${P}' } }\n";
    expect(sanitizeConfigText(text)).toBe(text);
  });

  it("follows an alias into a secret field, and removes block scalars whole", () => {
    const text = "apiVersion: airgap/v1\nx-pw: &pw literal-pw\nregistries:\n  m:\n    provider: oci\n    url: https://m\n    credentials: { username: u, password: *pw }\n  n:\n    provider: oci\n    url: https://n\n    credentials:\n      username: u\n      password: |\n        block-pw\n      helper: x\n";
    const out = sanitizeConfigText(text);
    expect(out).toBe(text.replace("&pw literal-pw", `&pw "${REMOVED}"`).replace("password: |\n        block-pw\n", `password: "${REMOVED}"\n`));
  });
});
