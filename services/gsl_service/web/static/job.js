// The job page: wait for a running job; draw the map and the charts of a finished one.
(function () {
  "use strict";
  var statusEl = document.getElementById("job-status");
  if (statusEl && (statusEl.dataset.status === "accepted" || statusEl.dataset.status === "running")) {
    var poll = function () {
      fetch(statusEl.dataset.statusUrl, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (doc) {
          var bar = document.getElementById("job-progress");
          if (bar && typeof doc.progress === "number") bar.value = doc.progress;
          var msg = document.getElementById("job-message");
          if (msg) msg.textContent = doc.message || "";
          if (doc.status === "accepted" || doc.status === "running") setTimeout(poll, 1000);
          else window.location.reload();
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 500);
  }
  var dataEl = document.getElementById("job-data");
  if (!dataEl) return;
  var data = JSON.parse(dataEl.textContent);

  // GGO colours of a 1-10 score: red below 6, yellow 6 to 8, green from 8.
  var BAND = { bad: "#d7301f", fair: "#f2b705", good: "#1a9850", none: "#9e9e9e" };
  function band(score) {
    if (score === null || score === undefined || isNaN(score)) return "none";
    return score < 6 ? "bad" : score < 8 ? "fair" : "good";
  }
  var RAMP = ["#d7301f", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"]; // worse -> better
  var NEUTRAL = ["#edf8fb", "#b3cde3", "#8c96c6", "#8856a7", "#810f7c"]; // low -> high
  function fmt(v) {
    if (v === null || v === undefined) return "–";
    if (typeof v === "boolean") return v ? data.texts.yes : data.texts.no;
    if (typeof v !== "number") return String(v);
    if (v === 0) return "0";
    var s = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
    return data.lang === "nl" ? s.replace(".", ",") : s;
  }

  // ------------------------------------------------------------------ map
  var mapEl = document.getElementById("map");
  if (mapEl && data.layers.length) {
    var map = L.map(mapEl, { zoomSnap: 0.25, attributionControl: !!data.baseMap.url });
    if (data.baseMap.url) L.tileLayer(data.baseMap.url, { attribution: data.baseMap.attribution || "" }).addTo(map);
    var layerSel = document.getElementById("map-layer");
    var metricSel = document.getElementById("map-metric");
    var legend = document.getElementById("map-legend");
    var cache = {};
    var current = null;
    data.layers.forEach(function (l, i) {
      var o = document.createElement("option"); o.value = i; o.textContent = l.name + " (" + l.count + ")"; layerSel.appendChild(o);
    });
    var colourer = function (meta, features) {
      if (!meta) return { colour: function () { return "#3f7fbf"; }, legend: [] };
      if (meta.kind === "score") {
        return { colour: function (v) { return BAND[band(v)]; },
          legend: [["< 6", BAND.bad], ["6 – 8", BAND.fair], ["≥ 8", BAND.good], ["–", BAND.none]] };
      }
      if (meta.kind === "boolean") {
        var t = meta.direction === "lower_is_better" ? RAMP[0] : RAMP[4];
        var f = meta.direction === "lower_is_better" ? RAMP[4] : RAMP[0];
        return { colour: function (v) { return v === true ? t : v === false ? f : BAND.none; },
          legend: [[data.texts.yes, t], [data.texts.no, f], ["–", BAND.none]] };
      }
      var ramp = meta.direction === "higher_is_better" ? RAMP : meta.direction === "lower_is_better" ? RAMP.slice().reverse() : NEUTRAL;
      var breaks, first, last;
      if (meta.breaks) {  // a layer paged by view: classes over the whole layer, the same wherever the map is
        breaks = meta.breaks; first = meta.min; last = meta.max;
      } else {
        var vals = features.map(function (ft) { return ft.properties[meta.id]; })
          .filter(function (v) { return typeof v === "number" && isFinite(v); }).sort(function (a, b) { return a - b; });
        if (!vals.length) return { colour: function () { return BAND.none; }, legend: [["–", BAND.none]] };
        breaks = [1, 2, 3, 4].map(function (k) { return vals[Math.min(vals.length - 1, Math.floor(k * vals.length / 5))]; });
        first = vals[0]; last = vals[vals.length - 1];
      }
      mapEl.dataset.breaks = breaks.join(",");
      // Class k holds the values above the break before it up to its own; where two
      // breaks are equal (many equal values) that class is empty and not listed, and a
      // class of one value reads as that value ("0", not "0 – 0" five times).
      var leg = []; var lo = first;
      for (var k = 0; k < 5; k++) {
        var hi = k < 4 ? breaks[k] : last;
        if (k === 0 || hi > lo) leg.push([hi > lo ? fmt(lo) + " – " + fmt(hi) : fmt(hi), ramp[k]]);
        lo = hi;
      }
      leg.push(["–", BAND.none]);
      return { legend: leg, colour: function (v) {
        if (typeof v !== "number" || !isFinite(v)) return BAND.none;
        var c = 0; while (c < 4 && v > breaks[c]) c++;
        return ramp[c];
      } };
    };
    var note = document.getElementById("map-note");
    // A layer stored as parts (a province's homes) is drawn a view at a time, from the
    // job's OGC API – Features collection: the features in view, at most PAGE of them.
    var PAGE = data.mapPage;
    var asked = 0;
    var lastAsked = null;  // the layer and box last asked for: a view is asked once
    var outline = null;  // the extent of a layer drawn by view
    var loadView = function () {
      var layer = data.layers[+layerSel.value];
      if (!layer.paged) return;
      var b = map.getBounds();
      var clamp = function (v, lim) { return Math.max(-lim, Math.min(lim, v)); };
      var bbox = [clamp(b.getWest(), 180), clamp(b.getSouth(), 90), clamp(b.getEast(), 180), clamp(b.getNorth(), 90)];
      var box = bbox.map(function (v) { return v.toFixed(6); }).join(",");
      if (lastAsked === layer.name + " " + box) return;
      lastAsked = layer.name + " " + box;
      var mine = ++asked;
      mapEl.dataset.ready = "0";
      fetch(layer.itemsUrl + "?limit=" + PAGE + "&bbox=" + box,
        { headers: { Accept: "application/geo+json" } })
        .then(function (r) {
          return r.json().then(function (body) {
            if (!r.ok) throw new Error(body.detail || body.title || String(r.status));
            return body;
          });
        })
        .catch(function (err) {
          if (mine !== asked) return null;
          lastAsked = null;  // asked again when the view moves
          note.textContent = String(err.message || err);
          mapEl.dataset.ready = "1";
          return null;
        })
        .then(function (fc) {
          if (!fc || mine !== asked || data.layers[+layerSel.value] !== layer) return;  // a newer view was asked
          // more in view than a page: a page would be an arbitrary part of them, drawn as if
          // it were all; draw none and say so
          var more = fc.numberMatched > fc.numberReturned;
          cache[layer.name] = more ? { type: "FeatureCollection", features: [] } : fc;
          draw();
          mapEl.dataset.matched = String(fc.numberMatched);
          mapEl.dataset.bbox = box;
          note.textContent = more
            ? data.texts.tooMany.replace("{matched}", fc.numberMatched).replace("{page}", PAGE)
            : "";
          mapEl.dataset.ready = "1";
        });
    };
    map.on("moveend", loadView);
    var draw = function () {
      var layer = data.layers[+layerSel.value];
      var meta = layer.metrics.filter(function (m) { return m.id === metricSel.value; })[0];
      var fc = cache[layer.name];
      if (!fc) return null;
      if (current) map.removeLayer(current);
      var c = colourer(meta, fc.features);
      var style = function (ft) {
        var col = c.colour(meta ? ft.properties[meta.id] : null);
        return { color: "#333", weight: 0.6, fillColor: col, fillOpacity: 0.8, radius: 5 };
      };
      var renderer = fc.features.length > 3000 ? L.canvas() : L.svg();
      var drawn = 0;
      current = L.geoJSON(fc, {
        style: style,
        renderer: renderer,
        pointToLayer: function (ft, ll) { return L.circleMarker(ll, Object.assign(style(ft), { renderer: renderer })); },
        onEachFeature: function (ft, lyr) {
          drawn++;
          var label = (ft.id !== undefined && ft.id !== null ? ft.id + ": " : "") + (meta ? meta.label + " " + fmt(ft.properties[meta.id]) : "");
          lyr.bindTooltip(label);
        }
      }).addTo(map);
      mapEl.dataset.drawn = String(drawn);
      mapEl.dataset.layer = layer.name;
      mapEl.dataset.metric = meta ? meta.id : "";
      legend.innerHTML = "";
      c.legend.forEach(function (e) {
        var s = document.createElement("span"); var sw = document.createElement("span");
        sw.className = "swatch"; sw.style.background = e[1]; s.appendChild(sw); s.appendChild(document.createTextNode(e[0])); legend.appendChild(s);
      });
      return current;
    };
    var selectLayer = function (fit) {
      var layer = data.layers[+layerSel.value];
      metricSel.innerHTML = "";
      layer.metrics.forEach(function (m) {
        var o = document.createElement("option"); o.value = m.id; o.textContent = m.label; metricSel.appendChild(o);
      });
      note.textContent = "";
      if (outline) { map.removeLayer(outline); outline = null; }
      var still = function () { return data.layers[+layerSel.value] === layer; };  // not switched away
      if (layer.paged) {
        delete cache[layer.name];
        lastAsked = null;
        if (current) { map.removeLayer(current); current = null; }
        fetch(layer.collectionUrl, { headers: { Accept: "application/json" } })
          .then(function (r) { return r.json(); })
          .then(function (coll) {
            if (!still()) return;
            var e = coll.extent.spatial.bbox[0];
            // where the layer is, also while it has too many features in view to draw
            outline = L.rectangle([[e[1], e[0]], [e[3], e[2]]],
              { className: "layer-extent", color: "#555", weight: 1, dashArray: "4 4", fill: false, interactive: false }).addTo(map);
            if (fit) map.fitBounds([[e[1], e[0]], [e[3], e[2]]], { padding: [12, 12] });
            loadView();  // also when fitting did not move the map (asked once either way)
          });
        return;
      }
      var go = function () {
        var g = draw();
        if (g && fit && g.getBounds().isValid()) map.fitBounds(g.getBounds(), { padding: [12, 12] });
      };
      if (cache[layer.name]) { go(); return; }
      fetch(layer.url, { headers: { Accept: "application/geo+json" } })
        .then(function (r) { return r.json(); })
        .then(function (fc) { cache[layer.name] = fc; if (!still()) return; go(); mapEl.dataset.ready = "1"; });
    };
    layerSel.addEventListener("change", function () { selectLayer(true); });
    metricSel.addEventListener("change", draw);
    selectLayer(true);
  }

  // --------------------------------------------------------------- charts
  if (typeof Chart === "undefined") return;
  Chart.defaults.font.family = "DejaVu Sans, sans-serif";
  Chart.defaults.animation = false;
  Chart.defaults.locale = data.lang === "nl" ? "nl-NL" : "en-GB";
  var scoreChart = function (id, rows) {
    var el = document.getElementById(id);
    if (!el || !rows) return;
    new Chart(el, {
      type: "bar",
      data: { labels: rows.map(function (r) { return r.label; }),
        datasets: [{ label: data.texts.score, data: rows.map(function (r) { return r.score; }),
          backgroundColor: rows.map(function (r) { return BAND[band(r.score)]; }) }] },
      options: { indexAxis: "y", responsive: true, maintainAspectRatio: false,
        scales: { x: { min: 0, max: 10, ticks: { stepSize: 1 } } }, plugins: { legend: { display: false } } }
    });
    el.dataset.rendered = String(rows.length);
  };
  scoreChart("chart-scores", data.charts.scores);
  scoreChart("chart-themes", data.charts.themes);
  // scenario-compare: per variant, the change of each theme's overall score
  var deltasEl = document.getElementById("chart-deltas");
  if (deltasEl && data.charts.deltas) {
    var VARIANT = ["#3f7fbf", "#8856a7", "#e08214", "#1b9e77", "#d95f02", "#7570b3"];
    var d = data.charts.deltas;
    new Chart(deltasEl, {
      type: "bar",
      data: { labels: d.labels,
        datasets: d.datasets.map(function (ds, i) {
          return { label: ds.label, data: ds.data, backgroundColor: VARIANT[i % VARIANT.length] };
        }) },
      options: { indexAxis: "y", responsive: true, maintainAspectRatio: false,
        scales: { x: { title: { display: true, text: "Δ " + data.texts.score } } },
        plugins: { legend: { display: true, position: "bottom" },
          tooltip: { callbacks: { label: function (ctx) {
            var v = ctx.raw; return ctx.dataset.label + ": " + (v > 0 ? "+" : "") + fmt(v);
          } } } } }
    });
    deltasEl.dataset.rendered = String(d.datasets.length);
  }
  scoreChart("chart-areas", data.charts.areas);
  var tornadoEl = document.getElementById("chart-tornado");
  if (tornadoEl && data.charts.tornado) {
    var sel = document.getElementById("tornado-metric");
    var metrics = Object.keys(data.charts.tornado);
    // the metric that moves most first
    metrics.sort(function (a, b) {
      var sw = function (m) { return Math.max.apply(null, data.charts.tornado[m].map(function (r) { return Math.abs(r.max - r.min); })); };
      return sw(b) - sw(a);
    });
    metrics.forEach(function (m) { var o = document.createElement("option"); o.value = m; o.textContent = m; sel.appendChild(o); });
    var chart = null;
    var drawTornado = function () {
      var rows = data.charts.tornado[sel.value].slice().sort(function (a, b) { return Math.abs(b.max - b.min) - Math.abs(a.max - a.min); });
      if (chart) chart.destroy();
      chart = new Chart(tornadoEl, {
        type: "bar",
        data: { labels: rows.map(function (r) { return r.parameter + (r.baseline !== null ? " (baseline " + fmt(r.baseline) + ")" : ""); }),
          datasets: [{ label: sel.value, data: rows.map(function (r) { return [r.min, r.max]; }), backgroundColor: "#3f7fbf" }] },
        options: { indexAxis: "y", responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } } }
      });
      tornadoEl.dataset.rendered = String(rows.length);
    };
    sel.addEventListener("change", drawTornado);
    drawTornado();
  }
})();
