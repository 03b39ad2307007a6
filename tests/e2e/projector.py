"""What a class on the back row sees of a page: read from the browser's computed styles.

``read(page)`` walks every visible text node of the page (HTML and Plotly's SVG text,
the sidebar too when it is open) and returns, as a dict:

- ``chars`` / ``small_chars``: characters of visible text, and those under ``MIN_PX``
  (the size as drawn: the computed font size times any CSS zoom);
- ``small``: up to 12 samples ``[px, text, where]`` of the smallest text;
- ``main_share``: the width of the main area's content (the block container less its
  padding) over the window's width;
- ``cut``: up to 12 labels drawn cut off: a button, widget label, tab, metric or link
  whose text is wider than its box with the overflow hidden or that reaches past the
  window's edge, and chart text (SVG) that runs past its chart's edge.

Tables drawn on a canvas (``st.dataframe``: Glide Data Grid) have no text nodes: the fonts
their canvases draw text with (``fillText``) are recorded by ``CANVAS_FONTS_JS`` (add it to the browser context
with ``context.add_init_script`` before opening a page) and counted like text.

Used by tests/e2e/test_projector_browser.py (asserts) and bench/browser.py (figures).
Icons (Material Symbols ligatures) and hidden or transparent text are not text a class reads.
"""

from __future__ import annotations

MIN_PX = 18

CANVAS_FONTS_JS = """(() => {
  // the font of every text a canvas draws (fillText), kept on the canvas
  const fill = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
    const c = this.canvas;
    if (c && String(text).trim()) (c.__fonts ||= new Set()).add(this.font);
    return fill.call(this, text, ...rest);
  };
})()"""

READ_JS = """(minPx) => {
  const out = {chars: 0, small_chars: 0, small: [], cut: [], main_share: 0};
  const visible = (el) => el.checkVisibility
      ? el.checkVisibility({opacityProperty: true, visibilityProperty: true})
      : true;
  const icon = (el) => !!el.closest('[data-testid="stIconMaterial"]')
      || /Material/.test(getComputedStyle(el).fontFamily);
  const where = (el) => {
    const t = el.closest('[data-testid]');
    return t ? t.getAttribute('data-testid') : el.tagName;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const docW = document.documentElement.scrollWidth;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.replace(/\\s+/g, ' ').trim();
    if (!text) continue;
    const el = n.parentElement;
    if (!el || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TITLE'].includes(el.tagName)) continue;
    if (el.closest('[data-testid="stIconMaterial"], [data-testid="stSkipToContent"], .katex-mathml, .modebar, [data-baseweb="tooltip"],'
                   + ' [data-testid="stTooltipContent"], .hoverlayer')) continue;
    const cs = getComputedStyle(el);
    if (/Material/.test(cs.fontFamily)) continue;
    if (!visible(el)) continue;
    const r = document.createRange();
    r.selectNodeContents(n);
    const b = r.getBoundingClientRect();
    if (b.width <= 2 || b.height <= 2) continue;  // screen-reader-only text is 1 px
    if (b.right + window.scrollX < 0 || b.left + window.scrollX > docW) continue;
    const px = parseFloat(cs.fontSize) * (el.currentCSSZoom || 1);  // CSS zoom: as drawn
    out.chars += text.length;
    if (px < minPx - 0.01) {
      out.small_chars += text.length;
      if (out.small.length < 12) out.small.push([px, text.slice(0, 40), where(el)]);
    }
  }
  const rootPx = parseFloat(getComputedStyle(document.documentElement).fontSize);
  for (const c of document.querySelectorAll('[data-testid="stDataFrame"] canvas')) {
    if (!visible(c) || !c.__fonts) continue;
    for (const f of c.__fonts) {
      const m = /([\\d.]+)(px|rem)/.exec(f);
      if (!m) continue;
      const px = parseFloat(m[1]) * (m[2] === 'rem' ? rootPx : 1) * (c.currentCSSZoom || 1);
      out.chars += 10;
      if (px < minPx - 0.01) {
        out.small_chars += 10;
        if (out.small.length < 12) out.small.push([px, 'table (canvas): ' + f, 'stDataFrame']);
      }
    }
  }
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  if (main) {
    const cs = getComputedStyle(main);
    const w = main.getBoundingClientRect().width - parseFloat(cs.paddingLeft)
        - parseFloat(cs.paddingRight);
    out.main_share = w / window.innerWidth;
  }
  const boxes = document.querySelectorAll(
    'button, [data-testid="stWidgetLabel"], [role="tab"], [data-testid="stMetricLabel"],'
    + ' [data-testid="stMetricValue"], [data-testid="stPageLink"] a, [data-testid="stCaptionContainer"],'
    + ' [data-testid="stTopNavLink"], [data-testid="stSidebarNavLink"], [data-tag]');
  const label = (el) => [...el.querySelectorAll('*')].filter((e) => !icon(e)).length
      || !icon(el) ? el.innerText.replace(/\\s+/g, ' ').trim() : '';
  const clipRight = (el) => {  // the right edge it is drawn to: the window, or a box that clips
    let edge = window.innerWidth;
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      if (getComputedStyle(e).overflowX !== 'visible') {
        edge = Math.min(edge, e.getBoundingClientRect().right);
      }
    }
    return edge;
  };
  for (const box of boxes) {
    if (!visible(box) || !box.innerText.trim()) continue;
    const r = box.getBoundingClientRect();
    if (r.right <= 0) continue;  // in the folded sidebar, drawn off the window's left
    if (r.right > clipRight(box) + 1 || r.left < -1) {
      if (out.cut.length < 12) out.cut.push([label(box).slice(0, 40), 'past the edge']);
      continue;
    }
    for (const el of [box, ...box.querySelectorAll('*')]) {
      if (icon(el)) continue;
      const cs = getComputedStyle(el);
      const hides = cs.overflowX !== 'visible' || cs.textOverflow === 'ellipsis';
      // (a box 1-2 px wide is a screen reader's label, drawn nowhere)
      if (hides && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 2) {
        if (out.cut.length < 12) out.cut.push([label(box).slice(0, 40), where(box)]);
        break;
      }
    }
  }
  for (const svg of document.querySelectorAll('.js-plotly-plot .main-svg')) {
    if (!visible(svg)) continue;
    const s = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const txt = t.textContent.trim();
      if (!txt || !visible(t)) continue;
      const b = t.getBoundingClientRect();
      if (b.width < 1) continue;
      if (b.left < s.left - 1 || b.right > s.right + 1 || b.top < s.top - 1 || b.bottom > s.bottom + 1) {
        if (out.cut.length < 12) out.cut.push([txt.slice(0, 40), 'plotly']);
      }
    }
  }
  return out;
}"""


def read(page, min_px: int = MIN_PX) -> dict:
    """The page's readability from the back row (see the module's docstring)."""
    return page.evaluate(READ_JS, min_px)
