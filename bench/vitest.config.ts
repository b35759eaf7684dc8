import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * The benchmark's measured runs (`npm run bench`): whole-process bounds such
 * as peak RSS while a 1 GiB layer is copied. They live here, not in test/,
 * because a bound on the whole process is a goal for a quiet machine, not a
 * check that must hold under whatever else runs beside the suite.
 */
// Tool configs are the one place a default export is required.
// eslint-disable-next-line no-restricted-syntax
export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  resolve: { alias: [{ find: /^airgap\/sdk$/, replacement: fileURLToPath(new URL("../src/sdk/index.ts", import.meta.url)) }] },
  test: {
    include: ["bench/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: "forks",
    // One at a time: each file measures its own process, and a neighbour would skew the numbers.
    fileParallelism: false,
  },
});
