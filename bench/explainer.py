"""The explained network's speed in Chromium, beside torch's, for the default design.

    python3 bench/explainer.py [--repeats 20]

Builds lecture-7-23 (the app's default design, seeded random weights, BatchNorm-free) with
a few dozen Shapes test images, writes the standalone explainer page (as ``cnnviz export RUN
--format explainer`` does), opens it from disk in headless Chromium with the network off,
and prints side by side (medians over ``--repeats``, after a warm-up):

- forward pass: ``window.cnnvizModel.forward(x)`` in the page against torch's forward of the
  same input on the CPU (target: under 200 ms in the page);
- click on a feature-map pixel: the arithmetic written out in the page (target ≤ 50 ms);
- picking another test image: forward pass and every layer's maps redrawn;
- the file's size (limit 10 MB) and the presentation's budget for it.

The machine is shared: the load average is printed; repeat the run when it is high.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnnviz.data.pipeline import Normalization  # noqa: E402
from cnnviz.data.registry import load_dataset  # noqa: E402
from cnnviz.design.build import build_model  # noqa: E402
from cnnviz.design.presets import DEFAULT_PRESET, PRESETS  # noqa: E402
from cnnviz.report.explainer import report_budget  # noqa: E402
from cnnviz.report.explainer.page import explainer_data, standalone  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    preset = PRESETS[DEFAULT_PRESET]
    torch.manual_seed(0)
    model = build_model(preset.spec).eval()
    c, h, w = preset.spec["input"]
    bundle = load_dataset("shapes", size=h, channels=c, n_train=200, n_test=200)
    data = explainer_data(
        model, [c, h, w], classes=list(bundle.classes), normalization=Normalization.from_dict({"kind": "div255"}),
        test_x=bundle.test_x, test_y=bundle.test_y,
    )  # fmt: skip
    html = standalone(data, preset.name)
    x = torch.rand(c, h, w)

    def time_torch() -> list[float]:
        with torch.no_grad():
            for _ in range(3):
                model(x[None])
            out = []
            for _ in range(args.repeats):
                t = time.perf_counter()
                model(x[None])
                out.append(1000 * (time.perf_counter() - t))
        return out

    threads = torch.get_num_threads()
    torch_ms = time_torch()
    torch.set_num_threads(1)  # the page runs on one thread: torch on one too, like for like
    torch_1 = time_torch()
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as d, sync_playwright() as pw:
        path = Path(d) / "explained.html"
        path.write_text(html, encoding="utf-8")
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, offline=True)
        page = ctx.new_page()
        t = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_function("!!window.cnnvizExplainer")
        load_s = time.perf_counter() - t
        page_ms = page.evaluate(
            """([x, n]) => { const v = Float32Array.from(x), out = [];
                for (let i = 0; i < 3; i++) window.cnnvizModel.forward(v);
                for (let i = 0; i < n; i++) { const t = performance.now(); window.cnnvizModel.forward(v); out.push(performance.now() - t); }
                return out; }""",
            [x.flatten().tolist(), args.repeats],
        )
        clicks = [
            page.evaluate(
                f"window.cnnvizExplainer.clickPixel('{name}', {k % 6}, {5 + k}, {7 + k}).ms"
            )
            for k in range(args.repeats)
            for name in ("0", "2")
        ]
        picks = [
            page.evaluate(f"window.cnnvizExplainer.pick({k % 24})") for k in range(args.repeats)
        ]
        browser.close()
    med = statistics.median
    print(
        f"{preset.name}: input {c}×{h}×{w}, {data['model']['count']:,} weights ({data['model']['dtype']}); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"{'':34}{'page (ms)':>12}{'torch (ms)':>12}{'target':>10}")
    print(
        f"{'forward pass':34}{med(page_ms):12.1f}{med(torch_ms):12.2f}{'< 200':>10}   page/torch {med(page_ms) / med(torch_ms):.2f}x (torch on {threads} threads)"
    )
    print(
        f"{'  torch on 1 thread':34}{'':12}{med(torch_1):12.2f}{'':>10}   page/torch {med(page_ms) / med(torch_1):.2f}x"
    )
    print(
        f"{'click a pixel (Conv2d, MaxPool2d)':34}{med(clicks):12.1f}{'':>12}{'≤ 50':>10}   worst {max(clicks):.1f}"
    )
    print(f"{'pick a test image (all redrawn)':34}{med(picks):12.1f}")
    print(f"{'page opened from disk (s)':34}{load_s:12.2f}")
    size = len(html.encode()) / 1e6
    print(f"file {size:.2f} MB (limit 10 MB); in the presentation it may take {report_budget() / 1e6:.2f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
