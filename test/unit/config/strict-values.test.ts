/**
 * Strict parsing as a class: values that a library would read loosely (semver
 * skipping words, picomatch taking an unclosed `[` literally, a port past
 * 65535, bytes that are not UTF-8, a CA file that is not there) are validate
 * errors at their line and column, reported together with everything else.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { globProblem, hostProblem, rangeProblem, regexProblem, urlProblem } from "../../../src/config/strict-values.js";
import { BASE, loadYaml, tempDir } from "../../helpers/config.js";

describe("semver ranges: every word counts", () => {
  it("refuses a range with words the semver library would skip", () => {
    // The library reads this as ">=1.0.0 <2.0.0-0": "and" and "please" are dropped.
    expect(semver.validRange(">=1.0 and <2 please", { loose: true })).toBe(">=1.0.0 <2.0.0-0");
    expect(rangeProblem(">=1.0 and <2 please")).toMatch(/^"and" in ">=1\.0 and <2 please" is not a version or comparator; semver would skip it/);
    expect(rangeProblem("1.x || ")).toMatch(/empty alternative around "\|\|"/);
    expect(rangeProblem("1.2 - latest")).toMatch(/"latest" in "1\.2 - latest" is not a version/);
    expect(rangeProblem("latest")).toMatch(/^invalid semver range "latest"/);
  });

  it("accepts the range forms the documentation shows", () => {
    for (const range of [">=1.0 <2", "1.25.x", "~1.2", "^1.2.3 || 2.x", "1.2.3 - 2.3.4", "v1.2", ">= 1.2", "*", ">=1.0.0-rc.1 <2", "=1.2.3", "~>1.2"]) {
      expect(rangeProblem(range), range).toBeUndefined();
    }
  });
});

describe("globs, regexes and addresses", () => {
  it("refuses globs that cannot match a tag, and keeps the ones that can", () => {
    expect(globProblem("[")).toMatch(/opens "\[" without closing it/);
    expect(globProblem("v1/*")).toMatch(/contains "\/", which no tag contains/);
    expect(globProblem("1.2 *")).toMatch(/needs the character " "/);
    expect(globProblem("{a,b")).toMatch(/opens "\{" without closing it/);
    for (const glob of ["1.2*", "v1.?.*", "{a,b}", "[0-9]*", "@(a|b)", "v\\.1"]) expect(globProblem(glob), glob).toBeUndefined();
  });

  it("refuses regexes that do not compile or are written with slashes", () => {
    expect(regexProblem("([")).toMatch(/^invalid regular expression/);
    expect(regexProblem("/^v1/")).toMatch(/without the surrounding slashes \(\^v1\)/);
    expect(regexProblem("^v1\\.[0-9]+$")).toBeUndefined();
  });

  it("refuses ports outside 1 to 65535, and URLs that do not parse", () => {
    expect(urlProblem("https://reg.example.com:99999")).toBe('port 99999 in "https://reg.example.com:99999" is out of range: a port is 1 to 65535');
    expect(urlProblem("https://reg.example.com:0/v2")).toMatch(/port 0 .* out of range/);
    expect(urlProblem("https://reg.example.com:/x")).toMatch(/":" without a port number/);
    expect(urlProblem("https://[::1/x")).toMatch(/is not a valid URL/);
    expect(hostProblem("docker.io:70000")).toMatch(/port 70000 .* out of range/);
    expect(hostProblem("[::1]:5000")).toBeUndefined();
    expect(urlProblem("https://reg.example.com:65535/path:with:colons")).toBeUndefined();
  });
});

describe("validate reports each at its line, all in one run", () => {
  it("reports loose values next to schema and reference errors", async () => {
    const result = await loadYaml(`${BASE}  big: { provider: oci, url: "https://reg.example.com:99999" }
sources:
  up: { type: registry, host: "docker.io:99999" }
bundles:
  b:
    registry: nowhere
    images:
      - { ref: nginx, tags: { semver: ">=1.0 and <2 please" } }
      - { ref: redis, tags: { glob: "[" } }
      - { ref: redis, tags: { bogus: 1 } }
    charts:
      - { ref: "oci://charts.example.com/x", name: app, version: "1.x or 2" }
cluster: { registry: mirror, endpoint: "reg.internal:123456", outputs: [{ type: image-list, path: images.txt }] }
`);
    expect(result.ok).toBe(false);
    expect(result.lines).toEqual([
      'airgap.yaml:6:30: error: port 99999 in "https://reg.example.com:99999" is out of range: a port is 1 to 65535 (at /registries/big/url)',
      'airgap.yaml:8:31: error: port 99999 in "docker.io:99999" is out of range: a port is 1 to 65535 (at /sources/up/host)',
      "airgap.yaml:11:15: error: bundle `b` names registry `nowhere`, which is not defined under `registries` (defined: mirror, disk, files, big) (at /bundles/b/registry)",
      expect.stringMatching(/^airgap\.yaml:13:39: error: "and" in ">=1\.0 and <2 please" is not a version or comparator/),
      'airgap.yaml:14:37: error: "[" opens "[" without closing it, so it would match a literal "[", which no tag contains (at /bundles/b/images/1/tags/glob)',
      expect.stringMatching(/^airgap\.yaml:15:31: error: unknown key `bogus`/),
      expect.stringMatching(/^airgap\.yaml:17:66: error: not a version, and not a semver range: "or" in "1\.x or 2" is not a version or comparator/),
      'airgap.yaml:18:40: error: port 123456 in "reg.internal:123456" is out of range: a port is 1 to 65535 (at /cluster/endpoint)',
    ]);
    // No message is cut off: each ends where its sentence does, with its pointer.
    for (const line of result.lines) expect(line).toMatch(/ \(at \/[^)]*\)$/);
  });

  it("refuses a file that is not UTF-8 at the first bad byte, instead of reading a replacement character", async () => {
    const bytes = Buffer.concat([Buffer.from("apiVersion: airgap/v1\nbundles:\n  b: { registry: ré"), Buffer.from([0xff, 0xfe]), Buffer.from(" }\n")]);
    const result = await loadYaml(bytes);
    expect(result.ok).toBe(false);
    expect(result.lines).toEqual(["airgap.yaml:3:20: error: not valid UTF-8: byte 0xFF cannot start or continue a character here; save the file as UTF-8"]);
    const latin1 = await loadYaml(Buffer.from("apiVersion: airgap/v1\n# caf\xe9\n", "latin1"));
    expect(latin1.lines).toEqual(["airgap.yaml:2:6: error: not valid UTF-8: byte 0xE9 cannot start or continue a character here; save the file as UTF-8"]);
  });

  it("refuses a CA file that is missing or not PEM, at its line, and reads one that is", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "ca.der"), Buffer.from([0x30, 0x82, 0x01, 0x0a]));
    const good = new URL("../../fixtures/canonical/corp-ca.pem", import.meta.url).pathname;
    const result = await loadYaml(`${BASE}  a: { provider: oci, url: "https://a.example.com", tls: { caFile: ./no-such-ca.pem } }
  b: { provider: oci, url: "https://b.example.com", tls: { caFile: ${dir}/ca.der } }
  c: { provider: oci, url: "https://c.example.com", tls: { caFile: ${good} } }
`);
    expect(result.ok).toBe(false);
    expect(result.lines).toEqual([
      expect.stringMatching(/^airgap\.yaml:6:68: error: `tls\.caFile` of registries\.a: cannot read \.\/no-such-ca\.pem \(\/.*\/no-such-ca\.pem\): no such file; relative paths are relative to airgap\.yaml \(at \/registries\/a\/tls\/caFile\)$/),
      expect.stringMatching(/^airgap\.yaml:7:68: error: `tls\.caFile` of registries\.b: \/.*\/ca\.der is not a PEM CA certificate \(-----BEGIN CERTIFICATE-----\); a DER file converts with `openssl x509 -inform der/),
    ]);
  });
});
