"""Check the ``mnist-basic`` preset's defaults: >= 98% test accuracy in 3 epochs from 8,000 images.

Uses the real MNIST test set beside the checkout (../shared/data/mnist-t10k): its
first 8,000 images become the training files, the last 2,000 the test files, laid
out as torchvision's MNIST IDX files in a temporary data folder; then it runs
``python -m cnnviz train mnist-basic --dataset mnist`` exactly as a user would.

    python3 bench/mnist_check.py [--preset mnist-basic] [--train 8000] [extra cnnviz train options]
"""

from __future__ import annotations

import argparse
import gzip
import json
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"


def read_idx(path: Path) -> tuple[tuple[int, ...], bytes]:
    data = gzip.decompress(path.read_bytes())
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    return dims, data[4 + 4 * ndim :]


def write_idx(path: Path, dims: tuple[int, ...], payload: bytes, magic: int) -> None:
    path.write_bytes(struct.pack(">I", magic) + struct.pack(f">{len(dims)}I", *dims) + payload)


def lay_out(root: Path, n_train: int) -> None:
    """MNIST/raw/{train,t10k}-{images,labels} IDX files from the shared 10k test set."""
    (idims, images), (_, labels) = (
        read_idx(SHARED / "t10k-images-idx3-ubyte.gz"),
        read_idx(SHARED / "t10k-labels-idx1-ubyte.gz"),
    )
    n, h, w = idims
    px = h * w
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, lo, hi in (("train", 0, n_train), ("t10k", n_train, n)):
        write_idx(
            raw / f"{prefix}-images-idx3-ubyte", (hi - lo, h, w), images[lo * px : hi * px], 0x803
        )
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", (hi - lo,), labels[lo:hi], 0x801)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="mnist-basic")
    ap.add_argument("--train", type=int, default=8000)
    args, extra = ap.parse_known_args()
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} is not here")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        lay_out(Path(tmp) / "data", args.train)
        cmd = [sys.executable, "-m", "cnnviz", "train", args.preset, "--dataset", "mnist"]
        cmd += ["--data-dir", f"{tmp}/data", "--runs-dir", f"{tmp}/runs", "--json", *extra]
        t = time.perf_counter()
        proc = subprocess.run(
            cmd, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1]
        )
        wall = time.perf_counter() - t
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    for d in lines:
        if d["event"] == "epoch_ended":
            print(
                f"epoch {d['epoch']}: train acc {d['train_accuracy']:.4f}  val acc {d['val_accuracy']}"
            )
    last = lines[-1] if lines else {"event": "none", "reason": proc.stderr[-2000:]}
    acc = last.get("test_accuracy")
    print(
        f"{args.preset} on {args.train} MNIST images: {last['event']}, test accuracy {acc}, {wall:.1f} s wall"
    )
    if last["event"] != "finished":
        print(last.get("reason"), proc.stderr[-2000:])
    return 0 if acc is not None and acc >= 0.98 else 1


if __name__ == "__main__":
    sys.exit(main())
