// Checks of cwb_map.js's decoders against the fixture that make_fixtures.py writes from cwb's
// Python encoders. Shared by node (roundtrip.test.js) and Chromium (tests/test_js.py, where
// base64 goes through Uint8Array.fromBase64 and fields through the browser's DecompressionStream).
// Each check takes the codec (cwbMap.codec) and its section of the fixture, and resolves to the
// list of what went wrong: empty when all is well.
(function (root) {
  "use strict";

  function show(v) { return Object.is(v, -0) ? "-0" : String(v); }

  /* Equal as numbers, telling -0 from 0 and NaN equal to NaN. */
  function sameNumber(actual, text) { return Object.is(actual, Number(text)); }

  function sameList(actual, expected) {
    if (actual.length !== expected.length) { return false; }
    for (var i = 0; i < actual.length; i++) { if (actual[i] !== expected[i]) { return false; } }
    return true;
  }

  function firstDifference(actual, expected) {
    if (actual.length !== expected.length) { return "length " + actual.length + " is not " + expected.length; }
    for (var i = 0; i < actual.length; i++) {
      if (actual[i] !== expected[i]) { return "at " + i + ": " + JSON.stringify(actual[i]) + " is not " + JSON.stringify(expected[i]); }
    }
    return "";
  }

  function shownBy(codec, col, n) {
    var get = codec.column(col), out = [];
    for (var i = 0; i < n; i++) { out.push(get(i)); }
    return out;
  }

  var checks = {
    varints: async function (codec, cases) {
      var bad = [];
      cases.forEach(function (c) {
        var bytes = Array.from(codec.bytesOf(c.b64));
        if (!sameList(bytes, c.bytes)) { bad.push("bytes of " + c.value + ": " + bytes + " is not " + c.bytes); }
        var got = codec.varintRun(c.b64, 1, 0)[0];
        if (!Number.isSafeInteger(got) || BigInt(got) !== BigInt(c.value)) { bad.push(show(got) + " is not " + c.value); }
      });
      return bad;
    },

    runs: async function (codec, cases) {
      var bad = [];
      cases.forEach(function (c, k) {
        var got = codec.varintRun(c.b64, c.n, c.start);
        if (got.length !== c.n) { bad.push("run " + k + ": " + got.length + " values, not " + c.n); return; }
        c.expected.forEach(function (v, i) {
          if (!Number.isSafeInteger(got[i]) || BigInt(got[i]) !== BigInt(v)) { bad.push("run " + k + " value " + i + ": " + show(got[i]) + " is not " + v); }
        });
      });
      return bad;
    },

    points: async function (codec, cases) {
      var bad = [];
      cases.forEach(function (c) {
        var p = codec.decodePoints(c.spec), d;
        if ((d = firstDifference(Array.from(p.lon), c.stepsX))) { bad.push(c.name + " lon steps " + d); }
        if ((d = firstDifference(Array.from(p.lat), c.stepsY))) { bad.push(c.name + " lat steps " + d); }
        for (var i = 0; i < c.spec.n; i++) {
          if (p.lon[i] * p.q !== c.lon[i]) { bad.push(c.name + " lon " + i + ": " + p.lon[i] * p.q + " is not " + c.lon[i]); }
          if (p.lat[i] * p.q !== c.lat[i]) { bad.push(c.name + " lat " + i + ": " + p.lat[i] * p.q + " is not " + c.lat[i]); }
          if (!(Math.abs(p.mx[i] - c.mx[i]) < 1e-12)) { bad.push(c.name + " mx " + i + ": " + p.mx[i] + " is not " + c.mx[i]); }
          if (!(Math.abs(p.my[i] - c.my[i]) < 1e-12)) { bad.push(c.name + " my " + i + ": " + p.my[i] + " is not " + c.my[i]); }
        }
      });
      return bad;
    },

    arrays: async function (codec, cases) {
      var bad = [];
      cases.forEach(function (c, k) {
        var got = codec.typed(c.spec);
        if (got.length !== c.expected.length) { bad.push(c.spec.type + " array " + k + ": length " + got.length); return; }
        c.expected.forEach(function (v, i) {
          if (!sameNumber(got[i], v)) { bad.push(c.spec.type + " array " + k + " at " + i + ": " + show(got[i]) + " is not " + v); }
        });
      });
      return bad;
    },

    columns: async function (codec, cases) {
      var bad = [];
      cases.forEach(function (c) {
        var d = firstDifference(shownBy(codec, c.col, c.n), c.expected);
        if (d) { bad.push(c.name + " " + d); }
      });
      return bad;
    },

    fields: async function (codec, cases) {
      var bad = [];
      for (var k = 0; k < cases.length; k++) {
        var c = cases[k], fields = await codec.loadFields(c.spec);
        if (!fields) { bad.push(c.name + ": no fields"); continue; }
        var labels = fields.map(function (f) { return f.label; }), d = firstDifference(labels, Object.keys(c.expected));
        if (d) { bad.push(c.name + " labels " + d); continue; }
        for (var j = 0; j < fields.length; j++) {
          d = firstDifference(shownBy(codec, fields[j].col, c.n), c.expected[fields[j].label]);
          if (d) { bad.push(c.name + " " + fields[j].label + " " + d); }
        }
      }
      return bad;
    }
  };

  if (typeof module === "object" && module && module.exports) { module.exports = checks; } else { root.cwbRoundTrip = checks; }
})(this);
