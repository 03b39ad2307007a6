"""Presenter mode comes from one place: one stylesheet and one Plotly template.

- every chart a page draws goes through ``cnnviz.ui.figures.show`` (tests/pages/test_figures.py
  checks that no page calls st.plotly_chart itself), and in presenter mode each one leaves it
  with the presenter template and no font under 18 px (walked here on the pages' charts);
- the figure a page passes in is not changed (figures are cached and shared);
- no other module writes a stylesheet that sets text sizes or calls set_page_config.
"""

from __future__ import annotations

import json
from pathlib import Path

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.plots import presenter
from cnnviz.ui import presenter as page_style
from tests.helpers import APP
from tests.helpers import SHAPES28_SPEC as TINY

ROOT = Path(APP).parent


def _small_figure() -> go.Figure:
    fig = go.Figure(
        [
            go.Heatmap(z=[[1, 2], [3, 4]], text=[["a", "b"], ["c", "d"]], texttemplate="%{text}",
                       textfont={"size": 12}),
            go.Bar(x=[1, 2], y=[3, 4], textfont={"size": [9, 30]}),
        ]
    )  # fmt: skip
    fig.update_layout(
        title={"text": "t", "font": {"size": 13}},
        font_size=12,
        xaxis={"tickfont": {"size": 10}},
        legend={"font": {"size": 11}},
        margin={"t": 20},
        height=200,
        annotations=[{"text": "panel", "x": 0.5, "y": 1, "xref": "paper", "yref": "paper",
                      "font": {"size": 12}}],
    )  # fmt: skip
    return fig


def test_presenter_figure_raises_every_font_and_leaves_the_original() -> None:
    fig = _small_figure()
    before = fig.to_dict()
    out = presenter.figure(fig)
    assert fig.to_dict() == before  # the cached figure is untouched
    sizes = presenter.font_sizes(out)
    assert sizes and min(sizes) >= presenter.MIN_PX
    assert out["data"][1]["textfont"]["size"] == [presenter.MIN_PX, 30]  # larger ones stay
    template = out["layout"]["template"]
    assert template["layout"]["font"]["size"] == presenter.MIN_PX
    assert template["data"]["heatmap"][0]["textfont"]["size"] == presenter.MIN_PX
    assert out["layout"]["margin"]["t"] > 20 and out["layout"]["height"] > 200
    assert min(presenter.font_sizes(presenter.figure(fig.to_dict()))) >= presenter.MIN_PX


def test_a_chart_with_no_points_yet_can_be_shown() -> None:
    """Train's epoch chart before the first epoch has no traces: st.plotly_chart takes it."""
    import plotly.tools

    empty = go.Figure(layout={"title": {"text": "Per epoch"}, "font": {"size": 12}})
    shown = plotly.tools.return_figure_from_figure_or_data(presenter.figure(empty), True)
    assert min(presenter.font_sizes(shown)) >= presenter.MIN_PX
    dict_fig = {"data": [], "layout": {"font": {"size": 12}}}
    plotly.tools.return_figure_from_figure_or_data(presenter.figure(dict_fig), True)


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _check_charts(at: AppTest, where: str) -> int:
    charts = _charts(at)
    for spec in charts:
        sizes = presenter.font_sizes(spec)
        assert min(sizes, default=presenter.MIN_PX) >= presenter.MIN_PX, (where, sizes)
        template = spec["layout"].get("template", {}).get("layout", {})
        assert template.get("font", {}).get("size") == presenter.MIN_PX, where
    return len(charts)


@pytest.mark.parametrize(
    "lesson", ["matrix", "minimum", "loader", "toy"]
)  # the lessons with charts
def test_learn_charts_carry_projector_fonts(lesson: str) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["present"] = "1"
    at.run()
    at.session_state["cnnviz.design.spec"] = TINY
    at.switch_page("views/learn.py")
    at.run()
    at.segmented_control(key="learn.lesson").set_value(lesson).run()
    assert not at.exception, at.exception
    assert _check_charts(at, lesson) >= 1


def test_design_charts_carry_projector_fonts_and_the_stylesheet_is_on() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception, at.exception
    assert _check_charts(at, "design") >= 1
    html = [e.proto.body for e in at.get("html")]
    assert any(f"font-size: {page_style.ROOT_PX}px" in h for h in html)
    plain = AppTest.from_file(APP, default_timeout=120)
    plain.run()
    spec = _charts(plain)[0]
    assert (
        spec["layout"].get("template", {}).get("layout", {}).get("font", {}).get("size")
        != presenter.MIN_PX
    )  # normal mode: Plotly's own sizes
    assert not any("font-size" in e.proto.body for e in plain.get("html"))


def test_one_stylesheet_sets_text_sizes() -> None:
    """Only cnnviz/ui/presenter.py writes CSS that sizes text or sets the page config."""
    assert page_style.MIN_PX == presenter.MIN_PX  # one minimum for pages and charts
    files = [*ROOT.glob("views/*.py"), *(ROOT / "cnnviz" / "ui").rglob("*.py")]
    styled = [
        str(p.relative_to(ROOT))
        for p in files
        if p.name != "presenter.py"
        and "<style" in (text := p.read_text())
        and ("font-size" in text or "html {" in text)
    ]
    assert not styled, f"presenter-mode text sizes belong in cnnviz/ui/presenter.py: {styled}"
    config = [str(p.relative_to(ROOT)) for p in files if p.name != "presenter.py"
              and "set_page_config(" in p.read_text()]  # fmt: skip
    assert not config, config
