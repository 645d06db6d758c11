// Known answers for the pure functions of cwb/maps/js/cwb_map.js (decoding, formatting, shapes).
// Run: node --test tests/js/   (tests/test_js.py runs it under pytest; roundtrip.test.js checks
// the same functions against cwb's Python encoders).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const zlib = require("node:zlib");
const codec = require("../../cwb/maps/js/cwb_map.js");

const b64 = (bytes) => Buffer.from(bytes).toString("base64");

/* Reference zigzag LEB128 encoder on BigInt: independent of the Python one. */
function zigzag(values) {
  const out = [];
  for (const value of values) {
    const x = BigInt(value);
    let z = x >= 0n ? x << 1n : (-x << 1n) - 1n;
    do {
      const low = Number(z & 127n);
      z >>= 7n;
      out.push(z ? low | 128 : low);
    } while (z);
  }
  return b64(out);
}

test("bytesOf decodes base64, empty and padded", () => {
  assert.deepEqual(codec.bytesOf(""), new Uint8Array(0));
  assert.deepEqual(codec.bytesOf("AAEC"), new Uint8Array([0, 1, 2]));
  assert.deepEqual(codec.bytesOf("/w=="), new Uint8Array([255]));
  assert.deepEqual(codec.bytesOf("+/8="), new Uint8Array([251, 255]));
  const all = Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(Array.from(codec.bytesOf(b64(all))), all);
});

test("bytesOf uses Uint8Array.fromBase64 where the browser has it", () => {
  const had = Object.prototype.hasOwnProperty.call(Uint8Array, "fromBase64");
  const original = Uint8Array.fromBase64;
  const calls = [];
  Uint8Array.fromBase64 = (text) => { calls.push(text); return new Uint8Array(Buffer.from(text, "base64")); };
  try {
    assert.deepEqual(codec.bytesOf("AAEC"), new Uint8Array([0, 1, 2]));
    assert.deepEqual(calls, ["AAEC"]);
  } finally {
    if (had) { Uint8Array.fromBase64 = original; } else { delete Uint8Array.fromBase64; }
  }
});

test("typed reads little-endian arrays of every kind", () => {
  assert.deepEqual(Array.from(codec.typed({ type: "u8", data: b64([0, 7, 255]) })), [0, 7, 255]);
  assert.deepEqual(Array.from(codec.typed({ type: "u16", data: b64([1, 0, 0, 1, 255, 255]) })), [1, 256, 65535]);
  assert.deepEqual(Array.from(codec.typed({ type: "u32", data: b64([255, 255, 255, 255]) })), [4294967295]);
  const f64 = Buffer.alloc(16);
  f64.writeDoubleLE(-0, 0);
  f64.writeDoubleLE(NaN, 8);
  const got = codec.typed({ type: "f64", data: f64.toString("base64") });
  assert.ok(Object.is(got[0], -0) && Number.isNaN(got[1]));
  const f32 = Buffer.alloc(4);
  f32.writeFloatLE(0.1, 0);
  assert.equal(codec.typed({ type: "f32", data: f32.toString("base64") })[0], Math.fround(0.1));
  for (const type of ["u8", "u16", "u32", "f32", "f64"]) {
    assert.equal(codec.typed({ type, data: "" }).length, 0, type);
  }
  assert.throws(() => codec.typed({ type: "i64", data: "" }), /unknown array type i64/);
});

test("varintRun decodes zigzag varints byte for byte", () => {
  const cases = [
    [[0x00], 0], [[0x01], -1], [[0x02], 1], [[0x7e], 63], [[0x7f], -64],
    [[0x80, 0x01], 64], [[0x81, 0x01], -65], [[0xfe, 0x01], 127], [[0xff, 0x01], -128],
    [[0xfe, 0xff, 0xff, 0xff, 0x0f], 2 ** 31 - 1], [[0xff, 0xff, 0xff, 0xff, 0x0f], -(2 ** 31)],
    [[0x80, 0x80, 0x80, 0x80, 0x10], 2 ** 31],
  ];
  for (const [bytes, value] of cases) {
    assert.deepEqual(Array.from(codec.varintRun(b64(bytes), 1, 0)), [value], String(value));
    assert.equal(zigzag([value]), b64(bytes), "reference encoder " + value);
  }
});

test("varintRun is exact up to Number.MAX_SAFE_INTEGER", () => {
  const max = Number.MAX_SAFE_INTEGER;
  for (const v of [2 ** 32, 2 ** 52, -(2 ** 52), 2 ** 52 + 1, -(2 ** 52) - 1, max, -max, max - 1, -max + 1]) {
    assert.equal(codec.varintRun(zigzag([v]), 1, 0)[0], v, String(v));
  }
  assert.deepEqual(Array.from(codec.varintRun(zigzag([max, -max, -max, max]), 4, 0)), [max, 0, -max, 0]);
});

test("varintRun keeps a running sum from its start", () => {
  assert.deepEqual(Array.from(codec.varintRun(zigzag([0, 5, -7, 2]), 4, 100)), [100, 105, 98, 100]);
  assert.deepEqual(Array.from(codec.varintRun(zigzag([0, 0]), 2, -3)), [-3, -3]);
  assert.equal(codec.varintRun("", 0, 42).length, 0);
});

test("varintRun refuses data that does not match the count", () => {
  assert.throws(() => codec.varintRun(zigzag([1, 2]), 3, 0), /do not match their count 3/);
  assert.throws(() => codec.varintRun(zigzag([1, 2, 3]), 2, 0), /do not match/);
  assert.throws(() => codec.varintRun(b64([0x80]), 1, 0), /do not match/);  // cut inside a value
  assert.throws(() => codec.varintRun("", 1, 0), /do not match/);
});

test("decodePoints gives integer steps, degrees and Web Mercator", () => {
  const q = 1e-5;
  const xs = [0, 18000000, -18000000, -189831];
  const ys = [0, 9000000, -9000000, 5248142];
  const deltas = (v) => v.map((x, i) => (i ? x - v[i - 1] : 0));
  const spec = { n: 4, q, x0: 0, y0: 0, dx: zigzag(deltas(xs)), dy: zigzag(deltas(ys)) };
  const p = codec.decodePoints(spec);
  assert.deepEqual(Array.from(p.lon), xs);
  assert.deepEqual(Array.from(p.lat), ys);
  assert.equal(p.q, q);
  [0.5, 1, 0].forEach((mx, i) => assert.ok(Math.abs(p.mx[i] - mx) < 1e-15, "mx " + i));
  assert.ok(Math.abs(p.my[0] - 0.5) < 1e-15);
  assert.ok(Math.abs(p.my[1]) < 1e-9 && Math.abs(p.my[2] - 1) < 1e-9, "poles clamp to the Mercator square");
  assert.ok(p.my[3] > 0.32 && p.my[3] < 0.34 && p.mx[3] < 0.5, "Birmingham: north of the equator, west of Greenwich");
  const none = codec.decodePoints({ n: 0, q, x0: 0, y0: 0, dx: "", dy: "" });
  assert.equal(none.mx.length, 0);
});

test("numbers show grouped, rounded half away from zero, never as -0", () => {
  const cases = [
    [0, "0"], [-0, "0"], [0.4, "0"], [-0.4, "0"], [0.5, "1"], [-0.5, "-1"], [2.5, "3"], [-2.5, "-3"],
    [999.4, "999"], [999.5, "1,000"], [1234567, "1,234,567"], [-1234567.5, "-1,234,568"],
    [2 ** 53, "9,007,199,254,740,992"],
  ];
  for (const [v, text] of cases) { assert.equal(codec.grouped(v), text, String(v)); }
  assert.equal(codec.showNumber(NaN, "int"), "");
  assert.equal(codec.showNumber(NaN, "money"), "");
  assert.equal(codec.showNumber(1500, "int"), "1,500");
  assert.equal(codec.showNumber(1500, "money"), "£1,500");
  assert.equal(codec.showNumber(-1500, "money"), "-£1,500");
  assert.equal(codec.showNumber(-0.2, "money"), "£0");
  assert.equal(codec.showNumber(0.1, "plain"), "0.1");
  assert.equal(codec.showNumber(-0, "plain"), "0");
  assert.equal(codec.showNumber(1e21, "plain"), "1e+21");
});

test("columns: const, dictionary, list, numbers and joins", () => {
  const at = (col, n) => Array.from({ length: n }, (_, i) => codec.column(col)(i));
  assert.deepEqual(at({ const: "x" }, 2), ["x", "x"]);
  assert.deepEqual(at({}, 1), [""]);
  assert.deepEqual(at({ dict: ["a", "", "ü"], idx: { type: "u8", data: b64([2, 0, 1, 9]) } }, 4), ["ü", "a", "", ""]);
  assert.deepEqual(at({ list: ["a", null, "", "</script>"] }, 5), ["a", "", "", "</script>", ""]);
  const nums = Buffer.alloc(24);
  [1234.5, NaN, -7].forEach((v, i) => nums.writeDoubleLE(v, 8 * i));
  const num = { num: { type: "f64", data: nums.toString("base64") }, fmt: "money" };
  assert.deepEqual(at(num, 3), ["£1,235", "", "-£7"]);
  const joined = { join: [{ list: ["A", "", "C"] }, num, { const: "z" }], sep: " · " };
  assert.deepEqual(at(joined, 3), ["A · £1,235 · z", "z", "C · -£7 · z"]);
  assert.deepEqual(at({ join: [{ list: ["", ""] }], sep: ", " }, 2), ["", ""]);
});

test("loadFields: inline, deflated, and null without DecompressionStream", async () => {
  const fields = [{ label: "Name ü", col: { list: ["a", "日本"] } }];
  assert.equal(await codec.loadFields({ fields }), fields);
  const fieldsZ = zlib.deflateSync(Buffer.from(JSON.stringify(fields), "utf8")).toString("base64");
  assert.deepEqual(await codec.loadFields({ fieldsZ }), fields);
  const original = globalThis.DecompressionStream;
  delete globalThis.DecompressionStream;
  try {
    assert.equal(await codec.loadFields({ fieldsZ }), null);
  } finally {
    globalThis.DecompressionStream = original;
  }
});

test("fmt: counts on clusters and legends", () => {
  const cases = [
    [0, "0"], [7, "7"], [999, "999"], [999.4, "999"], [999.5, "1.0k"], [1000, "1.0k"], [1249, "1.2k"],
    [9949, "9.9k"], [9950, "10k"], [9999, "10k"], [10000, "10k"], [35400, "35k"], [999499, "999k"],
    [999500, "1.0M"], [1e6, "1.0M"], [1.25e7, "12.5M"],
  ];
  for (const [n, text] of cases) { assert.equal(codec.fmt(n), text, String(n)); }
});

test("rgba32 packs a colour as a little-endian RGBA pixel", () => {
  assert.equal(codec.rgba32("#ff0000", 255), 0xff0000ff);
  assert.equal(codec.rgba32("#0080ff", 0), 0x00ff8000);
  assert.equal(codec.rgba32("ffffff", 200), 0xc8ffffff);
});

test("stamp and shapeVertices", () => {
  assert.equal(codec.shapeVertices("circle", 0, 0, 5), null);
  assert.deepEqual(codec.shapeVertices("square", 10, 20, 2), [[8, 18], [12, 18], [12, 22], [8, 22]]);
  assert.equal(codec.shapeVertices("triangle", 0, 0, 1).length, 3);
  const star = codec.shapeVertices("star", 0, 0, 10);
  assert.equal(star.length, 10);
  assert.ok(Math.abs(star[0][0]) < 1e-12 && Math.abs(star[0][1] + 13) < 1e-12, "a star's first point is up");
  const square = codec.stamp("square", 1);
  assert.equal(square.length / 2, 9);
  for (const shape of ["circle", "square", "diamond", "star", "triangle"]) {
    for (const r of [1, 2, 5]) {
      const offs = codec.stamp(shape, r);
      const pairs = new Set();
      for (let k = 0; k < offs.length; k += 2) {
        assert.ok(Math.abs(offs[k]) <= r + 1 && Math.abs(offs[k + 1]) <= r + 1);
        pairs.add(offs[k] + "," + offs[k + 1]);
      }
      assert.ok(pairs.has("0,0"), shape + " covers its centre");
      for (const p of pairs) {
        const [x, y] = p.split(",").map(Number);
        assert.ok(pairs.has(-x + "," + -y), shape + " is symmetric");
      }
    }
  }
});
