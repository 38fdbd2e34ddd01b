// The run form of a process page, generated from the process description.
// One request object is the truth: the fields and the JSON editor both write it and
// both show it. Layers come from a file read here (GeoJSON, or FlatGeobuf through the
// flatgeobuf package) or from a URL sent as {"href": ...}. Submitted as an async job;
// the page follows the job and then opens its result page.
(function () {
  "use strict";
  var form = document.getElementById("run-form");
  if (!form) return;
  var fields = JSON.parse(document.getElementById("run-fields").textContent);
  var T = JSON.parse(document.getElementById("run-texts").textContent);
  var editor = document.getElementById("request-body");
  var editorError = document.getElementById("editor-error");
  var statusEl = document.getElementById("run-status");
  var progress = document.getElementById("run-progress");
  var errorBox = document.getElementById("run-error");
  var runButton = document.getElementById("run-button");
  var original = editor.value;
  var byName = {};
  fields.forEach(function (f) { byName[f.name] = f; });
  var request = {};         // the whole request; request.inputs holds the inputs
  var invalid = {};         // field name -> message of a field that cannot be read
  var layerNote = {};       // geo field name -> where its value came from

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  function el(id) { return document.getElementById(id); }

  // ---- errors next to the fields ----
  function fieldError(name, text) {
    var box = el("error-" + name), field = el("field-" + name);
    if (!box) return false;
    box.textContent = text || "";
    box.hidden = !text;
    if (field) field.classList.toggle("has-error", !!text);
    return true;
  }
  function clearErrors() {
    fields.forEach(function (f) { if (!invalid[f.name]) fieldError(f.name, ""); });
    errorBox.hidden = true;
    errorBox.textContent = "";
  }

  // ---- layers ----
  function crsName(doc) {
    var c = doc && doc.crs && doc.crs.properties && doc.crs.properties.name;
    if (!c) return T.crs_none;
    var m = /EPSG:{1,2}(\d+)$/i.exec(String(c)) || /EPSG\/\d+\/(\d+)$/i.exec(String(c));
    return m ? "EPSG:" + m[1] : String(c);
  }
  function geometryCounts(doc) {
    var counts = {};
    doc.features.forEach(function (feat) {
      var g = feat && feat.geometry;
      var type = g && g.type ? g.type : "null";
      counts[type] = (counts[type] || 0) + 1;
    });
    return counts;
  }
  function countsText(counts) {
    return Object.keys(counts).map(function (k) { return k + " × " + counts[k]; }).join(", ");
  }
  // Return the problem with a layer for field f, or "" when it fits.
  function layerProblem(f, doc, file) {
    if (!doc || typeof doc !== "object" || Array.isArray(doc) || doc.type !== "FeatureCollection" ||
        !Array.isArray(doc.features)) {
      var found = Array.isArray(doc) ? "array" : doc && typeof doc === "object" ? "type " + JSON.stringify(doc.type) : typeof doc;
      return fill(T.not_geojson, { file: file, found: found });
    }
    var counts = geometryCounts(doc);
    var wrong = Object.keys(counts).filter(function (k) {
      return k !== "null" && f.geometry_types.length && f.geometry_types.indexOf(k) < 0;
    });
    if (wrong.length) {
      var shown = {}; wrong.forEach(function (k) { shown[k] = counts[k]; });
      return fill(T.wrong_geometry, { file: file, found: countsText(shown), allowed: f.geometry_types.join(", ") });
    }
    return "";
  }
  function layerSummary(doc) {
    return doc.features.length + " " + T.features + " · " + countsText(geometryCounts(doc)) + " · " + crsName(doc);
  }
  function showLayer(name) {
    var info = el("info-" + name), value = (request.inputs || {})[name];
    var url = el("url-" + name);
    if (value && typeof value === "object" && typeof value.href === "string") {
      info.textContent = T.by_reference + " " + value.href;
      info.dataset.features = "";
      if (url.value !== value.href) url.value = value.href;
    } else if (value && typeof value === "object" && Array.isArray(value.features)) {
      info.textContent = (layerNote[name] ? layerNote[name] + ": " : "") + layerSummary(value);
      info.dataset.features = String(value.features.length);
      info.dataset.crs = crsName(value);
      if (!layerNote[name] || layerNote[name] === T.from_editor || layerNote[name] === T.example_layer) url.value = "";
    } else {
      info.textContent = "";
      info.dataset.features = "";
      url.value = "";
    }
  }
  function readFlatGeobuf(bytes) {
    if (!window.flatgeobuf) return Promise.reject(new Error("flatgeobuf"));
    var header = null, features = [];
    var iter = window.flatgeobuf.deserialize(bytes, { headerMetaFn: function (h) { header = h; } });
    function next() {
      return iter.next().then(function (r) {
        if (r.done) return;
        features.push(r.value);
        return next();
      });
    }
    return next().then(function () {
      var doc = { type: "FeatureCollection", features: features };
      var crs = header && header.crs;
      if (crs && crs.code) doc.crs = { type: "name", properties: { name: "urn:ogc:def:crs:" + (crs.org || "EPSG") + "::" + crs.code } };
      return doc;
    });
  }
  function readLayerFile(f, file) {
    var info = el("info-" + f.name);
    info.textContent = T.reading;
    info.dataset.features = "";
    fieldError(f.name, "");
    delete invalid[f.name];
    return file.arrayBuffer().then(function (buf) {
      var bytes = new Uint8Array(buf);
      var magic = bytes.length > 3 && bytes[0] === 0x66 && bytes[1] === 0x67 && bytes[2] === 0x62;
      if (magic || /\.fgb$/i.test(file.name)) {
        return readFlatGeobuf(bytes).catch(function (e) {
          throw new Error(fill(T.fgb_failed, { file: file.name, error: e.message || String(e) }));
        });
      }
      var doc;
      try { doc = JSON.parse(new TextDecoder().decode(bytes)); } catch (e) {
        throw new Error(fill(T.not_json, { file: file.name, error: e.message }));
      }
      return doc;
    }).then(function (doc) {
      var problem = layerProblem(f, doc, file.name);
      if (problem) throw new Error(problem);
      layerNote[f.name] = file.name;
      setInput(f.name, doc);
      showLayer(f.name);
    }).catch(function (e) {
      invalid[f.name] = e.message;
      info.textContent = "";
      fieldError(f.name, e.message);
      setInput(f.name, undefined);
    });
  }

  // ---- the request, the fields and the editor ----
  function setInput(name, value) {
    request.inputs = request.inputs || {};
    if (value === undefined) delete request.inputs[name];
    else request.inputs[name] = value;
    writeEditor();
  }
  function editorText() {
    var inputs = request.inputs || {};
    var parts = Object.keys(inputs).map(function (k) {
      var v = inputs[k];
      var layer = byName[k] && byName[k].kind === "geo" && v && Array.isArray(v.features);
      var text = layer ? JSON.stringify(v) : JSON.stringify(v, null, 2).replace(/\n/g, "\n    ");
      return "    " + JSON.stringify(k) + ": " + text;
    });
    var rest = Object.keys(request).filter(function (k) { return k !== "inputs"; }).map(function (k) {
      return "  " + JSON.stringify(k) + ": " + JSON.stringify(request[k], null, 2).replace(/\n/g, "\n  ");
    });
    return "{\n  \"inputs\": {" + (parts.length ? "\n" + parts.join(",\n") + "\n  " : "") + "}" +
      (rest.length ? ",\n" + rest.join(",\n") : "") + "\n}";
  }
  function writeEditor() {
    editor.value = editorText();
    editorError.hidden = true;
  }
  function fieldValue(f) {
    var input = el("param-" + f.name);
    if (!input) return undefined;
    if (f.kind === "boolean") return input.checked;
    if (f.kind === "enum") return JSON.parse(input.value);
    if (f.kind === "number" || f.kind === "integer") {
      if (input.value.trim() === "") return undefined;
      return Number(input.value);
    }
    if (f.kind === "text") return input.value === "" ? undefined : input.value;
    if (input.value.trim() === "") return undefined;
    return JSON.parse(input.value); // json: may throw
  }
  function readField(f) {
    delete invalid[f.name];
    fieldError(f.name, "");
    var value;
    try { value = fieldValue(f); } catch (e) {
      invalid[f.name] = fill(T.json_invalid, { error: e.message });
      fieldError(f.name, invalid[f.name]);
      return;
    }
    if (value !== undefined && f.default !== undefined && same(value, f.default) && !f.required) value = undefined;
    setInput(f.name, value);
  }
  function showField(f) {
    var input = el("param-" + f.name);
    if (!input) return;
    var inputs = request.inputs || {};
    var value = f.name in inputs ? inputs[f.name] : f.default;
    if (f.kind === "boolean") input.checked = !!value;
    else if (f.kind === "enum") input.value = JSON.stringify(value === undefined ? null : value);
    else if (f.kind === "json") input.value = value === undefined || value === null ? "" : JSON.stringify(value, null, 2);
    else input.value = value === undefined || value === null ? "" : String(value);
  }
  function showAll() {
    fields.forEach(function (f) {
      if (f.kind === "geo") showLayer(f.name);
      else { delete invalid[f.name]; fieldError(f.name, ""); showField(f); }
    });
  }
  function readEditor() {
    var parsed;
    try { parsed = JSON.parse(editor.value); } catch (e) {
      editorError.textContent = fill(T.json_invalid, { error: e.message });
      editorError.hidden = false;
      return false;
    }
    editorError.hidden = true;
    editorEdited = false;
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) parsed = { inputs: {} };
    request = parsed;
    if (!request.inputs || typeof request.inputs !== "object") request.inputs = {};
    fields.forEach(function (f) {
      if (f.kind === "geo") {
        delete invalid[f.name];
        fieldError(f.name, "");
        el("file-" + f.name).value = "";
        layerNote[f.name] = T.from_editor;
      }
    });
    showAll();
    return true;
  }
  function start(text) {
    try { request = JSON.parse(text); } catch (e) { request = { inputs: {} }; }
    if (!request.inputs) request.inputs = {};
    fields.forEach(function (f) {
      if (f.kind === "geo") { layerNote[f.name] = T.example_layer; el("file-" + f.name).value = ""; }
    });
    invalid = {};
    showAll();
    writeEditor();
  }

  fields.forEach(function (f) {
    if (f.kind === "geo") {
      el("file-" + f.name).addEventListener("change", function (ev) {
        var file = ev.target.files && ev.target.files[0];
        if (file) readLayerFile(f, file);
      });
      el("url-" + f.name).addEventListener("change", function (ev) {
        var href = ev.target.value.trim();
        fieldError(f.name, "");
        delete invalid[f.name];
        el("file-" + f.name).value = "";
        layerNote[f.name] = "";
        setInput(f.name, href ? { href: href } : undefined);
        showLayer(f.name);
      });
      return;
    }
    var input = el("param-" + f.name);
    if (input) input.addEventListener(f.kind === "json" || f.kind === "text" || f.kind === "number" || f.kind === "integer" ? "input" : "change", function () { readField(f); });
  });
  form.querySelectorAll("button[data-clear]").forEach(function (b) {
    b.addEventListener("click", function () {
      var name = b.dataset.clear;
      el("file-" + name).value = "";
      delete invalid[name];
      fieldError(name, "");
      setInput(name, undefined);
      showLayer(name);
    });
  });
  var editorTimer = null;
  var editorEdited = false;   // edited and not yet read back into the fields
  editor.addEventListener("input", function () {
    editorEdited = true;
    clearTimeout(editorTimer);
    editorTimer = setTimeout(readEditor, 300);
  });
  document.getElementById("copy-button").addEventListener("click", function (ev) {
    editor.select();
    var done = function () { ev.target.textContent = ev.target.dataset.done; };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(editor.value).then(done, done);
    else { document.execCommand("copy"); done(); }
  });
  document.getElementById("reset-button").addEventListener("click", function () { start(original); });

  // ---- running ----
  function showProblem(status, doc, text) {
    runButton.disabled = false;
    progress.hidden = true;
    statusEl.textContent = T.run_failed;
    var detail = doc && doc.detail ? status + " " + (doc.title || "") + "\n" + doc.detail : status + "\n" + text;
    errorBox.textContent = detail;
    errorBox.hidden = false;
    var named = [];
    if (doc && doc.input) named.push(String(doc.input));
    // "required inputs are missing: a, b; and one of t or c" names every one of them
    var missing = doc && typeof doc.detail === "string" ? /missing: (.*)$/.exec(doc.detail) : null;
    if (missing) missing[1].split(/[;,]| or | and /).forEach(function (w) {
      var n = w.replace(/^\s*(one of)?\s*/, "").trim();
      if (byName[n] && named.indexOf(n) < 0) named.push(n);
    });
    var first = null;
    named.forEach(function (n) {
      if (fieldError(n, doc.detail) && !first) first = el("field-" + n);
    });
    if (first && first.closest("details")) first.closest("details").open = true;
    (first || errorBox).scrollIntoView({ block: "center" });
  }
  function follow(jobId) {
    var url = form.dataset.jobs + encodeURIComponent(jobId);
    var lang = form.dataset.lang ? "&lang=" + form.dataset.lang : "";
    function poll() {
      fetch(url + "?f=json", { headers: { "Accept": "application/json" } })
        .then(function (resp) { return resp.json(); })
        .then(function (doc) {
          var st = doc.status;
          if (typeof doc.progress === "number") progress.value = doc.progress;
          statusEl.textContent = (st === "accepted" ? T.accepted : T.running) + (doc.message ? " " + doc.message : "");
          statusEl.dataset.status = st;
          if (st === "accepted" || st === "running") { setTimeout(poll, 500); return; }
          statusEl.textContent = T.opening_result;
          window.location.href = url + "?f=html" + lang;
        })
        .catch(function () { setTimeout(poll, 1000); });
    }
    poll();
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearTimeout(editorTimer);
    if (editorEdited && !readEditor()) return;
    clearErrors();
    var bad = Object.keys(invalid);
    if (bad.length) {
      bad.forEach(function (n) { fieldError(n, invalid[n]); });
      statusEl.textContent = T.fix_fields;
      el("field-" + bad[0]).scrollIntoView({ block: "center" });
      return;
    }
    runButton.disabled = true;
    statusEl.textContent = T.sending;
    progress.hidden = false;
    progress.removeAttribute("value");
    fetch(form.dataset.execute, { method: "POST", body: JSON.stringify(request),
      headers: { "Content-Type": "application/json", "Prefer": "respond-async", "Accept": "application/json" } })
      .then(function (resp) {
        return resp.text().then(function (text) {
          var doc = null; try { doc = JSON.parse(text); } catch (e) { /* not JSON */ }
          if (resp.status === 201 && doc && doc.jobID) { progress.value = 0; follow(doc.jobID); return; }
          showProblem(resp.status, doc, text);
        });
      })
      .catch(function (e) { showProblem("", null, String(e)); });
  });

  start(original);
})();
