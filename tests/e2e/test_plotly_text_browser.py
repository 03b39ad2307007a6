"""for_plotly in Chromium: Plotly.js draws the escaped texts as characters, never as a link,
in a title, tick labels, a legend, annotations and hover text (the raw text does link)."""

from __future__ import annotations

import json

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from cnnviz.text.escape import for_plotly
from tests.text.hostile import HOSTILE

LINK = '<a href="https://evil.example">x</a>'


def _figure(texts: list[str]) -> dict:
    fig = go.Figure(
        go.Bar(x=texts, y=list(range(1, len(texts) + 1)), name=texts[0], hovertext=texts),
        layout={
            "title": {"text": texts[1]},
            "showlegend": True,
            "annotations": [{"text": t, "x": t, "y": 1, "showarrow": False} for t in texts],
        },
    )
    return json.loads(fig.to_json())


def _links(browser, texts: list[str]) -> tuple[list[str], str]:
    page = browser.new_page()
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    try:
        page.set_content(
            f"<html><body><div id='c' style='width:900px;height:500px'></div>"
            f"<script>{get_plotlyjs()}</script>"
            f"<script>const f = {json.dumps(_figure(texts))};"
            "Plotly.newPlot('c', f.data, f.layout).then(() => document.body.dataset.done = 1);"
            "</script></body></html>"
        )
        page.locator("body[data-done='1']").wait_for(timeout=60_000)
        hrefs = page.eval_on_selector_all(
            "#c a, #c image",
            "els => els.map(e => e.getAttribute('href') || e.getAttribute('xlink:href') || '')",
        )
        return [h for h in hrefs if "evil" in h], page.locator("#c").inner_text()
    finally:
        page.close()


def test_escaped_texts_draw_as_characters(browser) -> None:
    texts = [LINK, *HOSTILE]
    raw_links, _ = _links(browser, texts)
    assert raw_links, "the raw text should have made a link (else this test sees nothing)"
    links, shown = _links(browser, [for_plotly(t) for t in texts])
    assert links == []
    assert LINK in shown.replace("\u00a0", " ")  # the tag reads as typed
