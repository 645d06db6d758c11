// eslint (flat config) for cwb's JavaScript: the map code inlined into every map page, and its tests.
// Run from the repository root, where the patterns below start (`npm run lint` here does that):
//   tests/js/node_modules/.bin/eslint -c tests/js/eslint.config.js
"use strict";
const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  {
    files: ["cwb/maps/js/**/*.js"],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      // the page (browser + Leaflet's L); node loads the same file for the unit tests
      globals: { ...globals.browser, ...globals.node, L: "readonly" },
    },
    rules: {
      eqeqeq: "error",
      // dataset strings reach the page through textContent only (see the top of cwb_map.js)
      "no-restricted-syntax": [
        "error",
        {
          selector: "AssignmentExpression > MemberExpression.left[property.name=/^(innerHTML|outerHTML)$/]",
          message: "Put text in the page with textContent (el()), never as HTML.",
        },
        {
          selector: "CallExpression[callee.property.name=/^(insertAdjacentHTML|write|writeln|parseFromString|createContextualFragment)$/]",
          message: "Put text in the page with textContent (el()), never as HTML.",
        },
      ],
    },
  },
  {
    files: ["tests/js/**/*.js"],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "commonjs",
      globals: { ...globals.node },
    },
  },
];
