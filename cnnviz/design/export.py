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
from cnnviz.design.blocks import (
    MAX_BLOCK_DEPTH,
    BlockType,
    Shortcut,
    block_children,
    check_stack,
    is_block,
    normalize_block,
    path_label,
    projection_stride,
)
from cnnviz.design.shapes import first_error, summarize, top_rows
from cnnviz.design.spec import SpecError, check_spec_structure, compact_layer, describe, kind_of
from cnnviz.design.spec import normalize_layer as _normalize

MAX_JSON_BYTES = 256 * 1024  # a 200-layer spec is ~20 KB
MAX_URL_CHARS = 16 * 1024
# spec > layers > layer > [h, w] is 4 levels; each block adds at most 3 (block > branches > branch)
MAX_DEPTH = 4 + 3 * MAX_BLOCK_DEPTH


def _compact_layers(layers: list[Any], depth: int = 0) -> list[Any]:
    out = []
    for layer in layers:
        if is_block(layer) and depth < MAX_BLOCK_DEPTH:
            out.append(_compact_block(layer, depth))
            continue
        try:
            out.append(compact_layer(layer))
        except SpecError:  # an unknown type: keep it as the user wrote it
            out.append(layer)
    return out


def _compact_block(block: dict, depth: int) -> dict:
    """The block with its layers compacted and its shortcut left out when it is the default."""
    out = {k: v for k, v in block.items() if k not in ("layers", "branches")}
    out["type"] = str(block["type"]).lower()
    if isinstance(block.get("layers"), list):
        out["layers"] = _compact_layers(block["layers"], depth + 1)
    elif "layers" in block:
        out["layers"] = block["layers"]
    if isinstance(block.get("branches"), list):
        out["branches"] = [
            _compact_layers(br, depth + 1) if isinstance(br, list) else br
            for br in block["branches"]
        ]
    elif "branches" in block:
        out["branches"] = block["branches"]
    if out.get("shortcut") == Shortcut.IDENTITY:
        del out["shortcut"]
    return out


def _clean(spec: dict) -> dict:
    dims, layers = check_stack(spec)
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
    layers = _json_layers(spec["layers"], "    ")
    body = ",\n".join([*head, '  "layers": ' + layers])
    return "{\n" + body + "\n}\n"


def _json_layers(layers: list[Any], pad: str) -> str:
    """A list of layers, one per line; a block's layers (or branches) on lines of their own."""
    if not layers:
        return "[]"
    lines = []
    for layer in layers:
        lists = block_children(layer) if is_block(layer) else []
        whole = isinstance(layer, dict) and all(
            isinstance(b, list) for b in layer.get("branches", [])
        )
        if not lists or not whole or not any(inner for _, _, inner in lists):
            lines.append(pad + json.dumps(layer, ensure_ascii=False))
            continue
        rest = {k: v for k, v in layer.items() if k not in ("layers", "branches")}
        head = json.dumps(rest, ensure_ascii=False)[:-1]  # without its closing brace
        if "layers" in layer:
            inner = _json_layers(layer["layers"], pad + "  ")
            lines.append(f'{pad}{head}, "layers": {inner}}}')
        else:
            branches = ",\n".join(
                pad + "  " + _json_layers(br, pad + "    ") for br in layer["branches"]
            )
            lines.append(f'{pad}{head}, "branches": [\n{branches}\n{pad}]}}')
    return "[\n" + ",\n".join(lines) + "\n" + pad[:-2] + "]"


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


def _check_layers(layers: list[Any], *, values: bool, prefix: str = "") -> None:
    """Every layer's type (and with ``values``, its values), blocks' layers included."""
    for i, layer in enumerate(layers):
        path = f"{prefix}{i}"
        try:
            if is_block(layer):
                normalize_block(layer)
                for step, _, inner in block_children(layer):
                    _check_layers(inner, values=values, prefix=f"{path}.{step}")
                continue
            if values:
                _normalize(layer)
            elif not isinstance(layer, dict):
                raise SpecError(f'a layer must be an object like {{"type": "relu"}}, got {layer!r}')
            else:
                kind_of(layer)
        except SpecError as e:
            if e.path is not None:
                raise
            err = SpecError(f"layer {path_label(path)}: {e}", layer=int(path.split(".")[0]))
            err.path = path
            raise err from e


def spec_from_json(text: str | bytes) -> dict:
    """A spec read from a JSON file's text or bytes; SpecError with a clear message if bad."""
    spec = _parse(text, "file")
    if isinstance(spec, dict) and "spec" in spec and "input" not in spec:
        spec = spec["spec"]  # a run's saved config that wraps the spec
    spec = _clean(spec)
    _check_layers(spec["layers"], values=True)
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
    _check_layers(spec["layers"], values=False)
    return spec


def _shape_comment(shape: list[int]) -> str:
    return "(" + ", ".join(["B", *(str(x) for x in shape[1:])]) + ")"


_RESIDUAL_CLASS = """class Residual(nn.Module):
    \"\"\"A skip connection: body(x) + shortcut(x), both of one shape.\"\"\"

    def __init__(self, body: nn.Module, shortcut: nn.Module) -> None:
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)
"""

_CONCAT_CLASS = """class Concat(nn.Module):
    \"\"\"Branches side by side, their outputs joined along the channels (dim 1).\"\"\"

    def __init__(self, *branches: nn.Module) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.branches], dim=1)
"""


def _code_lines(layers: list[Any], prefix: str, by_path: dict[str, dict], pad: str) -> list[str]:
    """One line per layer (a block: its constructor over several lines), shape comments aligned."""
    lines: list[str] = []
    for i, raw in enumerate(layers):
        path = f"{prefix}{i}"
        row = by_path[path]
        comment = f"  # {_shape_comment(row['output_shape'])}"
        if is_block(raw):
            block = normalize_block(raw)
            if block["type"] == BlockType.RESIDUAL:
                lines.append(f"{pad}Residual(  # layer {row['label']}: layers(x) + shortcut(x)")
                lines.append(f"{pad}    nn.Sequential(")
                lines += _code_lines(block["layers"], f"{path}.", by_path, pad + "        ")
                lines.append(f"{pad}    ),")
                if block["shortcut"] == Shortcut.CONV1X1:
                    c_in, c_out = row["input_shape"][1], row["output_shape"][1]
                    h, w = row["input_shape"][2:]
                    stride = projection_stride((h, w), tuple(row["output_shape"][2:]))
                    assert stride is not None
                    st = stride[0] if stride[0] == stride[1] else stride
                    lines.append(f"{pad}    nn.Sequential(  # the projection shortcut")
                    lines.append(
                        f"{pad}        nn.Conv2d({c_in}, {c_out}, kernel_size=1, stride={st}, "
                        "bias=False),"
                    )
                    lines.append(f"{pad}        nn.BatchNorm2d({c_out}),")
                    lines.append(f"{pad}    ),")
                else:
                    lines.append(f"{pad}    nn.Identity(),  # the shortcut: x as it is")
                lines.append(f"{pad}),{comment}")
            else:
                lines.append(f"{pad}Concat(  # layer {row['label']}: branches joined on dim 1")
                for b, branch in enumerate(block["branches"]):
                    lines.append(f"{pad}    nn.Sequential(  # branch {b + 1}")
                    lines += _code_lines(branch, f"{path}.{b}.", by_path, pad + "        ")
                    lines.append(f"{pad}    ),")
                lines.append(f"{pad}),{comment}")
            continue
        layer = _normalize(raw)
        in_dim = row["input_shape"][1] if kind_of(layer).inferred else None
        code = f"{pad}nn.{describe(layer, in_dim)},"
        lines.append(f"{code:<60}{comment}")
    return lines


def to_pytorch_code(spec: dict, *, batch: int = 2) -> str:
    """Runnable PyTorch code for the design; SpecError naming the layer if it is invalid.

    Blocks become ``Residual`` / ``Concat`` classes with their ``forward`` written out; module
    names (so state_dict keys) are ``build_model``'s: weights load into either.
    """
    rows = summarize(spec, batch)
    err = first_error(rows)
    if err:
        raise err
    dims, _ = check_spec_structure(spec)
    top = top_rows(rows)
    name = spec["name"] if isinstance(spec.get("name"), str) else ""
    title = " ".join(name.replace("\\", "/").replace('"', "'").split())[:80]
    title = title or "a network designed in cnnviz"
    kinds = {r["block"] for r in rows if r["block"]}
    n_layers = sum(not r["block"] for r in rows)
    lines = [
        f'"""{title}: {n_layers} layer{"" if n_layers == 1 else "s"}, '
        f"{sum(r['params'] for r in rows):,} parameters.",
        "",
        "Generated by cnnviz. Run it with: python model.py",
        '"""',
        "",
        "import torch",
        "from torch import nn",
        "",
        "",
    ]
    for used, text in ((BlockType.RESIDUAL, _RESIDUAL_CLASS), (BlockType.CONCAT, _CONCAT_CLASS)):
        if used in kinds:
            lines += [*text.splitlines(), "", ""]
    lines += [
        "class Net(nn.Sequential):",
        f"    # input: {_shape_comment([batch, *dims])}",
        "    def __init__(self) -> None:",
        "        super().__init__(",
    ]
    lines += _code_lines(spec["layers"], "", {r["path"]: r for r in rows}, " " * 12)
    if not rows:
        lines.append("            nn.Identity(),  # no layers yet")
    out_shape = top[-1]["output_shape"] if top else [batch, *dims]
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
