"""What both Design drawings share: colours per layer category, fonts, and short layer names."""

from __future__ import annotations

from cnnviz.design.layer_kinds import LAYER_KINDS, Rule

MAX_NEURONS = 16  # widest layer drawn as circles; wider Linear-only stacks get boxes (design_mlp)

CATEGORY_COLORS = {
    "input": "#4caf50",
    "Convolution": "#1f77b4",
    "Pooling": "#ff7f0e",
    "Normalization": "#17becf",
    "Activation": "#9ca3af",
    "Regularization": "#9ca3af",
    "Reshape": "#8c564b",
    "Fully connected": "#9467bd",
    "Output": "#e377c2",
    "Block": "#c4b5fd",  # a block's merge (+ skip, concat): the skip arcs' violet, lighter
    "error": "#d62728",
    "not computed": "#cbd5e1",
}
SHAPE_KEEPING = {Rule.ELEMENTWISE, Rule.CHANNEL_NORM}
GAP = 46.0  # horizontal space between boxes
FONT = {"size": 12}


def rule_of(row: dict) -> Rule | None:
    kind = LAYER_KINDS.get(str(row.get("type", "")).lower())
    return kind.rule if kind else None


def short_name(row: dict) -> str:
    if row.get("block") == "residual":
        return "+ skip" if "identity" in str(row.get("name")) else "+ skip (1×1 conv)"
    if row.get("block") == "concat":
        return "concat"
    kind = LAYER_KINDS.get(str(row.get("type", "")).lower())
    return kind.torch_name if kind else str(row.get("type", "?"))
