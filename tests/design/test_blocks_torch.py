"""Blocks against PyTorch: random specs with nested residual and concat blocks, valid and invalid.

A walk in lockstep with the rows runs every layer in torch (each module built on its
own, as in test_shapes_torch): an ok row gives torch's shape and parameter count; the
first error row is where torch really fails, for inner layers and for the merges
(``Residual`` refuses to broadcast: a skip adds like with like). For valid specs the
whole model is built: forward hooks on the rows' named submodules give every row's
shape, per-row parameters sum to torch's count, and the exported code builds the same
model (same parameters, same output with the same weights).
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from cnnviz.design.blocks import projection_stride
from cnnviz.design.build import Concat, Residual, build_model, find_module
from cnnviz.design.export import (
    decode_spec,
    encode_spec,
    spec_from_json,
    spec_to_json,
    to_pytorch_code,
)
from cnnviz.design.shapes import first_error, summarize, totals
from cnnviz.design.spec import kind_of, normalize_layer, torch_kwargs
from tests.design.test_shapes_torch import IMAGE_KINDS, layers

# layers that mostly keep the shape (so skips often add up), and any layer at all
keeping = st.one_of(
    st.builds(
        lambda c, k: {"type": "conv2d", "out_channels": c, "kernel_size": k, "padding": "same"},
        st.sampled_from([2, 3, 4]),
        st.sampled_from([1, 3]),
    ),
    st.sampled_from([{"type": "relu"}, {"type": "batchnorm2d"}, {"type": "gelu"}]),
    st.builds(
        lambda c: {
            "type": "conv2d",
            "out_channels": c,
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
        },
        st.sampled_from([2, 4]),
    ),
)
leaf = st.one_of(keeping, keeping, layers(IMAGE_KINDS), layers())


def blocks(inner: st.SearchStrategy[list[dict]]) -> st.SearchStrategy[dict]:
    residual = st.builds(
        lambda ls, sc: {"type": "residual", "layers": ls, "shortcut": sc},
        inner,
        st.sampled_from(["identity", "conv1x1", "conv1x1"]),
    )
    concat = st.builds(
        lambda bs: {"type": "concat", "branches": bs}, st.lists(inner, min_size=1, max_size=3)
    )
    return st.one_of(residual, residual, concat)


stacks = st.recursive(
    st.lists(leaf, min_size=0, max_size=3),
    lambda inner: st.lists(st.one_of(leaf, blocks(inner)), min_size=1, max_size=3),
    max_leaves=12,
)
specs = st.builds(
    lambda input_, ls: {"input": input_, "layers": ls},
    st.tuples(st.integers(1, 4), st.integers(2, 10), st.integers(2, 10)).map(list),
    stacks.filter(lambda ls: any(isinstance(x, dict) and "type" in x for x in ls)),
)


class Stopped(Exception):
    def __init__(self, path: str) -> None:
        self.path = path


FAILS = (RuntimeError, ValueError, IndexError)


def _fails_in_torch(fn: Any) -> None:
    with pytest.raises(FAILS), torch.no_grad():
        fn()


def _leaf(raw: dict, row: dict, x: torch.Tensor) -> torch.Tensor:
    layer = normalize_layer(raw)
    kind = kind_of(layer)
    in_dim = x.shape[1] if kind.inferred and x.dim() >= 2 else None
    if row["status"] == "ok":
        module = kind.torch_class(**torch_kwargs(layer, in_dim)).eval()
        with torch.no_grad():
            y = module(x)
        assert list(y.shape) == row["output_shape"], (row["path"], row["formula"])
        assert sum(p.numel() for p in module.parameters()) == row["params"]
        return y
    assert row["status"] == "error" and row["error"] and row["fix"], row
    if kind.type == "linear" and x.dim() != 2:
        assert "Flatten" in row["fix"]  # cnnviz's rule: torch would use the last axis
    elif kind.type == "adaptiveavgpool2d" and x.dim() == 2 and layer["output_size"] == 1:
        assert "4-D" in row["error"]  # torch's global-mean shortcut; cnnviz wants images
    else:
        _fails_in_torch(lambda: kind.torch_class(**torch_kwargs(layer, in_dim)).eval()(x))
    raise Stopped(row["path"])


def _shortcut(x: torch.Tensor, y: torch.Tensor) -> nn.Module:
    """The projection as ResNet makes it; when no stride fits, the one nearest to fitting."""
    if x.dim() != 4 or y.dim() != 4:
        return nn.Conv2d(x.shape[1] if x.dim() > 1 else 1, 1, 1, bias=False)
    s = projection_stride(tuple(x.shape[2:]), tuple(y.shape[2:]))
    if s is None:
        s = tuple(max(1, -(-a // b)) for a, b in zip(x.shape[2:], y.shape[2:], strict=True))
    return nn.Sequential(
        nn.Conv2d(x.shape[1], y.shape[1], 1, stride=s, bias=False), nn.BatchNorm2d(y.shape[1])
    ).eval()


def _run(layers: list[Any], x: torch.Tensor, prefix: str, by_path: dict) -> torch.Tensor:
    for i, raw in enumerate(layers):
        path = f"{prefix}{i}"
        row = by_path[path]
        if raw["type"] == "residual":
            y = _run(raw["layers"], x, f"{path}.", by_path)
            sc = nn.Identity() if raw["shortcut"] == "identity" else None
            if row["status"] != "ok":
                assert row["status"] == "error" and row["error"] and row["fix"], row
                merge = Residual(nn.Sequential(_Given(y)), sc or _shortcut(x, y)).eval()
                _fails_in_torch(lambda merge=merge, x=x: merge(x))  # the merge as the model does it
                raise Stopped(path)
            sc = sc or _shortcut(x, y)
            assert sum(p.numel() for p in sc.parameters()) == row["params"]
            with torch.no_grad():
                x = y + sc(x)
        elif raw["type"] == "concat":
            outs = [_run(br, x, f"{path}.{b}.", by_path) for b, br in enumerate(raw["branches"])]
            if row["status"] != "ok":
                assert row["status"] == "error" and row["error"] and row["fix"], row
                _fails_in_torch(lambda outs=outs: torch.cat(outs, dim=1))
                raise Stopped(path)
            assert row["params"] == 0
            x = torch.cat(outs, dim=1)
        else:
            x = _leaf(raw, row, x)
            continue
        assert list(x.shape) == row["output_shape"], (row["path"], row["formula"])
    return x


class _Given(nn.Module):
    """A body that already ran: it returns its output."""

    def __init__(self, y: torch.Tensor) -> None:
        super().__init__()
        self.y = y

    def forward(self, _x: torch.Tensor) -> torch.Tensor:
        return self.y


def _exec(code: str) -> dict:
    namespace: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "model.py", "exec"), namespace)
    return namespace


def _check_whole_model(spec: dict, rows: list[dict], batch: int) -> None:
    model = build_model(spec).eval()
    assert isinstance(model, nn.Sequential)
    seen: dict[str, list[int]] = {}
    hooks = [
        find_module(model, r).register_forward_hook(
            lambda _m, _i, out, p=r["path"]: seen.__setitem__(p, list(out.shape))
        )
        for r in rows
    ]
    x = torch.randn(batch, *spec["input"])
    try:
        with torch.no_grad():
            y = model(x)
    finally:
        for h in hooks:
            h.remove()
    assert seen == {r["path"]: r["output_shape"] for r in rows}
    for r in rows:  # each row's own parameters: a block's are its shortcut's
        m = find_module(model, r)
        if isinstance(m, Residual):
            m = m.shortcut
        own = 0 if isinstance(m, Concat) else sum(p.numel() for p in m.parameters())
        assert own == r["params"], r["path"]
    assert totals(rows)["params"] == sum(p.numel() for p in model.parameters())

    net = _exec(to_pytorch_code(spec, batch=batch))["Net"]().eval()
    assert sum(p.numel() for p in net.parameters()) == totals(rows)["params"]
    net.load_state_dict(model.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(net(x), y)
    # JSON files and links keep the blocks
    assert summarize(spec_from_json(spec_to_json(spec)), batch) == rows
    assert summarize(decode_spec(encode_spec(spec)), batch) == rows


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=specs, batch=st.integers(1, 2))
def test_blocks_agree_with_torch(spec: dict, batch: int) -> None:
    rows = summarize(spec, batch)
    by_path = {r["path"]: r for r in rows}
    assert len(by_path) == len(rows)
    err = first_error(rows)
    torch.manual_seed(0)
    try:
        _run(spec["layers"], torch.randn(batch, *spec["input"]), "", by_path)
    except Stopped as stop:
        assert err is not None and err.path == stop.path, (stop.path, err)
        return
    assert err is None and all(r["status"] == "ok" for r in rows)
    _check_whole_model(spec, rows, batch)


def test_the_strategy_draws_both_valid_and_invalid_blocks() -> None:
    """The property above sees passing and failing merges of both kinds (not only one side)."""
    seen: set[tuple[str, str]] = set()

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(spec=specs)
    def collect(spec: dict) -> None:
        for r in summarize(spec):
            if r["block"]:
                seen.add((r["block"], r["status"]))

    collect()
    want = {(b, s) for b in ("residual", "concat") for s in ("ok", "error")}
    assert want <= seen, seen
