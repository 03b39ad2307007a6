// The convolution / max-pooling stepper, in the page: step, play, scrub and hover with no
// server round trip. The server sends, once, the input (the channels of the filter's group,
// float32 as base64), the kernel and bias (conv), the layer's geometry and torch's output
// map for the channel; this file works out any output pixel from them:
// window position (i, j) reads input pixel (row·S − P + i·D, col·S − P + j·D), zeros on the
// padding (conv) or nothing (pool), then Σ window × kernel per input channel, plus the bias.

const f32 = (b64) => {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
};
const fmt = (v, d) => (Number.isFinite(v) ? v.toFixed(d) : "−∞");
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
const ramp = (stops, t) => {
  t = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const k = Math.min(stops.length - 2, Math.floor(t)), u = t - k;
  const c = stops[k].map((a, n) => Math.round(a + (stops[k + 1][n] - a) * u));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
};
const diverging = (v, lim) => {  // blue (−) · white · red (+), as Plotly's RdBu reversed
  if (!Number.isFinite(v)) return "#e2e8f0";
  const t = Math.max(-1, Math.min(1, v / (lim || 1)));
  const a = Math.abs(t), to = t >= 0 ? [178, 24, 43] : [33, 102, 172];
  const c = [255, 255, 255].map((w, n) => Math.round(w + (to[n] - w) * a * 0.85));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
};
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

function model(d) {
  const [H, W] = d.in_size, [Ho, Wo] = d.out_size, [kh, kw] = d.kernel_size;
  const input = f32(d.input), out = f32(d.output);
  const kernel = d.kernel ? f32(d.kernel) : null;
  const C = d.in_channels.length;
  const at = (c, r, q) => input[(c * H + r) * W + q];
  // the window of output pixel (row, col): input rows and columns, values per channel
  const step = (row, col) => {
    const rows = [], cols = [];
    for (let i = 0; i < kh; i++) rows.push(row * d.stride[0] - d.padding[0] + i * d.dilation[0]);
    for (let j = 0; j < kw; j++) cols.push(col * d.stride[1] - d.padding[1] + j * d.dilation[1]);
    const inside = (i, j) => rows[i] >= 0 && rows[i] < H && cols[j] >= 0 && cols[j] < W;
    const reference = out[row * Wo + col];
    if (d.kind === "pool") {
      const win = [];
      let best = -Infinity, pick = [0, 0];
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
        const v = inside(i, j) ? at(0, rows[i], cols[j]) : -Infinity;
        win.push(v);
        if (v > best) { best = v; pick = [i, j]; }
      }
      return {row, col, rows, cols, windows: [win], pick, total: best, reference,
              matches: best === reference};
    }
    const windows = [], products = [], sums = [];
    for (let c = 0; c < C; c++) {
      const win = [], prod = [];
      let s = 0;
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
        const v = inside(i, j) ? at(c, rows[i], cols[j]) : 0;
        const p = v * kernel[(c * kh + i) * kw + j];
        win.push(v); prod.push(p); s += p;
      }
      windows.push(win); products.push(prod); sums.push(s);
    }
    const total = sums.reduce((a, b) => a + b, 0) + d.bias;
    return {row, col, rows, cols, windows, products, sums, total, reference,
            matches: Math.abs(total - reference) <= 1e-4 * Math.max(1, Math.abs(reference))};
  };
  let lo = Infinity, hi = -Infinity;
  for (const v of out) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return {H, W, Ho, Wo, kh, kw, C, input, out, kernel, at, step, lo, hi};
}

function build(root, d, m) {
  root.replaceChildren();
  root.classList.toggle("cvs-big", !!d.big);
  const bar = el("div", "cvs-bar");
  const back = el("button", "cvs-btn cvs-back", "◀ Back");
  const next = el("button", "cvs-btn cvs-next", "Next ▶");
  const play = el("button", "cvs-btn cvs-play", "▶ Play");
  for (const b of [back, next, play]) b.type = "button";
  back.title = "Previous output pixel";
  next.title = "Next output pixel";
  play.title = "Step through the output pixels on its own";
  const scrub = el("input", "cvs-scrub");
  Object.assign(scrub, {type: "range", min: 0, max: m.Ho * m.Wo - 1, step: 1});
  scrub.setAttribute("aria-label", "Output pixel");
  const where = el("div", "cvs-where");
  bar.append(back, next, play, scrub);
  const panes = el("div", "cvs-panes");
  const left = el("div", "cvs-pane cvs-inputs");
  const canvases = [];
  d.panels.forEach((k) => {
    const fig = el("figure", "cvs-fig");
    const cap = el("figcaption", "cvs-cap", `input channel ${d.in_channels[k]}`);
    const cv = el("canvas", "cvs-in");
    fig.append(cap, cv);
    left.append(fig);
    canvases.push([k, cv]);
  });
  const right = el("div", "cvs-pane cvs-outputs");
  const ocap = el("figcaption", "cvs-cap", `output channel ${d.channel}`);
  const grid = el("div", "cvs-grid");
  grid.style.gridTemplateColumns = `repeat(${m.Wo}, 1fr)`;
  const span = (m.hi - m.lo) || 1;
  const cells = [];
  for (let r = 0; r < m.Ho; r++) for (let c = 0; c < m.Wo; c++) {
    const cell = el("div", "cvs-px");
    cell.dataset.cell = `${r},${c}`;
    cell.style.background = ramp(VIRIDIS, (m.out[r * m.Wo + c] - m.lo) / span);
    cells.push(cell);
  }
  grid.append(...cells);
  right.append(ocap, grid);
  panes.append(left, right);
  const pickRow = el("div", "cvs-pick");
  let chooser = null;
  if (d.kind === "conv" && m.C > 1) {
    chooser = el("select", "cvs-select");
    chooser.setAttribute("aria-label", "Numbers of input channel");
    d.in_channels.forEach((c, k) => chooser.append(new Option(`input channel ${c}`, k)));
    pickRow.append(el("span", "cvs-label", "Numbers of "), chooser);
  }
  const numbers = el("div", "cvs-numbers");
  const sum = el("p", "cvs-sum");
  root.append(bar, where, panes, pickRow, numbers, sum);
  return {back, next, play, scrub, where, canvases, grid, cells, chooser, numbers, sum};
}

function drawInput(cv, d, m, k, s) {
  // the region drawn: the padded input, or MAX_DRAWN pixels around the window when larger
  const pad = Math.max(d.padding[0], d.padding[1], 0);
  const M = d.max_drawn;
  const span = (lo, hi, mid) => {
    if (hi - lo <= M) return [lo, hi];
    const a = Math.min(Math.max(lo, mid - Math.floor(M / 2)), hi - M);
    return [a, a + M];
  };
  const rmid = Math.floor((s.rows[0] + s.rows[s.rows.length - 1]) / 2);
  const cmid = Math.floor((s.cols[0] + s.cols[s.cols.length - 1]) / 2);
  const lastR = Math.max(m.H + pad, s.rows[s.rows.length - 1] + 1);
  const lastC = Math.max(m.W + pad, s.cols[s.cols.length - 1] + 1);
  const [r0, r1] = span(Math.min(-pad, s.rows[0]), lastR, rmid);
  const [c0, c1] = span(Math.min(-pad, s.cols[0]), lastC, cmid);
  const px = Math.max(4, Math.floor(d.canvas_px / Math.max(r1 - r0, c1 - c0)));
  cv.width = (c1 - c0) * px;
  cv.height = (r1 - r0) * px;
  const g = cv.getContext("2d");
  let lo = Infinity, hi = -Infinity;
  for (let r = 0; r < m.H; r++) for (let c = 0; c < m.W; c++) {
    const v = m.at(k, r, c);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = (hi - lo) || 1;
  for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) {
    const inside = r >= 0 && r < m.H && c >= 0 && c < m.W;
    if (inside) {
      const v = Math.round(255 * (m.at(k, r, c) - lo) / range);
      g.fillStyle = `rgb(${v},${v},${v})`;
    } else g.fillStyle = "#cbd5e1";  // the padding's zeros (conv) or nothing (pool)
    g.fillRect((c - c0) * px, (r - r0) * px, px, px);
  }
  g.strokeStyle = "#475569";
  g.setLineDash([3, 3]);
  g.strokeRect((0 - c0) * px + 0.5, (0 - r0) * px + 0.5, m.W * px - 1, m.H * px - 1);
  g.setLineDash([]);
  s.rows.forEach((rr, i) => s.cols.forEach((cc, j) => {
    const picked = s.pick && s.pick[0] === i && s.pick[1] === j;
    if (picked) {
      g.fillStyle = "rgba(230,25,75,0.45)";
      g.fillRect((cc - c0) * px, (rr - r0) * px, px, px);
    }
    g.strokeStyle = "#e6194b";
    g.lineWidth = picked ? 3 : 2;
    g.strokeRect((cc - c0) * px + 1, (rr - r0) * px + 1, px - 2, px - 2);
  }));
}

function matrix(title, values, rows, cols, pick, digits) {
  const fig = el("figure", "cvs-mat");
  fig.append(el("figcaption", "cvs-cap", title));
  const t = el("table", "cvs-table");
  let lim = 0;
  for (const v of values) if (Number.isFinite(v)) lim = Math.max(lim, Math.abs(v));
  for (let i = 0; i < rows; i++) {
    const tr = el("tr");
    for (let j = 0; j < cols; j++) {
      const v = values[i * cols + j];
      const td = el("td", "cvs-num", fmt(v, digits));
      td.style.background = diverging(v, lim);
      if (pick && pick[0] === i && pick[1] === j) td.classList.add("cvs-picked");
      tr.append(td);
    }
    t.append(tr);
  }
  fig.append(t);
  return fig;
}

function show(ui, d, m, s) {
  const n = s.row * m.Wo + s.col;
  ui.where.textContent = `Output pixel row ${s.row}, column ${s.col} (of ${m.Ho}×${m.Wo})`
    + " · hover a pixel of the output to see its window, click it to stay there";
  ui.where.dataset.pos = String(n);
  ui.canvases.forEach(([k, cv]) => drawInput(cv, d, m, k, s));
  for (const c of ui.grid.querySelectorAll(".cvs-on")) c.classList.remove("cvs-on");
  ui.cells[n].classList.add("cvs-on");
  const which = ui.chooser ? Number(ui.chooser.value) : 0;
  if (d.kind === "conv") {
    ui.numbers.replaceChildren(
      matrix(`window (channel ${d.in_channels[which]})`, s.windows[which], m.kh, m.kw, null, 2),
      el("span", "cvs-op", "×"),
      matrix("kernel", Array.from(m.kernel.subarray(which * m.kh * m.kw, (which + 1) * m.kh * m.kw)),
             m.kh, m.kw, null, 2),
      el("span", "cvs-op", "="),
      matrix("products", s.products[which], m.kh, m.kw, null, 2));
    const shown = s.sums.slice(0, 8).map((v) => fmt(v, 3)).join(" + ");
    const more = s.sums.length > 8 ? ` + … (${s.sums.length - 8} more)` : "";
    const bias = d.has_bias ? ` + bias ${fmt(d.bias, 3)}` : " (no bias)";
    ui.sum.replaceChildren(
      `Window × kernel, summed per input channel: ${shown}${more}${bias} = `,
      el("strong", "cvs-total", fmt(s.total, 4)),
      ` — ${s.matches ? "✓ equals" : "✗ differs from"} the captured activation `,
      el("strong", "cvs-ref", fmt(s.reference, 4)),
      ` at output channel ${d.channel}, row ${s.row}, column ${s.col}.`);
  } else {
    ui.numbers.replaceChildren(matrix("window", s.windows[0], m.kh, m.kw, s.pick, 2));
    ui.sum.replaceChildren(
      "max of the window = ", el("strong", "cvs-total", fmt(s.total, 4)),
      ` (row ${s.rows[s.pick[0]]}, column ${s.cols[s.pick[1]]}) — `
      + `${s.matches ? "✓ equals" : "✗ differs from"} torch's output `,
      el("strong", "cvs-ref", fmt(s.reference, 4)), ".");
  }
  ui.sum.dataset.total = String(s.total);
  ui.sum.dataset.reference = String(s.reference);
  ui.sum.dataset.cell = `${s.row},${s.col}`;
  ui.scrub.value = String(n);
}

export default function ({ parentElement, data }) {
  const root = parentElement.querySelector(".cvs-root");
  if (!root || !data) return;
  if (root.__cvs && root.__cvs.id === data.id) return;  // a rerun with the same data: as it is
  if (root.__cvs) root.__cvs.stop();
  const m = model(data);
  const ui = build(root, data, m);
  const total = m.Ho * m.Wo;
  const kept = root.__cvsPos !== undefined && root.__cvsPos < total ? root.__cvsPos : data.pos;
  let pos = Math.min(Math.max(kept || 0, 0), total - 1), timer = null;
  const render = (n) => show(ui, data, m, m.step(Math.floor(n / m.Wo), n % m.Wo));
  const go = (n) => { pos = (n + total) % total; root.__cvsPos = pos; render(pos); };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
    ui.play.textContent = "▶ Play";
  };
  ui.back.addEventListener("click", () => { stop(); go(pos - 1); });
  ui.next.addEventListener("click", () => { stop(); go(pos + 1); });
  ui.play.addEventListener("click", () => {
    if (timer) return stop();
    if (pos >= total - 1) go(0);
    ui.play.textContent = "❚❚ Pause";
    timer = setInterval(() => { if (pos >= total - 1) stop(); else go(pos + 1); }, data.tick_ms);
  });
  ui.scrub.addEventListener("input", () => { stop(); go(Number(ui.scrub.value)); });
  if (ui.chooser) ui.chooser.addEventListener("change", () => render(pos));
  ui.grid.addEventListener("pointerover", (e) => {
    const cell = e.target.closest(".cvs-px");
    if (!cell || timer) return;
    const [r, c] = cell.dataset.cell.split(",").map(Number);
    show(ui, data, m, m.step(r, c));
  });
  ui.grid.addEventListener("pointerleave", () => { if (!timer) render(pos); });
  ui.grid.addEventListener("click", (e) => {
    const cell = e.target.closest(".cvs-px");
    if (!cell) return;
    stop();
    const [r, c] = cell.dataset.cell.split(",").map(Number);
    go(r * m.Wo + c);
  });
  root.__cvs = {id: data.id, stop};
  root.__cvsData = data;  // read by the browser test, which checks the numbers against torch
  go(pos);
  return () => { stop(); root.__cvs = null; };
}
