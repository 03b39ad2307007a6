"""The words of the shape engine: numbers for formulas, notes, and errors with their fix.

Kept apart from the arithmetic (cnnviz/shape_rules.py) so the messages, the
part students read, are in one place.
"""

from __future__ import annotations

from math import ceil


class LayerProblem(Exception):
    """This layer cannot work here: ``error`` says why, ``fix`` how to change it."""

    def __init__(self, error: str, fix: str) -> None:
        super().__init__(error)
        self.error = error
        self.fix = fix


def n(x: int | float) -> str:
    """A number for a formula: 885,760; 14.5; 10.33."""
    if isinstance(x, float) and not x.is_integer():
        return f"{x:.2f}".rstrip("0")
    x = int(x)
    return f"{x:,}" if abs(x) >= 10_000 else str(x)


def hw(pair: tuple[int, int] | list[int]) -> str:
    """3 for (3, 3), 3×5 for (3, 5)."""
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}×{pair[1]}"


def axis_formulas(label: str, h: tuple, w: tuple) -> list[str]:
    if h[1] == w[1]:
        return [f"H_out = W_out = {h[1]}"]
    return [f"H_out = {h[1]}", f"W_out = {w[1]}"]


def uncovered_note(h: int, w: int, verb: str, rounding: str) -> str | None:
    parts = []
    if h == w and h:
        parts.append(f"the last {'row and column are' if h == 1 else f'{h} rows and columns are'}")
    else:
        if h:
            parts.append(f"the last {'row is' if h == 1 else f'{h} rows are'}")
        if w:
            parts.append(f"the last {'column is' if w == 1 else f'{w} columns are'}")
    if not parts:
        return None
    return f"{rounding or 'floor division'}: {' and '.join(parts)} never {verb}"


def arg(pair: tuple[int, int]) -> str:
    """A size as a constructor argument: 2 or (2, 1)."""
    return str(pair[0]) if pair[0] == pair[1] else f"({pair[0]}, {pair[1]})"


def smallest_padding(size: int, k: int, s: int, d: int, at_least: int = 0) -> tuple[int, int, str]:
    """(P, H_out, formula): the least padding (>= at_least) for which the kernel fits ``size``."""
    span = d * (k - 1) + 1
    pad = max(at_least, ceil((span - size) / 2))
    out = (size + 2 * pad - span) // s + 1
    dk = f"{d}·({k}−1)" if d != 1 else f"({k}−1)"
    return pad, out, f"1 + ({size} + 2·{pad} − {dk} − 1) / {s} = {out}"


def too_big(kind, k, d, p, span, size, shrunk: bool, is_conv: bool, s=(1, 1)) -> LayerProblem:
    H, W = size
    what = f"kernel {hw(k)}"
    if d != (1, 1):
        what += f" with dilation {hw(d)} spans {hw(span)} pixels and"
    where = f"the {H}×{W} input"
    if p != (0, 0):
        where += f" even with padding {arg(p)} ({H + 2 * p[0]}×{W + 2 * p[1]})"
    fixes = []
    # the least padding that lets the window fit once (not "same", which keeps the size)
    (ph, oh, fh), (pw, ow, fw) = (
        smallest_padding(H, k[0], s[0], d[0], p[0]),
        smallest_padding(W, k[1], s[1], d[1], p[1]),
    )
    need = (ph, pw)
    if is_conv or (need[0] <= k[0] // 2 and need[1] <= k[1] // 2):
        formula = f"H_out = W_out = {fh}" if fh == fw else f"H_out = {fh}, W_out = {fw}"
        fixes.append(f"use padding={arg(need)} (the smallest that fits: {formula}, so {oh}×{ow})")
    fit = (max(1, (H + 2 * p[0] - 1) // d[0] + 1), max(1, (W + 2 * p[1] - 1) // d[1] + 1))
    fit = (min(fit[0], k[0]), min(fit[1], k[1]))
    if k[0] == k[1]:
        fit = (min(fit), min(fit))
    fixes.append(f"a kernel of {hw(fit)}")
    fixes.append("drop a pooling layer above" if shrunk else "use a larger input")
    if not is_conv:
        fixes.append(f"remove this {kind.torch_name}")
    fix = ", ".join(fixes[:-1]) + f", or {fixes[-1]}"
    return LayerProblem(f"{what} is larger than {where}", fix)


def bad_groups(groups: int, c: int, out_c: int) -> LayerProblem:
    ok = max(g for g in range(1, groups + 1) if c % g == 0 and out_c % g == 0)
    return LayerProblem(
        f"groups={groups} must divide both the {c} input channels and the {out_c} output channels",
        f"use groups={ok}" + (" (no grouping)" if ok == 1 else ""),
    )
