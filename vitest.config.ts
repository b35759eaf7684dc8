import { defineConfig } from "vitest/config";

// Tool configs are the one place a default export is required.
// eslint-disable-next-line no-restricted-syntax
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    restoreMocks: true,
    pool: "forks",
  },
});
