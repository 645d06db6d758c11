// cwb_map.js against cwb's Python encoders: each case of the fixture was packed by
// cwb/maps/elements.py and carries the values Python expects (see make_fixtures.py; the checks
// are in roundtrip_checks.js, which tests/test_js.py also runs in Chromium).
// The fixture is generated, never committed: tests/test_js.py writes it to a temporary folder and
// passes that folder in CWB_JS_FIXTURES; without it these tests are skipped.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const codec = require("../../cwb/maps/js/cwb_map.js");
const checks = require("./roundtrip_checks.js");

const folder = process.env.CWB_JS_FIXTURES;
const skip = folder ? false : "CWB_JS_FIXTURES is not set (python tests/js/make_fixtures.py DIR writes them)";
const fixtures = folder ? JSON.parse(fs.readFileSync(path.join(folder, "fixtures.json"), "utf8")) : {};

for (const section of Object.keys(checks)) {
  test("round trip: " + section, { skip }, async () => {
    assert.ok(fixtures[section] && fixtures[section].length, "the fixture has " + section);
    assert.deepEqual(await checks[section](codec, fixtures[section]), []);
  });
}
