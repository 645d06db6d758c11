/* cwb flow layer: flows between places drawn on cwb's shared map canvas (no WebGL, no CDN).
 *
 * A flow layer's spec (see cwb/flows/mapping.py) holds the places (packed points
 * and names) and the flows as typed arrays, largest first: origin and
 * destination place indices, magnitude, kind, period and tag indices. Identical
 * pairs are summed in Python. Each frame draws
 *   - every place with flows as a circle whose area is its throughput (incoming +
 *     outgoing + internal) and an inner disc for its internal flow;
 *   - the largest N flows in view (N set by the control) as curved arrows whose
 *     width grows with the magnitude; a flow whose two ends fall within a few
 *     pixels of each other at this zoom is left to the circles (thinning by zoom).
 * The control filters by kind, period and tag; popups give the figures.
 * Strings reach the page through textContent only (cwb.base.el and card).
 */
(function () {
  "use strict";
  var cwb = window.cwbMap;
  if (!cwb || !cwb.base || cwb.flows) { return; }
  var base = cwb.base, TAU = Math.PI * 2;

  function curve(x1, y1, x2, y2) {
    /* control point: the midpoint pushed to the right of the direction of travel,
     * so that A -> B and B -> A are two separate arcs */
    var dx = x2 - x1, dy = y2 - y1;
    return [(x1 + x2) / 2 - dy * 0.18, (y1 + y2) / 2 + dx * 0.18];
  }

  function unitOf(layer, k) { return layer.kinds[k] ? layer.kinds[k].unit : ""; }

  function amount(v, unit) {
    if (unit === "gbp") { return "£" + base.grouped(v); }
    if (unit === "share") { return (v * 100).toFixed(1) + " %"; }
    return base.grouped(v) + (unit ? " " + unit : "");
  }

  var FlowLayer = base.CanvasLayer.extend({
    options: { priority: 0, top: 5000, minPixels: 4, maxWidth: 12, maxRadius: 26 },

    initialize: function (spec) {
      L.setOptions(this, spec.options || {});
      this.spec = spec;
      this._pts = base.decodePoints(spec.places);
      this.pn = spec.places.n;
      this._pname = base.column(spec.names);
      this.n = spec.n;
      this._o = base.typed(spec.o);
      this._d = base.typed(spec.d);
      this._mag = base.typed(spec.mag);
      this._k = base.typed(spec.k);
      this._p = spec.p ? base.typed(spec.p) : null;
      this._t = spec.t ? base.typed(spec.t) : null;
      this._share = spec.share ? base.typed(spec.share) : null;
      this.kinds = spec.kinds;
      this.periods = spec.periods || [];
      this.tags = spec.tags || [];
      this.enabled = new Uint8Array(this.kinds.length).fill(1);
      this.period = -1;
      this.tag = -1;
      this.top = this.options.top;
      this.ready = Promise.resolve();
      this._vis = [];
      this._circles = [];
      this._dirty = true;
      this.mode = "lines";
      this.drawn = 0;
      this.shown = 0;
    },

    /* ---- filters ---- */
    setKind: function (k, on) { this.enabled[k] = on ? 1 : 0; this._changed(); },
    setPeriod: function (p) { this.period = p; this._changed(); },
    setTag: function (t) { this.tag = t; this._changed(); },
    setTop: function (n) { this.top = n; this._changed(); },
    setCategory: function (k, on) { this.setKind(k, on); },
    _changed: function () { this._dirty = true; if (this._map) { base.redraw(this._map); } },

    _selected: function (i) {
      return this.enabled[this._k[i]] && (this.period < 0 || !this._p || this._p[i] === this.period) &&
        (this.tag < 0 || !this._t || this._t[i] === this.tag);
    },

    /* Per-place totals of the selected flows (one pass over all flows). */
    _totals: function () {
      var pn = this.pn, inc = new Float64Array(pn), out = new Float64Array(pn), own = new Float64Array(pn);
      var maxFlow = 0, maxPlace = 0, count = 0;
      for (var i = 0; i < this.n; i++) {
        if (!this._selected(i)) { continue; }
        var o = this._o[i], d = this._d[i], m = this._mag[i];
        count++;
        if (o === d) { own[o] += m; continue; }
        out[o] += m; inc[d] += m;
        if (m > maxFlow) { maxFlow = m; }
      }
      for (var j = 0; j < pn; j++) {
        var t = inc[j] + out[j] + own[j];
        if (t > maxPlace) { maxPlace = t; }
      }
      this._inc = inc; this._out = out; this._own = own;
      this._maxFlow = maxFlow; this._maxPlace = maxPlace; this.selected = count;
      this._dirty = false;
    },

    /* width in proportion to the magnitude (as flowmap.gl), never thinner than a hairline */
    _width: function (m) { return Math.max(0.6, this.options.maxWidth * m / (this._maxFlow || 1)); },
    _radius: function (t) { return t > 0 ? Math.max(2.5, this.options.maxRadius * Math.sqrt(t / (this._maxPlace || 1))) : 0; },

    /* The places and the largest selected flows in view, in container pixels. */
    _prepare: function (f) {
      if (this._dirty) { this._totals(); }
      var pn = this.pn, mx = this._pts.mx, my = this._pts.my;
      var px = this._px = new Float32Array(pn), py = this._py = new Float32Array(pn);
      var W = f.cssW, H = f.cssH, circles = [], j;
      for (j = 0; j < pn; j++) {
        px[j] = mx[j] * f.scale - f.ox; py[j] = my[j] * f.scale - f.oy;
        var t = this._inc[j] + this._out[j] + this._own[j];
        if (t <= 0) { continue; }
        var r = this._radius(t);
        if (px[j] < -r || py[j] < -r || px[j] > W + r || py[j] > H + r) { continue; }
        circles.push(j);
      }
      circles.sort(function (a, b) { return b - a; });
      this._circles = circles;
      var vis = [], minPx2 = this.options.minPixels * this.options.minPixels, top = this.top;
      for (var i = 0; i < this.n && vis.length < top; i++) {
        var o = this._o[i], d = this._d[i];
        if (o === d || !this._selected(i)) { continue; }
        var x1 = px[o], y1 = py[o], x2 = px[d], y2 = py[d];
        if (Math.max(x1, x2) < 0 || Math.max(y1, y2) < 0 || Math.min(x1, x2) > W || Math.min(y1, y2) > H) { continue; }
        var dx = x2 - x1, dy = y2 - y1;
        if (dx * dx + dy * dy < minPx2) { continue; }  /* the two places merge at this zoom */
        vis.push(i);
      }
      this._vis = vis;
    },

    _paint: function (f) {
      var ctx = f.ctx, dpr = f.dpr, px = this._px, py = this._py, self = this, k, j;
      /* circles: throughput, then the internal part darker */
      var circles = this._circles.slice().sort(function (a, b) {
        return (self._inc[b] + self._out[b] + self._own[b]) - (self._inc[a] + self._out[a] + self._own[a]);
      });
      ctx.lineWidth = 1 * dpr; ctx.strokeStyle = "#ffffff";
      for (k = 0; k < circles.length; k++) {
        j = circles[k];
        var r = this._radius(this._inc[j] + this._out[j] + this._own[j]);
        ctx.beginPath(); ctx.arc(px[j] * dpr, py[j] * dpr, r * dpr, 0, TAU);
        ctx.globalAlpha = 0.35; ctx.fillStyle = "#6a51a3"; ctx.fill();
        ctx.globalAlpha = 0.9; ctx.stroke();
        if (this._own[j] > 0) {
          var ri = this._radius(this._own[j]);
          ctx.beginPath(); ctx.arc(px[j] * dpr, py[j] * dpr, Math.min(ri, r) * dpr, 0, TAU);
          ctx.globalAlpha = 0.75; ctx.fillStyle = "#3f007d"; ctx.fill();
        }
      }
      /* flows: smallest first so the largest lie on top; one path per kind and width step */
      var vis = this._vis, groups = {};
      for (k = vis.length - 1; k >= 0; k--) {
        var i = vis[k], w = Math.round(this._width(this._mag[i]) * 2) / 2, key = this._k[i] + ":" + w;
        (groups[key] = groups[key] || { kind: this._k[i], w: w, items: [] }).items.push(i);
      }
      var order = Object.keys(groups).map(function (g) { return groups[g]; }).sort(function (a, b) { return a.w - b.w; });
      ctx.lineCap = "round";
      order.forEach(function (g) {
        var colour = self.kinds[g.kind].colour, head = 1.5 * g.w + 3;
        ctx.beginPath();
        var heads = [];
        g.items.forEach(function (i) {
          var x1 = px[self._o[i]], y1 = py[self._o[i]], x2 = px[self._d[i]], y2 = py[self._d[i]];
          var c = curve(x1, y1, x2, y2);
          ctx.moveTo(x1 * dpr, y1 * dpr); ctx.quadraticCurveTo(c[0] * dpr, c[1] * dpr, x2 * dpr, y2 * dpr);
          var len = Math.sqrt((x2 - x1) * (x2 - x1) + (y2 - y1) * (y2 - y1));
          if (len > 4 * head) { heads.push([x2, y2, x2 - c[0], y2 - c[1]]); }
        });
        ctx.strokeStyle = colour; ctx.globalAlpha = g.w < 1.5 ? 0.45 : 0.62; ctx.lineWidth = g.w * dpr;
        ctx.stroke();
        ctx.beginPath();
        heads.forEach(function (h) {
          var len = Math.sqrt(h[2] * h[2] + h[3] * h[3]) || 1, ux = h[2] / len, uy = h[3] / len;
          var bx = h[0] - ux * head, by = h[1] - uy * head, s = head * 0.55;
          ctx.moveTo(h[0] * dpr, h[1] * dpr);
          ctx.lineTo((bx - uy * s) * dpr, (by + ux * s) * dpr);
          ctx.lineTo((bx + uy * s) * dpr, (by - ux * s) * dpr);
          ctx.closePath();
        });
        ctx.fillStyle = colour; ctx.globalAlpha = 0.85; ctx.fill();
      });
      ctx.globalAlpha = 1;
      this.drawn = vis.length + circles.length;
      this.shown = vis.length;
      if (this._onDrawn) { this._onDrawn(this); }
    },

    /* ---- popups ---- */
    hitTest: function (p) {
      var out = [], px = this._px, py = this._py, k, j;
      if (!px) { return out; }
      for (k = 0; k < this._circles.length; k++) {
        j = this._circles[k];
        var r = this._radius(this._inc[j] + this._out[j] + this._own[j]) + 2, ex = px[j] - p.x, ey = py[j] - p.y;
        if (ex * ex + ey * ey <= r * r) {
          out.push({ layer: this, index: this.n + j, d2: ex * ex + ey * ey, priority: this.options.priority + 0.5, latlng: this.placeLatLng(j) });
        }
      }
      for (k = 0; k < this._vis.length; k++) {
        var i = this._vis[k], x1 = px[this._o[i]], y1 = py[this._o[i]], x2 = px[this._d[i]], y2 = py[this._d[i]];
        var c = curve(x1, y1, x2, y2), tol = Math.max(4, this._width(this._mag[i]) / 2 + 2), best = Infinity, at = null;
        for (var s = 0; s <= 16; s++) {
          var t = s / 16, a = (1 - t) * (1 - t), b = 2 * (1 - t) * t, cc = t * t;
          var x = a * x1 + b * c[0] + cc * x2, y = a * y1 + b * c[1] + cc * y2, d2 = (x - p.x) * (x - p.x) + (y - p.y) * (y - p.y);
          if (d2 < best) { best = d2; at = [x, y]; }
        }
        if (best <= tol * tol) {
          out.push({ layer: this, index: i, d2: best, priority: this.options.priority + 1, latlng: this._map.containerPointToLatLng(at) });
        }
      }
      return out;
    },

    placeLatLng: function (j) { return L.latLng(this._pts.lat[j] * this._pts.q, this._pts.lon[j] * this._pts.q); },
    latLngOf: function (i) { return this.placeLatLng(i >= this.n ? i - this.n : this._o[i]); },
    searchNames: function () { return []; },

    label: function (i) {
      if (i >= this.n) { return this._pname(i - this.n); }
      return this._pname(this._o[i]) + " → " + this._pname(this._d[i]) + ": " + amount(this._mag[i], unitOf(this, this._k[i]));
    },

    describe: function (i) {
      if (i >= this.n) { return this._describePlace(i - this.n); }
      var rows = [["Kind", this.kinds[this._k[i]].label], ["Flow", amount(this._mag[i], unitOf(this, this._k[i]))]];
      if (this._share && this._share[i] === this._share[i]) { rows.push(["Share", (this._share[i] * 100).toFixed(1) + " %"]); }
      var total = this._out[this._o[i]] + this._own[this._o[i]];
      if (total > 0) { rows.push(["Of the origin's outflow", (this._mag[i] / total * 100).toFixed(1) + " %"]); }
      if (this._p && this.periods[this._p[i]]) { rows.push(["Period", this.periods[this._p[i]]]); }
      if (this._t && this.tags[this._t[i]]) { rows.push(["Tag", this.tags[this._t[i]]]); }
      return base.card(this._pname(this._o[i]) + " → " + this._pname(this._d[i]), rows);
    },

    _describePlace: function (j) {
      var inc = this._inc[j], out = this._out[j], own = this._own[j], units = [], k;
      for (k = 0; k < this.kinds.length; k++) {
        if (this.enabled[k] && units.indexOf(this.kinds[k].unit) < 0) { units.push(this.kinds[k].unit); }
      }
      var unit = units.length === 1 ? units[0] : "";
      var rows = [["Incoming", amount(inc, unit)], ["Outgoing", amount(out, unit)], ["Internal", amount(own, unit)], ["Net", (inc - out < 0 ? "-" : "") + amount(Math.abs(inc - out), unit)]];
      if (own + out > 0) { rows.push(["Stays here (of outflow)", (own / (own + out) * 100).toFixed(1) + " %"]); }
      if (own + inc > 0) { rows.push(["From here (of inflow)", (own / (own + inc) * 100).toFixed(1) + " %"]); }
      if (units.length > 1) { rows.push(["Note", "several units are added up: filter by kind"]); }
      return base.card(this._pname(j), rows);
    }
  });

  cwb.FlowLayer = FlowLayer;
  cwb.flows = function (spec) { return new FlowLayer(spec); };

  /* The flow control: kinds (with their colours), period, tag, and how many flows to draw. */
  cwb.flowControl = function (map, spec, layers) {
    var layer = layers[0];
    var Control = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var el = base.el, box = el("div", "cwb-flow-control leaflet-bar");
        box.appendChild(el("div", "cwb-flow-title", spec.title || "Flows"));
        layer.kinds.forEach(function (kind, k) {
          var row = el("label", "cwb-legend-item"), cb = el("input");
          cb.type = "checkbox"; cb.checked = true; cb.value = kind.key;
          cb.setAttribute("aria-label", "show " + kind.label);
          cb.className = "cwb-flow-kind";
          cb.addEventListener("change", function () { layer.setKind(k, cb.checked); });
          row.appendChild(cb);
          row.appendChild(base.swatch("line", kind.colour));
          row.appendChild(el("span", "cwb-legend-label", kind.label));
          row.appendChild(el("span", "cwb-legend-count", base.fmt(kind.count)));
          box.appendChild(row);
        });
        function chooser(label, cls, values, onPick) {
          var row = el("label", "cwb-flow-row"), sel = el("select");
          sel.className = cls;
          sel.setAttribute("aria-label", label);
          row.appendChild(el("span", null, label + " "));
          values.forEach(function (v) { var opt = el("option", null, v[1]); opt.value = String(v[0]); sel.appendChild(opt); });
          sel.addEventListener("change", function () { onPick(Number(sel.value)); });
          row.appendChild(sel);
          box.appendChild(row);
          return sel;
        }
        if (layer.periods.length > 1) {
          chooser("Period", "cwb-flow-period", [[-1, "all"]].concat(layer.periods.map(function (p, i) { return [i, p || "(none)"]; })), function (v) { layer.setPeriod(v); });
        }
        if (layer.tags.length > 1) {
          chooser("Tag", "cwb-flow-tag", [[-1, "all"]].concat(layer.tags.map(function (t, i) { return [i, t || "(none)"]; })), function (v) { layer.setTag(v); });
        }
        var tops = [100, 500, 1000, 5000, 20000, 100000].filter(function (v) { return v < layer.n; });
        if (tops.indexOf(layer.top) < 0 && layer.top < layer.n) { tops.push(layer.top); }
        tops.sort(function (a, b) { return a - b; });
        var sel = chooser("Draw the largest", "cwb-flow-top", tops.map(function (v) { return [v, base.grouped(v)]; }).concat([[layer.n, "all " + base.grouped(layer.n)]]), function (v) { layer.setTop(v); });
        sel.value = String(Math.min(layer.top, layer.n));
        var status = el("div", "cwb-flow-status");
        box.appendChild(status);
        layer._onDrawn = function (l) {
          status.textContent = base.grouped(l.shown) + " of " + base.grouped(l.selected) + " flows drawn";
        };
        if (spec.note) { box.appendChild(el("div", "cwb-legend-note", spec.note)); }
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    var control = new Control().addTo(map);
    /* shown only while the flows are on the map: it never takes room from the other controls */
    function sync() {
      control.getContainer().style.display = map.hasLayer(layer) ? "" : "none";
      if (cwb.layout) { cwb.layout(map); }
    }
    map.on("layeradd layerremove", function (e) { if (e.layer === layer) { sync(); } });
    sync();
    return control;
  };
})();
