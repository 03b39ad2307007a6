"""Data layer speed, measured side by side in one run (no network; prints ratios).

1. Shapes: 10,000 images drawn at 3×64×64 and 1×28×28 (images/s).
2. Feeding one epoch of 10,000 28×28 images as float batches of 64:
   (a) the course's per-item way: PIL image → ToTensor → Normalize, through a DataLoader;
   (b) cnnviz: one uint8 tensor, ``Normalization.apply`` on each mini-batch.
3. Augmentation of a 256-image batch: per-item torchvision transforms vs ``augment_batch``.

    python3 bench/data.py [--threads 1] [--n 10000]
"""

from __future__ import annotations

import argparse
import time

import torch


def _time(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n", type=int, default=10_000)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from PIL import Image
    from torch.utils.data import DataLoader, Dataset
    from torchvision import transforms as T

    from cnnviz.data.pipeline import augment_batch, fit_normalization
    from cnnviz.data.shapes_set import make_shapes

    n = args.n
    make_shapes(100)  # warm up
    for size, ch in ((64, 3), (28, 1)):
        s = _time(lambda size=size, ch=ch: make_shapes(n, size=size, channels=ch))
        print(f"Shapes {ch}x{size}x{size}: {n:,} images in {s:.2f} s ({n / s:,.0f} images/s)")

    x, y = make_shapes(n, size=28, channels=1)
    norm = fit_normalization("standardize", x)

    class PerItem(Dataset):  # what the course's loop does for MNIST
        tf = T.Compose([T.ToTensor(), T.Normalize(norm.mean, norm.std)])

        def __len__(self):
            return n

        def __getitem__(self, i):
            return self.tf(Image.fromarray(x[i, 0].numpy(), mode="L")), int(y[i])

    def per_item():
        for _batch in DataLoader(PerItem(), batch_size=64, shuffle=True):
            pass

    def whole():
        perm = torch.randperm(n)
        for i in range(0, n, 64):
            norm.apply(x[perm[i : i + 64]])

    a, b = _time(per_item), _time(whole, repeat=3)
    print(
        f"one epoch of batches: per-item PIL+ToTensor+Normalize {a:.2f} s, whole tensor {b:.3f} s: {a / b:,.0f}x faster"
    )

    batch = norm.apply(x[:256])
    flip_crop = T.Compose([T.RandomHorizontalFlip(), T.RandomCrop(28, padding=4)])
    a = _time(lambda: torch.stack([flip_crop(img) for img in batch]), repeat=3)
    b = _time(lambda: augment_batch(batch, flip=True, crop_padding=4), repeat=3)
    print(
        f"augment 256 images: per-item torchvision {a * 1e3:.1f} ms, augment_batch {b * 1e3:.1f} ms: {a / b:,.1f}x faster"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
