"""How fast each Learn lesson answers an input change (server time of one rerun).

    python3 -m bench.learn [--repeats N]      (from the repository root)

For each lesson, the Learn page is opened in Streamlit's AppTest (no browser, no
network) on the default design (the lecture's network, 3×64×64, random weights),
one input is changed (◀ ▶ for the steps, c, the neuron, the learning rate, the
iteration, one Step of 10 iterations of the toy network) and the rerun is timed:
median over the repeats, side by side with the 300 ms target and with the bare
computation the lesson shows (measured in the same process), so a slow rerun
points at its cause. Nothing here is a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TARGET_S = 0.300


def _page(lesson: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/learn.py")
    at.run()
    at.segmented_control(key="learn.lesson").set_value(lesson).run()
    assert not at.exception, at.exception
    return at


def _changes() -> dict[str, Callable[[AppTest, int], None]]:
    return {
        "1 conv (▶ next pixel)": lambda at, i: at.button(key="learn.conv.pos.next").click(),
        "2 pool (▶ next pixel)": lambda at, i: at.button(key="learn.pool.pos.next").click(),
        "3 linear (c)": lambda at, i: at.number_input(key="learn.linear.c").set_value(1.5 + i),
        "4 matrix (neuron)": lambda at, i: at.radio(key="learn.matrix.j").set_value(i % 4),
        "5 minimum (learning rate)": lambda at, i: at.slider(key="learn.descent.lr").set_value(
            0.1 + 0.05 * i
        ),
        "6 loader (iteration)": lambda at, i: at.slider(key="learn.loader.iteration").set_value(
            2 + i
        ),
        "7 toy (Step: 10 iterations)": lambda at, i: at.button(key="learn.toy.step").click(),
    }


LESSONS = {
    "1": "conv",
    "2": "pool",
    "3": "linear",
    "4": "matrix",
    "5": "minimum",
    "6": "loader",
    "7": "toy",
}


def _bare() -> dict[str, Callable[[], object]]:
    """The computation each lesson shows, without the page."""
    from cnnviz.data.toy import make_toy
    from cnnviz.design.presets import PRESETS
    from cnnviz.learn.descent import Bowl, descent_path
    from cnnviz.learn.linearity import check_linearity
    from cnnviz.learn.matrix import whiteboard
    from cnnviz.learn.playground import ToyTrainer
    from cnnviz.learn.steps import conv_step, pool_step

    torch.manual_seed(0)
    conv, pool = torch.nn.Conv2d(3, 6, 3), torch.nn.MaxPool2d(2)
    x = torch.rand(3, 64, 64)
    act = torch.rand(6, 62, 62)
    toy = ToyTrainer(PRESETS["mlp-2-3-3-1"].spec, *make_toy("xor", 300))
    return {
        "1": lambda: conv_step(conv, x, 0, 10, 10),
        "2": lambda: pool_step(pool, act, 0, 10, 10),
        "3": lambda: check_linearity(conv, x[None], x[None].flip(-1), 2.0),
        "4": lambda: whiteboard(0),
        "5": lambda: descent_path(Bowl().loss, torch.tensor([-2.5, 2.5]), 0.3, 30),
        "6": lambda: torch.randperm(1800).split(64),
        "7": lambda: (toy.train(10), toy.regions(50)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    bare = _bare()
    print(f"{'lesson (input changed)':34} {'rerun ms':>9} {'bare ms':>8} {'rerun/target':>13}")
    for label, change in _changes().items():
        at = _page(LESSONS[label[0]])
        times = []
        for i in range(args.repeats):
            change(at, i)
            t = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t)
            assert not at.exception, at.exception
        rerun = statistics.median(times)
        t = time.perf_counter()
        bare[label[0]]()
        b = time.perf_counter() - t
        print(f"{label:34} {1000 * rerun:9.0f} {1000 * b:8.1f} {rerun / TARGET_S:13.2f}")


if __name__ == "__main__":
    main()
