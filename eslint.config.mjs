// Lint: typescript-eslint's recommended rules over every TypeScript source in the repo.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "**/node_modules/**", "**/*.js", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-require-imports": "off",
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportDeclaration[source.value=/^@aws-sdk\\//] > ImportNamespaceSpecifier",
          message: "Use named imports from @aws-sdk/*: `import * as` fails Pulumi's closure serialization.",
        },
      ],
    },
  },
);
