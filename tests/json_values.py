"""Hypothesis strategies for hostile JSON: any value, huge and non-finite numbers, deep nesting.

``json_values`` draws Python values ``json.dumps`` can write (NaN and ±Infinity
included, ints of hundreds of digits); ``json_texts`` draws text a decoder may
be handed: a dumped value, a spec-shaped object with a bad value in one place,
nesting hundreds of levels deep, or numbers such as ``1e999``.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=10**18, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e308, -1e308, 5e-324, 2**63, -(2**63) - 1]),
)
_scalars = st.one_of(st.none(), st.booleans(), _numbers, st.text(max_size=20))
json_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=25,
)
_keys = st.sampled_from(
    ["type", "out_channels", "kernel_size", "stride", "padding", "dilation", "out_features",
     "p", "in_channels", "groups", "bias", "name"]
)  # fmt: skip
_kinds = st.sampled_from(["conv2d", "relu", "maxpool2d", "flatten", "linear", "batchnorm2d",
                          "dropout", "avgpool2d", "softmax", "nope", ""])  # fmt: skip


@st.composite
def spec_like(draw) -> object:
    """A spec-shaped object with hostile values where a design keeps its numbers."""
    layers = draw(
        st.lists(
            st.one_of(
                st.dictionaries(_keys, json_values, max_size=4).map(
                    lambda d: {"type": d.pop("type", None) or "conv2d", **d}
                ),
                st.builds(
                    lambda k, v: {"type": k, **v},
                    _kinds,
                    st.dictionaries(_keys, json_values, max_size=3),
                ),
                json_values,
            ),
            max_size=5,
        )
    )
    inp = draw(st.one_of(st.lists(_numbers, min_size=1, max_size=4), json_values))
    return {"input": inp, "layers": layers}


def _deep(depth: int, inner: str = "3") -> str:
    return "[" * depth + inner + "]" * depth


json_texts = st.one_of(
    json_values.map(lambda v: json.dumps(v)),
    spec_like().map(lambda v: json.dumps(v)),
    st.integers(min_value=30, max_value=3000).map(
        lambda d: '{"input":[1,28,28],"layers":[{"type":"conv2d","kernel_size":' + _deep(d) + "}]}"
    ),
    st.integers(min_value=30, max_value=3000).map(lambda d: "{" + '"a":{' * d + "}" * (d + 1)),
    st.sampled_from(
        [
            '{"input":[1,1e999,28],"layers":[]}',
            '{"input":[1,-1e999,28],"layers":[]}',
            '{"input":[1,28,28],"layers":[{"type":"conv2d","out_channels":1e308}]}',
            '{"input":[1,28,28],"layers":[{"type":"conv2d","kernel_size":' + "9" * 5000 + "}]}",
            '{"input":[NaN,28,28],"layers":[]}',
            '{"input":[1,28,28],"layers":[{"type":"linear","out_features":Infinity}]}',
            '{"input":[3,28,28],"layers":[{"type":"conv2d","out_channels":8,"stride":0.5}]}',
        ]
    ),
    st.text(max_size=60),
)
