"""Training memory: the estimate Start checks against the budget, next to the peak measured.

For each design, at the largest mini-batch the budget allows (``largest_batch_that_fits``),
one child process builds the network, runs one iteration (forward pass, backward pass,
Adam step) on random images and reports its peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) minus the same process's peak just before
the iteration. Printed side by side: estimate, measured, measured / estimate.

    python3 -m bench.train_memory [--budget-mb 2048] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from cnnviz.train.memory import budget_bytes, estimate, largest_batch_that_fits

DESIGNS = {
    "wide 1x1 Conv2d(2048) on 64x64 RGB": {
        "input": [3, 64, 64],
        "layers": [
            {"type": "conv2d", "out_channels": 2048, "kernel_size": 1},
            {"type": "relu"},
            {"type": "maxpool2d", "kernel_size": 8},
            {"type": "flatten"},
            {"type": "linear", "out_features": 10},
        ],
    },
    "BatchNorm stack on 128x128": {
        "input": [3, 128, 128],
        "layers": [
            {"type": "conv2d", "out_channels": 64, "kernel_size": 3, "padding": 1},
            {"type": "batchnorm2d"},
            {"type": "relu"},
            {"type": "conv2d", "out_channels": 64, "kernel_size": 3, "padding": 1},
            {"type": "batchnorm2d"},
            {"type": "relu"},
            {"type": "maxpool2d", "kernel_size": 4},
            {"type": "flatten"},
            {"type": "linear", "out_features": 10},
        ],
    },
    "two Conv2d(1024) on 28x28 (the issue's)": {
        "input": [1, 28, 28],
        "layers": [
            {"type": "conv2d", "out_channels": 1024, "kernel_size": 3, "padding": 1},
            {"type": "relu"},
            {"type": "conv2d", "out_channels": 1024, "kernel_size": 3, "padding": 1},
            {"type": "relu"},
            {"type": "flatten"},
            {"type": "linear", "out_features": 10},
        ],
    },
}

CHILD = r"""
import json, resource, sys, torch
from cnnviz.design.build import build_model
spec, b, threads = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
model = build_model(spec).train()
opt = torch.optim.Adam(model.parameters())
x = torch.randn(b, *spec["input"])
y = torch.randint(0, 10, (b,))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
loss = torch.nn.functional.cross_entropy(model(x), y)
opt.zero_grad()
loss.backward()
opt.step()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kb": before, "peak_kb": peak}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget-mb", type=float, default=budget_bytes() / 2**20)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    budget = int(args.budget_mb * 2**20)
    print(f"budget {budget / 2**20:,.0f} MB per training\n", flush=True)
    print(f"{'design':42s} {'batch':>6s} {'estimate':>10s} {'measured':>10s} {'ratio':>6s}")
    for name, spec in DESIGNS.items():
        b = largest_batch_that_fits(spec, "adam", budget, 4096)
        est = estimate(spec, b, "adam").total
        out = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(spec), str(b), str(args.threads)],
            capture_output=True,
            text=True,
            timeout=1800,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        measured = (
            r["peak_kb"] - r["before_kb"]
        ) * 1024  # the iteration only (the model and the batch come before)
        total_peak = r["peak_kb"] * 1024
        print(
            f"{name:42s} {b:6d} {est / 2**20:8,.0f}MB {measured / 2**20:8,.0f}MB "
            f"{measured / est:6.2f}   (process peak {total_peak / 2**20:,.0f} MB)",
            flush=True,
        )


if __name__ == "__main__":
    main()
