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
