// cwb_map.js against cwb's Python encoders: each case of the fixture was packed by
// cwb/maps/elements.py and carries the values Python expects (see make_fixtures.py).
// The fixture is generated, never committed: tests/test_js.py writes it to a temporary folder and
// passes that folder in CWB_JS_FIXTURES; without it these tests are skipped.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const codec = require("../../cwb/maps/js/cwb_map.js");

const folder = process.env.CWB_JS_FIXTURES;
const skip = folder ? false : "CWB_JS_FIXTURES is not set (python tests/js/make_fixtures.py DIR writes them)";
const fixtures = folder ? JSON.parse(fs.readFileSync(path.join(folder, "fixtures.json"), "utf8")) : {};

/* Equal as numbers, telling -0 from 0 and NaN equal to NaN. */
function sameNumber(actual, text, what) {
  assert.ok(Object.is(actual, Number(text)), what + ": " + actual + " is not " + text);
}

test("varints: single values at the edges", { skip }, () => {
  for (const c of fixtures.varints) {
    assert.deepEqual(Array.from(codec.bytesOf(c.b64)), c.bytes);
    const got = codec.varintRun(c.b64, 1, 0)[0];
    assert.ok(Number.isSafeInteger(got));
    assert.equal(BigInt(got), BigInt(c.value), c.value);
  }
});

test("varints: running sums", { skip }, () => {
  for (const c of fixtures.runs) {
    const got = codec.varintRun(c.b64, c.n, c.start);
    assert.equal(got.length, c.n);
    c.expected.forEach((v, i) => assert.equal(BigInt(got[i]), BigInt(v), "value " + i));
  }
});

test("points: steps, degrees and Web Mercator", { skip }, () => {
  for (const c of fixtures.points) {
    const p = codec.decodePoints(c.spec);
    assert.equal(p.lon.length, c.spec.n, c.name);
    assert.deepEqual(Array.from(p.lon), c.stepsX, c.name);
    assert.deepEqual(Array.from(p.lat), c.stepsY, c.name);
    for (let i = 0; i < c.spec.n; i++) {
      assert.equal(p.lon[i] * p.q, c.lon[i], c.name + " lon " + i);
      assert.equal(p.lat[i] * p.q, c.lat[i], c.name + " lat " + i);
      assert.ok(Math.abs(p.mx[i] - c.mx[i]) < 1e-12, c.name + " mx " + i);
      assert.ok(Math.abs(p.my[i] - c.my[i]) < 1e-12, c.name + " my " + i);
    }
  }
});

test("typed arrays of every kind", { skip }, () => {
  for (const c of fixtures.arrays) {
    const got = codec.typed(c.spec);
    assert.equal(got.length, c.expected.length, c.spec.type);
    c.expected.forEach((v, i) => sameNumber(got[i], v, c.spec.type + " " + i));
  }
});

test("popup columns show what Python expects", { skip }, () => {
  for (const c of fixtures.columns) {
    const get = codec.column(c.col);
    const got = Array.from({ length: c.n }, (_, i) => get(i));
    assert.deepEqual(got, c.expected, c.name);
  }
});

test("popup fields, inline and deflated", { skip }, async () => {
  for (const c of fixtures.fields) {
    const fields = await codec.loadFields(c.spec);
    assert.deepEqual(fields.map((f) => f.label), Object.keys(c.expected), c.name);
    for (const f of fields) {
      const get = codec.column(f.col);
      assert.deepEqual(Array.from({ length: c.n }, (_, i) => get(i)), c.expected[f.label], c.name + " " + f.label);
    }
  }
});
