/* cnnviz explainer: the page around the engine. Pick, upload or draw an image; every layer's
 * feature maps; click a pixel of a Conv2d or pooling output to see its window, kernel and sum.
 * Reads the JSON block #cnnviz-explainer-data; exposes window.cnnvizModel (the contract:
 * forward(x) -> {probabilities, layers: [{name, shape, values}]}) and window.cnnvizExplainer.
 */
(function () {
  'use strict';
  const root = document.getElementById('cnnviz-explainer');
  const source = document.getElementById('cnnviz-explainer-data');
  if (!root || !source) return;
  const data = JSON.parse(source.textContent);
  const model = window.cnnvizMakeModel(data.model);
  window.cnnvizModel = { forward: model.forward, input: model.input, classes: data.classes, dtype: data.model.dtype };
  const shape = data.model.input, isImage = shape.length === 3 && (shape[0] === 1 || shape[0] === 3);
  const norm = data.normalization || { kind: 'none' };
  const f32 = Math.fround;
  const state = { all: new Set(), records: null, probs: null, picked: null, pixel: null, u8: null, caption: '' };

  function el(tag, attrs, kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') e.textContent = v; else if (k === 'cls') e.className = v; else e.setAttribute(k, v);
    }
    for (const k of kids || []) if (k) e.appendChild(k);
    return e;
  }
  const fmt = (v) => (v === -Infinity ? '−∞' : Math.abs(v) >= 1000 ? v.toExponential(2) : v.toFixed(Math.abs(v) >= 100 ? 1 : 3)).replace('-', '−');
  const dims = (s) => s.join('×');

  // uint8 C×H×W -> the network's input, as the run normalized its data (in float32 steps, as torch does)
  function normalize(u8) {
    const out = new Float32Array(u8.length), per = u8.length / shape[0];
    for (let i = 0; i < u8.length; i++) {
      const c = Math.floor(i / per);
      if (norm.kind === 'none') out[i] = u8[i];
      else if (norm.kind === 'div255') out[i] = f32(u8[i] / 255);
      else out[i] = f32(f32(f32(u8[i] / 255) - f32(norm.mean[c])) / f32(norm.std[c]));
    }
    return out;
  }

  // ---- colours: a map's values, orange for positive, blue for negative, per-layer range
  function paint(canvas, values, h, w, offset, range, gray) {
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext('2d'), img = ctx.createImageData(w, h);
    for (let i = 0; i < h * w; i++) {
      const v = values[offset + i];
      let r, g, b;
      if (gray) { r = g = b = Math.round(255 * Math.max(0, Math.min(1, (v - range[0]) / (range[1] - range[0] || 1)))); }
      else {
        const t = Math.max(-1, Math.min(1, v / (range[1] || 1)));
        if (t >= 0) { r = 255 - 12 * t; g = 255 - 140 * t; b = 255 - 235 * t; }
        else { r = 255 + 225 * t; g = 255 + 130 * t; b = 255 + 45 * t; }
      }
      img.data[4 * i] = r; img.data[4 * i + 1] = g; img.data[4 * i + 2] = b; img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }
  function rangeOf(values) {
    let lo = Infinity, hi = -Infinity;
    for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
    return [lo, hi, Math.max(Math.abs(lo), Math.abs(hi))];
  }
  function paintRGB(canvas, u8, c, h, w) {
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext('2d'), img = ctx.createImageData(w, h);
    for (let i = 0; i < h * w; i++) {
      for (let k = 0; k < 3; k++) img.data[4 * i + k] = u8[(c === 3 ? k : 0) * h * w + i];
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  // ---- layout
  const note = el('p', { cls: 'cx-note' });
  const preview = el('canvas', { cls: 'cx-preview', 'aria-label': 'the input image' });
  const caption = el('p', { cls: 'cx-caption' });
  const probs = el('div', { cls: 'cx-probs' });
  const thumbs = el('div', { cls: 'cx-thumbs' });
  const side = el('div', { cls: 'cx-side' }, [preview, caption, el('h4', { text: 'Prediction' }), probs]);
  const picker = el('div', { cls: 'cx-picker' });
  const layersBox = el('div', { cls: 'cx-layers' });
  root.appendChild(el('div', { cls: 'cx-grid' }, [side, el('div', { cls: 'cx-main' }, [note, picker, layersBox])]));

  const images = data.images;
  const nImages = images ? images.labels.length : 0;
  const imgBytes = images ? window.cnnvizEngine.decodeBase64(images.data) : null;
  const per = shape.reduce((a, b) => a * b, 1);

  function buildPicker() {
    if (!isImage) {
      const inputs = shape.length === 1 && shape[0] <= 64 ? Array.from({ length: shape[0] }, (_, i) => el('input', { type: 'number', step: '0.1', value: '0', 'aria-label': 'feature ' + (i + 1) })) : [];
      const go = el('button', { type: 'button', text: 'Run' });
      go.addEventListener('click', () => setInput(Float32Array.from(inputs.map((e) => +e.value || 0)), null, 'your numbers'));
      if (!inputs.length) return;
      picker.appendChild(el('div', { cls: 'cx-row' }, [el('span', { text: 'Input features: ' }), ...inputs, go]));
      return;
    }
    if (nImages) {
      picker.appendChild(el('h4', { text: 'Pick a test image' }));
      for (let i = 0; i < nImages; i++) {
        const c = el('canvas', { cls: 'cx-thumb', title: data.classes[images.labels[i]] || '', tabindex: '0' });
        paintRGB(c, imgBytes.subarray(i * per, (i + 1) * per), shape[0], shape[1], shape[2]);
        const pick = () => pickImage(i);
        c.addEventListener('click', pick);
        c.addEventListener('keydown', (e) => { if (e.key === 'Enter') pick(); });
        thumbs.appendChild(c);
      }
      picker.appendChild(thumbs);
    }
    const file = el('input', { type: 'file', accept: 'image/*' });
    file.addEventListener('change', () => { if (file.files[0]) upload(file.files[0]); });
    const row = el('div', { cls: 'cx-row' }, [el('label', { cls: 'cx-button' }, [el('span', { text: 'Upload an image' }), file])]);
    if (shape[0] === 1) {
      const draw = el('button', { type: 'button', cls: 'cx-button', text: 'Draw one' });
      draw.addEventListener('click', openDrawing);
      row.appendChild(draw);
    }
    row.appendChild(el('span', { cls: 'cx-muted', text: 'prepared like the training data: ' + data.prepare }));
    picker.appendChild(row);
  }

  function pickImage(i) {
    Array.from(thumbs.children).forEach((c, k) => c.classList.toggle('cx-on', k === i));
    const u8 = imgBytes.slice(i * per, (i + 1) * per);
    setInput(normalize(u8), u8, 'test image ' + (i + 1) + ' · true class: ' + (data.classes[images.labels[i]] || '?'));
  }

  // ---- an image from a file or a drawing, to the network's size and channels
  function fromCanvas(src, sw, sh, invertIfLight) {
    const [C, H, Wd] = shape;
    const cv = document.createElement('canvas');
    cv.width = Wd; cv.height = H;
    const ctx = cv.getContext('2d');
    ctx.fillStyle = data.dark ? '#000' : '#fff';
    ctx.fillRect(0, 0, Wd, H);
    ctx.imageSmoothingEnabled = true; ctx.imageSmoothingQuality = 'high';
    const scale = Math.max(Wd / sw, H / sh), cw = Wd / scale, ch = H / scale;  // centre crop to the network's shape
    ctx.drawImage(src, (sw - cw) / 2, (sh - ch) / 2, cw, ch, 0, 0, Wd, H);
    const px = ctx.getImageData(0, 0, Wd, H).data, u8 = new Uint8Array(C * H * Wd);
    let mean = 0;
    for (let i = 0; i < H * Wd; i++) {
      if (C === 1) u8[i] = Math.round(0.299 * px[4 * i] + 0.587 * px[4 * i + 1] + 0.114 * px[4 * i + 2]);
      else for (let k = 0; k < 3; k++) u8[k * H * Wd + i] = px[4 * i + k];
      mean += u8[i];
    }
    const inverted = invertIfLight && data.dark && mean / (H * Wd) > 127;
    if (inverted) for (let i = 0; i < u8.length; i++) u8[i] = 255 - u8[i];
    return { u8, inverted };
  }

  function upload(file) {
    const url = URL.createObjectURL(file), img = new Image();
    img.onload = () => {
      const { u8, inverted } = fromCanvas(img, img.naturalWidth, img.naturalHeight, true);
      URL.revokeObjectURL(url);
      Array.from(thumbs.children).forEach((c) => c.classList.remove('cx-on'));
      setInput(normalize(u8), u8, 'your image, ' + img.naturalWidth + '×' + img.naturalHeight + ' → ' + shape[2] + '×' + shape[1] + (inverted ? ', inverted (light on dark, like the training data)' : ''));
    };
    img.onerror = () => { URL.revokeObjectURL(url); caption.textContent = 'That file is not an image this browser can open: try a PNG or JPEG.'; };
    img.src = url;
  }

  let pad = null;
  function openDrawing() {
    if (pad) { pad.hidden = !pad.hidden; return; }
    const cv = el('canvas', { cls: 'cx-pad', width: '224', height: '224', 'aria-label': 'draw here' });
    const ctx = cv.getContext('2d');
    const clear = () => { ctx.fillStyle = '#000'; ctx.fillRect(0, 0, 224, 224); };
    clear();
    ctx.strokeStyle = '#fff'; ctx.lineWidth = 16; ctx.lineCap = ctx.lineJoin = 'round';
    let down = false;
    const at = (e) => { const r = cv.getBoundingClientRect(); return [(e.clientX - r.left) * 224 / r.width, (e.clientY - r.top) * 224 / r.height]; };
    cv.addEventListener('pointerdown', (e) => { down = true; ctx.beginPath(); ctx.moveTo(...at(e)); ctx.lineTo(...at(e)); ctx.stroke(); cv.setPointerCapture(e.pointerId); });
    cv.addEventListener('pointermove', (e) => { if (down) { ctx.lineTo(...at(e)); ctx.stroke(); } });
    cv.addEventListener('pointerup', () => { down = false; useDrawing(cv); });
    const wipe = el('button', { type: 'button', cls: 'cx-button', text: 'Clear' });
    wipe.addEventListener('click', clear);
    pad = el('div', { cls: 'cx-drawing' }, [cv, el('div', {}, [wipe, el('p', { cls: 'cx-muted', text: 'Draw with the mouse or a finger; the network sees it when you lift.' })])]);
    picker.appendChild(pad);
  }

  function useDrawing(cv) {
    const [, H, Wd] = shape, ink = cv.getContext('2d').getImageData(0, 0, 224, 224).data;
    let y0 = 224, y1 = -1, x0 = 224, x1 = -1;
    for (let y = 0; y < 224; y++) for (let x = 0; x < 224; x++) if (ink[4 * (y * 224 + x)] > 25) { y0 = Math.min(y0, y); y1 = Math.max(y1, y); x0 = Math.min(x0, x); x1 = Math.max(x1, x); }
    if (y1 < 0) return;
    let src = cv, sw = 224, sh = 224, how = 'resized to ' + Wd + '×' + H;
    if (H === 28 && Wd === 28 && data.dark) {  // as MNIST was made: strokes in a 20×20 box, centred by mass
      const bw = x1 - x0 + 1, bh = y1 - y0 + 1, s = 20 / Math.max(bw, bh);
      const nw = Math.max(1, Math.round(bw * s)), nh = Math.max(1, Math.round(bh * s));
      const small = document.createElement('canvas'); small.width = nw; small.height = nh;
      const sc = small.getContext('2d'); sc.imageSmoothingQuality = 'high';
      sc.drawImage(cv, x0, y0, bw, bh, 0, 0, nw, nh);
      const px = sc.getImageData(0, 0, nw, nh).data;
      let m = 0, cy = 0, cx = 0;
      for (let y = 0; y < nh; y++) for (let x = 0; x < nw; x++) { const v = px[4 * (y * nw + x)]; m += v; cy += v * y; cx += v * x; }
      const top = Math.min(Math.max(14 - cy / m, 0), 28 - nh), left = Math.min(Math.max(14 - cx / m, 0), 28 - nw);
      src = document.createElement('canvas'); src.width = 28; src.height = 28;
      const c2 = src.getContext('2d'); c2.fillStyle = '#000'; c2.fillRect(0, 0, 28, 28); c2.drawImage(small, left, top);
      sw = sh = 28; how = 'strokes scaled into a 20×20 box and centred by mass in 28×28, white on black (how MNIST was made)';
    }
    const { u8 } = fromCanvas(src, sw, sh, false);
    Array.from(thumbs.children).forEach((c) => c.classList.remove('cx-on'));
    setInput(normalize(u8), u8, 'your drawing, ' + how);
  }

  // ---- the forward pass and what it shows
  function setInput(x, u8, words) {
    const t0 = performance.now();
    const t = model.trace(x);
    const ms = performance.now() - t0;
    state.records = t.records; state.probs = t.probabilities; state.u8 = u8; state.input = { shape: shape.slice(), data: x };
    state.caption = words; state.ms = ms;
    if (u8 && isImage) { paintRGB(preview, u8, shape[0], shape[1], shape[2]); preview.hidden = false; } else preview.hidden = true;
    caption.textContent = words;
    note.textContent = data.note + ' Forward pass: ' + ms.toFixed(1) + ' ms.';
    drawProbs();
    drawLayers();
    return ms;
  }

  function drawProbs() {
    probs.textContent = '';
    if (state.probs.length === 1) {
      const out = state.records.length ? state.records[state.records.length - 1].output.data[0] : state.input.data[0];
      probs.appendChild(el('p', { cls: 'cx-muted', text: 'One output: the score ' + fmt(out) + ' (softmax of a single score is always 100%).' }));
      return;
    }
    const order = state.probs.map((p, i) => [p, i]).sort((a, b) => b[0] - a[0]).slice(0, 10);
    for (const [p, i] of order) {
      const bar = el('div', { cls: 'cx-bar' }, [el('span', { cls: 'cx-fill', style: 'width:' + (100 * p).toFixed(1) + '%' })]);
      probs.appendChild(el('div', { cls: 'cx-prob' }, [el('span', { cls: 'cx-name', text: data.classes[i] || 'output ' + (i + 1) }), bar, el('span', { cls: 'cx-pct', text: (100 * p).toFixed(1) + '%' })]));
    }
  }

  const TILE = 64, BIG = 240, MAX_TILES = 48;
  function maps(shape) { return shape.length === 3; }

  function layerRow(rec, index, input) {
    const out = rec.output, e = rec.entry;
    const head = el('div', { cls: 'cx-head' }, [
      el('span', { cls: 'cx-kind', text: input ? 'Input' : e.label }),
      el('span', { cls: 'cx-shape', text: (input ? '' : '→ ') + dims(out.shape) }),
    ]);
    const row = el('section', { cls: 'cx-layer' + (rec.depth ? ' cx-nested' : ''), 'data-layer': String(index), 'data-name': input ? 'input' : e.name }, [head]);
    if (maps(out.shape)) {
      const [C, H, Wd] = out.shape, range = rangeOf(out.data), tiles = el('div', { cls: 'cx-tiles' });
      const tw = Math.max(44, Math.min(TILE, Wd * 4));
      const shown = state.all.has(index) ? C : Math.min(C, MAX_TILES);
      for (let c = 0; c < shown; c++) {
        const cv = el('canvas', { cls: 'cx-tile', title: 'channel ' + (c + 1), style: 'width:' + tw + 'px' });
        paint(cv, out.data, H, Wd, c * H * Wd, range, false);
        cv.addEventListener('click', () => select(index, c));
        tiles.appendChild(cv);
      }
      if (shown < C) {
        const more = el('button', { type: 'button', cls: 'cx-button', text: 'Show all ' + C + ' channels' });
        more.addEventListener('click', () => { state.all.add(index); rerender(index); });
        tiles.appendChild(more);
      }
      row.appendChild(tiles);
      if (state.picked && state.picked[0] === index) row.appendChild(detail(rec, index, state.picked[1]));
    } else {
      const n = out.data.length, range = rangeOf(out.data);
      const last = !input && index === state.records.length - 1 && n === data.classes.length;
      if (n <= 16) {
        const cells = el('div', { cls: 'cx-cells' });
        out.data.forEach((v, i) => {
          const cell = el('div', { cls: 'cx-cell', title: 'value ' + (i + 1) }, [el('span', { cls: 'cx-num', text: fmt(v) })]);
          const cv = el('canvas', { cls: 'cx-swatch' });
          paint(cv, out.data, 1, 1, i, range, false);
          cell.prepend(cv);
          if (last) cell.appendChild(el('span', { cls: 'cx-label', text: data.classes[i] }));
          cells.appendChild(cell);
        });
        row.appendChild(cells);
        return row;
      }
      const strip = el('canvas', { cls: 'cx-strip', title: n + ' values' });
      paint(strip, out.data, 1, n, 0, range, false);
      row.appendChild(strip);
      row.appendChild(el('p', { cls: 'cx-muted', text: n + ' values from ' + fmt(range[0]) + ' to ' + fmt(range[1]) + (e && e.type === 'flatten' ? ': the maps unrolled, channel after channel, row after row' : '') }));
    }
    return row;
  }

  function drawLayers() {
    layersBox.textContent = '';
    const inRec = { entry: { name: 'input', label: 'Input', type: 'input' }, output: state.input, depth: 0 };
    layersBox.appendChild(layerRow(inRec, -1, true));
    state.records.forEach((r, i) => layersBox.appendChild(layerRow(r, i, false)));
  }

  function select(index, channel) {
    state.picked = [index, channel]; state.pixel = null; state.inChannel = null;
    rerender(index);
  }

  function rerender(index) {
    const old = layersBox.querySelector('[data-layer="' + index + '"]');
    const rec = index < 0 ? { entry: { label: 'Input' }, output: state.input, depth: 0 } : state.records[index];
    old.replaceWith(layerRow(rec, index, index < 0));
    layersBox.querySelectorAll('.cx-detail').forEach((d) => { if (d.parentNode.dataset.layer !== String(index)) d.remove(); });
  }

  // window of an output pixel on the input: the taps it reads, per kind
  function windowOf(e, r, c) {
    if (e.type === 'conv2d') return { rows: Array.from({ length: e.kernel_size[0] }, (_, i) => r * e.stride[0] - e.padding[0] + i * e.dilation[0]), cols: Array.from({ length: e.kernel_size[1] }, (_, j) => c * e.stride[1] - e.padding[2] + j * e.dilation[1]) };
    if (e.type === 'maxpool2d' || e.type === 'avgpool2d') return { rows: Array.from({ length: e.kernel_size[0] }, (_, i) => r * e.stride[0] - e.padding[0] + i * e.dilation[0]), cols: Array.from({ length: e.kernel_size[1] }, (_, j) => c * e.stride[1] - e.padding[1] + j * e.dilation[1]) };
    if (e.type === 'adaptiveavgpool2d') {
      const [, Hi, Wi] = e._in, [Ho, Wo] = e._out, span = (o, n, N) => Array.from({ length: Math.ceil(((o + 1) * N) / n) - Math.floor((o * N) / n) }, (_, k) => Math.floor((o * N) / n) + k);
      return { rows: span(r, Ho, Hi), cols: span(c, Wo, Wi) };
    }
    return { rows: [r], cols: [c] };
  }

  function inputChannel(e, channel, inC) {
    if (e.type === 'conv2d') return Math.floor(channel / (e.out_channels / e.groups)) * (inC / e.groups);
    return channel < inC ? channel : 0;
  }

  function detail(rec, index, channel) {
    const e = rec.entry, out = rec.output, [C, H, Wd] = out.shape;
    const box = el('div', { cls: 'cx-detail' });
    const scaleO = Math.max(1, Math.floor(BIG / Math.max(H, Wd)));
    const outCv = el('canvas', { cls: 'cx-big', style: 'width:' + Wd * scaleO + 'px' });
    paint(outCv, out.data, H, Wd, channel * H * Wd, rangeOf(out.data), false);
    const outWrap = el('div', { cls: 'cx-frame' }, [outCv]);
    const parts = [];
    let inWrap = null, inScale = 1, inShape = null;
    if (rec.input && maps(rec.input.shape) && index >= 0) {
      inShape = rec.input.shape;
      if (e.type === 'adaptiveavgpool2d') { e._in = inShape; e._out = [H, Wd]; }
      const ic = inputChannel(e, channel, inShape[0]);
      inScale = Math.max(1, Math.floor(BIG / Math.max(inShape[1], inShape[2])));
      const inCv = el('canvas', { cls: 'cx-big', style: 'width:' + inShape[2] * inScale + 'px' });
      const inRange = rangeOf(rec.input.data);
      const show = (k) => paint(inCv, rec.input.data, inShape[1], inShape[2], k * inShape[1] * inShape[2], inRange, false);
      show(ic);
      inWrap = el('div', { cls: 'cx-frame' }, [inCv]);
      // the input channels this output reads: its group for a Conv2d, its own channel otherwise
      const first = ic, count = e.type === 'conv2d' ? inShape[0] / e.groups : 1;
      const pickIn = el('select', { cls: 'cx-select', 'aria-label': 'input channel shown' });
      for (let k = first; k < first + count; k++) pickIn.appendChild(el('option', { value: String(k), text: 'input channel ' + (k + 1) + ' of ' + inShape[0] }));
      pickIn.addEventListener('change', () => { state.inChannel = +pickIn.value; show(state.inChannel); if (state.pixel) explain(rec, channel, state.pixel[0], state.pixel[1], math); });
      parts.push(el('figure', {}, [inWrap, el('figcaption', {}, [count > 1 ? pickIn : el('span', { text: 'input channel ' + (ic + 1) + ' of ' + inShape[0] })])]));
    }
    parts.push(el('figure', {}, [outWrap, el('figcaption', { text: 'output channel ' + (channel + 1) + ' of ' + C + ' · click a pixel' })]));
    const math = el('div', { cls: 'cx-math' });
    box.appendChild(el('div', { cls: 'cx-pair' }, parts));
    box.appendChild(math);
    const marks = [];
    function mark(r, c) {
      marks.forEach((m) => m.remove()); marks.length = 0;
      const o = el('div', { cls: 'cx-mark', style: 'left:' + c * scaleO + 'px;top:' + r * scaleO + 'px;width:' + scaleO + 'px;height:' + scaleO + 'px' });
      outWrap.appendChild(o); marks.push(o);
      const win = inWrap && windowOf(e, r, c);
      if (!win) return;
      for (const rr of win.rows) for (const cc of win.cols) {
        if (rr < 0 || cc < 0 || rr >= inShape[1] || cc >= inShape[2]) continue;
        const m = el('div', { cls: 'cx-tap', style: 'left:' + cc * inScale + 'px;top:' + rr * inScale + 'px;width:' + inScale + 'px;height:' + inScale + 'px' });
        inWrap.appendChild(m); marks.push(m);
      }
    }
    const pos = (ev) => { const b = outCv.getBoundingClientRect(); return [Math.min(H - 1, Math.floor((ev.clientY - b.top) / b.height * H)), Math.min(Wd - 1, Math.floor((ev.clientX - b.left) / b.width * Wd))]; };
    outCv.addEventListener('mousemove', (ev) => mark(...pos(ev)));
    outCv.addEventListener('click', (ev) => { const [r, c] = pos(ev); state.pixel = [r, c]; explain(rec, channel, r, c, math); mark(r, c); });
    box.explainAt = (r, c) => { state.pixel = [r, c]; mark(r, c); explain(rec, channel, r, c, math); };
    if (state.pixel) setTimeout(() => box.explainAt(...state.pixel), 0);
    else math.appendChild(el('p', { cls: 'cx-muted', text: index < 0 ? 'The image as the network receives it (normalized).' : 'Hover over the output to see the input window it reads; click a pixel to see its arithmetic.' }));
    return box;
  }

  function grid(values, kh, kw, cls, pick) {
    const t = el('table', { cls: 'cx-grid-num ' + (cls || '') });
    for (let i = 0; i < kh; i++) {
      const tr = el('tr');
      for (let j = 0; j < kw; j++) tr.appendChild(el('td', { text: fmt(values[i * kw + j]), cls: pick && pick[0] === i && pick[1] === j ? 'cx-pick' : '' }));
      t.appendChild(tr);
    }
    return t;
  }

  const MAX_CHANNELS_SHOWN = 4;
  // The arithmetic of one output pixel, as the Learn page writes it (cnnviz.learn.steps)
  function explain(rec, channel, r, c, box) {
    box.textContent = '';
    const e = rec.entry, x = rec.input, out = rec.output, value = out.data[(channel * out.shape[1] + r) * out.shape[2] + c];
    const say = (t) => box.appendChild(el('p', { text: t }));
    box.appendChild(el('h5', { text: e.label + ': output channel ' + (channel + 1) + ', row ' + r + ', column ' + c }));
    if (!x || !maps(x.shape)) { say('value ' + fmt(value)); return value; }
    const [Ci, Hi, Wi] = x.shape, at = (ch, rr, cc) => (rr < 0 || cc < 0 || rr >= Hi || cc >= Wi ? null : x.data[(ch * Hi + rr) * Wi + cc]);
    if (e.type === 'adaptiveavgpool2d') { e._in = x.shape; e._out = out.shape.slice(1); }
    const win = windowOf(e, r, c);
    if (e.type === 'adaptiveavgpool2d') {
      let s = 0;
      const w = [];
      win.rows.forEach((rr) => win.cols.forEach((cc) => { const v = at(channel, rr, cc); w.push(v); s += v; }));
      box.appendChild(el('div', { cls: 'cx-steps' }, [el('div', { cls: 'cx-step' }, [el('span', { text: 'window' }), grid(w, win.rows.length, win.cols.length)])]));
      say('sum ' + fmt(s) + ' ÷ ' + w.length + ' = ' + fmt(s / w.length) + '   (the feature map holds ' + fmt(value) + ')');
      return s / w.length;
    }
    if (e.type === 'conv2d') {
      const [kh, kw] = e.kernel_size, cg = Ci / e.groups, og = e.out_channels / e.groups, g = Math.floor(channel / og);
      const all = { weight: model.weights(e.weight), bias: e.bias ? model.weights(e.bias) : null };
      let total = e.bias ? all.bias[channel] : 0;
      const sums = [];
      const parts = el('div', { cls: 'cx-steps' });
      for (let k = 0; k < cg; k++) {
        const ch = g * cg + k, w = new Float64Array(kh * kw), kern = all.weight.subarray((channel * cg + k) * kh * kw, (channel * cg + k + 1) * kh * kw);
        let s = 0;
        win.rows.forEach((rr, i) => win.cols.forEach((cc, j) => { const v = at(ch, rr, cc); w[i * kw + j] = v === null ? 0 : v; s += w[i * kw + j] * kern[i * kw + j]; }));
        sums.push(s); total += s;
        if (k < MAX_CHANNELS_SHOWN || ch === state.inChannel) parts.appendChild(el('div', { cls: 'cx-step' }, [el('span', { text: 'in ' + (ch + 1) }), grid(w, kh, kw), el('span', { text: '×' }), grid(kern, kh, kw, 'cx-kernel'), el('span', { text: '= ' + fmt(s) })]));
      }
      box.appendChild(parts);
      if (cg > MAX_CHANNELS_SHOWN) say('… and the other ' + (cg - parts.children.length) + ' input channels the same way (choose one above the input to see it).');
      say('Σ over ' + cg + ' input channel' + (cg > 1 ? 's' : '') + ' (window × kernel, summed): ' + sums.map(fmt).join(' + '));
      say('+ bias ' + fmt(e.bias ? all.bias[channel] : 0) + ' = ' + fmt(total) + '   (the feature map holds ' + fmt(value) + ')');
      if (win.rows.some((rr) => rr < 0 || rr >= Hi) || win.cols.some((cc) => cc < 0 || cc >= Wi)) say('Where the window hangs over the edge it reads the padding: zeros.');
      return total;
    }
    if (e.type === 'maxpool2d' || e.type === 'avgpool2d') {
      const [kh, kw] = e.kernel_size, w = new Float64Array(kh * kw);
      let best = -Infinity, pick = null, s = 0, n = 0;
      win.rows.forEach((rr, i) => win.cols.forEach((cc, j) => {
        const v = at(channel, rr, cc);
        w[i * kw + j] = v === null ? (e.type === 'maxpool2d' ? -Infinity : 0) : v;
        if (v !== null && v > best) { best = v; pick = [i, j]; }
        if (v !== null) { s += v; n += 1; }
      }));
      box.appendChild(el('div', { cls: 'cx-steps' }, [el('div', { cls: 'cx-step' }, [el('span', { text: 'window' }), grid(w, kh, kw, '', e.type === 'maxpool2d' ? pick : null)])]));
      if (e.type === 'maxpool2d') { say('max of the window = ' + fmt(best) + '   (the feature map holds ' + fmt(value) + ')'); return best; }
      const y1 = Math.min(r * e.stride[0] - e.padding[0] + kh, Hi + e.padding[0]) - (r * e.stride[0] - e.padding[0]);
      const x1 = Math.min(c * e.stride[1] - e.padding[1] + kw, Wi + e.padding[1]) - (c * e.stride[1] - e.padding[1]);
      const d = e.count_include_pad ? y1 * x1 : n;
      say('sum ' + fmt(s) + ' ÷ ' + d + ' = ' + fmt(s / d) + '   (the feature map holds ' + fmt(value) + ')');
      return s / d;
    }
    const v = at(Math.min(channel, Ci - 1), r, c);
    if (v !== null && x.shape[0] === out.shape[0]) {
      const words = { relu: 'max(0, x)', leakyrelu: 'x if x > 0, else ' + e.negative_slope + '·x', sigmoid: '1 / (1 + e^−x)', tanh: 'tanh(x)', gelu: 'x·Φ(x)', batchnorm2d: '(x − running mean) / √(running var + ε) · γ + β', dropout: 'x (Dropout does nothing in evaluation)', identity: 'x' }[e.type] || 'f(x)';
      say(words + ' with x = ' + fmt(v) + ' gives ' + fmt(value));
    } else say('value ' + fmt(value));
    return value;
  }

  const legend = el('p', { cls: 'cx-muted' }, [
    el('span', { cls: 'cx-key cx-pos' }), el('span', { text: ' positive  ' }),
    el('span', { cls: 'cx-key cx-neg' }), el('span', { text: ' negative  ' }),
    el('span', { cls: 'cx-key' }), el('span', { text: ' zero (colours scaled per layer). Click a feature map to enlarge it, then a pixel to see how it is computed.' }),
  ]);
  layersBox.before(legend);
  buildPicker();
  note.textContent = data.note;
  if (!isImage) setInput(new Float32Array(per), null, 'all inputs 0');
  else if (nImages) pickImage(0);
  else setInput(normalize(new Uint8Array(per).fill(data.dark ? 0 : 255)), new Uint8Array(per).fill(data.dark ? 0 : 255), 'a blank image: upload or draw one');

  // for the benchmark and the tests: choose an image, click a pixel; both answer with ms taken
  window.cnnvizExplainer = {
    input: () => Array.from(state.input.data),
    setInput: (x) => setInput(Float32Array.from(x), null, 'your numbers'),
    caption: () => state.caption,
    pick: (i) => { const t = performance.now(); pickImage(i); return performance.now() - t; },
    clickPixel: (name, channel, r, c) => {
      const t = performance.now();
      const index = state.records.findIndex((rec) => rec.entry.name === name);
      select(index, channel);
      const box = layersBox.querySelector('[data-layer="' + index + '"] .cx-detail');
      box.explainAt(r, c);
      const text = box.querySelector('.cx-math').textContent;
      return { ms: performance.now() - t, text };
    },
  };
})();
