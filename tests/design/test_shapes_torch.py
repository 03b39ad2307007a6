"""The shape engine against PyTorch itself: random stacks, valid and invalid.

For every layer the engine calls ok, a real forward pass gives exactly that
shape and the torch module has exactly that many parameters; at the first
layer the engine calls an error, torch really fails (constructing or running
it), except for cnnviz's own rules that Linear needs a flat input and pooling an
image (torch's AdaptiveAvgPool2d(1) happens to accept a flat [B, N]).
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnnviz.design.shapes import summarize
from cnnviz.design.spec import kind_of, normalize_layer, torch_kwargs

small = st.integers(1, 3)
pair = st.one_of(small, st.lists(small, min_size=2, max_size=2))


IMAGE_KINDS = [
    "conv2d",
    "conv2d",
    "conv2d",
    "maxpool2d",
    "avgpool2d",
    "adaptiveavgpool2d",
    "batchnorm2d",
]
ANY_KINDS = [*IMAGE_KINDS, "relu", "leakyrelu", "gelu", "dropout", "flatten", "linear", "softmax"]


@st.composite
def layers(draw: st.DrawFn, kinds: list[str] = ANY_KINDS) -> dict:
    t = draw(st.sampled_from(kinds))
    layer: dict = {"type": t}
    if t == "conv2d":
        layer["out_channels"] = draw(st.sampled_from([1, 2, 3, 4, 6]))
        layer["kernel_size"] = draw(
            st.one_of(st.integers(1, 5), st.lists(st.integers(1, 5), min_size=2, max_size=2))
        )
        layer["stride"] = draw(pair)
        layer["padding"] = draw(
            st.one_of(
                st.sampled_from(["same", "valid"]),
                st.integers(0, 2),
                st.lists(st.integers(0, 2), min_size=2, max_size=2),
            )
        )
        layer["dilation"] = draw(pair)
        layer["groups"] = draw(st.sampled_from([1, 1, 1, 2, 3]))
        layer["bias"] = draw(st.booleans())
    elif t in ("maxpool2d", "avgpool2d"):
        layer["kernel_size"] = draw(
            st.one_of(st.integers(1, 4), st.lists(st.integers(1, 4), min_size=2, max_size=2))
        )
        layer["stride"] = draw(st.one_of(st.none(), pair))
        layer["padding"] = draw(
            st.one_of(st.integers(0, 2), st.lists(st.integers(0, 2), min_size=2, max_size=2))
        )
        layer["ceil_mode"] = draw(st.booleans())
        if t == "maxpool2d":
            layer["dilation"] = draw(pair)
    elif t == "adaptiveavgpool2d":
        layer["output_size"] = draw(pair)
    elif t == "linear":
        layer["out_features"] = draw(st.integers(1, 6))
        layer["bias"] = draw(st.booleans())
    return layer


image_input = st.tuples(st.integers(1, 6), st.integers(1, 12), st.integers(1, 12)).map(list)
flat_input = st.tuples(st.integers(1, 8)).map(list)
# any kinds in any order (often invalid), or a CNN's usual order: image layers, Flatten, Linear
random_stacks = st.fixed_dictionaries(
    {
        "input": st.one_of(image_input, image_input, flat_input),
        "layers": st.lists(layers(), min_size=1, max_size=6),
    }
)
usual_stacks = st.builds(
    lambda input_, convs, head: {"input": input_, "layers": convs + head},
    image_input,
    st.lists(layers(IMAGE_KINDS + ["relu"]), min_size=1, max_size=5),
    st.lists(layers(["linear", "relu", "dropout", "softmax"]), max_size=3).map(
        lambda xs: [{"type": "flatten"}, *xs]
    ),
)
specs = st.one_of(random_stacks, usual_stacks)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs, batch=st.integers(1, 2))
def test_engine_agrees_with_torch(spec: dict, batch: int) -> None:
    rows = summarize(spec, batch)
    x = torch.randn(batch, *spec["input"])
    for raw, row in zip(spec["layers"], rows, strict=True):
        layer = normalize_layer(raw)  # the strategy draws only values within the caps
        kind = kind_of(layer)
        in_dim = x.shape[1] if kind.inferred and x.dim() >= 2 else None
        if row["status"] == "ok":
            module = kind.torch_class(**torch_kwargs(layer, in_dim)).eval()
            with torch.no_grad():
                x = module(x)
            assert list(x.shape) == row["output_shape"], (row["name"], row["formula"])
            assert row["input_shape"] is not None
            assert sum(p.numel() for p in module.parameters()) == row["params"]
            if row["weight_shape"] is not None:
                assert list(module.weight.shape) == row["weight_shape"]
            continue
        assert row["status"] == "error", row
        if kind.type == "linear" and x.dim() != 2:
            assert "Flatten" in row["fix"]  # cnnviz's rule: torch would use the last axis
        elif kind.type == "adaptiveavgpool2d" and x.dim() == 2 and layer["output_size"] == 1:
            assert "4-D" in row["error"]  # torch's global-mean shortcut; cnnviz wants images
        else:
            with pytest.raises((RuntimeError, ValueError, IndexError)):
                module = kind.torch_class(**torch_kwargs(layer, in_dim)).eval()
                with torch.no_grad():
                    module(x)
        assert row["error"] and row["fix"]
        break
    else:
        assert all(r["status"] == "ok" for r in rows)


@st.composite
def windows(draw: st.DrawFn) -> dict:
    t = draw(st.sampled_from(["conv2d", "conv2d", "avgpool2d", "relu"]))
    if t == "relu":
        return {"type": t}
    layer = {"type": t, "kernel_size": draw(st.integers(1, 5)), "stride": draw(st.integers(1, 3))}
    layer["padding"] = draw(st.integers(0, layer["kernel_size"] // 2))
    if t == "conv2d":
        layer |= {"out_channels": 1, "dilation": draw(st.integers(1, 2)), "bias": False}
    return layer


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(layers=st.lists(windows(), min_size=1, max_size=4))
def test_receptive_field_is_what_the_gradient_reaches(layers: list[dict]) -> None:
    """Ones as weights: the centre output's gradient covers exactly the receptive field."""
    spec = {"input": [1, 72, 72], "layers": layers}
    rows = summarize(spec)
    assume(all(r["status"] == "ok" for r in rows) and rows[-1]["receptive_field"] <= 36)
    model = torch.nn.Sequential(
        *(
            kind_of(lay).torch_class(
                **torch_kwargs(normalize_layer(lay), 1 if kind_of(lay).inferred else None)
            )
            for lay in layers
        )
    )
    for m in model:
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.ones_(m.weight)
    x = torch.ones(1, 1, 72, 72, requires_grad=True)
    y = model(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    touched = (x.grad[0, 0].abs().sum(dim=1) > 0).nonzero().flatten()
    assume(touched.min() > 0 and touched.max() < 71)  # the field lies inside the image
    assert int(touched.max() - touched.min() + 1) == rows[-1]["receptive_field"]
    strides = [lay.get("stride", 1) for lay in layers]
    assert rows[-1]["jump"] == int(torch.tensor(strides).prod())
