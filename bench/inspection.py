"""Inspect speed: feature maps -> figure -> JSON, and evaluating 10,000 test images.

    python3 bench/inspection.py [--repeat 3]

Prints, measured side by side in this one run (median of the repeats):
(a) capture + feature-map figure + ``fig.to_json()`` (what st.plotly_chart sends) for a
    64-channel layer: mnist-basic's second Conv2d on a 28×28 digit (64×14×14) and a
    Conv2d(3, 64) on a 64×64 image (64×64×64); the tiled single-heatmap figure cnnviz uses
    against one subplot per channel. Target < 300 ms.
(b) evaluate() over 10,000 MNIST test images with mnist-basic (../shared/data/mnist-t10k if
    present, else random images of that size) against a plain loop (the model as built,
    batch 512, no_grad). Target < 5 s.
"""

from __future__ import annotations

import argparse
import gzip
import math
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from cnnviz.design.build import build_model
from cnnviz.design.presets import PRESETS
from cnnviz.inspect.capture import capture
from cnnviz.inspect.evaluate import evaluate

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"
FIGURE_TARGET_S = 0.300
EVAL_TARGET_S = 5.0


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def subplots_figure(act: torch.Tensor):
    """The alternative: one heatmap subplot per channel (what px.imshow facets also build)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    c = act.shape[0]
    cols = math.ceil(math.sqrt(c))
    rows = math.ceil(c / cols)
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.005, vertical_spacing=0.005)
    a = act.numpy()
    for i in range(c):
        fig.add_trace(
            go.Heatmap(z=a[i], coloraxis="coloraxis"), row=i // cols + 1, col=i % cols + 1
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    return fig


def load_mnist() -> tuple[torch.Tensor, torch.Tensor, str]:
    img, lab = MNIST / "t10k-images-idx3-ubyte.gz", MNIST / "t10k-labels-idx1-ubyte.gz"
    if img.exists() and lab.exists():
        x = np.frombuffer(gzip.decompress(img.read_bytes())[16:], np.uint8).reshape(-1, 1, 28, 28)
        y = np.frombuffer(gzip.decompress(lab.read_bytes())[8:], np.uint8)
        return torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64)), "MNIST t10k"
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (10_000, 1, 28, 28), dtype=torch.uint8, generator=g)
    return x, torch.randint(0, 10, (10_000,), generator=g), "random 10,000×1×28×28"


def bench_maps(repeat: int) -> None:
    from cnnviz.plots.inspect.maps import feature_maps_figure

    torch.manual_seed(0)
    mnist = build_model(PRESETS["mnist-basic"].new_spec())
    big = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU())
    cases = [
        ("mnist-basic layer 4 Conv2d, 64×14×14", mnist, torch.rand(1, 1, 28, 28), 4),
        ("Conv2d(3, 64) on 3×64×64, 64×64×64", big, torch.rand(1, 3, 64, 64), 0),
    ]
    print("(a) feature maps of a 64-channel layer: capture + figure + to_json")
    for name, model, x, layer in cases:

        def ours(model=model, x=x, layer=layer) -> int:
            cap = capture(model, x, layers=[layer])[0]
            return len(feature_maps_figure(cap.output, title=cap.name).to_json())

        def alt(model=model, x=x, layer=layer) -> int:
            cap = capture(model, x, layers=[layer])[0]
            return len(subplots_figure(cap.output[0]).to_json())

        t_ours, t_alt = timed(ours, repeat), timed(alt, repeat)
        kb = ours() / 1024
        print(
            f"  {name}: tiled heatmap {t_ours * 1000:.0f} ms ({kb:.0f} KiB JSON), "
            f"one subplot per channel {t_alt * 1000:.0f} ms; "
            f"subplots/tiled = {t_alt / t_ours:.1f}×; tiled / 300 ms target = {t_ours / FIGURE_TARGET_S:.2f}"
        )


def bench_eval(repeat: int) -> None:
    x, y, what = load_mnist()
    torch.manual_seed(0)
    model = build_model(PRESETS["mnist-basic"].new_spec()).eval()

    def plain() -> None:
        with torch.no_grad():
            for s in range(0, len(x), 512):
                model(x[s : s + 512].float() / 255)

    def ours() -> None:
        evaluate(model, x, y, None, batch_size=512)

    ours()  # warm-up (thread pools, oneDNN kernels)
    t_plain, t_ours = timed(plain, repeat), timed(ours, repeat)
    print(
        f"(b) evaluate {len(x):,} images ({what}) with mnist-basic, {torch.get_num_threads()} threads"
    )
    print(
        f"  evaluate(): {t_ours:.2f} s; plain no_grad loop: {t_plain:.2f} s; "
        f"plain/evaluate = {t_plain / t_ours:.1f}×; evaluate / 5 s target = {t_ours / EVAL_TARGET_S:.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=["maps", "eval"], help="run one part only")
    args = ap.parse_args()
    if args.only != "eval":
        bench_maps(max(1, args.repeat))
    if args.only != "maps":
        bench_eval(max(1, args.repeat))


if __name__ == "__main__":
    main()
