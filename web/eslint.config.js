// The browser app's lint: ESLint's recommended rules, no import cycles between modules,
// and no window globals (state lives in state.js; views talk to the shell through its events).
import js from "@eslint/js";
import globals from "globals";
import importX from "eslint-plugin-import-x";

export default [
  js.configs.recommended,
  {
    files: ["src/js/**/*.js"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: globals.browser },
    plugins: { "import-x": importX },
    settings: { "import-x/core-modules": ["maplibre-gl", "terra-draw", "terra-draw-maplibre-gl-adapter"] },
    rules: {
      "import-x/no-cycle": ["error", { maxDepth: Infinity }],
      "import-x/no-self-import": "error",
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_" }],
      "no-restricted-syntax": ["error",
        { selector: "AssignmentExpression > MemberExpression.left[object.name='window']", message: "no window globals: use state.js" },
        { selector: "AssignmentExpression > MemberExpression.left[object.name='globalThis']", message: "no globals: use state.js" }],
      eqeqeq: ["error", "always"],
      "prefer-const": "error",
    },
  },
];
