"""The Design diagram, built without a server: boxes per tensor, circles and lines for MLPs."""

from __future__ import annotations

import plotly.graph_objects as go

from cnnviz.design.presets import PRESETS
from cnnviz.design.shapes import summarize
from cnnviz.plots.design.diagram import (
    bar_height,
    blocks,
    blocks_figure,
    design_figure,
    layer_from_selection,
    side,
    thickness,
)
from cnnviz.plots.design.neurons import linear_widths, neurons_figure
from cnnviz.plots.design.style import MAX_NEURONS

LECTURE = PRESETS["lecture-7-23"].spec
MLP = PRESETS["mlp-2-3-3-1"].spec


def _boxes(fig: go.Figure) -> list:
    return [s for s in fig.layout.shapes if (s.name or "").startswith("tensor-")]


def test_one_box_per_shape_change_and_shape_keeping_layers_fold_into_labels() -> None:
    rows = summarize(LECTURE, 2)
    drawn = blocks(LECTURE, rows)
    # input + 3×(conv, pool) + flatten + linear + linear; the ReLUs fold into the box before them
    assert [b.label for b in drawn] == [
        "input", "Conv2d + ReLU", "MaxPool2d", "Conv2d + ReLU", "MaxPool2d", "Conv2d + ReLU",
        "MaxPool2d", "Flatten", "Linear + ReLU", "Linear",
    ]  # fmt: skip
    assert sorted(i for b in drawn for i in b.indices) == list(range(len(rows)))
    assert drawn[0].shape == [2, 3, 64, 64] and drawn[-1].shape == [2, 10]
    fig = blocks_figure(LECTURE, rows)
    assert len(_boxes(fig)) == len(drawn)
    texts = [a.text for a in fig.layout.annotations]
    assert "<b>12×29×29</b>" in texts and "<b>864</b>" in texts
    hover = fig.data[0]
    assert len(hover.x) == len(drawn) and "Conv2d(6, 12, kernel_size=3)" in hover.hovertext[3]


def test_boxes_grow_with_size_on_a_log_scale() -> None:
    assert side(1) < side(28) < side(64) < side(1024) < 15 * side(1)  # both ends visible
    assert thickness(1) < thickness(3) < thickness(64) < thickness(1024)
    assert bar_height(10) < bar_height(864) < bar_height(65536)
    rows = summarize(LECTURE, 1)
    fig = blocks_figure(LECTURE, rows)
    paths = [s.path for s in _boxes(fig)]
    heights = []
    for p in paths:
        ys = [float(tok.split(",")[1]) for tok in p.split() if "," in tok]
        heights.append(max(ys) - min(ys))
    assert heights[0] > heights[2] > heights[4]  # 64 > 31 > 14 pixels high


def test_invalid_layer_is_a_red_box_and_the_rest_are_not_computed() -> None:
    spec = PRESETS["lecture-7-23"].new_spec()
    spec["layers"][6]["kernel_size"] = 40
    rows = summarize(spec, 2)
    drawn = blocks(spec, rows)
    assert [b.status for b in drawn[:6]] == ["input", "ok", "ok", "ok", "ok", "error"]
    bad = next(b for b in drawn if b.status == "error")
    assert bad.first == 6 and "kernel 40 is larger" in bad.hover
    after = drawn[drawn.index(bad) + 1 :]
    assert after and all(b.status == "not computed" for b in after)
    assert len(after) == len(rows) - 7  # nothing folds below an error: each layer is a box
    fig = blocks_figure(spec, rows)
    red = [s for s in _boxes(fig) if s.fillcolor == "#d62728"]
    assert len(red) == 1
    assert any("✗ error" in a.text for a in fig.layout.annotations)


def test_selected_layer_is_outlined() -> None:
    rows = summarize(LECTURE, 1)
    fig = blocks_figure(LECTURE, rows, selected=3)  # the second conv
    widths = [s.line.width for s in _boxes(fig)]
    assert widths.count(3) == 1 and widths.index(3) == 3


def test_mlp_is_circles_and_every_input_joins_every_output() -> None:
    rows = summarize(MLP, 1)
    assert linear_widths(MLP, rows) == [2, 3, 3, 1]
    fig = design_figure(MLP, rows)
    lines = next(t for t in fig.data if t.name == "weights")
    segments = sum(1 for v in lines.x if v is None)
    assert segments == 2 * 3 + 3 * 3 + 3 * 1  # one line per weight
    circles = [t for t in fig.data if (t.name or "").startswith("layer-")]
    assert [len(t.x) for t in circles] == [2, 3, 3, 1]
    assert any("Linear(2, 3)" in a.text for a in fig.layout.annotations)


def test_wide_or_convolutional_stacks_are_not_drawn_as_circles() -> None:
    wide = {"input": [MAX_NEURONS + 1], "layers": [{"type": "linear", "out_features": 2}]}
    assert linear_widths(wide, summarize(wide)) is None
    assert linear_widths(LECTURE, summarize(LECTURE)) is None
    assert _boxes(design_figure(wide, summarize(wide)))
    blank = {"input": [3, 64, 64], "layers": []}
    assert len(_boxes(design_figure(blank, summarize(blank)))) == 1  # just the input
    try:
        neurons_figure(LECTURE, summarize(LECTURE))
    except ValueError as e:
        assert "Linear-only" in str(e)
    else:
        raise AssertionError("neurons_figure accepted a CNN")


def test_a_deep_stack_staggers_its_labels() -> None:
    spec = {
        "input": [3, 64, 64],
        "layers": [{"type": "conv2d", "out_channels": 8, "kernel_size": 1}] * 20,
    }
    rows = summarize(spec, 1)
    fig = blocks_figure(spec, rows)
    assert len(_boxes(fig)) == 21
    shape_labels = [a for a in fig.layout.annotations if a.text == "<b>8×64×64</b>"]
    assert len({(round(a.y, 3), a.yshift) for a in shape_labels}) == 2  # two rows of labels


def test_a_click_on_the_diagram_names_its_layer() -> None:
    rows = summarize(LECTURE, 1)
    fig = blocks_figure(LECTURE, rows)
    data = list(fig.data[0].customdata)
    assert data[0] == "" and data[1] == "0" and data[2] == "2"  # input, Conv2d(+ReLU), MaxPool2d
    click = {
        "selection": {"points": [{"curve_number": 0, "point_index": 2, "customdata": data[2]}]}
    }
    assert layer_from_selection(click) == "2"
    assert (
        layer_from_selection({"selection": {"points": [{"customdata": -1}]}}) is None
    )  # the input
    assert layer_from_selection({"selection": {"points": []}}) is None
    assert layer_from_selection(None) is None
    mlp = neurons_figure(MLP, summarize(MLP))
    second = next(t for t in mlp.data if t.name == "layer-2")
    assert set(second.customdata) == {2}  # Linear(3, 3) is layer index 2


def test_presenter_scale_makes_labels_and_boxes_larger() -> None:
    rows = summarize(LECTURE, 2)
    small, large = blocks_figure(LECTURE, rows), design_figure(LECTURE, rows, scale=1.5)
    assert {a.font.size for a in large.layout.annotations if a.text} == {17, 18}
    assert {a.font.size for a in small.layout.annotations if a.text} == {11, 12}

    def height(fig: go.Figure) -> float:
        ys = [float(t.split(",")[1]) for t in _boxes(fig)[0].path.split() if "," in t]
        return max(ys) - min(ys)

    assert abs(height(large) - 1.5 * height(small)) < 1e-6
    mlp = design_figure(MLP, summarize(MLP, 1), scale=1.5)
    assert mlp.data[1].marker.size == 39 and mlp.layout.annotations[0].font.size == 18


def test_presenter_diagram_grows_to_fill_a_projector_width() -> None:
    """Boxes keep their proportions, so a short stack at a fixed height stayed narrow."""
    from cnnviz.plots.design.diagram import PRESENTER_WIDTH

    spec = PRESETS["mnist-basic"].spec
    rows = summarize(spec)
    normal = design_figure(spec, rows, 0, height=340, scale=1.0)
    presenter = design_figure(spec, rows, 0, height=460, scale=1.5)
    assert normal.layout.height == 340
    xr, yr = presenter.layout.xaxis.range, presenter.layout.yaxis.range
    width_at_height = (presenter.layout.height - 20) * (xr[1] - xr[0]) / (yr[1] - yr[0])
    assert width_at_height >= PRESENTER_WIDTH - 5 or presenter.layout.height == 720
    assert presenter.layout.height > 460


def test_blocks_are_drawn_with_their_skip_arcs_and_merges() -> None:
    from cnnviz.design.presets import PRESETS
    from cnnviz.plots.design.diagram import blocks, skips

    spec = PRESETS["resnet-8"].spec
    rows = summarize(spec, 1)
    fig = blocks_figure(spec, rows, selected="5.0")
    arcs = [s for s in fig.layout.shapes if (s.name or "").startswith("skip-")]
    assert sorted(s.name for s in arcs) == ["skip-3", "skip-5", "skip-7"]
    drawn = blocks(spec, rows)
    for arc in skips(drawn, rows):  # from the box before the block to the box after its merge
        assert drawn[arc.end].paths[0] == arc.path and drawn[arc.end].label.startswith("+ skip")
        assert drawn[arc.start + 1].paths[0] == f"{arc.path}.0"
    labels = [a.text for a in fig.layout.annotations]
    assert "skip: + x" in labels and labels.count("skip: 1×1 Conv2d") == 2
    chosen = [s for s in fig.layout.shapes if s.line.width == 3]
    assert (
        len(chosen) == 1
        and chosen[0].name == f"tensor-{[d.paths[:1] for d in drawn].index(('5.0',))}"
    )
    data = list(fig.data[0].customdata)
    assert (
        "5.0" in data
        and layer_from_selection({"selection": {"points": [{"customdata": "5.0"}]}}) == "5.0"
    )


def test_concat_branches_are_marked_and_nested_arcs_rise() -> None:
    from cnnviz.plots.design.diagram import blocks, skips

    spec = {
        "input": [3, 16, 16],
        "layers": [
            {
                "type": "residual",
                "layers": [
                    {
                        "type": "concat",
                        "branches": [
                            [{"type": "conv2d", "out_channels": 2, "kernel_size": 1}],
                            [{"type": "conv2d", "out_channels": 1, "kernel_size": 3, "padding": 1}],
                        ],
                    }
                ],
                "shortcut": "conv1x1",
            }
        ],
    }
    rows = summarize(spec, 1)
    arcs = {a.path: a for a in skips(blocks(spec, rows), rows)}
    assert arcs["0"].level == 2 and arcs["0.0"].level == 1  # the outer arc goes over the inner
    assert [b for b, _ in arcs["0.0"].branches] == [0, 1]
    texts = [a.text for a in blocks_figure(spec, rows).layout.annotations]
    assert "branch 1" in texts and "branch 2" in texts and "concat: branches joined" in texts


def test_skip_arcs_start_above_the_labels_at_the_pages_width():
    """Labels sit a number of pixels above the boxes; at ~940 px wide a long stack is drawn
    at well under a pixel per unit, so the arcs' feet must clear the labels in pixels."""
    from cnnviz.plots.design.diagram import SKIP_COLOR, design_figure

    for name in ("resnet-8", "resnet-20"):
        spec = PRESETS[name].spec
        fig = design_figure(spec, summarize(spec, 2))
        (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
        per_unit = min(940 / (x1 - x0), fig.layout.height / (y1 - y0))
        tops = [
            a.y + (a.yshift + a.font.size * 1.25 * (a.text.count("<br>") + 1)) / per_unit
            for a in fig.layout.annotations
            if a.yanchor == "bottom" and a.font.color != SKIP_COLOR
        ]
        feet = [
            float(s.path.split()[1].split(",")[1])
            for s in fig.layout.shapes
            if (s.name or "").startswith("skip-")
        ]
        assert feet and tops, name
        assert min(feet) >= max(tops), (name, min(feet), max(tops))
