"""A design out of cnnviz and back in: PyTorch code, JSON files, compact URLs.

- ``to_pytorch_code(spec)``: a runnable, self-contained script (``class Net(nn.Sequential)``
  with a ``# (B, C, H, W)`` comment per layer). Its state_dict keys (``0.weight``, ...)
  are the same as ``build_model(spec)``'s, so saved weights load into either.
  Raises SpecError (naming the layer) for an invalid design.
- ``spec_to_json`` / ``spec_from_json``: a pretty file, one layer per line, defaults
  left out. Reading is strict: every layer's type and values are checked and a
  bad file gets a SpecError naming the line/column or the layer.
- ``encode_spec`` / ``decode_spec``: the ``?net=`` URL value (compact JSON → zlib →
  urlsafe base64 without padding). Decoding checks the structure and layer types
  but not values: a link keeps a design that is still being fixed (its rows show
  the error). Both the text and the decompressed size are capped.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

from cnnviz.design import bounded_json
from cnnviz.design.shapes import first_error, summarize
from cnnviz.design.spec import SpecError, check_spec_structure, compact_layer, describe, kind_of
from cnnviz.design.spec import normalize_layer as _normalize

MAX_JSON_BYTES = 256 * 1024  # a 200-layer spec is ~20 KB
MAX_URL_CHARS = 16 * 1024
MAX_DEPTH = 8  # spec > layers > layer > [h, w]: a design is 4 levels deep


def _compact_layers(layers: list[Any]) -> list[Any]:
    out = []
    for layer in layers:
        try:
            out.append(compact_layer(layer))
        except SpecError:  # an unknown type: keep it as the user wrote it
            out.append(layer)
    return out


def _clean(spec: dict) -> dict:
    dims, layers = check_spec_structure(spec)
    out: dict[str, Any] = {}
    if isinstance(spec.get("name"), str) and spec["name"]:
        out["name"] = spec["name"]
    out["input"] = dims
    out["layers"] = _compact_layers(layers)
    return out


def spec_to_json(spec: dict) -> str:
    """Pretty JSON, one layer per line, parameters at torch's default left out.

    A spec malformed as a whole is written as it is (spec_from_json will say what is wrong).
    """
    try:
        spec = _clean(spec)
    except SpecError:
        return json.dumps(spec, indent=2, ensure_ascii=False, default=str) + "\n"
    head = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in spec.items() if k != "layers"]
    layers = ",\n".join(f"    {json.dumps(layer, ensure_ascii=False)}" for layer in spec["layers"])
    body = ",\n".join([*head, '  "layers": [' + (f"\n{layers}\n  ]" if layers else "]")])
    return "{\n" + body + "\n}\n"


def _parse(text: str | bytes, what: str) -> Any:
    if isinstance(text, bytes) and len(text) > MAX_JSON_BYTES:
        raise SpecError(
            f"the {what} is {len(text) // 1024} KB, more than the {MAX_JSON_BYTES // 1024} KB "
            "a design can be: pick the spec JSON that cnnviz saved"
        )
    if isinstance(text, str) and len(text) > MAX_JSON_BYTES:
        raise SpecError(
            f"the {what} is longer than the {MAX_JSON_BYTES // 1024} KB a design can be"
        )
    try:
        return bounded_json.loads(
            text, what=f"the {what}", max_chars=MAX_JSON_BYTES, max_depth=MAX_DEPTH
        )
    except bounded_json.JsonLimitError as e:
        fix = ": pick a .json file saved by cnnviz" if what == "file" else ""
        raise SpecError(f"{e}{fix}") from None


def _check_layers(spec: dict, *, values: bool) -> None:
    for i, layer in enumerate(spec["layers"]):
        try:
            if values:
                _normalize(layer)
            elif not isinstance(layer, dict):
                raise SpecError(f'a layer must be an object like {{"type": "relu"}}, got {layer!r}')
            else:
                kind_of(layer)
        except SpecError as e:
            raise SpecError(f"layer {i + 1}: {e}", layer=i) from e


def spec_from_json(text: str | bytes) -> dict:
    """A spec read from a JSON file's text or bytes; SpecError with a clear message if bad."""
    spec = _parse(text, "file")
    if isinstance(spec, dict) and "spec" in spec and "input" not in spec:
        spec = spec["spec"]  # a run's saved config that wraps the spec
    spec = _clean(spec)
    _check_layers(spec, values=True)
    return spec


def encode_spec(spec: dict) -> str:
    """The spec as a short URL-safe string (compacted JSON, zlib, base64 without padding).

    Never raises for a dict: a spec that is malformed as a whole (say an input of 0) is
    packed as it is, and decode_spec explains the problem when the link is opened.
    """
    try:
        clean: Any = _clean(spec)
    except SpecError:
        clean = spec
    data = json.dumps(clean, separators=(",", ":"), ensure_ascii=False, default=str).encode()
    return base64.urlsafe_b64encode(zlib.compress(data, 9)).decode("ascii").rstrip("=")


def decode_spec(s: str) -> dict:
    """The spec from ``encode_spec``'s string; SpecError if it is damaged or too large."""
    if not isinstance(s, str) or not s:
        raise SpecError("the link has no design in it")
    if len(s) > MAX_URL_CHARS:
        raise SpecError(f"the design in the link is longer than {MAX_URL_CHARS} characters")
    try:
        raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        d = zlib.decompressobj()
        data = d.decompress(raw, MAX_JSON_BYTES)
        if d.unconsumed_tail:
            raise SpecError(
                f"the design in the link unpacks to more than {MAX_JSON_BYTES // 1024} KB"
            )
        if not d.eof:
            raise SpecError("the design in the link is cut short: copy the whole link")
    except (binascii.Error, ValueError, zlib.error) as e:
        if isinstance(e, SpecError):
            raise
        raise SpecError("the design in the link is damaged: copy the whole link") from e
    spec = _clean(_parse(data, "design in the link"))
    _check_layers(spec, values=False)
    return spec


def _shape_comment(shape: list[int]) -> str:
    return "(" + ", ".join(["B", *(str(x) for x in shape[1:])]) + ")"


def to_pytorch_code(spec: dict, *, batch: int = 2) -> str:
    """Runnable PyTorch code for the design; SpecError naming the layer if it is invalid."""
    rows = summarize(spec, batch)
    err = first_error(rows)
    if err:
        raise err
    dims, _ = check_spec_structure(spec)
    name = spec.get("name") if isinstance(spec.get("name"), str) else ""
    title = " ".join(name.replace("\\", "/").replace('"', "'").split())[:80]
    title = title or "a network designed in cnnviz"
    lines = [
        f'"""{title}: {len(rows)} layer{"" if len(rows) == 1 else "s"}, '
        f"{sum(r['params'] for r in rows):,} parameters.",
        "",
        "Generated by cnnviz. Run it with: python model.py",
        '"""',
        "",
        "import torch",
        "from torch import nn",
        "",
        "",
        "class Net(nn.Sequential):",
        f"    # input: {_shape_comment([batch, *dims])}",
        "    def __init__(self) -> None:",
        "        super().__init__(",
    ]
    for raw, row in zip(spec["layers"], rows, strict=True):
        layer = _normalize(raw)
        in_dim = row["input_shape"][1] if kind_of(layer).inferred else None
        code = f"nn.{describe(layer, in_dim)},"
        lines.append(f"            {code:<48}  # {_shape_comment(row['output_shape'])}")
    if not rows:
        lines.append("            nn.Identity(),  # no layers yet")
    out_shape = rows[-1]["output_shape"] if rows else [batch, *dims]
    lines += [
        "        )",
        "",
        "",
        'if __name__ == "__main__":',
        "    model = Net().eval()",
        f"    x = torch.randn({', '.join(str(v) for v in [batch, *dims])})  # a random mini-batch",
        "    with torch.no_grad():",
        "        y = model(x)",
        f"    print(tuple(y.shape))  # {tuple(out_shape)}",
        '    print(sum(p.numel() for p in model.parameters()), "parameters")',
        "",
    ]
    return "\n".join(lines)
