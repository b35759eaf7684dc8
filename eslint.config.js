import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

// eslint-disable-next-line no-restricted-syntax
export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "src/config/generated/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "ExportDefaultDeclaration", message: "Use named exports." },
        { selector: "TSEnumDeclaration", message: "Use a string-literal union or an as-const object." },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/ban-ts-comment": ["error", { "ts-expect-error": "allow-with-description" }],
    },
  },
  {
    files: ["src/**/*.ts", "src/**/*.tsx", "plugins/**/*.ts"],
    ignores: ["src/cli/**", "src/ui/**"],
    rules: { "no-console": "error" },
  },
);
