"""The Design page's diagram: Plotly figures built from ``summarize`` rows (no streamlit).

``design_figure(spec, rows)`` picks one of two drawings:

- ``blocks_figure``: the stack as pseudo-3-D boxes, one per tensor (like CNN
  Explainer's overview and PlotNeuralNet): a box's height follows H, its
  thickness C and its depth W, each on a log scale so that 1×1 and 64×64, or 3
  and 1024 channels, all show. A flat tensor ``[N]`` is a tall thin bar. A box
  is drawn after each layer that changes the shape; the layers that keep it
  (ReLU, BatchNorm2d, Dropout, ...) are named in the label of the box before
  them (``Conv2d + ReLU``). An invalid layer is a red box marked ✗, the layers
  below it grey outlines marked "not computed".
- ``neurons_figure`` (in design_mlp.py): for small Linear-only stacks (input ``[N]``, at most
  ``MAX_NEURONS`` per layer), the lecture's circles and lines: one circle per
  feature, every circle of a layer joined to every circle of the next.

Blocks: their layers are drawn in the row, in forward order (a concat block's
branches one after the other, each marked ``branch k``), then the block's own
box, its output after the merge (``+ skip``, ``concat``). An arc (a layout shape
named ``skip-<path>``) runs from the box that is the block's input, over its
layers, to that box: the skip connection, or the branches' common input.

Every box (a layout shape named ``tensor-<k>``) has an invisible marker at its
centre carrying the hover text, so the figures are testable without a server.
Each marker's ``customdata`` is the path of the layer it stands for ("" for the
input): ``layer_from_selection`` turns a click on the chart into that path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import plotly.graph_objects as go

from cnnviz.plots.design.neurons import linear_widths, neurons_figure
from cnnviz.plots.design.style import CATEGORY_COLORS, GAP, SHAPE_KEEPING, rule_of, short_name
from cnnviz.text.escape import for_plotly


def _shape_text(shape: list[int] | None) -> str:
    """Batch left out: ``[2, 6, 62, 62]`` → ``6×62×62``."""
    if not shape:
        return "?"
    return "×".join(str(d) for d in shape[1:])


def side(size: int) -> float:
    """Drawn length of a spatial size (log scale): 1 → 14, 64 → 116, 1024 → 184."""
    return 14.0 + 17.0 * math.log2(max(size, 1))


def thickness(channels: int) -> float:
    """Drawn thickness for a channel count (log scale): 1 → 4, 3 → 10, 1024 → 44."""
    return 4.0 + 4.0 * math.log2(max(channels, 1))


def bar_height(features: int) -> float:
    """Drawn height of a flat tensor of N features (log scale)."""
    return 14.0 + 12.0 * math.log2(max(features, 1))


@dataclass(frozen=True)
class Block:
    """One drawn tensor: the layer that made it and the shape-keeping layers after it."""

    first: int  # index of the row that made it (-1 for the input)
    indices: tuple[int, ...]  # every row index folded into this box
    label: str  # e.g. "Conv2d + ReLU"
    shape: list[int] | None  # batch-first, None when not computed
    status: str  # "ok", "error", "not computed", or "input"
    category: str
    hover: str
    paths: tuple[str, ...] = ()  # the paths of those rows


def _holder(path: str) -> str:
    return path.rsplit(".", 1)[0] if "." in path else ""


def blocks(spec: dict, rows: list[dict]) -> list[Block]:
    """The boxes to draw: the input, then one per shape-changing layer (see module doc)."""
    batch = rows[0]["input_shape"][0] if rows and rows[0].get("input_shape") else 1
    input_shape = [batch, *spec.get("input", [])]
    out: list[Block] = [
        Block(
            -1, (), "input", input_shape, "input", "input", f"input<br>{_shape_text(input_shape)}"
        )
    ]
    for k, row in enumerate(rows):
        path = row.get("path", str(row["index"]))
        prev = out[-1]
        foldable = (
            row["status"] == "ok"
            and rule_of(row) in SHAPE_KEEPING
            and prev.status in ("ok", "input")
            and (not prev.paths or _holder(prev.paths[-1]) == _holder(path) or prev.first >= 0
                 and rows[prev.first].get("block") and _holder(rows[prev.first]["path"])
                 == _holder(path))
        )  # fmt: skip
        hover_line = f"#{row.get('label', row['index'] + 1)} {for_plotly(row.get('name', ''))}"
        if row["status"] == "error":
            hover_line += f"<br>✗ {for_plotly(row.get('error') or '')}"
        if foldable:
            out[-1] = Block(
                prev.first,
                (*prev.indices, k),
                f"{prev.label} + {for_plotly(short_name(row))}",
                prev.shape,
                prev.status,
                prev.category,
                f"{prev.hover}<br>{hover_line}",
                (*prev.paths, path),
            )
            continue
        status = row["status"]
        category = status if status in ("error", "not computed") else row.get("category", "")
        shape = row.get("output_shape") if status == "ok" else None
        out.append(
            Block(
                k,
                (k,),
                for_plotly(short_name(row)),
                shape,
                status,
                category,
                f"{hover_line}<br>→ {_shape_text(shape) if shape else status}",
                (path,),
            )
        )
    return out


@dataclass(frozen=True)
class Skip:
    """A block's arc: from the box that is its input to the box after its merge."""

    path: str
    start: int  # box index of the block's input
    end: int  # box index of the block's output
    level: int  # 1 for a block with no block inside, 2 around one, ...
    label: str
    branches: tuple[tuple[int, int], ...] = ()  # (branch number, its first box), concat only


def skips(drawn: list[Block], rows: list[dict]) -> list[Skip]:
    """The arcs to draw, one per block whose merge box is drawn."""
    box_of = {p: k for k, b in enumerate(drawn) for p in b.paths}
    found: list[Skip] = []
    for r in rows:
        if not r.get("block") or r["path"] not in box_of:
            continue
        path = r["path"]
        end = box_of[path]
        inner = [k for p, k in box_of.items() if p.startswith(f"{path}.")]
        start = (min(inner) if inner else end) - 1
        nested = [q["depth"] for q in rows if q.get("block") and q["path"].startswith(f"{path}.")]
        level = 1 + (max(nested) - r["depth"] if nested else 0)
        if r["block"] == "residual":
            label = "skip: + x" if "identity" in r["name"] else "skip: 1×1 Conv2d"
            branches: tuple[tuple[int, int], ...] = ()
        else:
            label = "concat: branches joined"
            firsts = []
            for b in range(16):
                ks = [k for p, k in box_of.items() if p.startswith(f"{path}.{b}.")]
                if ks:
                    firsts.append((b, min(ks)))
            branches = tuple(firsts)
        found.append(Skip(path, max(start, 0), end, level, label, branches))
    return found


def _box_geometry(block: Block, scale: float = 1.0) -> tuple[float, float, float]:
    """(thickness, height, depth) of a block's box, times ``scale``."""
    shape = block.shape
    if shape is None:
        t, h, d = 14.0, 60.0, 20.0
    elif len(shape) == 2:  # flat [B, N]
        t, h, d = 8.0, bar_height(shape[1]), 8.0
    else:
        _, c, hh, w = shape
        t, h, d = thickness(c), side(hh), side(w) * 0.45
    return t * scale, h * scale, d * scale


def _box_path(x: float, t: float, h: float, d: float) -> str:
    """Front face, top and right side of a box whose front face is centred on y = 0."""
    dx, dy = d * 0.7, d * 0.5
    y0, y1 = -h / 2, h / 2
    front = f"M {x},{y0} L {x + t},{y0} L {x + t},{y1} L {x},{y1} Z"
    top = f"M {x},{y1} L {x + dx},{y1 + dy} L {x + t + dx},{y1 + dy} L {x + t},{y1} Z"
    right = f"M {x + t},{y0} L {x + t + dx},{y0 + dy} L {x + t + dx},{y1 + dy} L {x + t},{y1} Z"
    return f"{front} {top} {right}"


def blocks_figure(
    spec: dict,
    rows: list[dict],
    selected: str | None = None,
    height: int = 340,
    scale: float = 1.0,
) -> go.Figure:
    """The stack as boxes drawn to scale (see module doc). ``selected``: a row's path to outline.

    ``scale`` (presenter mode: 1.5) makes the boxes, the labels' fonts and their
    spacing that much larger, so a projector shows them; the gaps stay as they are.

    Shapes and annotations are collected as plain dicts and handed to Plotly once:
    adding them one by one costs Plotly a validation pass each (10× slower).
    """
    shapes: list[dict] = []
    notes: list[dict] = []  # annotations
    drawn = blocks(spec, rows)
    x = 0.0
    hx, htext = [], []
    top = 0.0
    stagger = len(drawn) > (6 if scale > 1 else 9)
    geometry = [_box_geometry(b, scale) for b in drawn]
    # staggered labels sit on two common rows (above the tallest box, below the lowest),
    # so a label never runs into its neighbour's, whatever their boxes' heights
    roof = max((h / 2 + d * 0.5 for _, h, d in geometry), default=0.0)
    floor = -max((h for _, h, _ in geometry), default=0.0) / 2
    label_lines = max((b.label.count(" + ") + 1 for b in drawn), default=1)
    # label offsets are pixels (yshift), the boxes the diagram's units: the figure may be
    # drawn at any width, and a label must clear its box and its staggered neighbour
    line_h = 14 * scale  # room for one label line in the diagram's units (at ~1 px per unit)
    lift = line_h * label_lines + 4 * scale
    font = round((11 if len(drawn) > 12 else 12) * scale)
    for k, block in enumerate(drawn):
        t, h, d = geometry[k]
        faded = block.status == "not computed"
        chosen = selected is not None and str(selected) in block.paths
        line = {
            "color": "#111827" if chosen else ("#94a3b8" if faded else "#334155"),
            "width": 3 if chosen else 1,
            "dash": "dot" if faded else "solid",
        }
        shapes.append(
            {
                "type": "path",
                "path": _box_path(x, t, h, d),
                "name": f"tensor-{k}",
                "fillcolor": "rgba(0,0,0,0)"
                if faded
                else CATEGORY_COLORS.get(block.category, "#7f7f7f"),
                "opacity": 0.85,
                "line": line,
            }
        )
        cx = x + (t + d * 0.7) / 2
        low = stagger and k % 2 == 1  # alternate label rows so long stacks stay readable
        if block.status == "not computed":
            under = "?"
        else:
            under = "✗ error" if block.status == "error" else _shape_text(block.shape)
        red = block.status == "error"
        notes.append(
            {
                "x": cx, "y": floor if stagger else -h / 2, "text": f"<b>{under}</b>",
                "yshift": -6 - (round(font * 1.35) if low else 0), "showarrow": False,
                "yanchor": "top",
                "font": {"size": font, "color": "#d62728" if red else "#111827"},
            }
        )  # fmt: skip
        notes.append(
            {
                "x": cx, "y": roof if stagger else h / 2 + d * 0.5,
                "yshift": 6 + (round(font * 1.25 * label_lines) + 4 if low else 0),
                "text": block.label.replace(" + ", "<br>+ "), "showarrow": False,
                "yanchor": "bottom", "font": {"size": font - 1, "color": "#374151"},
            }
        )  # fmt: skip
        hx.append(cx)
        htext.append(block.hover)
        top = max(
            top, h / 2 + d * 0.5 + line_h * label_lines + 16 * scale + (lift if stagger else 0)
        )
        width = t + d * 0.7
        if k + 1 < len(drawn):
            notes.append(
                {
                    "x": x + width + GAP - 8, "y": 0, "ax": x + width + 8, "ay": 0,
                    "xref": "x", "yref": "y", "axref": "x", "ayref": "y", "text": "",
                    "showarrow": True, "arrowhead": 2, "arrowwidth": 1.2, "arrowcolor": "#64748b",
                }
            )  # fmt: skip
        x += width + GAP
    bottom = (floor if drawn else -30 * scale) - (50 if stagger else 34) * scale
    arcs = skips(drawn, rows)
    if arcs and drawn:
        top = _above_labels(top, roof, x, bottom, height, font, label_lines, stagger)
    top = _draw_skips(arcs, hx, top, font, scale, shapes, notes)
    hover = go.Scatter(
        x=hx, y=[0.0] * len(hx), mode="markers", marker={"size": 28 * scale, "opacity": 0},
        hovertext=htext, hoverinfo="text", showlegend=False, name="tensors",
        customdata=[b.paths[0] if b.paths else "" for b in drawn],
    )  # fmt: skip
    layout = {
        "shapes": shapes,
        "annotations": notes,
        "xaxis": {"visible": False, "range": [-20, max(x, 200)]},
        "yaxis": {
            "visible": False,
            "range": [bottom, top + 30 * scale],
            "scaleanchor": "x",
            "scaleratio": 1,
        },
        "height": _filling_height(height, (-20, max(x, 200)), (bottom, top + 30 * scale), scale)
        if drawn
        else height,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "plot_bgcolor": "white",
        "dragmode": "pan",
        "hoverlabel": {"align": "left"},
    }
    return go.Figure(data=[hover], layout=layout)


SKIP_COLOR = "#7c3aed"


def _above_labels(
    top: float, roof: float, x: float, bottom: float, height: int, font: int, lines: int,
    stagger: bool,
) -> float:  # fmt: skip
    """Where the arcs may start: above the labels over the boxes, whose offsets are pixels.

    A long stack is drawn at well under one pixel per unit (x and y share one scale, the
    page's width is ~``PRESENTER_WIDTH``), which lifts the labels higher in units than
    ``top`` counts: estimate the scale the figure will have, a few times as it settles."""
    text_px = font * 1.25 * lines
    label_px = 6 + text_px + ((round(text_px) + 4) if stagger else 0) + 6
    base = top
    for _ in range(3):
        y_range = base + 60 - bottom  # the arcs and their labels take ~60 more units
        per_unit = min(PRESENTER_WIDTH / max(x + 20, 220), height / max(y_range, 1), 1.0)
        base = max(top, roof + label_px / per_unit)
    return base


def _draw_skips(
    arcs: list[Skip], hx: list[float], top: float, font: int, scale: float,
    shapes: list[dict], notes: list[dict],
) -> float:  # fmt: skip
    """Each block's arc above the boxes (nested blocks' arcs higher), its label on top, and
    a dashed mark before each concat branch; returns the new top of the drawing."""
    base = top
    for arc in arcs:
        x0, x1 = hx[arc.start], hx[arc.end]
        y = base + (8 + 30 * (arc.level - 1)) * scale
        peak = y + 22 * scale
        foot = base - 2 * scale  # above the boxes' labels, so no label is crossed
        shapes.append(
            {
                "type": "path", "name": f"skip-{arc.path}",
                "path": f"M {x0},{foot} C {x0},{peak} {x1},{peak} {x1},{foot}",
                "line": {"color": SKIP_COLOR, "width": 2 * scale}, "fillcolor": "rgba(0,0,0,0)",
            }
        )  # fmt: skip
        notes.append(
            {
                "x": (x0 + x1) / 2, "y": y + 17 * scale, "text": arc.label, "showarrow": False,
                "yanchor": "bottom", "font": {"size": font - 1, "color": SKIP_COLOR},
            }
        )  # fmt: skip
        for b, k in arc.branches:
            notes.append(
                {
                    "x": hx[k], "y": base - 4 * scale, "text": f"branch {b + 1}",
                    "showarrow": False, "yanchor": "bottom",
                    "font": {"size": font - 2, "color": SKIP_COLOR},
                }
            )  # fmt: skip
        top = max(top, y + 17 * scale + font * 1.6)
    return top


PRESENTER_WIDTH = 940  # px: a 1024×768 projector's page width, the sidebar closed


def _filling_height(height: int, xr: tuple, yr: tuple, scale: float) -> int:
    """The boxes keep their proportions (x and y share one scale), so a fixed height leaves
    a short stack narrow: in presenter mode (``scale`` > 1) the height grows until the
    diagram fills the projector's width (at most 720 px)."""
    if scale <= 1:
        return height
    aspect = (yr[1] - yr[0]) / max(xr[1] - xr[0], 1)
    return int(min(max(height, PRESENTER_WIDTH * aspect + 20), 720))


def design_figure(
    spec: dict,
    rows: list[dict],
    selected: str | int | None = None,
    height: int = 340,
    scale: float = 1.0,
) -> go.Figure:
    """Circles and lines for a small Linear-only stack, boxes otherwise; ``scale`` > 1 for
    presenter mode (larger fonts and shapes)."""
    path = None if selected is None else str(selected)
    if linear_widths(spec, rows) is not None:
        index = int(path) if path is not None and path.isdigit() else None
        return neurons_figure(spec, rows, index, height, scale)
    return blocks_figure(spec, rows, path, height, scale)


def layer_from_selection(selection: object) -> str | None:
    """The layer path a click on the diagram picked (st.plotly_chart's selection), or None."""
    points = []
    try:
        points = selection["selection"]["points"]  # type: ignore[index]
    except (KeyError, TypeError, IndexError):
        return None
    for point in points or []:
        data = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(data, list):
            data = data[0] if data else None
        if isinstance(data, bool):
            continue
        if isinstance(data, (int, float)) and data >= 0:  # the neurons figure: an index
            return str(int(data))
        if isinstance(data, str) and data and all(p.isdigit() for p in data.split(".")):
            return data
    return None
