/* cwb map layers: compact point and line layers drawn on a canvas, plus the
 * legend, title and search controls of a cwb map.
 *
 * Every string that comes from a dataset reaches the page through
 * textContent (never innerHTML), so a name holding an image tag with an
 * onerror attribute shows as text. Coordinates arrive as base64 varint deltas of integer micro-degrees
 * (see cwb/maps/elements.py) and every cwb layer of a map is drawn on one shared
 * canvas, in one animation frame: individual shapes when few points are in
 * view, a pixel stamp when many, and grid clusters with counts when very many.
 */
(function () {
  "use strict";
  var TAU = Math.PI * 2;

  /* ---------- pure functions: decoding, formatting, shapes ----------
   * No DOM and no Leaflet here: node loads them for the unit tests in tests/js
   * (they are exported as `cwbMap.codec` in the page, module.exports in node). */

  function bytesOf(b64) {
    if (Uint8Array.fromBase64) { return Uint8Array.fromBase64(b64); }
    var bin = atob(b64), n = bin.length, out = new Uint8Array(n);
    for (var i = 0; i < n; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }

  /* A typed array packed by encode_array (little-endian, as every browser is). */
  function typed(spec) {
    var bytes = bytesOf(spec.data);
    if (spec.type === "u8") { return bytes; }
    if (spec.type === "u16") { return new Uint16Array(bytes.buffer); }
    if (spec.type === "u32") { return new Uint32Array(bytes.buffer); }
    if (spec.type === "f32") { return new Float32Array(bytes.buffer); }
    if (spec.type === "f64") { return new Float64Array(bytes.buffer); }
    throw new Error("cwb: unknown array type " + spec.type);
  }

  /* Zigzag varint deltas -> running integer values (one per point).
   * Half the zigzag value is summed directly (its low bit is the sign), so every
   * delta and running value within +-(2^53 - 1) decodes exactly. */
  function varintRun(b64, n, start) {
    var bytes = bytesOf(b64), out = new Float64Array(n), pos = 0, acc = start;
    for (var i = 0; i < n; i++) {
      var b = bytes[pos++], neg = b & 1, v = (b & 127) >>> 1, mult = 64;
      while (b & 128) { b = bytes[pos++]; v += (b & 127) * mult; mult *= 128; }
      acc += neg ? -v - 1 : v;
      out[i] = acc;
    }
    if (pos !== bytes.length) { throw new Error("cwb: packed values do not match their count " + n); }
    return out;
  }

  /* Web Mercator of the map (EPSG:3857) normalised to [0, 1]. */
  function mercator(xs, ys, q) {
    var n = xs.length, mx = new Float64Array(n), my = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      var lat = Math.max(-85.0511287798, Math.min(85.0511287798, ys[i] * q));
      mx[i] = 0.5 + xs[i] * q / 360;
      my[i] = 0.5 - Math.log(Math.tan(Math.PI / 4 + lat * Math.PI / 360)) / TAU;
    }
    return { mx: mx, my: my };
  }

  /* Points packed by encode_points: lon/lat in integer steps of q degrees, mx/my in Mercator. */
  function decodePoints(spec) {
    var xs = varintRun(spec.dx, spec.n, spec.x0), ys = varintRun(spec.dy, spec.n, spec.y0);
    var m = mercator(xs, ys, spec.q);
    m.lon = xs; m.lat = ys; m.q = spec.q;
    return m;
  }

  /* Whole numbers with thousands separators, halves away from zero (Intl.NumberFormat costs tens of ms to set up). */
  function grouped(v) {
    var r = Math.round(Math.abs(v)), s = String(r).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (v < 0 && r !== 0 ? "-" : "") + s;
  }

  /* A number as a popup shows it: "" when missing, else plain, grouped, or money (-£1,234). */
  function showNumber(v, format) {
    if (v !== v) { return ""; }
    if (format === "plain") { return String(v); }
    var s = grouped(v);
    if (format !== "money") { return s; }
    return s.charAt(0) === "-" ? "-£" + s.slice(1) : "£" + s;
  }

  /* A popup column (see cwb/maps/elements.py): const, dict+idx, list, num or join; returns i -> string. */
  function column(spec) {
    if (spec.list !== undefined) { return function (i) { return spec.list[i] || ""; }; }
    if (spec.dict !== undefined) {
      var idx = typed(spec.idx), dict = spec.dict;
      return function (i) { return dict[idx[i]] || ""; };
    }
    if (spec.num !== undefined) {
      var nums = typed(spec.num), format = spec.fmt;
      return function (i) { return showNumber(nums[i], format); };
    }
    if (spec.join !== undefined) {
      var parts = spec.join.map(column), sep = spec.sep;
      return function (i) {
        var out = [];
        for (var k = 0; k < parts.length; k++) { var v = parts[k](i); if (v !== "") { out.push(v); } }
        return out.join(sep);
      };
    }
    return function () { return spec["const"] || ""; };
  }

  /* Popup fields: inline, or deflated (inflated off the drawing path with DecompressionStream). */
  function loadFields(spec) {
    if (spec.fields) { return Promise.resolve(spec.fields); }
    if (typeof DecompressionStream === "undefined") { return Promise.resolve(null); }
    var stream = new Blob([bytesOf(spec.fieldsZ)]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).text().then(JSON.parse);
  }

  /* Counts on clusters and legends: 950, 1.2k, 35k, 1.2M (each unit from where its rounding starts:
   * 999.5 shows as 1.0k, 9950 as 10k, 999500 as 1.0M). */
  function fmt(n) {
    if (n >= 999500) { return (n / 1e6).toFixed(1) + "M"; }
    if (n >= 9950) { return Math.round(n / 1e3) + "k"; }
    if (n >= 999.5) { return (n / 1e3).toFixed(1) + "k"; }
    return String(Math.round(n));
  }

  /* "#rrggbb" and an alpha 0..255 as one pixel of a little-endian RGBA Uint32Array. */
  function rgba32(hex, alpha) {
    var h = hex.replace("#", "");
    var r = parseInt(h.substr(0, 2), 16), g = parseInt(h.substr(2, 2), 16), b = parseInt(h.substr(4, 2), 16);
    return ((alpha << 24) | (b << 16) | (g << 8) | r) >>> 0;
  }

  /* Corners of a point shape of radius r around (x, y); null for a circle. */
  function shapeVertices(shape, x, y, r) {
    if (shape === "square") { return [[x - r, y - r], [x + r, y - r], [x + r, y + r], [x - r, y + r]]; }
    if (shape === "diamond") { return [[x, y - r * 1.2], [x + r * 1.2, y], [x, y + r * 1.2], [x - r * 1.2, y]]; }
    if (shape === "triangle") { return [[x, y - r * 1.2], [x + r * 1.1, y + r * 0.8], [x - r * 1.1, y + r * 0.8]]; }
    if (shape === "star") {
      var out = [];
      for (var k = 0; k < 10; k++) {
        var a = -Math.PI / 2 + k * Math.PI / 5, rr = (k % 2 === 0) ? r * 1.3 : r * 0.55;
        out.push([x + rr * Math.cos(a), y + rr * Math.sin(a)]);
      }
      return out;
    }
    return null;
  }

  /* Pixel offsets of a filled shape of radius r (for the fast stamp mode). */
  function stamp(shape, r) {
    var out = [];
    for (var dy = -r - 1; dy <= r + 1; dy++) {
      for (var dx = -r - 1; dx <= r + 1; dx++) {
        var inside;
        if (shape === "square") { inside = Math.abs(dx) <= r && Math.abs(dy) <= r; }
        else if (shape === "diamond" || shape === "star" || shape === "triangle") { inside = Math.abs(dx) + Math.abs(dy) <= r + 0.5; }
        else { inside = dx * dx + dy * dy <= r * r + r; }
        if (inside) { out.push(dx, dy); }
      }
    }
    return out;
  }

  var codec = {
    bytesOf: bytesOf, typed: typed, varintRun: varintRun, mercator: mercator, decodePoints: decodePoints,
    grouped: grouped, showNumber: showNumber, column: column, loadFields: loadFields, fmt: fmt,
    rgba32: rgba32, shapeVertices: shapeVertices, stamp: stamp
  };

  /* In node (the unit tests), export the pure functions and stop: the rest needs a page and Leaflet. */
  if (typeof window === "undefined") {
    if (typeof module === "object" && module && module.exports) { module.exports = codec; }
    return;
  }
  /* no Leaflet (it could not load): the page's fallback says so in words */
  if (window.cwbMap || typeof L === "undefined") { return; }
  var cwb = window.cwbMap = {};
  cwb.codec = codec;
  cwb.decodePoints = decodePoints;

  /* ---------- small DOM helpers (text only) ---------- */

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function card(title, rows) {
    var box = el("div", "cwb-card");
    box.appendChild(el("div", "cwb-card-title", title));
    if (rows.length) {
      var table = el("table");
      rows.forEach(function (r) {
        var tr = el("tr");
        tr.appendChild(el("th", null, r[0]));
        tr.appendChild(el("td", null, r[1]));
        table.appendChild(tr);
      });
      box.appendChild(table);
    }
    return box;
  }
  cwb.card = card;

  var SVG_NS = "http://www.w3.org/2000/svg";

  function svgEl(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    return node;
  }

  /* A legend swatch as inline SVG (a canvas per swatch would cost a compositor layer each). */
  function swatch(shape, colour, size) {
    var d = size || 16, h = d / 2, mark;
    var box = svgEl("svg", { width: d, height: d, viewBox: "0 0 " + d + " " + d, "class": "cwb-swatch", "aria-hidden": "true" });
    if (shape === "line") {
      mark = svgEl("path", { d: "M1 " + (d - 3) + "L" + (d - 1) + " 3", fill: "none", stroke: colour, "stroke-width": 3 });
    } else if (shape === "ring") {
      mark = svgEl("circle", { cx: h, cy: h, r: h - 2, fill: "none", stroke: colour, "stroke-width": 2, "stroke-dasharray": "3 2" });
    } else if (shape === "area") {
      mark = svgEl("rect", { x: 1, y: 1, width: d - 2, height: d - 2, fill: colour, stroke: "#333", "stroke-width": 0.5 });
    } else {
      var v = shapeVertices(shape, h, h, h - 2);
      mark = v ? svgEl("path", { d: "M" + v.map(function (p) { return p[0].toFixed(2) + " " + p[1].toFixed(2); }).join("L") + "Z" })
        : svgEl("circle", { cx: h, cy: h, r: h - 2 });
      mark.setAttribute("fill", colour); mark.setAttribute("stroke", "#333"); mark.setAttribute("stroke-width", "1");
    }
    box.appendChild(mark);
    return box;
  }

  function shapePath(ctx, shape, x, y, r) {
    var v = shapeVertices(shape, x, y, r);
    if (!v) { ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, TAU); return; }
    ctx.moveTo(v[0][0], v[0][1]);
    for (var k = 1; k < v.length; k++) { ctx.lineTo(v[k][0], v[k][1]); }
    ctx.closePath();
  }

  /* ---------- shared map state: one click/hover handler for every cwb layer ---------- */

  function stateOf(map) {
    if (map._cwb) { return map._cwb; }
    var st = map._cwb = { layers: [], frame: 0, pending: 0, tip: null };
    var pane = map.getPane("cwbCanvas") || map.createPane("cwbCanvas");
    pane.style.zIndex = "450";
    pane.style.pointerEvents = "none";
    st.canvas = L.DomUtil.create("canvas", "cwb-canvas leaflet-zoom-hide", pane);
    st.canvas.style.pointerEvents = "none";
    map.on("moveend zoomend resize viewreset", function () { schedule(map); });
    map.on("click", function (e) { onClick(map, e); });
    map.on("mousemove", function (e) {
      if (st.frame) { return; }
      st.frame = L.Util.requestAnimFrame(function () { st.frame = 0; onHover(map, e); });
    });
    map.on("mouseout", function () { if (st.tip) { map.removeLayer(st.tip); st.tip = null; } });
    return st;
  }

  function hitsAt(map, point) {
    var hits = [];
    map._cwb.layers.forEach(function (layer) {
      if (layer._map) { hits = hits.concat(layer.hitTest(point)); }
    });
    hits.sort(function (a, b) { return (a.priority - b.priority) || (a.d2 - b.d2); });
    return hits;
  }

  function onClick(map, e) {
    var hits = hitsAt(map, e.containerPoint);
    if (!hits.length) { return; }
    var first = hits[0];
    if (first.cluster) {
      map.setView(first.latlng, Math.min(map.getZoom() + 2, map.getMaxZoom() || 18));
      return;
    }
    Promise.all(hits.map(function (h) { return h.layer.ready; })).then(function () { openHits(map, first, hits); });
  }

  /* Items of a popup grouped by layer and category: a few show as cards, many as one
   * collapsed group per type with its count (a project with 67 opportunities is one line each type). */
  function groupHits(hits) {
    var groups = [], byKey = {};
    hits.forEach(function (h) {
      var cat = h.layer.categoryOf ? h.layer.categoryOf(h.index) : null;
      var key = (h.layer.options.id || h.layer.options.title) + "|" + (cat ? cat.key : "");
      if (!byKey[key]) {
        byKey[key] = { title: cat && h.layer.categories.length > 1 ? cat.label : h.layer.options.title, hits: [] };
        groups.push(byKey[key]);
      }
      byKey[key].hits.push(h);
    });
    return groups;
  }

  function openHits(map, first, hits) {
    var box = el("div", "cwb-popup"), shown = hits.filter(function (h) { return !h.cluster; });
    if (shown.length > 1) { box.appendChild(el("div", "cwb-popup-count", shown.length + " items here")); }
    if (shown.length <= 4) {
      shown.forEach(function (h) { box.appendChild(h.layer.describe(h.index)); });
    } else {
      var groups = groupHits(shown);
      groups.forEach(function (g) {
        if (g.hits.length === 1) { box.appendChild(g.hits[0].layer.describe(g.hits[0].index)); return; }
        var det = el("details", "cwb-popup-group"), sum = el("summary", null, g.title + " (" + g.hits.length + ")");
        det.appendChild(sum);
        g.hits.slice(0, 40).forEach(function (h) { det.appendChild(h.layer.describe(h.index)); });
        if (g.hits.length > 40) { det.appendChild(el("div", "cwb-popup-more", "… and " + (g.hits.length - 40) + " more: zoom in")); }
        box.appendChild(det);
      });
    }
    L.popup({ maxWidth: 340, maxHeight: 360, autoPanPadding: L.point(12, 12) }).setLatLng(first.latlng).setContent(box).openOn(map);
  }

  function onHover(map, e) {
    var st = map._cwb, hits = hitsAt(map, e.containerPoint);
    map.getContainer().style.cursor = hits.length ? "pointer" : "";
    if (!hits.length) {
      if (st.tip) { map.removeLayer(st.tip); st.tip = null; }
      return;
    }
    var h = hits[0], text = h.cluster ? (fmt(h.count) + " " + h.layer.options.title.toLowerCase() + ": click to zoom in") : h.layer.label(h.index);
    if (!h.cluster && hits.length > 1) { text += " (+" + (hits.length - 1) + " more)"; }
    if (!st.tip) { st.tip = L.tooltip({ direction: "top", offset: [0, -8], className: "cwb-tooltip cwb-hover" }); }
    st.tip.setLatLng(h.latlng).setContent(el("span", null, text));
    if (!map.hasLayer(st.tip)) { st.tip.addTo(map); }
  }

  /* ---------- one canvas per map, drawn once per frame ---------- */

  /* Size and place a canvas over the map view; the projection of the view. */
  function frameOf(map, c) {
    var size = map.getSize(), dpr = window.devicePixelRatio || 1;
    var w = Math.round(size.x * dpr), h = Math.round(size.y * dpr);
    if (c.width !== w || c.height !== h) {
      c.width = w; c.height = h; c.style.width = size.x + "px"; c.style.height = size.y + "px";
    }
    var topLeft = map.containerPointToLayerPoint([0, 0]);
    L.DomUtil.setPosition(c, topLeft);
    var origin = map.getPixelOrigin();
    var scale = 256 * Math.pow(2, map.getZoom());
    return { ctx: c.getContext("2d"), w: w, h: h, dpr: dpr, scale: scale, ox: origin.x + topLeft.x, oy: origin.y + topLeft.y, cssW: size.x, cssH: size.y };
  }

  /* Draw layers on a frame: stamped points first (one pixel buffer for all),
   * then the matched links, then points drawn as shapes or clusters on top. */
  function drawLayers(f, layers) {
    f.ctx.clearRect(0, 0, f.w, f.h);
    var stamped = [], lines = [], vector = [];
    layers.forEach(function (layer) {
      layer._prepare(f);
      (layer.mode === "stamps" ? stamped : layer.mode === "lines" ? lines : vector).push(layer);
    });
    if (stamped.length) {
      var img = f.ctx.createImageData(f.w, f.h), buf = new Uint32Array(img.data.buffer);
      stamped.forEach(function (layer) { layer._stamp(f, buf); });
      f.ctx.putImageData(img, 0, 0);
    }
    lines.concat(vector).forEach(function (layer) { layer._paint(f); });
  }

  function redraw(map) {
    var st = map._cwb;
    if (st.pending) { L.Util.cancelAnimFrame(st.pending); st.pending = 0; }
    drawLayers(frameOf(map, st.canvas), st.layers.filter(function (l) { return l._map === map; }));
  }

  /* Adding layers and several map events in a row (zoomend, moveend, viewreset) cost one redraw, in the next frame. */
  function schedule(map) {
    var st = map._cwb;
    if (!st.pending) { st.pending = L.Util.requestAnimFrame(function () { st.pending = 0; redraw(map); }); }
  }

  /* ---------- canvas layer base ---------- */

  var CanvasLayer = L.Layer.extend({
    onAdd: function (map) {
      var st = stateOf(map);
      if (st.layers.indexOf(this) < 0) { st.layers.push(this); }
      schedule(map);
    },
    onRemove: function (map) {
      this.drawn = 0;
      schedule(map);
    },
    /* Non-transparent pixels of this layer drawn alone (used by tests to prove drawing). */
    paintedPixels: function () {
      if (!this._map) { return 0; }
      var c = document.createElement("canvas"), f = frameOf(this._map, c);
      drawLayers(f, [this]);
      var d = f.ctx.getImageData(0, 0, c.width, c.height).data, n = 0;
      for (var i = 3; i < d.length; i += 4) { if (d[i]) { n++; } }
      return n;
    },
    _initFields: function (spec) {
      var self = this;
      this._fields = [];
      this._name = function () { return ""; };
      function use(fields) {
        if (!fields) { return; }
        self._fields = fields.map(function (f) { return { label: f.label, get: column(f.col) }; });
        self._name = self._fields[spec.nameField || 0].get;
      }
      if (spec.fields) { use(spec.fields); this.ready = Promise.resolve(); return; }
      /* large layers: inflate popup fields when the browser is idle, after the map has drawn */
      this.ready = new Promise(function (resolve) {
        var idle = window.requestIdleCallback || function (f) { return setTimeout(f, 50); };
        idle(function () { loadFields(spec).then(use).then(resolve, resolve); }, { timeout: 1500 });
      });
    },
    latLngOf: function (i) {
      return L.latLng(this._pts.lat[i] * this._pts.q, this._pts.lon[i] * this._pts.q);
    }
  });

  /* ---------- points ---------- */

  var PointLayer = CanvasLayer.extend({
    options: { radius: 5, maxRadius: 22, shape: "circle", clusterAbove: 10000, vectorBelow: 3000, cell: 64, priority: 1 },

    initialize: function (spec) {
      L.setOptions(this, spec.options || {});
      this.spec = spec;
      this.n = spec.n;
      this._pts = decodePoints(spec);
      this._cat = spec.cat ? typed(spec.cat) : new Uint8Array(this.n);
      this._size = spec.size ? typed(spec.size) : null;
      this._sizeMax = 0;
      if (this._size) { for (var i = 0; i < this.n; i++) { if (this._size[i] > this._sizeMax) { this._sizeMax = this._size[i]; } } }
      this.categories = spec.categories;
      this.enabled = new Uint8Array(spec.categories.length).fill(1);
      this._initFields(spec);
      this._vis = new Int32Array(this.n);
      this._px = new Float32Array(this.n);
      this._py = new Float32Array(this.n);
      this._m = 0;
      this._cells = [];
      this.mode = "none";
      this.drawn = 0;
    },

    setCategory: function (k, on) {
      this.enabled[k] = on ? 1 : 0;
      if (this._map) { redraw(this._map); }
    },

    label: function (i) {
      var cat = this.categories[this._cat[i]];
      return this._name(i) || (cat ? cat.label : "");
    },

    categoryOf: function (i) { return this.categories[this._cat[i]]; },

    describe: function (i) {
      var rows = [], cat = this.categories[this._cat[i]];
      for (var k = 0; k < this._fields.length; k++) {
        if (k === (this.spec.nameField || 0)) { continue; }
        var v = this._fields[k].get(i);
        if (v !== "") { rows.push([this._fields[k].label, v]); }
      }
      if (cat && this.categories.length > 1) { rows.unshift([this.options.categoryLabel || "Category", cat.label]); }
      return card(this._name(i), rows);
    },

    searchNames: function () {
      if (!this._lower) {
        this._lower = new Array(this.n);
        for (var i = 0; i < this.n; i++) { this._lower[i] = this._name(i).toLowerCase(); }
      }
      return this._lower;
    },

    _radius: function (i, dpr) {
      var r = this.options.radius;
      if (this._size && this._sizeMax > 0) {
        r = r + (this.options.maxRadius - r) * Math.sqrt(this._size[i] / this._sizeMax);
      }
      return r * dpr;
    },

    /* The points in view (in _vis/_px/_py) and how to draw them. */
    _prepare: function (f) {
      var n = this.n, m = 0, margin = this.options.maxRadius + 2;
      var mx = this._pts.mx, my = this._pts.my, cat = this._cat, en = this.enabled;
      var vis = this._vis, px = this._px, py = this._py, scale = f.scale, ox = f.ox, oy = f.oy;
      var W = f.cssW + margin, H = f.cssH + margin;
      for (var i = 0; i < n; i++) {
        if (!en[cat[i]]) { continue; }
        var x = mx[i] * scale - ox, y = my[i] * scale - oy;
        if (x < -margin || y < -margin || x > W || y > H) { continue; }
        vis[m] = i; px[m] = x; py[m] = y; m++;
      }
      this._m = m;
      this._cells = [];
      if (m > this.options.clusterAbove) { this.mode = "clusters"; }
      else if (m > this.options.vectorBelow && !this._size) { this.mode = "stamps"; }
      else { this.mode = "shapes"; }
    },

    _paint: function (f) {
      if (this.mode === "clusters") { this._drawClusters(f, this._m); } else { this._drawShapes(f, this._m); }
    },

    _drawShapes: function (f, m) {
      var ctx = f.ctx, dpr = f.dpr, shape = this.options.shape, self = this;
      var order = [];
      for (var j = 0; j < m; j++) { order.push(j); }
      if (this._size) { order.sort(function (a, b) { return self._size[self._vis[b]] - self._size[self._vis[a]]; }); }
      ctx.lineWidth = 1.2 * dpr;
      ctx.strokeStyle = "#ffffff";
      ctx.globalAlpha = this._size ? 0.8 : 0.95;
      for (var k = 0; k < order.length; k++) {
        var j2 = order[k], i = this._vis[j2], r = this._radius(i, dpr);
        ctx.beginPath();
        shapePath(ctx, shape, this._px[j2] * dpr, this._py[j2] * dpr, r);
        ctx.fillStyle = this.categories[this._cat[i]].colour;
        ctx.fill(); ctx.stroke();
        if (this._size && r >= 9 * dpr) {
          ctx.globalAlpha = 1; ctx.fillStyle = "#ffffff";
          ctx.font = "bold " + Math.round(11 * dpr) + "px sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
          ctx.fillText(fmt(this._size[i]), this._px[j2] * dpr, this._py[j2] * dpr);
          ctx.globalAlpha = 0.8;
        }
      }
      ctx.globalAlpha = 1;
      this.drawn = m;
    },

    /* Many points: stamp each as pixels into the frame's shared buffer. */
    _stamp: function (f, buf) {
      var dpr = f.dpr, m = this._m, W = f.w, H = f.h, r = Math.max(1, Math.round((this.options.radius - 1) * dpr));
      var px = this._px, py = this._py, vis = this._vis, cat = this._cat;
      var colours = this.categories.map(function (c) { return rgba32(c.colour, 235); });
      var passes = [[stamp(this.options.shape, r + 1), rgba32("#ffffff", 200)], [stamp(this.options.shape, r), -1]];
      var reach = r + 2;
      for (var pass = 0; pass < 2; pass++) {
        var offs = passes[pass][0], no = offs.length, edge = passes[pass][1];
        var lin = new Int32Array(no / 2);  /* offsets as buffer indices, for points well inside */
        for (var k = 0; k < no; k += 2) { lin[k / 2] = offs[k + 1] * W + offs[k]; }
        for (var j = 0; j < m; j++) {
          var x = Math.round(px[j] * dpr), y = Math.round(py[j] * dpr);
          var c = edge === -1 ? colours[cat[vis[j]]] : edge;
          if (x >= reach && y >= reach && x < W - reach && y < H - reach) {
            var at = y * W + x;
            for (var q = 0; q < lin.length; q++) { buf[at + lin[q]] = c; }
          } else {
            for (var k2 = 0; k2 < no; k2 += 2) {
              var xx = x + offs[k2], yy = y + offs[k2 + 1];
              if (xx >= 0 && yy >= 0 && xx < W && yy < H) { buf[yy * W + xx] = c; }
            }
          }
        }
      }
      this.drawn = m;
    },

    _drawClusters: function (f, m) {
      var cell = this.options.cell, ctx = f.ctx, dpr = f.dpr;
      var c0x = Math.floor(f.ox / cell), c0y = Math.floor(f.oy / cell);
      var cols = Math.ceil(f.cssW / cell) + 3, rows = Math.ceil(f.cssH / cell) + 3;
      var count = new Uint32Array(cols * rows), sx = new Float64Array(cols * rows), sy = new Float64Array(cols * rows);
      for (var j = 0; j < m; j++) {
        var gx = this._px[j] + f.ox, gy = this._py[j] + f.oy;
        var cx = Math.floor(gx / cell) - c0x + 1, cy = Math.floor(gy / cell) - c0y + 1;
        if (cx < 0 || cy < 0 || cx >= cols || cy >= rows) { continue; }
        var key = cy * cols + cx;
        count[key]++; sx[key] += this._px[j]; sy[key] += this._py[j];
      }
      var colour = this.options.colour || this.categories[0].colour, cells = [];
      /* layers cluster on the same grid: each kind sits at its own offset in a cell, so all show */
      var shift = this.options.clusterShift || [0, 0];
      /* one path for every circle of the layer (cells sit on a grid, so they barely overlap), then the counts */
      ctx.beginPath();
      for (var k = 0; k < count.length; k++) {
        if (!count[k]) { continue; }
        var x = sx[k] / count[k] + shift[0], y = sy[k] / count[k] + shift[1];
        var r = Math.min(cell / 3, 9 + 4 * Math.log10(count[k]));
        cells.push({ x: x, y: y, r: r, count: count[k] });
        ctx.moveTo((x + r) * dpr, y * dpr); ctx.arc(x * dpr, y * dpr, r * dpr, 0, TAU);
      }
      ctx.globalAlpha = 0.78; ctx.fillStyle = colour; ctx.fill();
      ctx.globalAlpha = 1; ctx.lineWidth = 2 * dpr; ctx.strokeStyle = "#ffffff"; ctx.stroke();
      ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.fillStyle = "#ffffff";
      ctx.font = "bold " + Math.round(11 * dpr) + "px sans-serif";
      cells.forEach(function (c) { ctx.fillText(fmt(c.count), c.x * dpr, c.y * dpr); });
      this._cells = cells;
      this.drawn = cells.length;
    },

    hitTest: function (p) {
      var out = [], map = this._map, k;
      if (this.mode === "clusters") {
        for (k = 0; k < this._cells.length; k++) {
          var c = this._cells[k], dx = c.x - p.x, dy = c.y - p.y;
          if (dx * dx + dy * dy <= c.r * c.r) {
            out.push({ layer: this, cluster: true, count: c.count, d2: dx * dx + dy * dy, priority: this.options.priority, latlng: map.containerPointToLatLng([c.x, c.y]) });
          }
        }
        return out;
      }
      for (var j = 0; j < this._m; j++) {
        var i = this._vis[j], r = this._radius(i, 1) + 3, ex = this._px[j] - p.x, ey = this._py[j] - p.y, d2 = ex * ex + ey * ey;
        if (d2 <= r * r) { out.push({ layer: this, index: i, d2: d2, priority: this.options.priority, latlng: this.latLngOf(i) }); }
      }
      return out;
    },
  });

  /* ---------- lines (matched links) ---------- */

  var LINE_COLOURS = ["#c6dbef", "#6baed6", "#3182bd", "#08519c", "#08306b"];

  /* One score scale everywhere (tooltips, popups, legend, CSV): 0 to 1, two decimals. */
  function score(percent) { return (percent / 100).toFixed(2); }

  var LineLayer = CanvasLayer.extend({
    options: { priority: 2 },

    initialize: function (spec) {
      L.setOptions(this, spec.options || {});
      this.spec = spec;
      this.n = spec.n / 2;
      this._pts = decodePoints(spec);      // 2n points: start, end, start, end …
      this._score = typed(spec.score);     // 0..100
      this._initFields(spec);
      this._vis = [];
      this.drawn = 0;
      this.mode = "lines";
    },

    label: function (i) { return this._name(i) + " (score " + score(this._score[i]) + ")"; },

    describe: function (i) {
      var rows = [["Score (0–1)", score(this._score[i])]];
      for (var k = 0; k < this._fields.length; k++) {
        if (k === (this.spec.nameField || 0)) { continue; }
        var v = this._fields[k].get(i);
        if (v !== "") { rows.push([this._fields[k].label, v]); }
      }
      return card(this._name(i), rows);
    },

    bucket: function (i) { return Math.min(4, Math.floor(this._score[i] / 20)); },

    /* The links in view, as segments in container pixels. */
    _prepare: function (f) {
      var mx = this._pts.mx, my = this._pts.my, vis = [], seg = [];
      for (var i = 0; i < this.n; i++) {
        var x1 = mx[2 * i] * f.scale - f.ox, y1 = my[2 * i] * f.scale - f.oy;
        var x2 = mx[2 * i + 1] * f.scale - f.ox, y2 = my[2 * i + 1] * f.scale - f.oy;
        if (Math.max(x1, x2) < 0 || Math.max(y1, y2) < 0 || Math.min(x1, x2) > f.cssW || Math.min(y1, y2) > f.cssH) { continue; }
        vis.push(i); seg.push(x1, y1, x2, y2);
      }
      this._vis = vis; this._seg = seg;
    },

    _paint: function (f) {
      var ctx = f.ctx, vis = this._vis, seg = this._seg;
      ctx.lineCap = "round";
      for (var b = 0; b < 5; b++) {
        ctx.beginPath();
        for (var j = 0; j < vis.length; j++) {
          if (this.bucket(vis[j]) !== b) { continue; }
          ctx.moveTo(seg[4 * j] * f.dpr, seg[4 * j + 1] * f.dpr); ctx.lineTo(seg[4 * j + 2] * f.dpr, seg[4 * j + 3] * f.dpr);
        }
        ctx.strokeStyle = LINE_COLOURS[b]; ctx.globalAlpha = 0.85; ctx.lineWidth = (1 + 0.9 * b) * f.dpr;
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
      this.drawn = vis.length;
    },

    hitTest: function (p) {
      var out = [], seg = this._seg || [];
      for (var j = 0; j < this._vis.length; j++) {
        var x1 = seg[4 * j], y1 = seg[4 * j + 1], x2 = seg[4 * j + 2], y2 = seg[4 * j + 3];
        var dx = x2 - x1, dy = y2 - y1, len2 = dx * dx + dy * dy;
        var t = len2 ? Math.max(0, Math.min(1, ((p.x - x1) * dx + (p.y - y1) * dy) / len2)) : 0;
        var ex = x1 + t * dx - p.x, ey = y1 + t * dy - p.y, d2 = ex * ex + ey * ey;
        if (d2 <= 25) {
          out.push({ layer: this, index: this._vis[j], d2: d2, priority: this.options.priority, latlng: this._map.containerPointToLatLng([x1 + t * dx, y1 + t * dy]) });
        }
      }
      return out;
    }
  });

  cwb.points = function (spec) { return new PointLayer(spec); };
  cwb.lines = function (spec) { return new LineLayer(spec); };

  /* ---------- vector layers: areas, catchment rings, projects ---------- */

  /* Tooltips are built when shown (one card per area up front costs more than drawing them). */
  cwb.areas = function (spec) {
    var layer = L.geoJSON(spec.geojson, {
      style: function (f) {
        return { fillColor: f.properties.fill || "#cccccc", fillOpacity: f.properties.fill ? 0.55 : 0.15, color: "#555555", weight: 0.7 };
      }
    });
    layer.bindTooltip(function (area) {
      var p = area.feature.properties, rows = [];
      if (p.code) { rows.push(["Code", p.code]); }
      rows.push([spec.indicatorLabel, p.value === null || p.value === undefined ? "no data" : String(p.value)]);
      if (p.local_authority) { rows.push(["Local authority", p.local_authority]); }
      return card(p.name || p.code || "", rows);
    }, { sticky: true, className: "cwb-tooltip" });
    return layer;
  };

  cwb.rings = function (spec) {
    var layer = L.geoJSON(spec.geojson, {
      style: function () { return { color: "#d7301f", weight: 2, opacity: 0.9, dashArray: "6 5", fill: false }; }
    });
    layer.bindTooltip(function (ring) { return el("span", null, ring.feature.properties.label); }, { sticky: true, className: "cwb-tooltip" });
    return layer;
  };

  /* ---------- controls: title, legend with category filters, search ---------- */

  /* Fit the view at once (no animation, so tiles load only for the final view). */
  cwb.fit = function (map, bounds) { map.fitBounds(bounds, { animate: false }); };

  var FULLSCREEN_ICON = '<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" ' +
    'style="vertical-align:middle"><path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" fill="none" ' +
    'stroke="#333" stroke-width="2"/></svg>';

  /* A fullscreen button (the Fullscreen API; no plugin to host). */
  cwb.fullscreen = function (map) {
    var Full = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var bar = el("div", "leaflet-bar cwb-fullscreen"), a = el("a");
        /* eslint-disable-next-line no-restricted-syntax -- a constant of this file, never data */
        a.innerHTML = FULLSCREEN_ICON;
        var box = map.getContainer();
        a.href = "#"; a.title = "Full screen"; a.setAttribute("role", "button"); a.setAttribute("aria-label", "Full screen");
        L.DomEvent.on(a, "click", function (e) {
          L.DomEvent.preventDefault(e);
          if (document.fullscreenElement) { document.exitFullscreen(); }
          else if (box.requestFullscreen) { box.requestFullscreen(); }
        });
        document.addEventListener("fullscreenchange", function () { map.invalidateSize(); });
        L.DomEvent.disableClickPropagation(bar);
        bar.appendChild(a);
        return bar;
      }
    });
    return new Full().addTo(map);
  };

  /* The title: first in the top-left corner, so Leaflet stacks it with the zoom, never over it. */
  cwb.title = function (map, spec) {
    var box = el("div", "cwb-title leaflet-control");
    box.appendChild(el("div", "cwb-title-main", spec.title));
    if (spec.subtitle) { box.appendChild(el("div", "cwb-title-sub", spec.subtitle)); }
    if (spec.note) { box.appendChild(el("div", "cwb-title-note", spec.note)); }
    if (spec.warning) {
      var warn = el("div", "cwb-title-warning", spec.warning);
      warn.setAttribute("role", "note");
      box.appendChild(warn);
    }
    L.DomEvent.disableClickPropagation(box);
    var corner = map._controlCorners.topleft;
    corner.insertBefore(box, corner.firstChild);
    layout(map);
    return box;
  };

  /* ---------- layout: controls stack in two columns that never overlap ----------
   * Left: title, zoom, full screen, search. Right: the layer list, then the legend, whose
   * height is what the map leaves under the layer list. On a narrow map (a notebook cell)
   * the layer list folds to its button and the legend starts folded. While a popup is open,
   * any control it would sit under steps aside (hidden) until the popup closes. */
  var NARROW = 1000;

  function layout(map) {
    var size = map.getSize(), box = map.getContainer();
    box.classList.toggle("cwb-narrow", size.x < NARROW);
    var legend = box.querySelector(".cwb-legend-body"), right = map._controlCorners.topright;
    if (!legend || !right) { return; }
    var above = 0;
    Array.prototype.forEach.call(right.children, function (c) {
      if (!c.classList.contains("cwb-legend")) { above += c.offsetHeight + 10; }
    });
    /* 10 px margin, the legend's head (~24 px) and the attribution line (~20 px) */
    legend.style.maxHeight = Math.max(60, size.y - above - 70) + "px";
  }
  cwb.layout = layout;

  function rectOf(node) { return node.getBoundingClientRect(); }
  function meets(a, b) { return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; }

  function tuck(map, popup) {
    var at = rectOf(popup.getElement());
    map.getContainer().querySelectorAll(".leaflet-control").forEach(function (c) {
      c.classList.toggle("cwb-tucked", c.offsetParent !== null && meets(at, rectOf(c)));
    });
  }
  function untuck(map) {
    map.getContainer().querySelectorAll(".cwb-tucked").forEach(function (c) { c.classList.remove("cwb-tucked"); });
  }

  /* Called once per map, after its controls are added (see make_map). */
  cwb.arrange = function (map) {
    var box = map.getContainer(), layers = box.querySelector(".leaflet-control-layers");
    layout(map);
    if (map.getSize().x < NARROW) {
      if (layers) { layers.classList.remove("leaflet-control-layers-expanded"); }
      var body = box.querySelector(".cwb-legend-body");
      if (body) { setFolded(box.querySelector(".cwb-legend"), true); }
    }
    layout(map);
    map.on("resize", function () { layout(map); });
    if (layers) {
      L.DomEvent.on(layers, "mouseenter mouseleave click", function () { setTimeout(function () { layout(map); }, 0); });
    }
    map.on("popupopen", function (e) {
      untuck(map);
      /* after Leaflet has panned the popup into view */
      setTimeout(function () { if (e.popup.isOpen()) { tuck(map, e.popup); } }, 300);
      map.once("moveend", function () { if (e.popup.isOpen()) { tuck(map, e.popup); } });
    });
    map.on("popupclose", function () { untuck(map); });
  };

  function setFolded(legend, folded) {
    if (!legend) { return; }
    legend.classList.toggle("cwb-folded", folded);
    var head = legend.querySelector(".cwb-legend-head");
    head.setAttribute("aria-expanded", folded ? "false" : "true");
  }

  cwb.legend = function (map, spec, layers) {
    var Legend = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var box = el("div", "cwb-legend leaflet-bar");
        var head = el("button", "cwb-legend-head", spec.title || "Legend");
        var body = el("div", "cwb-legend-body");
        head.type = "button"; head.setAttribute("aria-expanded", "true");
        head.title = "Show or hide the legend";
        head.addEventListener("click", function () {
          setFolded(box, !box.classList.contains("cwb-folded"));
          layout(map);
        });
        box.appendChild(head);
        box.appendChild(body);
        spec.sections.forEach(function (s) {
          var sec = el("div", "cwb-legend-section");
          sec.setAttribute("data-section", s.id);
          sec.appendChild(el("div", "cwb-legend-section-title", s.title));
          s.items.forEach(function (item) {
            var row = el("label", "cwb-legend-item");
            var layer = item.layer ? layers[item.layer] : null;
            if (layer && item.category !== undefined && layer.setCategory) {
              var cb = el("input");
              cb.type = "checkbox"; cb.checked = true;
              cb.setAttribute("aria-label", "show " + item.label);
              cb.addEventListener("change", function () { layer.setCategory(item.category, cb.checked); });
              row.appendChild(cb);
            }
            row.appendChild(swatch(item.shape, item.colour));
            row.appendChild(el("span", "cwb-legend-label", item.label));
            if (item.count !== undefined && item.count !== null) { row.appendChild(el("span", "cwb-legend-count", fmt(item.count))); }
            sec.appendChild(row);
          });
          if (s.note) { sec.appendChild(el("div", "cwb-legend-note", s.note)); }
          body.appendChild(sec);
        });
        if (spec.footer) { body.appendChild(el("div", "cwb-legend-footer", spec.footer)); }
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    return new Legend().addTo(map);
  };

  cwb.search = function (map, layers) {
    var Search = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var box = el("div", "cwb-search leaflet-bar"), input = el("input"), list = el("ul", "cwb-search-results"), timer = 0;
        input.type = "search"; input.placeholder = "Search by name"; input.setAttribute("aria-label", "Search by name");
        box.appendChild(input); box.appendChild(list);
        function run() {
          Promise.all(layers.map(function (l) { return l.ready; })).then(search);
        }
        function search() {
          var q = input.value.trim().toLowerCase(), found = [];
          list.textContent = "";
          if (q.length < 2) { return; }
          layers.forEach(function (layer) {
            if (found.length >= 12) { return; }
            var names = layer.searchNames();
            for (var i = 0; i < names.length && found.length < 12; i++) {
              if (names[i].indexOf(q) >= 0) {
                (function (i2) {
                  found.push({ text: layer.label(i2) + " · " + layer.options.title, go: function () {
                    if (!map.hasLayer(layer)) { map.addLayer(layer); }
                    var ll = layer.latLngOf(i2);
                    map.setView(ll, Math.max(map.getZoom(), 16));
                    L.popup({ maxWidth: 340 }).setLatLng(ll).setContent(layer.describe(i2)).openOn(map);
                  } });
                })(i);
              }
            }
          });
          if (!found.length) { list.appendChild(el("li", "cwb-search-none", "No match")); }
          found.forEach(function (f) {
            var li = el("li", "cwb-search-hit", f.text);
            li.tabIndex = 0;
            li.addEventListener("click", f.go);
            li.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { f.go(); } });
            list.appendChild(li);
          });
        }
        input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 150); });
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    return new Search().addTo(map);
  };

  /* ---------- the base map: only when the browser is online ----------
   * Offline (navigator.onLine false: an emailed map on a train, a notebook without internet)
   * the tile layer is not added, so no tile is requested and the console stays clean; a small
   * note says why the background is grey, and the tiles come as soon as the browser is online.
   * Online, one tile (the centre's) is fetched first: if it fails (a firewall, a proxy) the
   * layer is not added and the note says so, so the page logs one failed request, not dozens.
   * Should tiles still fail before any has loaded, the layer is removed the same way. */
  function probeUrl(map, tiles) {
    var o = tiles.options, z = Math.min(Math.round(map.getZoom()), o.maxNativeZoom || o.maxZoom || 19);
    var at = map.project(map.getCenter(), z).divideBy(256).floor();
    var s = o.subdomains ? o.subdomains[0] : "";
    return L.Util.template(tiles._url, L.extend({}, o, { s: s, x: at.x, y: at.y, z: z, r: "" }));
  }

  cwb.basemap = function (map, spec, layers) {
    var tiles = layers[0], loaded = 0, note = null, probing = false;
    var Note = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var box = el("div", "cwb-basemap-note leaflet-control", this.options.text);
        box.setAttribute("role", "status");
        return box;
      }
    });
    function hush() { if (note) { map.removeControl(note); note = null; } }
    function say(text) { hush(); note = new Note({ text: text }).addTo(map); }
    function add() {
      probing = false;
      hush();
      loaded = 0;
      tiles.addTo(map);
      tiles.bringToBack();
    }
    function start() {
      if (probing || map.hasLayer(tiles)) { return; }
      var url;
      /* a template with keys of its own ({-y}, an API key): no probe, Leaflet fills it */
      try { url = probeUrl(map, tiles); } catch (e) { add(); return; }
      probing = true;
      var img = new Image();
      img.onload = add;
      img.onerror = function () { probing = false; say(spec.failed); };
      img.src = url;
    }
    tiles.on("tileload", function () { loaded += 1; });
    tiles.on("tileerror", function () {
      if (loaded || !map.hasLayer(tiles)) { return; }
      map.removeLayer(tiles);
      say(spec.failed);
    });
    window.addEventListener("online", start);
    if (navigator.onLine === false) { say(spec.offline); } else { start(); }
    return tiles;
  };

  cwb.PointLayer = PointLayer;
  cwb.LineLayer = LineLayer;

  /* the building blocks that other cwb scripts (cwb_flows.js) draw with */
  cwb.base = {
    CanvasLayer: CanvasLayer, typed: typed, column: column, decodePoints: decodePoints,
    el: el, card: card, swatch: swatch, grouped: grouped, fmt: fmt, redraw: redraw
  };
})();
