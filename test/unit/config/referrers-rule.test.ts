/**
 * validate says where `referrers` will not carry everything: a platform
 * filter that rewrites multi-platform indexes (their referrers cannot land),
 * and a registry `referrersApi` setting this version does not read yet.
 * Where everything is supported, it says nothing.
 */
import { describe, expect, it } from "vitest";
import { BASE, loadYaml } from "../../helpers/config.js";

describe("the referrers rule", () => {
  it("warns, at the key, when platforms rewrite images whose referrers are asked for", async () => {
    const result = await loadYaml(`${BASE}bundles:
  b:
    registry: mirror
    platforms: [linux/amd64]
    referrers: true
    images:
      - registry.example/app:1
`);
    expect(result.lines).toEqual([expect.stringMatching(/airgap\.yaml:10:5: warning: referrers name an image's exact digest: those of multi-platform images whose index `platforms` rewrites cannot be copied.*preserveDigests: true/)]);
  });

  it("says nothing when digests are preserved, or referrers are off", async () => {
    for (const body of [
      "    platforms: [linux/amd64]\n    preserveDigests: true\n    referrers: true\n",
      "    platforms: [linux/amd64]\n    referrers: false\n",
      "    referrers: { artifactTypes: [application/spdx+json] }\n",
    ]) {
      const result = await loadYaml(`${BASE}bundles:\n  b:\n    registry: mirror\n${body}    images:\n      - registry.example/app:1\n`);
      expect(result.lines, body).toEqual([]);
    }
  });

  it("an image's own platforms count, and its own preserveDigests lifts the warning", async () => {
    const warned = await loadYaml(`${BASE}bundles:\n  b:\n    registry: mirror\n    referrers: true\n    images:\n      - { ref: registry.example/app:1, platforms: [linux/arm64] }\n`);
    expect(warned.lines).toHaveLength(1);
    const quiet = await loadYaml(`${BASE}bundles:\n  b:\n    registry: mirror\n    platforms: [linux/amd64]\n    referrers: true\n    images:\n      - { ref: registry.example/app:1, preserveDigests: true }\n`);
    expect(quiet.lines).toEqual([]);
  });

  it("says that referrersApi yes/no is not read yet, and is quiet for auto", async () => {
    const result = await loadYaml(`apiVersion: airgap/v1
registries:
  a: { provider: oci, url: "http://127.0.0.1:5000", referrersApi: "no" }
  b: { provider: oci, url: "http://127.0.0.1:5001", referrersApi: auto }
`);
    expect(result.lines).toEqual([expect.stringMatching(/warning: `referrersApi: no` is not used by this version of airgap yet/)]);
  });
});
