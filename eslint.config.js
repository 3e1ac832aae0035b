import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "node_modules/",
      "test/fixtures/",
      "src/kernels/wasm/assembly/",
      "src/kernels/wasm/binary.generated.ts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  {
    // Build scripts run in Node as plain JavaScript modules.
    files: ["scripts/**/*.mjs"],
    languageOptions: { globals: { Buffer: "readonly", console: "readonly", process: "readonly", URL: "readonly" } },
  },
  {
    // The library core must run in a browser: only src/node may reach Node's built-ins.
    files: ["src/**/*.ts"],
    ignores: ["src/node/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: ["node:*", "fs", "path", "os", "worker_threads", "zlib", "crypto", "http", "https"] },
      ],
    },
  },
);
