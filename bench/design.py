"""How fast the Design page answers an edit.

    python3 bench/design.py [--repeats N]

(a) shape inference (``summarize``) of a 100-layer stack: median of many runs,
    against the 5 ms target;
(b) server time of one Design page rerun after one edit (a kernel size) on a
    20-layer stack, through Streamlit's AppTest (no browser, no network): median
    over several edits, against a 200 ms target; also the parts of that rerun
    (summarize, the diagram figure, the shape table frame) measured in the same
    process, so a slow rerun points at its cause.

Prints each figure as a ratio of its target (< 1.0 is good). Nothing here is a
test: timings depend on the machine, so no test asserts on them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SHAPES_TARGET_S = 0.005
RERUN_TARGET_S = 0.200


def stack(n_layers: int) -> dict:
    """A valid [3, 64, 64] stack of exactly n_layers: conv/bn/relu blocks, a pool now and then."""
    layers: list[dict] = []
    block = [
        {"type": "conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
        {"type": "batchnorm2d"},
        {"type": "relu"},
    ]
    pools = 0
    while len(layers) < n_layers - 2:
        layers += block
        if len(layers) % 9 == 0 and pools < 4:
            layers.append({"type": "maxpool2d", "kernel_size": 2})
            pools += 1
    layers = layers[: n_layers - 2] + [{"type": "flatten"}, {"type": "linear", "out_features": 10}]
    return {"input": [3, 64, 64], "layers": layers}


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def report(name: str, seconds: float, target: float) -> None:
    ratio = seconds / target
    verdict = "ok" if ratio < 1 else "SLOWER THAN TARGET"
    print(
        f"{name:<52} {seconds * 1000:8.2f} ms   target {target * 1000:6.1f} ms   ratio {ratio:5.2f}  {verdict}"
    )


def bench_shapes(repeats: int) -> None:
    from cnnviz.design.shapes import summarize

    spec = stack(100)
    rows = summarize(spec, 2)
    assert len(rows) == 100 and all(r["status"] == "ok" for r in rows), (
        "the bench stack must be valid"
    )
    summarize(spec, 2)  # warm
    report(
        "(a) summarize, 100-layer stack",
        median_time(lambda: summarize(spec, 2), repeats),
        SHAPES_TARGET_S,
    )


def bench_rerun(edits: int) -> None:
    from streamlit.testing.v1 import AppTest

    from cnnviz.design.export import encode_spec
    from cnnviz.design.shapes import summarize
    from cnnviz.plots.design.diagram import design_figure
    from cnnviz.ui.design.table import table_frame

    spec = stack(20)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["net"] = encode_spec(spec)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    radio = next(r for r in at.radio if r.label.startswith("Layers"))
    radio.set_value(0).run()
    times = []
    for k in range(edits + 1):
        kernel = next(w for w in at.number_input if w.label == "kernel_size")
        kernel.set_value(3 if k % 2 else 5)
        t = time.perf_counter()
        at.run()
        if k:  # the first edit warms caches
            times.append(time.perf_counter() - t)
        assert not at.exception, [e.value for e in at.exception]
    report(
        "(b) Design page rerun after one edit, 20 layers", statistics.median(times), RERUN_TARGET_S
    )
    rows = summarize(spec, 2)
    parts = {
        "summarize": lambda: summarize(spec, 2),
        "diagram figure": lambda: design_figure(spec, rows, 0),
        "shape table frame": lambda: table_frame(rows),
    }
    for name, fn in parts.items():
        fn()
        print(f"    part of (b): {name:<36} {median_time(fn, 20) * 1000:8.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=200, help="runs of summarize (a)")
    ap.add_argument("--edits", type=int, default=7, help="timed page reruns (b)")
    args = ap.parse_args()
    bench_shapes(args.repeats)
    bench_rerun(args.edits)


if __name__ == "__main__":
    main()
