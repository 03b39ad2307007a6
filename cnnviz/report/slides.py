"""The presentation file's slide mode: slides that fit the screen, keys, a notes view.

Inlined into the HTML by ``cnnviz.report.html`` (no network). In slide mode each section
is measured on the screen it is shown on (a 1024×768 projector as well as a laptop) and,
when taller than one screen, cut into several slides between its blocks (paragraphs,
figures, tables, galleries); the section's title heads each of them, with "2/3". A chart
taller than a slide is drawn shorter; a long table's rows go over several slides (its header
on each); the explainer scrolls inside its box; any other block taller than a slide is scaled
down to fit. Resizing the window (full screen, another projector) cuts the slides again.

Keys: → ↓ Page Down, space, Enter: next · ← ↑ Page Up, Backspace: previous · Home / End ·
F full screen · N the presenter's notes view (also ``#notes`` in the address) · Esc back.
The notes view shows the audience's slide smaller, the section's speaker notes (the
presenter's notes, else the section's text), what is on this slide and the next one.
"""

from __future__ import annotations

CSS = """
body.slides { background:#fff; font-size:24px; height:100vh; overflow:hidden; }
body.slides .toolbar { font-size:16px; height:3rem; }
body.slides main { max-width:none; padding:0; }
body.slides section.slide { display:none; border:0; border-radius:0; margin:0; height:calc(100vh - 3rem); overflow:hidden; padding:1rem 4vw; }
body.slides section.slide.current, body.slides section.slide.measuring { display:block; }
@media screen { body.slides .off, body.slides .split-original { display:none !important; } }
@media print { .slide-copy { display:none !important; } }
body.slides section.slide h2[data-part]::after { content:"  (" attr(data-part) ")"; color:var(--muted); font-size:1.2rem; font-weight:400; }
body.slides h1 { font-size:3rem; } body.slides h2 { font-size:2.2rem; } body.slides h3 { font-size:1.3rem; }
body.slides .notes { display:none; }
body.slides table { font-size:1rem; }
body.slides .gallery figure, body.slides .gallery img { width:200px; }
.speaker { display:none; }
#notes-panel { display:none; }
body.slides.notes-view main { transform:scale(.58); transform-origin:0 0; width:100vw; }
body.slides.notes-view #notes-panel { display:block; position:fixed; top:3rem; right:0; bottom:0; width:41vw; overflow-y:auto; padding:1rem 1.5rem; background:#fbf7e8; border-left:4px solid #e2c44d; font-size:20px; z-index:20; }
#notes-panel h4 { margin:.8rem 0 .3rem; font-size:1rem; color:var(--muted); text-transform:uppercase; letter-spacing:.04em; }
#notes-panel .now { font-weight:600; }
#notes-panel .next { border-top:1px solid var(--line); margin-top:1rem; padding-top:.5rem; color:var(--muted); }
@media print { #notes-panel { display:none !important; } body.slides.notes-view main { transform:none; } }
"""

JS = """
(function () {
  const sections = Array.from(document.querySelectorAll('section.slide'));
  const charts = Array.from(document.querySelectorAll('.chart'));
  const counter = document.getElementById('counter');
  const panel = document.getElementById('notes-panel');
  let pages = [];  // [{section, items, part, parts}]: one per slide
  let current = 0;
  const inSlides = () => document.body.classList.contains('slides');
  function spec(el) { return JSON.parse(document.getElementById(el.dataset.fig).textContent); }
  function draw(el) {
    const s = spec(el);
    el.dataset.font = (s.layout.font && s.layout.font.size) || 12;
    el.dataset.height = s.layout.height || 450;
    return Plotly.newPlot(el, s.data, s.layout, s.config);
  }
  const ready = Promise.all(charts.map(draw)).then(() => { document.body.dataset.charts = 'drawn'; });
  function resize(list) { list.forEach((c) => { if (c.offsetParent !== null) Plotly.Plots.resize(c); }); }
  function fonts(big) {
    return Promise.all(charts.map((c) => Plotly.relayout(c, { 'font.size': big ? Math.max(18, +c.dataset.font) : +c.dataset.font })));
  }
  // the pieces a slide is cut between: the title slide's lines, each paragraph, each block
  function items(sec) {
    const out = [];
    for (const el of sec.children) {
      if (el.tagName === 'HEADER' || el.matches('.notes, .speaker, .split-original')) continue;
      if (el.classList.contains('text')) out.push(...el.children); else out.push(el);
    }
    return out;
  }
  function outer(el) {
    const cs = getComputedStyle(el);
    return el.getBoundingClientRect().height + parseFloat(cs.marginTop) + parseFloat(cs.marginBottom);
  }
  function room(sec) {
    const cs = getComputedStyle(sec);
    const head = sec.querySelector(':scope > header');
    return sec.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom) - (head ? outer(head) : 0) - 4;
  }
  function unfit() {
    document.querySelectorAll('[data-zoomed]').forEach((el) => {
      el.style.zoom = el.style.maxHeight = el.style.overflowY = '';
      delete el.dataset.zoomed;
    });
    document.querySelectorAll('.off').forEach((el) => el.classList.remove('off'));
    document.querySelectorAll('.slide-copy').forEach((el) => el.remove());
    document.querySelectorAll('.split-original').forEach((el) => el.classList.remove('split-original'));
    document.querySelectorAll('[data-part]').forEach((el) => { delete el.dataset.part; });
    return Promise.all(charts.filter((c) => c.dataset.fitted).map((c) => {
      delete c.dataset.fitted;
      return Plotly.relayout(c, { height: +c.dataset.height });
    }));
  }
  async function fit(sec) {  // a chart taller than a slide is drawn shorter, other blocks scaled down
    resize(Array.from(sec.querySelectorAll('.chart')));
    const avail = room(sec);
    const jobs = [];
    for (const el of items(sec)) {
      const h = outer(el);
      const chart = el.querySelector('.chart');
      if (h <= avail || !chart) continue;
      const rest = h - chart.getBoundingClientRect().height;
      chart.dataset.fitted = '1';
      jobs.push(Plotly.relayout(chart, { height: Math.max(160, Math.floor(avail - rest - 4)) }));
    }
    await Promise.all(jobs);
    for (const el of items(sec)) if (outer(el) > avail && el.querySelector('tbody')) splitTable(el, avail);
    for (const el of items(sec)) {
      const h = outer(el);
      if (h <= avail) continue;
      el.dataset.zoomed = '1';
      if (el.classList.contains('embed')) {  // the explainer stays life-size and scrolls inside
        const cs = getComputedStyle(el);
        el.style.maxHeight = Math.floor(avail - parseFloat(cs.marginTop) - parseFloat(cs.marginBottom) - 4) + 'px';
        el.style.overflowY = 'auto';
      } else el.style.zoom = String(Math.max(0.25, (avail - 2) / h));
    }
    return avail;
  }
  function splitTable(el, avail) {  // a long table: its rows over several slides, the header on each
    const rows = Array.from(el.querySelectorAll('tbody > tr'));
    const height = (r) => r.getBoundingClientRect().height;
    const head = outer(el) - rows.reduce((a, r) => a + height(r), 0);
    const chunks = [];
    let now = [], used = head;
    for (const r of rows) {
      if (now.length && used + height(r) > avail) { chunks.push(now); now = []; used = head; }
      now.push(rows.indexOf(r)); used += height(r);
    }
    chunks.push(now);
    if (chunks.length < 2) return;
    let after = el;
    chunks.forEach((keep, k) => {
      const copy = el.cloneNode(true);
      copy.classList.add('slide-copy');
      Array.from(copy.querySelectorAll('tbody > tr')).forEach((r, i) => { if (!keep.includes(i)) r.remove(); });
      const h3 = copy.querySelector('h3');
      if (h3 && k) h3.textContent += ' (continued)';
      after.after(copy);
      after = copy;
    });
    el.classList.add('split-original');
  }
  function cut(sec, avail) {
    const parts = [];
    let now = [], used = 0;
    for (const el of items(sec)) {
      const h = outer(el);
      if (now.length && used + h > avail) { parts.push(now); now = []; used = 0; }
      now.push(el); used += h;
    }
    if (now.length || !parts.length) parts.push(now);
    return parts;
  }
  let cutting = null;
  async function paginate() {
    const was = pages[current];
    await unfit();
    const out = [];
    for (const sec of sections) {
      sec.classList.add('measuring');
      const avail = await fit(sec);
      const parts = cut(sec, avail);
      sec.classList.remove('measuring');
      parts.forEach((p, k) => out.push({ section: sec, items: p, part: k, parts: parts.length }));
    }
    pages = out;
    const back = was ? pages.findIndex((p) => p.section === was.section && p.part === Math.min(was.part, p.parts - 1)) : 0;
    current = Math.max(0, back);
    document.body.dataset.slides = String(pages.length);
  }
  function cutAgain() { cutting = paginate().then(() => show(current)); return cutting; }
  function words(el) {
    const terms = Array.from(el.querySelectorAll('dt')).map((t) => t.textContent.trim());
    return (terms.length ? terms.join(' · ') : (el.querySelector('h1, h2, h3') || el).textContent.trim()).slice(0, 90);
  }
  function title(pg) {
    const h = pg.section.querySelector('h1, h2');
    return (h ? h.textContent.trim() : '') + (pg.parts > 1 ? ' (' + (pg.part + 1) + '/' + pg.parts + ')' : '');
  }
  function notes() {
    if (!panel || !pages.length) return;
    const pg = pages[current], next = pages[current + 1];
    const speaker = pg.section.querySelector(':scope > .speaker');
    const list = (pg2) => '<ul>' + pg2.items.map((el) => '<li></li>').join('') + '</ul>';
    panel.innerHTML = '<p class="now"></p><h4>Notes</h4><div class="say"></div><h4>On this slide</h4>' + list(pg)
      + '<div class="next"><h4>Next</h4><p class="next-title"></p>' + (next ? list(next) : '') + '</div>';
    panel.querySelector('.now').textContent = (current + 1) + ' / ' + pages.length + ' · ' + title(pg);
    panel.querySelector('.say').innerHTML = speaker ? speaker.innerHTML : '';
    panel.querySelectorAll(':scope > ul li').forEach((li, k) => { li.textContent = words(pg.items[k]); });
    panel.querySelector('.next-title').textContent = next ? title(next) : 'The end of the presentation.';
    if (next) panel.querySelectorAll('.next li').forEach((li, k) => { li.textContent = words(next.items[k]); });
  }
  function show(n) {
    if (!pages.length) return;
    current = Math.max(0, Math.min(pages.length - 1, n));
    const pg = pages[current];
    sections.forEach((s) => s.classList.toggle('current', s === pg.section));
    items(pg.section).forEach((el) => el.classList.toggle('off', !pg.items.includes(el)));
    const h2 = pg.section.querySelector(':scope > header h2');
    for (const el of [pg.section, h2]) {
      if (!el) continue;
      if (pg.parts > 1) el.dataset.part = (pg.part + 1) + '/' + pg.parts; else delete el.dataset.part;
    }
    counter.textContent = (current + 1) + ' / ' + pages.length;
    resize(Array.from(pg.section.querySelectorAll('.chart')));
    notes();
  }
  async function enter() {
    const root = document.documentElement;
    if (!inSlides() && root.requestFullscreen && !document.fullscreenElement && !document.body.classList.contains('notes-view')) {
      root.requestFullscreen().catch(() => {});
    }
    document.body.classList.add('slides');
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur();  // space moves on, not a button
    await ready;
    await fonts(true);
    await cutAgain();
  }
  function leave() {
    document.body.classList.remove('slides', 'notes-view');
    counter.textContent = '';
    pages = [];
    unfit().then(() => fonts(false)).then(() => resize(charts));
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  }
  function toggleNotes(on) {
    const want = on === undefined ? !document.body.classList.contains('notes-view') : on;
    document.body.classList.toggle('notes-view', want);
    notes();
  }
  function printSize() {
    document.querySelectorAll('[data-zoomed]').forEach((el) => { el.style.zoom = el.style.maxHeight = el.style.overflowY = ''; });
    charts.forEach((c) => Plotly.relayout(c, { width: PRINT_WIDTH, height: +c.dataset.height, 'font.size': +c.dataset.font }));
  }
  function screenSize() {
    charts.forEach((c) => Plotly.relayout(c, { width: null, autosize: true }));
    if (inSlides()) fonts(true).then(cutAgain);
  }
  document.getElementById('to-slides').addEventListener('click', enter);
  document.getElementById('to-print').addEventListener('click', () => window.print());
  window.addEventListener('beforeprint', printSize);
  window.addEventListener('afterprint', screenSize);
  const media = window.matchMedia('print');
  if (media.addEventListener) media.addEventListener('change', (e) => (e.matches ? printSize() : screenSize()));
  let timer = null;
  window.addEventListener('resize', () => {
    if (!inSlides()) return;
    clearTimeout(timer);
    timer = setTimeout(cutAgain, 150);
  });
  document.addEventListener('keydown', (e) => {
    if (e.target.closest && e.target.closest('input, textarea, select')) return;  // typing, not steering
    if (!inSlides()) {
      if (e.key === 's' || e.key === 'S') enter();
      else if (e.key === 'n' || e.key === 'N') enter().then(() => toggleNotes(true));
      return;
    }
    if (['ArrowRight', 'ArrowDown', 'PageDown', ' ', 'Enter'].includes(e.key)) { show(current + 1); e.preventDefault(); }
    else if (['ArrowLeft', 'ArrowUp', 'PageUp', 'Backspace'].includes(e.key)) { show(current - 1); e.preventDefault(); }
    else if (e.key === 'Home') show(0);
    else if (e.key === 'End') show(pages.length - 1);
    else if (e.key === 'Escape') leave();
    else if (e.key === 'n' || e.key === 'N') toggleNotes();
    else if (e.key === 'f' || e.key === 'F') {
      if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
      else document.documentElement.requestFullscreen().catch(() => {});
    }
  });
  if (location.hash === '#notes') enter().then(() => toggleNotes(true));
  window.cnnvizReport = {
    enter, leave, show, printSize, screenSize, ready, toggleNotes,
    slides: () => pages.length, current: () => current, settled: () => cutting || Promise.resolve(),
  };
})();
"""

__all__ = ["CSS", "JS"]
