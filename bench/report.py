"""Report size and time for the default run: the default preset on the default Shapes set.

    python3 -m bench.report [--epochs 1] [--images 10000]

Trains lecture-7-23 (the app's default design) on Shapes as the Train page would (all
10,000 training and 2,000 test images by default; 1 epoch is enough: the size does not
depend on the accuracy), then prints side by side: the HTML's size, the share of it that
is Plotly's JavaScript (inlined once), the trained network the page runs (its weights and
test images: cnnviz.report.explainer) and what the figures and images add, the limit
(10 MB), and the seconds to build the content and write the file.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from cnnviz.data.registry import load_dataset
from cnnviz.design.presets import DEFAULT_PRESET, PRESETS
from cnnviz.report import build_report
from cnnviz.report.content import run_content
from cnnviz.train.config import TrainConfig
from cnnviz.train.engine import build_seeded, fit
from cnnviz.train.store import RunWriter, open_run

LIMIT_MB = 10.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--images", type=int, default=None, help="training images (default: all)")
    args = ap.parse_args()
    from plotly.offline import get_plotlyjs

    preset = PRESETS[DEFAULT_PRESET]
    config = TrainConfig.from_dict(dict(preset.train), epochs=args.epochs, device="cpu")
    c, h, _ = preset.spec["input"]
    bundle = load_dataset("shapes", size=h, channels=c, n_train=args.images)
    with tempfile.TemporaryDirectory() as root:
        writer = RunWriter(preset.spec, label=preset.name, root=root)
        t = time.perf_counter()
        for _ in fit(build_seeded(preset.spec, config.seed), bundle, config, writer=writer):
            pass
        train_s = time.perf_counter() - t
        run = open_run(writer.path)
        t = time.perf_counter()
        content = run_content(run)
        content_s = time.perf_counter() - t
        t = time.perf_counter()
        html = build_report(run, content=content)
        write_s = time.perf_counter() - t
    size = len(html.encode()) / 1e6
    js = len(get_plotlyjs().encode()) / 1e6
    print(f"default run: {preset.name} on Shapes, {len(bundle.train_y):,} training images, "
          f"{args.epochs} epoch(s) (trained in {train_s:.0f} s)")  # fmt: skip
    print(f"{'HTML':<22}{size:8.2f} MB   limit {LIMIT_MB:.0f} MB   ({size / LIMIT_MB:.0%} of it)")
    print(f"{'  Plotly JS (once)':<22}{js:8.2f} MB   ({js / size:.0%} of the file)")
    start = html.find('id="cnnviz-explainer-data"')
    net = len(html[start : html.find("</script>", start)].encode()) / 1e6 if start >= 0 else 0.0
    print(f"{'  your network':<22}{net:8.2f} MB   ({net / size:.0%}: weights and test images)")
    print(f"{'  figures + images':<22}{size - js - net:8.2f} MB   ({(size - js - net) / size:.0%})")
    print(
        f"{'content (s)':<22}{content_s:8.2f}     HTML (s) {write_s:.2f}   ratio {content_s / max(write_s, 1e-9):.1f}x"
    )


if __name__ == "__main__":
    main()
