// npm run bench: timing goals live here, never in unit tests (DEVELOPERS.md).
// Measures what DESIGN §10 and the issues name; each benchmark prints one line
// `bench NAME: median X ms (min Y, max Z, n N)`. Build first (`npm run build`).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const cli = `${root}dist/src/cli/main.js`;
if (!existsSync(cli)) {
  process.stderr.write("dist/ is missing: run `npm run build` first\n");
  process.exit(1);
}

function time(name, args, env = {}, runs = 15) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (result.status !== 0) throw new Error(`${name} failed: ${result.stderr}`);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  process.stdout.write(`bench ${name}: median ${median.toFixed(0)} ms (min ${samples[0].toFixed(0)}, max ${samples.at(-1).toFixed(0)}, n ${runs})\n`);
  return median;
}

// Startup (issue: "well under half a second"): --version and validate on the largest example.
time("startup --version", ["--version"]);
time("validate examples/k0s", ["validate", "-f", "examples/k0s/airgap.yaml"], { REGISTRY_USER: "u", REGISTRY_PASSWORD: "p", REGISTRY_CA_FILE: `${root}test/fixtures/canonical/corp-ca.pem` });
time("validate examples/charmed-kubernetes", ["validate", "-f", "examples/charmed-kubernetes/airgap.yaml"]);
