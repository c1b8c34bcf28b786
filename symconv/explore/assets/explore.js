/* symconv explore: draws a layer from its embedded taps and highlights what feeds what.
 *
 * Every highlight is read from the embedded taps (flat row, column, weight triples) and pad taps
 * (row, pad cell); nothing here computes an index from stride, dilation or padding. Markup
 * contract: data-kind (input, weight, output, entry, pad), data-index (position, channel first;
 * row,col for an entry), class "hl" on highlighted elements, data-focus on the focused one. The
 * gradient panel's entries are data-kind grad-w (data-index: the weight's) and grad-x (the input's).
 */
(function () {
  "use strict";
  var t0 = performance.now();
  var data = JSON.parse(document.getElementById("symconv-explore-data").textContent);
  var TYPES = { uint8: Uint8Array, uint16: Uint16Array, int8: Int8Array, int16: Int16Array, int32: Int32Array };
  var WINDOW = 64;

  function typed(field) {
    var bin = atob(field.data), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new TYPES[field.dtype](bytes.buffer, 0, field.length);
  }

  function prod(a) { return a.reduce(function (x, y) { return x * y; }, 1); }

  function unravel(flat, shape) {
    var out = new Array(shape.length);
    for (var a = shape.length - 1; a >= 0; a--) { out[a] = flat % shape[a]; flat = Math.floor(flat / shape[a]); }
    return out;
  }

  function ravel(idx, shape) {
    var flat = 0;
    for (var a = 0; a < shape.length; a++) flat = flat * shape[a] + idx[a];
    return flat;
  }

  /* Compressed rows: for each key, the positions of the taps that carry it (a counting sort). */
  function csr(keys, n) {
    var start = new Int32Array(n + 1), order = new Int32Array(keys.length), i;
    for (i = 0; i < keys.length; i++) start[keys[i] + 1]++;
    for (i = 0; i < n; i++) start[i + 1] += start[i];
    var fill = start.slice(0, n);
    for (i = 0; i < keys.length; i++) order[fill[keys[i]]++] = i;
    return { start: start, order: order };
  }

  function each(index, key, fn) {
    for (var p = index.start[key]; p < index.start[key + 1]; p++) fn(index.order[p]);
  }

  var rows = typed(data.taps.rows), cols = typed(data.taps.cols), weights = typed(data.taps.weights);
  var outShape = [data.out_channels].concat(data.output_shape);
  var inShape = [data.in_channels].concat(data.input_shape);
  var wShape = data.weight_shape;
  var R = prod(outShape), C = prod(inShape), NW = prod(wShape);
  var byRow = csr(rows, R), byCol = csr(cols, C), byWeight = csr(weights, NW);
  var padCells = typed(data.pads.cells), padSources = typed(data.pads.sources);
  var padRows = typed(data.pads.rows), padOf = typed(data.pads.cells_of);
  var nPads = padSources.length, width = 1 + data.ndim;
  var padByRow = csr(padRows, R);

  var els = { output: new Array(R), input: new Array(C), weight: new Array(NW), pad: new Array(nPads) };
  var entries = new Map();

  function label(flat, shape) { return unravel(flat, shape).join(","); }
  function padLabel(p) { return Array.prototype.slice.call(padCells, p * width, (p + 1) * width).join(","); }

  /* ---- drawing ---- */

  /* Grid placement: a 1D row wraps every WRAP cells; a 2D position is its own row and column (1-based). */
  var WRAP = 48;

  function columns(extent) { return extent.length === 1 ? Math.min(extent[0], WRAP) : extent[1]; }

  function at(pos) {
    return pos.length === 1 ? [Math.floor(pos[0] / WRAP) + 1, (pos[0] % WRAP) + 1] : [pos[0] + 1, pos[1] + 1];
  }

  function cellSize(count) { return Math.max(7, Math.min(30, Math.floor(300 / count))); }

  function grid(columns, size) {
    var g = document.createElement("div");
    g.className = "grid";
    g.style.gridTemplateColumns = "repeat(" + columns + ", " + size + "px)";
    g.style.gridAutoRows = size + "px";
    return g;
  }

  function sub(letter, index) { return letter + "[" + index + "]"; }

  function cell(kind, index, text, row, col, name) {
    var c = document.createElement("span");
    c.className = "cell " + kind;
    c.setAttribute("data-kind", kind);
    c.setAttribute("data-index", index);
    c.setAttribute("role", "button");
    c.setAttribute("aria-label", text === null ? name : text + ": " + name);  /* the visible text first */
    c.tabIndex = kind === "pad" ? -1 : 0;
    c.style.gridRow = String(row);
    c.style.gridColumn = String(col);
    if (text !== null) c.textContent = text;
    return c;
  }

  /* Padded frame of every channel: input cells from the shape, pad cells from the embedded list. */
  function drawInput() {
    var box = document.getElementById("input"), pads = data.padding, ndim = data.ndim;
    var lo = pads.map(function (p) { return data.transposed ? 0 : p[0]; });
    var ext = data.input_shape.map(function (n, a) { return n + (data.transposed ? 0 : pads[a][0] + pads[a][1]); });
    var widthCells = columns(ext), size = cellSize(widthCells);
    var text = ndim === 1 && ext[0] <= 24;
    var byChannel = [];
    for (var c = 0; c < data.in_channels; c++) {
      var wrap = document.createElement("div");
      wrap.className = "channel";
      var cap = document.createElement("p");
      cap.className = "caption";
      cap.textContent = "channel " + c;
      var g = grid(widthCells, size);
      wrap.appendChild(cap); wrap.appendChild(g); box.appendChild(wrap);
      byChannel.push(g);
    }
    for (var col = 0; col < C; col++) {
      var idx = unravel(col, inShape), pos = idx.slice(1);
      var rc = at(pos.map(function (v, a) { return v + lo[a]; }));
      var el = cell("input", idx.join(","), text ? "x" + pos[0] : null, rc[0], rc[1],
        "input " + sub("x", idx.join(",")));
      els.input[col] = el;
      byChannel[idx[0]].appendChild(el);
    }
    for (var p = 0; p < nPads; p++) {
      var v = Array.prototype.slice.call(padCells, p * width, (p + 1) * width);
      var src = padSources[p], what = src < 0 ? "zero pad" : "pad, reads " + sub("x", label(src, inShape));
      var prc = at(v.slice(1).map(function (t, a) { return t + lo[a]; }));
      var pe = cell("pad", v.join(","), text ? (src < 0 ? "0" : "x" + unravel(src, inShape)[1]) : null, prc[0], prc[1],
        what + " at " + v.join(","));
      if (src < 0) pe.classList.add("zero");
      els.pad[p] = pe;
      byChannel[v[0]].appendChild(pe);
    }
  }

  function drawWeights() {
    var box = document.getElementById("weights"), ndim = data.ndim;
    var kw = columns(wShape.slice(2)), size = Math.max(16, cellSize(kw));
    var groups = {}, text = ndim === 1 && kw <= 12;
    for (var f = 0; f < NW; f++) {
      var idx = unravel(f, wShape), key = idx[0] + "," + idx[1], g = groups[key];
      if (!g) {
        var wrap = document.createElement("div");
        wrap.className = "channel";
        var cap = document.createElement("p");
        cap.className = "caption";
        cap.textContent = "w[" + key + ", ...]";
        g = groups[key] = grid(kw, size);
        wrap.appendChild(cap); wrap.appendChild(g); box.appendChild(wrap);
      }
      var wrc = at(idx.slice(2));
      var el = cell("weight", idx.join(","), text ? "w" + idx[2] : null, wrc[0], wrc[1],
        "weight " + sub("w", idx.join(",")));
      els.weight[f] = el;
      g.appendChild(el);
    }
  }

  function drawOutput() {
    var box = document.getElementById("output"), ndim = data.ndim;
    var widthCells = columns(data.output_shape), size = cellSize(widthCells);
    var text = ndim === 1 && outShape[1] <= 24, grids = [];
    for (var o = 0; o < data.out_channels; o++) {
      var wrap = document.createElement("div");
      wrap.className = "channel";
      var cap = document.createElement("p");
      cap.className = "caption";
      cap.textContent = "channel " + o;
      var g = grid(widthCells, size);
      wrap.appendChild(cap); wrap.appendChild(g); box.appendChild(wrap);
      grids.push(g);
    }
    for (var row = 0; row < R; row++) {
      var idx = unravel(row, outShape);
      var orc = at(idx.slice(1));
      var el = cell("output", idx.join(","), text ? "z" + idx[1] : null, orc[0], orc[1],
        "output " + sub("z", idx.join(",")));
      els.output[row] = el;
      grids[idx[0]].appendChild(el);
    }
  }

  function drawHeat() {
    var box = document.getElementById("heat");
    if (!box) return;
    var n = prod(data.output_shape), counts = [], max = 0, min = Infinity;
    for (var u = 0; u < n; u++) {
      var count = byRow.start[u + 1] - byRow.start[u];
      counts.push(count); max = Math.max(max, count); min = Math.min(min, count);
    }
    var widthCells = columns(data.output_shape), size = Math.max(14, cellSize(widthCells));
    var g = grid(widthCells, size);
    g.setAttribute("role", "img");
    g.setAttribute("aria-label", "taps per output of channel 0, from " + min + " to " + max + ", row by row: " +
      counts.join(" "));
    var show = size >= 14;
    for (u = 0; u < n; u++) {
      var h = document.createElement("span");
      var level = max === min ? 2 : Math.round(4 * (counts[u] - min) / (max - min));
      h.className = "heat h" + level;
      h.setAttribute("data-count", String(counts[u]));
      if (show) h.textContent = String(counts[u]);
      var hrc = at(unravel(u, data.output_shape));
      h.style.gridRow = String(hrc[0]);
      h.style.gridColumn = String(hrc[1]);
      g.appendChild(h);
    }
    box.appendChild(g);
  }

  /* ---- the matrix window ---- */

  var view = { rows: null, cols: null };

  function rowCols(r) {
    var s = [];
    each(byRow, r, function (t) { s.push(cols[t]); });
    return s;
  }

  function windowFor(row) {
    var r0 = R <= WINDOW ? 0 : Math.max(0, Math.min(R - WINDOW, row - WINDOW / 2));
    var rowsShown = [];
    for (var r = r0; r < Math.min(R, r0 + WINDOW); r++) rowsShown.push(r);
    var colsShown;
    if (C <= WINDOW) {
      colsShown = [];
      for (var c = 0; c < C; c++) colsShown.push(c);
    } else {
      var chosen = new Set();
      var order = rowsShown.slice().sort(function (a, b) { return Math.abs(a - row) - Math.abs(b - row); });
      for (var i = 0; i < order.length && chosen.size < WINDOW; i++) {
        var cs = Array.from(new Set(rowCols(order[i]))).sort(function (a, b) { return a - b; });
        for (var j = 0; j < cs.length && chosen.size < WINDOW; j++) chosen.add(cs[j]);
      }
      colsShown = Array.from(chosen).sort(function (a, b) { return a - b; });
    }
    return { rows: rowsShown, cols: colsShown };
  }

  function needsWindow(row) {
    if (view.rows === null) return true;
    if (row < view.rows[0] || row > view.rows[view.rows.length - 1]) return true;
    var shown = new Set(view.cols), cs = rowCols(row);
    return cs.some(function (c) { return !shown.has(c); }) && view.cols.length < C;
  }

  function wLabel(f) { return sub("w", label(f, wShape)); }

  function drawMatrix(row) {
    var w = windowFor(row), box = document.getElementById("matrix");
    view = w;
    entries.clear();
    box.textContent = "";
    var colPos = new Map();
    w.cols.forEach(function (c, j) { colPos.set(c, j); });
    var size = Math.max(8, Math.min(34, Math.floor(640 / Math.max(w.cols.length, 1)),
      Math.floor(720 / Math.max(w.rows.length, 1))));
    var g = grid(w.cols.length, size);
    g.classList.add("matrix");
    g.style.gridTemplateRows = "repeat(" + w.rows.length + ", " + size + "px)";
    g.style.backgroundSize = size + "px " + size + "px";
    var text = size >= 30 && data.in_channels === 1 && data.out_channels === 1;
    w.rows.forEach(function (r, i) {
      var held = new Map();
      each(byRow, r, function (t) {
        if (!colPos.has(cols[t])) return;
        if (!held.has(cols[t])) held.set(cols[t], []);
        held.get(cols[t]).push(weights[t]);
      });
      held.forEach(function (ws, c) {
        var key = r + "," + c;
        var names = ws.map(wLabel).join(" + ");
        var shortText = ws.map(function (f) { return "w" + unravel(f, wShape).slice(2).join(""); }).join("+");
        var el = cell("entry", key, text && shortText.length <= 5 ? shortText : null, i + 1, colPos.get(c) + 1,
          "matrix entry " + key + " = " + names);
        if (ws.length > 1) el.classList.add("folded");
        entries.set(key, el);
        g.appendChild(el);
      });
    });
    box.appendChild(g);
    var note = document.getElementById("matrix-note");
    var all = R <= WINDOW && C <= WINDOW;
    note.textContent = (all
      ? "The whole " + R + " x " + C + " matrix"
      : "A window of the " + R + " x " + C + " matrix (at most " + WINDOW + " x " + WINDOW + " entries): rows " +
        w.rows[0] + " to " + w.rows[w.rows.length - 1] + " around the focused output, and " + w.cols.length +
        " of its columns (those the rows nearest it read, " + w.cols[0] + " to " + w.cols[w.cols.length - 1] +
        "). It follows the focused output") +
      ". Rows are outputs z (channel-major, C order), columns inputs x; only non-zero entries are drawn, " +
      "the grey lattice is the zero pattern; an entry with a dark corner holds a sum of tied weights " +
      "(folded padding).";
  }

  /* ---- equations (MathML) ---- */

  var MATH = "http://www.w3.org/1998/Math/MathML";

  function m(tag, children, text) {
    var e = document.createElementNS(MATH, tag);
    if (text !== undefined) e.textContent = text;
    (children || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }

  /* A parenthesis as text sets it: not stretched, no space of its own (a stretchy one stands apart in Chromium). */
  function tight(text) {
    var mo = m("mo", [], text);
    mo.setAttribute("stretchy", "false");
    mo.setAttribute("lspace", "0");
    mo.setAttribute("rspace", "0");
    return mo;
  }

  /* One channel in and out: the channel indices are left out, as symconv's symbols do (x_t, w_k, z_i, b). */
  var ONE = data.in_channels === 1 && data.out_channels === 1;
  var DELTA = "\u03b4";
  var CHANNEL_INDICES = { x: 1, z: 1, w: 2, b: 1 };
  CHANNEL_INDICES[DELTA] = 1;

  function indexed(letter, idx) {
    var parts = [];
    if (ONE) idx = idx.slice(CHANNEL_INDICES[letter]);
    if (!idx.length) return m("mi", [], letter);
    idx.forEach(function (v, i) {
      if (i) parts.push(m("mo", [], ","));
      parts.push(m("mn", [], String(v)));
    });
    return m("msub", [m("mi", [], letter), m("mrow", parts)]);
  }

  /* One row's terms: per column, the weights it holds (folded padding adds several). */
  function terms(r) {
    var byColumn = new Map();
    each(byRow, r, function (t) {
      if (!byColumn.has(cols[t])) byColumn.set(cols[t], []);
      byColumn.get(cols[t]).push(weights[t]);
    });
    return Array.from(byColumn.entries()).sort(function (a, b) { return a[0] - b[0]; });
  }

  function outputEquation(r) {
    var idx = unravel(r, outShape), parts = [indexed("z", idx), m("mo", [], "=")], first = true;
    if (data.bias) { parts.push(indexed("b", [idx[0]])); first = false; }
    terms(r).forEach(function (entry) {
      if (!first) parts.push(m("mo", [], "+"));
      first = false;
      var ws = entry[1].map(function (f) { return indexed("w", unravel(f, wShape)); });
      if (ws.length > 1) {
        var inner = [tight("(")];
        ws.forEach(function (w, i) { if (i) inner.push(m("mo", [], "+")); inner.push(w); });
        inner.push(tight(")"));
        parts = parts.concat(inner);
      } else {
        parts.push(ws[0]);
      }
      parts.push(m("mo", [], "\u2062"));
      parts.push(indexed("x", unravel(entry[0], inShape)));
    });
    if (first) parts.push(m("mn", [], "0"));
    return m("math", [m("mrow", parts)]);
  }

  function say(nodes) {
    var box = document.getElementById("equation");
    box.textContent = "";
    nodes.forEach(function (n) {
      if (typeof n === "string") { var p = document.createElement("p"); p.textContent = n; box.appendChild(p); }
      else box.appendChild(n);
    });
  }

  /* ---- highlighting ---- */

  var marked = [], focused = null;

  function clear() {
    marked.forEach(function (e) { e.classList.remove("hl"); });
    marked = [];
    if (focused) focused.removeAttribute("data-focus");
    focused = null;
  }

  function mark(e) {
    if (e && e !== focused && !e.classList.contains("hl")) { e.classList.add("hl"); marked.push(e); }
  }

  function focusOutput(r) {
    var zeroPads = [];
    each(byRow, r, function (t) {
      mark(els.input[cols[t]]); mark(els.weight[weights[t]]); mark(entries.get(r + "," + cols[t]));
    });
    each(padByRow, r, function (q) {
      var p = padOf[q];
      mark(els.pad[p]);
      if (padSources[p] < 0) zeroPads.push(padLabel(p));
    });
    var n = byRow.start[r + 1] - byRow.start[r];
    var notes = [outputEquation(r), n + " taps read the input" +
      (zeroPads.length ? "; " + zeroPads.length + " land on zero padding (" + zeroPads.join("; ") +
        ") and add nothing, so their weights are not marked." : ".")];
    say(notes);
  }

  function focusInput(c) {
    var outs = new Set();
    each(byCol, c, function (t) {
      mark(els.output[rows[t]]); mark(els.weight[weights[t]]); mark(entries.get(rows[t] + "," + c));
      outs.add(rows[t]);
    });
    say([sub("x", label(c, inShape)) + " feeds " + outs.size + " outputs through " +
      (byCol.start[c + 1] - byCol.start[c]) + " taps."]);
  }

  function focusWeight(f) {
    each(byWeight, f, function (t) {
      mark(els.output[rows[t]]); mark(els.input[cols[t]]); mark(entries.get(rows[t] + "," + cols[t]));
    });
    say([wLabel(f) + " is tied across " + (byWeight.start[f + 1] - byWeight.start[f]) +
      " taps: every marked output reads a marked input through it."]);
  }

  function focusEntry(key) {
    var rc = key.split(",").map(Number), r = rc[0], c = rc[1], ws = [];
    mark(els.output[r]); mark(els.input[c]);
    each(byRow, r, function (t) {
      if (cols[t] === c) { mark(els.weight[weights[t]]); ws.push(wLabel(weights[t])); }
    });
    say(["Matrix entry (" + key + ") = " + ws.join(" + ") + ": output " + sub("z", label(r, outShape)) +
      " reads input " + sub("x", label(c, inShape)) + (ws.length > 1 ? " through folded padding." : ".")]);
  }

  /* ---- the gradient view ----
   * delta_i = dL/dz_i, named and indexed as symconv names it (delta, like z). The loss is a chosen output,
   * L = z_r (delta is 1 at r and 0 elsewhere), or the sum of every output (every delta_i is 1). Each entry is
   * read off the taps: tap (r, t, k) adds delta_r x_t to dL/dw_k and delta_r w_k to dL/dx_t. Hovering an entry
   * marks the taps whose delta is not 0: of dL/dw_k, its tying group's; of dL/dx_t, its column's (the chosen
   * output's only, under L = z_r). */
  var gradLoss = document.getElementById("grad-loss"), chosen = 0, chosenEl = null, GRAD_SHOW = 48, SHOWN_TERMS = 6;
  var GRAD = {
    "grad-w": { index: byWeight, shape: wShape, letter: "w", factor: "x", factors: cols },
    "grad-x": { index: byCol, shape: inShape, letter: "x", factor: "w", factors: weights }
  };

  function sumLoss() { return !!gradLoss && gradLoss.value === "sum"; }

  /* The taps of an entry whose delta is not 0 under the chosen loss. */
  function gradTaps(kind, key) {
    var out = [], only = sumLoss() ? -1 : chosen;
    each(GRAD[kind].index, key, function (t) { if (only < 0 || rows[t] === only) out.push(t); });
    return out;
  }

  function factorNode(kind, f) {
    return GRAD[kind].factor === "x" ? indexed("x", unravel(f, inShape)) : indexed("w", unravel(f, wShape));
  }

  function partial(letter, idx) {
    var frac = m("mfrac", [m("mrow", [m("mo", [], "\u2202"), m("mi", [], "L")]),
      m("mrow", [m("mo", [], "\u2202"), indexed(letter, idx)])]);
    frac.setAttribute("displaystyle", "true");
    return frac;
  }

  /* A sum of items, each drawn by render(item) as a list of nodes; a long one shows its first three terms and its
   * last around an ellipsis (only the terms shown are drawn). */
  function sumNodes(items, render) {
    if (!items.length) return [m("mn", [], "0")];
    var shown = items.length <= SHOWN_TERMS ? items : items.slice(0, 3).concat([null], items.slice(-1));
    var out = [];
    shown.forEach(function (item, i) {
      if (i) out.push(m("mo", [], "+"));
      if (item === null) out.push(m("mo", [], "\u22ef")); else out = out.concat(render(item));
    });
    return out;
  }

  function byNumber(a, b) { return a - b; }

  /* The closed form's terms, one per output row in order: [row, factors], delta_row times the sum of its factors
   * (a folded pad adds several). */
  function deltaTerms(kind, key) {
    var byRowOf = new Map(), factors = GRAD[kind].factors;
    each(GRAD[kind].index, key, function (t) {
      if (!byRowOf.has(rows[t])) byRowOf.set(rows[t], []);
      byRowOf.get(rows[t]).push(factors[t]);
    });
    return Array.from(byRowOf.entries()).sort(function (a, b) { return a[0] - b[0]; });
  }

  function deltaTerm(kind) {
    return function (entry) {
      var fs = entry[1].slice().sort(byNumber).map(function (f) { return factorNode(kind, f); });
      var nodes = [indexed(DELTA, unravel(entry[0], outShape)), m("mo", [], "\u2062")];
      if (fs.length === 1) return nodes.concat(fs);
      var inner = [tight("(")];
      fs.forEach(function (f, i) { if (i) inner.push(m("mo", [], "+")); inner.push(f); });
      inner.push(tight(")"));
      nodes.push(m("mrow", inner));
      return nodes;
    };
  }

  /* Its value under the chosen loss: the factors of the taps whose delta is 1, equal ones counted (2 w_0). */
  function valueTerms(kind, taps) {
    var count = new Map(), factors = GRAD[kind].factors;
    taps.forEach(function (t) { count.set(factors[t], (count.get(factors[t]) || 0) + 1); });
    return Array.from(count.keys()).sort(byNumber).map(function (f) { return [f, count.get(f)]; });
  }

  function valueTerm(kind) {
    return function (fn) {
      var node = factorNode(kind, fn[0]);
      return fn[1] === 1 ? [node] : [m("mn", [], String(fn[1])), m("mo", [], "\u2062"), node];
    };
  }

  function gradEntry(kind, key) {
    var g = GRAD[kind], idx = unravel(key, g.shape), li = document.createElement("li");
    var all = g.index.start[key + 1] - g.index.start[key], live = gradTaps(kind, key);
    li.className = "grad";
    li.setAttribute("data-kind", kind);
    li.setAttribute("data-index", idx.join(","));
    li.tabIndex = 0;
    var parts = [partial(g.letter, idx), m("mo", [], "=")].concat(sumNodes(deltaTerms(kind, key), deltaTerm(kind)));
    if (all) parts = parts.concat([m("mo", [], "=")], sumNodes(valueTerms(kind, live), valueTerm(kind)));
    li.appendChild(m("math", [m("mrow", parts)]));
    var note = document.createElement("span");
    note.className = "taps";
    note.textContent = all + (all === 1 ? " tap" : " taps") + (live.length === all ? "" : ", " + live.length + " with " +
      DELTA + " = 1");
    li.appendChild(note);
    return li;
  }

  /* The entries listed: every weight and input under the sum; under L = z_r those of r's taps (the rest are 0). */
  function gradKeys(kind) {
    var keys = [], n = kind === "grad-w" ? NW : C;
    if (sumLoss()) {
      for (var k = 0; k < n; k++) keys.push(k);
      return keys;
    }
    var seen = new Set();
    each(byRow, chosen, function (t) { seen.add(kind === "grad-w" ? weights[t] : cols[t]); });
    return Array.from(seen).sort(function (a, b) { return a - b; });
  }

  function fillList(kind, keys, from) {
    var list = document.getElementById(kind), more = document.getElementById(kind + "-more");
    for (var i = from; i < Math.min(keys.length, from + GRAD_SHOW); i++) list.appendChild(gradEntry(kind, keys[i]));
    var left = keys.length - Math.min(keys.length, from + GRAD_SHOW);
    more.textContent = "";
    if (left > 0) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = left <= GRAD_SHOW ? "Show the other " + left : "Show " + GRAD_SHOW + " more (" + left +
        " not shown)";
      button.addEventListener("click", function () { fillList(kind, keys, from + GRAD_SHOW); });
      more.appendChild(button);
    }
  }

  function drawGradients() {
    var note = document.getElementById("grad-note");
    if (!note || !gradLoss) return;
    if (focused && focused.classList.contains("grad")) clear();
    if (chosenEl) chosenEl.classList.remove("chosen");
    chosenEl = null;
    var z = sub("z", label(chosen, outShape));
    if (sumLoss()) {
      note.textContent = "L = \u03a3 z, the sum of every output: every " + DELTA + "_i = \u2202L/\u2202z_i is 1. " +
        "Each entry is its closed form in " + DELTA + " (read off the taps), then its value.";
    } else {
      chosenEl = els.output[chosen];
      chosenEl.classList.add("chosen");
      note.textContent = "L = " + z + ", the chosen output (outlined; click an output, or press Enter on it, to " +
        "choose another): " + DELTA + " = \u2202L/\u2202z is 1 at " + z + " and 0 elsewhere. Listed: the entries " +
        "its taps reach, each as its closed form in " + DELTA + " (read off the taps), then its value; every other " +
        "entry of \u2202L/\u2202w and \u2202L/\u2202x is 0.";
    }
    ["grad-w", "grad-x"].forEach(function (kind) {
      var keys = gradKeys(kind);
      document.getElementById(kind).textContent = "";
      document.getElementById(kind + "-count").textContent = String(keys.length);
      fillList(kind, keys, 0);
    });
  }

  function choose(row) {
    chosen = row;
    if (gradLoss) gradLoss.value = "output";
    drawGradients();
  }

  function focusGrad(kind, key, index) {
    var taps = gradTaps(kind, key);
    taps.forEach(function (t) {
      mark(els.output[rows[t]]); mark(els.input[cols[t]]); mark(els.weight[weights[t]]);
      mark(entries.get(rows[t] + "," + cols[t]));
    });
    var what = kind === "grad-w" ? "its tying group" : "its column (the taps reading it)";
    var n = taps.length === 1 ? "1 tap" : taps.length + " taps";
    say(["\u2202L/\u2202" + sub(GRAD[kind].letter, index) + ": " + n + " of " + what +
      (sumLoss() ? "" : " with " + DELTA + " = 1") + (taps.length === 1 ? " makes" : " make") + " it; " +
      (taps.length === 1 ? "its output, input, weight and matrix entry are" : "their outputs, inputs, weights and " +
        "matrix entries are") + " marked."]);
  }

  function focus(el) {
    if (el === focused) return;
    clear();
    var kind = el.getAttribute("data-kind"), index = el.getAttribute("data-index");
    var idx = index.split(",").map(Number);
    if (kind === "output") {
      var r = ravel(idx, outShape);
      if (needsWindow(r)) drawMatrix(r);
    }
    focused = el;
    el.setAttribute("data-focus", "");
    if (kind === "output") focusOutput(ravel(idx, outShape));
    else if (kind === "input") focusInput(ravel(idx, inShape));
    else if (kind === "weight") focusWeight(ravel(idx, wShape));
    else if (kind === "entry") focusEntry(index);
    else if (GRAD[kind]) focusGrad(kind, ravel(idx, GRAD[kind].shape), index);
  }

  var ACTIVE = { output: 1, input: 1, weight: 1, entry: 1, "grad-w": 1, "grad-x": 1 };

  function target(ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest("[data-kind]") : null;
    return el && ACTIVE[el.getAttribute("data-kind")] ? el : null;
  }

  /* Arrow keys move the focus to the next cell of the same kind in the same grid (Tab walks them all). */
  var ARROWS = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };

  function neighbour(el, dr, dc) {
    var r0 = Number(el.style.gridRowStart), c0 = Number(el.style.gridColumnStart), kind = el.getAttribute("data-kind");
    var best = null, bestStep = Infinity;
    Array.prototype.forEach.call(el.parentNode.children, function (s) {
      if (s === el || s.getAttribute("data-kind") !== kind) return;
      var dRow = Number(s.style.gridRowStart) - r0, dCol = Number(s.style.gridColumnStart) - c0;
      var step = dr ? dRow * dr : dCol * dc, across = dr ? dCol : dRow;
      if (step > 0 && across === 0 && step < bestStep) { best = s; bestStep = step; }
    });
    return best;
  }

  function chooseFrom(el) { choose(ravel(el.getAttribute("data-index").split(",").map(Number), outShape)); }

  document.addEventListener("keydown", function (ev) {
    var el = target(ev), d = ARROWS[ev.key];
    if (el && el.getAttribute("data-kind") === "output" && (ev.key === "Enter" || ev.key === " ")) {
      ev.preventDefault();
      chooseFrom(el);
      return;
    }
    if (!el || !d) return;
    var next = neighbour(el, d[0], d[1]);
    if (next) { ev.preventDefault(); next.focus(); }
  });
  document.addEventListener("click", function (ev) {
    var el = target(ev);
    if (el && el.getAttribute("data-kind") === "output") chooseFrom(el);
  });
  if (gradLoss) gradLoss.addEventListener("change", drawGradients);
  document.addEventListener("mouseover", function (ev) { var el = target(ev); if (el) focus(el); });
  document.addEventListener("focusin", function (ev) { var el = target(ev); if (el) focus(el); });
  document.addEventListener("mouseout", function (ev) {
    if (target(ev) && !(ev.relatedTarget && target({ target: ev.relatedTarget }))) clear();
  });

  /* A served page (symconv explore --serve): a changed control asks the server for the new layer's page. */
  var form = document.getElementById("controls");
  if (form && form.getAttribute("data-served") === "1") {
    form.addEventListener("change", function () { if (form.requestSubmit) form.requestSubmit(); else form.submit(); });
  }

  drawInput();
  drawWeights();
  drawOutput();
  drawHeat();
  drawMatrix(0);
  drawGradients();
  document.getElementById("summary").textContent = data.counts.taps + " taps, " + data.counts.weights +
    " weights; input " + inShape.join(" x ") + ", output " + outShape.join(" x ") + " (channels first)" +
    (data.transposed ? "; a transposed layer's padding crops its output, so its input has no pad cells." : ".");
  /* milliseconds from the start of navigation until the page is interactive, and of this script alone */
  document.documentElement.setAttribute("data-script-ms", String(Math.round(performance.now() - t0)));
  document.documentElement.setAttribute("data-ready", String(Math.round(performance.now())));
})();
