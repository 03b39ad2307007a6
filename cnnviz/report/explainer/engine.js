/* cnnviz explainer: a trained network's forward pass, in plain JavaScript (evaluation mode).
 * makeModel(data) -> {forward(x), trace(x), layers, input}. x: Float32Array of C*H*W (or F)
 * values, already normalized. Tensors are {shape: [C, H, W] | [F] | ..., data: Float32Array},
 * one image (torch's batch of 1 without the batch dimension). Sums are taken in float64,
 * each layer's output rounded to float32 as torch stores it.
 */
(function () {
  'use strict';

  function decodeBase64(text) {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function halfToFloat(bytes) {
    const h = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
    const out = new Float32Array(h.length);
    for (let i = 0; i < h.length; i++) {
      const v = h[i], s = v & 0x8000 ? -1 : 1, e = (v >> 10) & 0x1f, m = v & 0x3ff;
      if (e === 0) out[i] = s * m * Math.pow(2, -24);
      else if (e === 31) out[i] = m ? NaN : s * Infinity;
      else out[i] = s * (1 + m / 1024) * Math.pow(2, e - 15);
    }
    return out;
  }

  function decodeWeights(data) {
    const bytes = decodeBase64(data.weights || '');
    if (data.dtype === 'float16') return halfToFloat(bytes);
    const copy = new Uint8Array(bytes.length);  // aligned for a Float32Array view
    copy.set(bytes);
    return new Float32Array(copy.buffer);
  }

  const size = (shape) => shape.reduce((a, b) => a * b, 1);

  function need3(x, what) {
    if (x.shape.length !== 3) throw new Error(what + ' needs [C, H, W] input, got [' + x.shape + ']');
    return x.shape;
  }

  function conv2d(L, x, W) {
    const [C, H, Wd] = need3(x, 'Conv2d');
    const [kh, kw] = L.kernel_size, [sh, sw] = L.stride, [dh, dw] = L.dilation;
    const [pt, pb, pl, pr] = L.padding;
    const Ho = Math.floor((H + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
    const Wo = Math.floor((Wd + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
    const Co = L.out_channels, g = L.groups, cg = C / g, og = Co / g;
    const wt = W(L.weight), bias = L.bias ? W(L.bias) : null, xs = x.data;
    const out = new Float32Array(Co * Ho * Wo), acc = new Float64Array(Ho * Wo);
    for (let oc = 0; oc < Co; oc++) {
      acc.fill(bias ? bias[oc] : 0);
      const grp = Math.floor(oc / og);
      for (let ic = 0; ic < cg; ic++) {
        const xoff = (grp * cg + ic) * H * Wd;
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const wv = wt[((oc * cg + ic) * kh + i) * kw + j];
            const ox0 = Math.max(0, Math.ceil((pl - j * dw) / sw));
            const ox1 = Math.min(Wo - 1, Math.floor((Wd - 1 + pl - j * dw) / sw));
            for (let oy = 0; oy < Ho; oy++) {
              const iy = oy * sh - pt + i * dh;
              if (iy < 0 || iy >= H) continue;
              const row = xoff + iy * Wd - pl + j * dw, orow = oy * Wo;
              for (let ox = ox0; ox <= ox1; ox++) acc[orow + ox] += wv * xs[row + ox * sw];
            }
          }
        }
      }
      out.set(acc, oc * Ho * Wo);
    }
    return { shape: [Co, Ho, Wo], data: out };
  }

  function poolSize(n, k, s, p, d, ceil) {
    const span = n + 2 * p - d * (k - 1) - 1;
    let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    if (ceil && (o - 1) * s >= n + p) o -= 1;  // the last window must start inside the input or the left padding
    return o;
  }

  function pool2d(L, x) {
    const [C, H, Wd] = need3(x, L.type === 'maxpool2d' ? 'MaxPool2d' : 'AvgPool2d');
    const [kh, kw] = L.kernel_size, [sh, sw] = L.stride, [ph, pw] = L.padding, [dh, dw] = L.dilation;
    const Ho = poolSize(H, kh, sh, ph, dh, L.ceil_mode), Wo = poolSize(Wd, kw, sw, pw, dw, L.ceil_mode);
    const out = new Float32Array(C * Ho * Wo), xs = x.data, max = L.type === 'maxpool2d';
    for (let c = 0; c < C; c++) {
      const xoff = c * H * Wd, ooff = c * Ho * Wo;
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          const y0 = oy * sh - ph, x0 = ox * sw - pw;
          if (max) {
            let m = -Infinity;
            for (let i = 0; i < kh; i++) {
              const iy = y0 + i * dh;
              if (iy < 0 || iy >= H) continue;
              for (let j = 0; j < kw; j++) {
                const ix = x0 + j * dw;
                if (ix < 0 || ix >= Wd) continue;
                const v = xs[xoff + iy * Wd + ix];
                if (v > m || Number.isNaN(v)) m = v;
              }
            }
            out[ooff + oy * Wo + ox] = m;
          } else {
            const y1 = Math.min(y0 + kh, H + ph), x1 = Math.min(x0 + kw, Wd + pw);
            const poolN = (y1 - y0) * (x1 - x0);
            const ya = Math.max(y0, 0), yb = Math.min(y1, H), xa = Math.max(x0, 0), xb = Math.min(x1, Wd);
            let s = 0;
            for (let iy = ya; iy < yb; iy++) for (let ix = xa; ix < xb; ix++) s += xs[xoff + iy * Wd + ix];
            out[ooff + oy * Wo + ox] = s / (L.count_include_pad ? poolN : (yb - ya) * (xb - xa));
          }
        }
      }
    }
    return { shape: [C, Ho, Wo], data: out };
  }

  function adaptiveAvg(L, x) {
    const [C, H, Wd] = need3(x, 'AdaptiveAvgPool2d');
    const Ho = L.output_size[0] == null ? H : L.output_size[0];
    const Wo = L.output_size[1] == null ? Wd : L.output_size[1];
    const out = new Float32Array(C * Ho * Wo), xs = x.data;
    for (let c = 0; c < C; c++) {
      for (let oy = 0; oy < Ho; oy++) {
        const ya = Math.floor((oy * H) / Ho), yb = Math.ceil(((oy + 1) * H) / Ho);
        for (let ox = 0; ox < Wo; ox++) {
          const xa = Math.floor((ox * Wd) / Wo), xb = Math.ceil(((ox + 1) * Wd) / Wo);
          let s = 0;
          for (let iy = ya; iy < yb; iy++) for (let ix = xa; ix < xb; ix++) s += xs[(c * H + iy) * Wd + ix];
          out[(c * Ho + oy) * Wo + ox] = s / ((yb - ya) * (xb - xa));
        }
      }
    }
    return { shape: [C, Ho, Wo], data: out };
  }

  function batchnorm(L, x, W) {
    const C = x.shape[0], per = size(x.shape) / C;
    const rm = W(L.running_mean), rv = W(L.running_var);
    const g = L.weight ? W(L.weight) : null, b = L.bias ? W(L.bias) : null;
    const out = new Float32Array(x.data.length), xs = x.data;
    for (let c = 0; c < C; c++) {
      const inv = 1 / Math.sqrt(rv[c] + Math.fround(L.eps));
      const scale = (g ? g[c] : 1) * inv, shift = b ? b[c] : 0;
      for (let i = c * per; i < (c + 1) * per; i++) out[i] = (xs[i] - rm[c]) * scale + shift;
    }
    return { shape: x.shape.slice(), data: out };
  }

  function linear(L, x, W) {
    const n = L.in_features, m = L.out_features;
    if (x.shape[x.shape.length - 1] !== n) {
      throw new Error('Linear expects ' + n + ' features, got [' + x.shape + ']');
    }
    const rows = x.data.length / n, wt = W(L.weight), bias = L.bias ? W(L.bias) : null, xs = x.data;
    const out = new Float32Array(rows * m);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < m; o++) {
        let s = bias ? bias[o] : 0;
        const wo = o * n, xo = r * n;
        for (let i = 0; i < n; i++) s += wt[wo + i] * xs[xo + i];
        out[r * m + o] = s;
      }
    }
    return { shape: x.shape.slice(0, -1).concat([m]), data: out };
  }

  function flatten(L, x) {
    const nb = x.shape.length + 1;  // torch's dims count the batch
    let a = L.start_dim < 0 ? L.start_dim + nb : L.start_dim;
    let b = L.end_dim < 0 ? L.end_dim + nb : L.end_dim;
    if (a === 0) a = 1;  // the batch of one is not shown
    const s = x.shape;
    const shape = s.slice(0, a - 1).concat([size(s.slice(a - 1, b))]).concat(s.slice(b));
    return { shape, data: x.data };
  }

  function erf(x) {  // W. J. Cody's rational approximations (double precision)
    const ax = Math.abs(x);
    if (ax < 0.5) {
      const t = x * x;
      const p = ((((1.857777061846031526730e-1 * t + 3.161123743870565596947) * t + 1.138641541510501556495e2) * t + 3.774852376853020208137e2) * t + 3.209377589138469472562e3);
      const q = ((((t + 2.360129095234412093499e1) * t + 2.440246379344441733056e2) * t + 1.282616526077372275645e3) * t + 2.844236833439170622273e3);
      return x * p / q;
    }
    let r;
    if (ax < 4) {
      const P = [2.15311535474403846343e-8, 5.64188496988670089180e-1, 8.88314979438837594118, 6.61191906371416294775e1, 2.98635138197400131132e2, 8.81952221241769090411e2, 1.71204761263407058314e3, 2.05107837782607146532e3, 1.23033935479799725272e3];
      const Q = [1, 1.57449261107098347253e1, 1.17693950891312499305e2, 5.37181101862009857509e2, 1.62138957456669018874e3, 3.29079923573345962678e3, 4.36261909014324715820e3, 3.43936767414372163696e3, 1.23033935480374942043e3];
      let p = 0, q = 0;
      for (let i = 0; i < 9; i++) { p = p * ax + P[i]; q = q * ax + Q[i]; }
      r = Math.exp(-ax * ax) * p / q;
    } else {
      const P = [1.63153871373020978498e-2, 3.05326634961232344035e-1, 3.60344899949804439429e-1, 1.25781726111229246204e-1, 1.60837851487422766278e-2, 6.58749161529837803157e-4];
      const Q = [1, 2.56852019228982242072, 1.87295284992346725209, 5.27905102951428412248e-1, 6.05183413124413191178e-2, 2.33520497626869185443e-3];
      const z = 1 / (ax * ax);
      let p = 0, q = 0;
      for (let i = 0; i < 6; i++) { p = p * z + P[i]; q = q * z + Q[i]; }
      r = Math.exp(-ax * ax) / ax * (0.5641895835477563 - z * p / q);
    }
    return x < 0 ? r - 1 : 1 - r;
  }

  const ELEMENTWISE = {
    relu: () => (v) => (v > 0 ? v : 0),
    leakyrelu: (L) => (v) => (v > 0 ? v : v * L.negative_slope),
    sigmoid: () => (v) => 1 / (1 + Math.exp(-v)),
    tanh: () => Math.tanh,
    gelu: (L) => (L.approximate === 'tanh'
      ? (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))
      : (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
  };

  function elementwise(L, x) {
    const f = ELEMENTWISE[L.type](L), xs = x.data, out = new Float32Array(xs.length);
    for (let i = 0; i < xs.length; i++) out[i] = f(xs[i]);
    return { shape: x.shape.slice(), data: out };
  }

  function softmax(L, x) {
    const nb = x.shape.length + 1;
    const d = (L.dim < 0 ? L.dim + nb : L.dim) - 1;  // without the batch
    const s = x.shape, n = s[d], inner = size(s.slice(d + 1)), outer = size(s.slice(0, d));
    const xs = x.data, out = new Float32Array(xs.length);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const base = o * n * inner + k;
        let m = -Infinity, z = 0;
        for (let i = 0; i < n; i++) m = Math.max(m, xs[base + i * inner]);
        for (let i = 0; i < n; i++) z += Math.exp(xs[base + i * inner] - m);
        for (let i = 0; i < n; i++) out[base + i * inner] = Math.exp(xs[base + i * inner] - m) / z;
      }
    }
    return { shape: s.slice(), data: out };
  }

  function add(a, b, where) {
    if (a.data.length !== b.data.length) {
      throw new Error(where + ': the body gives [' + a.shape + '] but the shortcut [' + b.shape + ']');
    }
    const out = new Float32Array(a.data.length);
    for (let i = 0; i < out.length; i++) out[i] = a.data[i] + b.data[i];
    return { shape: a.shape.slice(), data: out };
  }

  function concat(parts, where) {
    const rest = JSON.stringify(parts[0].shape.slice(1));
    if (parts.some((p) => JSON.stringify(p.shape.slice(1)) !== rest)) {
      throw new Error(where + ': branches give ' + parts.map((p) => '[' + p.shape + ']').join(', '));
    }
    const out = new Float32Array(parts.reduce((a, p) => a + p.data.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p.data, at); at += p.data.length; }
    return { shape: [parts.reduce((a, p) => a + p.shape[0], 0)].concat(parts[0].shape.slice(1)), data: out };
  }

  function makeModel(data) {
    const all = decodeWeights(data);
    const W = (ref) => all.subarray(ref.offset, ref.offset + ref.length);

    // One layer (or block) on x; every leaf and block is written to rec: {entry, input, output, depth}.
    function run(entry, x, rec, depth) {
      let y;
      switch (entry.type) {
        case 'conv2d': y = conv2d(entry, x, W); break;
        case 'maxpool2d': case 'avgpool2d': y = pool2d(entry, x); break;
        case 'adaptiveavgpool2d': y = adaptiveAvg(entry, x); break;
        case 'batchnorm2d': y = batchnorm(entry, x, W); break;
        case 'linear': y = linear(entry, x, W); break;
        case 'flatten': y = flatten(entry, x); break;
        case 'dropout': case 'identity': y = { shape: x.shape.slice(), data: x.data }; break;
        case 'softmax': y = softmax(entry, x); break;
        case 'residual': {
          const body = seq(entry.layers, x, rec, depth + 1);
          const sc = entry.shortcut === 'identity' ? x : seq(entry.shortcut_layers, x, rec, depth + 1);
          y = add(body, sc, entry.label);
          break;
        }
        case 'concat':
          y = concat(entry.branches.map((b) => seq(b, x, rec, depth + 1)), entry.label);
          break;
        case 'sequential': y = seq(entry.layers, x, rec, depth + 1); break;
        default:
          if (!ELEMENTWISE[entry.type]) throw new Error('no forward pass for ' + entry.type);
          y = elementwise(entry, x);
      }
      rec.push({ entry, input: x, output: y, depth });
      return y;
    }

    function seq(list, x, rec, depth) {
      for (const e of list) x = run(e, x, rec, depth);
      return x;
    }

    function trace(x) {
      const want = size(data.input);
      const input = x instanceof Float32Array ? x : Float32Array.from(x);
      if (input.length !== want) throw new Error('the input needs ' + want + ' values, got ' + input.length);
      const rec = [];
      const out = seq(data.layers, { shape: data.input.slice(), data: input }, rec, 0);
      const last = data.layers[data.layers.length - 1];
      const probs = last && last.type === 'softmax' ? Array.from(out.data)
        : Array.from(softmax({ dim: 1 }, { shape: [out.data.length], data: out.data }).data);
      return { records: rec, output: out, probabilities: probs };
    }

    function forward(x) {
      const t = trace(x);
      return {
        probabilities: t.probabilities,
        layers: t.records.map((r) => ({ name: r.entry.name, shape: r.output.shape.slice(), values: r.output.data })),
      };
    }

    return { forward, trace, weights: W, input: data.input.slice(), layers: data.layers, dtype: data.dtype };
  }

  window.cnnvizMakeModel = makeModel;
  window.cnnvizEngine = { makeModel, conv2d, pool2d, poolSize, decodeBase64 };
})();
