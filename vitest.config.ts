import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tool configs are the one place a default export is required.
// eslint-disable-next-line no-restricted-syntax
export default defineConfig({
  resolve: {
    // Plugins import the sdk by the package's own name, as a third-party plugin would. Node resolves
    // that through package.json `exports` to dist/; tests run the sources, so the same name points at
    // src/ here (tsc maps the self-reference to src/ by itself).
    alias: [{ find: /^airgap\/sdk$/, replacement: fileURLToPath(new URL("./src/sdk/index.ts", import.meta.url)) }],
  },
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    restoreMocks: true,
    pool: "forks",
  },
});
