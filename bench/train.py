"""Training speed, side by side in one run: same network, data, mini-batch size and threads.

(a) a bare PyTorch loop over pre-normalised tensors (the fastest honest loop)
(b) the loop the course teaches: a torchvision-style Dataset (uint8 array -> PIL ->
    ToTensor -> Normalize, per item) and a DataLoader
(c) cnnviz.engine.fit
(d) cnnviz through a Job thread while a simulated page polls it once a second

Prints images/s (median of interleaved rounds) and the ratios (c)/(a) (target >= 0.95;
>= 0.9 on a GPU), (c)/(b) (>= 1.5) and (d)/(c) (>= 0.95).

    python3 bench/train.py [--quick] [--device cpu|cuda] [--threads N] [--images N]

``--executor ray`` compares instead, on the same machine and data:
(d) the Job thread, polled as the page does, against the same training in a Ray
actor (a local instance, the actor given ``--threads`` CPUs), polled by the server:
(e) an actor started for the training (``CNNVIZ_RAY_STANDBY=0``), and (f) the
standby actor the executor started ahead (the default). Images/s while training,
and end to end (start to final event, with the actor's start-up and the data's
trip to it). Target (f)/(d) >= 0.9. With ``--data shapes64`` it is the Train page's
default training: the registry's Shapes (a worker draws them itself), 9,000 images
for training, 5 epochs (``--epochs``).
``--executor ray --device cuda --jobs 8``: aggregate images/s of 8 jobs sharing one GPU
(``num_gpus=1/8`` each) against one job alone (target >= 3x).

``--gradients``: the cost of recording each layer's gradients (``fit(record_gradients=)``),
on and off alternating in the same process, ``--rounds`` times, each a training of
``--epochs`` (default 3) written to a run folder: median seconds per epoch (the first
epoch, which records 5 times, and the later ones, once each) and the ratio on/off
(target: under 5 % more).

Data: the real MNIST test images from ../shared/data/mnist-t10k when present, else
Shapes at 1x28x28, with the mnist-basic preset (``--preset lenet5`` for a lighter one);
or ``--data shapes64``: the app's default path, Shapes 3x64x64 with lecture-7-23.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from cnnviz.data.bundle import DataBundle
from cnnviz.design.presets import PRESETS
from cnnviz.train.config import TrainConfig
from cnnviz.train.engine import build_seeded, fit
from cnnviz.train.events import BatchEnded, EpochEnded
from cnnviz.train.job import Job
from cnnviz.train.prepared import prepare
from cnnviz.train.request import TrainRequest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"


def load_images(n: int, data: str = "mnist") -> tuple[torch.Tensor, torch.Tensor, str]:
    if data == "shapes64":  # the app's default path: Shapes 3x64x64 (lecture-7-23)
        from cnnviz.data.shapes_set import make_shapes

        x, y = make_shapes(n, size=64, channels=3, seed=0)
        return x, y, "Shapes 3x64x64"
    if data == "shapes32":  # the residual presets' size (resnet-8, resnet-20, plain-20)
        from cnnviz.data.shapes_set import make_shapes

        x, y = make_shapes(n, size=32, channels=3, seed=0)
        return x, y, "Shapes 3x32x32"
    if SHARED.is_dir():
        import gzip

        import numpy as np

        raw = gzip.decompress((SHARED / "t10k-images-idx3-ubyte.gz").read_bytes())[16:]
        lab = gzip.decompress((SHARED / "t10k-labels-idx1-ubyte.gz").read_bytes())[8:]
        x = torch.from_numpy(np.frombuffer(raw, np.uint8).copy()).view(-1, 1, 28, 28)
        y = torch.from_numpy(np.frombuffer(lab, np.uint8).copy()).long()
        reps = -(-n // len(x))
        return x.repeat(reps, 1, 1, 1)[:n], y.repeat(reps)[:n], "MNIST t10k"
    from cnnviz.data.shapes_set import make_shapes

    x, y = make_shapes(n, size=28, channels=1, seed=0)
    return x, y, "Shapes 1x28x28"


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bare(
    spec: dict, x: torch.Tensor, y: torch.Tensor, cfg: TrainConfig, device: torch.device
) -> float:
    mean, std = (x.float() / 255).mean(), (x.float() / 255).std()
    xf = ((x.float() / 255 - mean) / std).to(device)  # (N, C, H, W) float, on the device once
    yd = y.to(device)
    model = build_seeded(spec, 0).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    g = torch.Generator().manual_seed(0)
    sync(device)
    t = time.perf_counter()
    perm = torch.randperm(len(xf), generator=g).to(device)
    for idx in perm.split(cfg.batch_size):
        loss = F.cross_entropy(model(xf[idx]), yd[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    sync(device)
    return len(xf) / (time.perf_counter() - t)


def course(
    spec: dict, x: torch.Tensor, y: torch.Tensor, cfg: TrainConfig, device: torch.device
) -> float:
    from PIL import Image
    from torch.utils.data import DataLoader, Dataset
    from torchvision import transforms

    channels = x.shape[1]
    # (N, H, W) for greyscale, (N, H, W, 3) for colour: what PIL's Image.fromarray expects
    arrays = x[:, 0].numpy() if channels == 1 else x.permute(0, 2, 3, 1).contiguous().numpy()
    mode = "L" if channels == 1 else "RGB"
    labels = y.tolist()
    xs = x.float() / 255
    mean = tuple(xs.mean(dim=(0, 2, 3)).tolist())
    std = tuple(xs.std(dim=(0, 2, 3)).tolist())

    class Digits(Dataset):
        def __init__(self) -> None:
            self.transform = transforms.Compose(
                [transforms.ToTensor(), transforms.Normalize(mean, std)]
            )

        def __len__(self) -> int:
            return len(labels)

        def __getitem__(self, i: int):
            return self.transform(Image.fromarray(arrays[i], mode=mode)), labels[i]

    loader = DataLoader(
        Digits(), batch_size=cfg.batch_size, shuffle=True, pin_memory=device.type == "cuda"
    )
    model = build_seeded(spec, 0).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sync(device)
    t = time.perf_counter()
    for xb, yb in loader:
        xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    sync(device)
    return len(labels) / (time.perf_counter() - t)


def engine(spec: dict, data, cfg: TrainConfig) -> float:
    last = None
    for ev in fit(build_seeded(spec, 0), data, cfg):
        if isinstance(ev, BatchEnded):
            last = ev
    return last.images_per_s  # over the whole epoch, like the loops above


def job_polled(spec: dict, data, cfg: TrainConfig) -> float:
    import pandas as pd

    job = Job(TrainRequest(spec, data, cfg, model=build_seeded(spec, 0), runs_root=_tmp_runs()))
    job.start()
    while not job.wait(1.0):  # the page's fragment, once a second
        job.touch()
        job.progress()
        frame = pd.DataFrame(job.iter_metrics())
        if len(frame):
            frame["loss"].ewm(alpha=0.1).mean()
        job.epoch_metrics()
    assert str(job.status) == "finished", job.final
    return _last_rate(job)


def _last_rate(job: Job) -> float:
    return job._last_batch.images_per_s  # the same measure as (c)


def in_thread(fn, *args):
    """Run one loop in a fresh thread, like the Job (and the CLI) do.

    Every loop gets the same kind of thread: torch's OpenMP threads busy-wait in the
    main thread's team, which on a crowded CPU slows the main thread several-fold
    and would make the comparison about threads rather than loops.
    """
    out = []
    t = threading.Thread(target=lambda: out.append(fn(*args)))
    t.start()
    t.join()
    return out[0]


_TMP: list = []


def _tmp_runs() -> str:
    import tempfile

    if not _TMP:
        _TMP.append(tempfile.TemporaryDirectory())
    return _TMP[0].name


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--images", type=int, default=None, help="images per measured epoch")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--quick", action="store_true", help="fewer images and rounds")
    ap.add_argument(
        "--data",
        default="mnist",
        choices=("mnist", "shapes64", "shapes32"),
        help="mnist: 1x28x28 digits; shapes64: the app's default Shapes 3x64x64; shapes32: "
        "3x32x32 for the residual presets",
    )
    ap.add_argument(
        "--preset",
        default=None,
        help="default: mnist-basic for mnist, lecture-7-23 for shapes64 (lenet5 is lighter)",
    )
    ap.add_argument("--executor", default="thread", choices=("thread", "ray"))
    ap.add_argument(
        "--epochs", type=int, default=None, help="with --executor ray --data shapes64 (default 5)"
    )
    ap.add_argument("--jobs", type=int, default=1, help="with --executor ray: jobs sharing a GPU")
    ap.add_argument(
        "--gradients", action="store_true", help="the cost of recording gradients, on vs off"
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    n = args.images or (1920 if args.quick else (20_000 if device.type == "cuda" else 6400))
    rounds = args.rounds or (1 if args.quick else 3)
    args.preset = args.preset or ("lecture-7-23" if args.data == "shapes64" else "mnist-basic")
    spec = PRESETS[args.preset].spec
    x, y, source = load_images(n, args.data)
    cfg = TrainConfig(
        epochs=1, batch_size=args.batch_size, lr=1e-3, device=args.device, val_fraction=0.0
    )
    empty = torch.zeros(0, *x.shape[1:], dtype=torch.uint8)
    bundle = DataBundle(
        "bench", tuple(str(i) for i in range(10)), x, y, empty, torch.zeros(0, dtype=torch.long)
    )
    if args.executor == "ray" and args.data == "shapes64":
        # the Train page's default training: Shapes from the registry (so a Ray worker draws
        # it itself, as it does for the app), 10% held out for validation, the preset's epochs
        from cnnviz.data.registry import load_dataset

        bundle = load_dataset("shapes", n_train=args.images or 10_000, n_test=2_000)
        cfg = TrainConfig.from_dict(PRESETS[args.preset].train).with_(
            device=args.device, val_fraction=0.1, epochs=args.epochs or 5
        )
        n, source = len(bundle.train_x), f"Shapes 3x64x64 (registry), {cfg.epochs} epochs"
    if args.executor == "ray":
        print(
            f"{args.preset} on {n} {source} images, batch {args.batch_size}, {args.threads} threads"
        )
        if args.jobs > 1:
            return gpu_share(spec, bundle, cfg, args.jobs)
        return thread_vs_ray(spec, bundle, cfg, rounds, args.threads)
    data = prepare(bundle, cfg)  # on the device once, as the page and CLI do
    if args.gradients:
        print(f"{args.preset} on {n} {source} images, batch {args.batch_size}, "
              f"{args.threads} threads, {device}")  # fmt: skip
        return gradients_cost(spec, data, cfg.with_(epochs=args.epochs or 3), args.rounds or 5)
    print(
        f"{args.preset} on {n} {source} images, batch {args.batch_size}, {args.threads} threads, {device}"
    )
    in_thread(engine, spec, data, cfg)  # warm-up (allocator, kernels)
    main_c = engine(spec, data, cfg)
    print(f"(c) in the main thread instead: {main_c:.0f} images/s (for comparison only)")
    runs = {k: [] for k in "abcd"}
    for r in range(rounds):
        runs["a"].append(in_thread(bare, spec, x, y, cfg, device))
        runs["b"].append(in_thread(course, spec, x, y, cfg, device))
        runs["c"].append(in_thread(engine, spec, data, cfg))
        runs["d"].append(job_polled(spec, data, cfg))
        print(
            f"round {r + 1}: " + "  ".join(f"({k}) {v[-1]:.0f}" for k, v in runs.items()),
            flush=True,
        )
    med = {k: statistics.median(v) for k, v in runs.items()}
    names = {
        "a": "bare PyTorch loop",
        "b": "course loop (Dataset+DataLoader)",
        "c": "cnnviz engine",
        "d": "cnnviz Job, polled 1/s",
    }
    for k, name in names.items():
        print(f"({k}) {name:34s} {med[k]:8.0f} images/s")
    target_ca = 0.9 if device.type == "cuda" else 0.95
    for (num, den), target in (((("c", "a")), target_ca), (("c", "b"), 1.5), (("d", "c"), 0.95)):
        ratio = med[num] / med[den]
        print(
            f"({num})/({den}) = {ratio:.2f}   target >= {target}  {'ok' if ratio >= target else 'BELOW'}"
        )
    return 0


def _epoch_times(spec: dict, data, cfg: TrainConfig, record: bool) -> list[float]:
    """Seconds per epoch of one training written to a run folder, recording on or off."""
    from cnnviz.train.store import RunWriter

    writer = RunWriter(spec, label="bench", root=_tmp_runs())
    times, last = [], 0.0
    for ev in fit(build_seeded(spec, 0), data, cfg, writer=writer, record_gradients=record):
        if isinstance(ev, EpochEnded):
            times.append(ev.elapsed_s - last)
            last = ev.elapsed_s
    return times


def gradients_cost(spec: dict, data, cfg: TrainConfig, rounds: int) -> int:
    """Recording on against off, alternating (which goes first alternates too)."""
    from cnnviz.train import gradient_recorder
    from cnnviz.train.gradient_recorder import layer_groups

    layers = len(layer_groups(build_seeded(spec, 0)))
    print(f"{layers} layers with weights, {cfg.epochs} epochs per training, {rounds} rounds")
    inside: list[float] = []  # seconds spent in the recorder, during the trainings with it on
    take = gradient_recorder.GradientRecorder.take

    def timed(self, *args):  # the time a recording takes, measured where it happens
        t = time.perf_counter()
        out = take(self, *args)
        inside.append(time.perf_counter() - t)
        return out

    gradient_recorder.GradientRecorder.take = timed
    in_thread(_epoch_times, spec, data, cfg.with_(epochs=1), True)  # warm-up
    got: dict[bool, list[list[float]]] = {True: [], False: []}
    for r in range(rounds):
        for record in (True, False) if r % 2 == 0 else (False, True):
            got[record].append(in_thread(_epoch_times, spec, data, cfg, record))
        on, off = got[True][-1], got[False][-1]
        print(f"round {r + 1}: on {sum(on):.2f} s, off {sum(off):.2f} s", flush=True)
    rows = {
        "first epoch": lambda t: t[:1],
        "later epochs": lambda t: t[1:],
        "every epoch": lambda t: t,
    }
    ok = True
    for name, pick in rows.items():
        on = (
            statistics.median(x for t in got[True] for x in pick(t))
            if cfg.epochs > 1 or name != "later epochs"
            else None
        )
        off = statistics.median(x for t in got[False] for x in pick(t)) if on is not None else None
        if on is None or off is None:
            continue
        ratio = on / off
        ok &= name != "every epoch" or ratio < 1.05
        print(f"{name:13s} median s/epoch: on {on:7.3f}  off {off:7.3f}  on/off = {ratio:.3f}")
    print(f"target: on/off < 1.05 per epoch  {'ok' if ok else 'ABOVE'}")
    first = len(gradient_recorder.moments(-(-data.train_size // cfg.batch_size)))
    spent = sum(inside[first:])  # the warm-up training (one epoch) left out
    total = sum(x for t in got[True] for x in t)
    print(
        f"inside the recorder: {1000 * spent / max(len(inside) - first, 1):.1f} ms per "
        f"recording, {100 * spent / total:.2f} % of the recording trainings' time "
        f"({first} recordings in the first epoch, 1 in each later one)"
    )
    gradient_recorder.GradientRecorder.take = take
    in_thread(_one_moment, spec, data, cfg)
    return 0


def _one_moment(spec: dict, data, cfg: TrainConfig, repeats: int = 20) -> None:
    """One recording against one iteration, alone (less noisy than whole epochs when the
    machine is busy): what a moment costs, in iterations."""
    from cnnviz.train.gradient_recorder import GradientRecorder

    model = build_seeded(spec, 0).to(data.device).train()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    rec = GradientRecorder(model, 1)
    step, take = [], []
    for i in range(repeats):
        idx = torch.arange(i * cfg.batch_size, (i + 1) * cfg.batch_size) % data.train_size
        t = time.perf_counter()
        loss = F.cross_entropy(model(data.normalize(data.train_x[idx])), data.train_y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()
        step.append(time.perf_counter() - t)
        t = time.perf_counter()
        rec.take(1, 1)
        take.append(time.perf_counter() - t)
    it, moment = statistics.median(step), statistics.median(take)
    ipe = -(-data.train_size // cfg.batch_size)
    print(
        f"one iteration {1000 * it:.1f} ms, one recording {1000 * moment:.1f} ms "
        f"({moment / it:.2f} iterations): +{100 * 5 * moment / (ipe * it):.2f} % in the first "
        f"epoch (5 recordings), +{100 * moment / (ipe * it):.2f} % in each later one ({ipe} "
        "iterations per epoch)"
    )


def polled(executor, spec: dict, bundle, cfg: TrainConfig) -> tuple[float, float]:
    """(images/s while training, images/s from start to the final event), polled 1/s."""
    t = time.perf_counter()
    job = executor.create(TrainRequest(spec, bundle, cfg, runs_root=_tmp_runs()))
    job.start()
    while not job.wait(1.0):  # the page's fragment, once a second
        job.touch()
        job.progress()
        job.iter_metrics()
    wall = time.perf_counter() - t
    assert str(job.status) == "finished", job.final
    return _last_rate(job), job.started.train_size * cfg.epochs / wall


def _ray(threads: int, gpus: float = 0.0, standby: int = 0):
    import ray

    from cnnviz.train.executors import make_executor
    from cnnviz.train.executors.settings import ExecutorSettings

    if not ray.is_initialized():
        # Ray starts its workers at nice 15, below the web server: right for a shared head
        # node, but on a busy machine that alone slows the actor several-fold against the
        # thread at nice 0. The side-by-side compares Ray's machinery, at the same priority.
        nice = os.environ.setdefault("RAY_worker_niceness", "0")  # noqa: SIM112 (ray's name)
        print(f"Ray workers at nice {nice} (RAY_worker_niceness)")
        ray.init(num_cpus=threads, include_dashboard=False, log_to_driver=False)
    return make_executor(
        ExecutorSettings(
            kind="ray", address="local", num_cpus=threads, num_gpus=gpus, standby=standby
        )
    )


def _standby_ready(executor) -> None:
    """Wait until ``executor``'s standby actor is started and has drawn its data."""
    import ray

    deadline = time.monotonic() + 300
    while executor.standby_count == 0:
        assert time.monotonic() < deadline, "no standby actor was started"
        time.sleep(0.2)
    ray.get(executor._standby[0].ready, timeout=300)


def thread_vs_ray(spec: dict, bundle, cfg: TrainConfig, rounds: int, threads: int) -> int:
    """(d) the Job thread, (e) a Ray actor started for the training, (f) a standby taken."""
    from cnnviz.train.executors.thread import ThreadExecutor

    here, ray_ex = ThreadExecutor(), _ray(threads, standby=1)
    polled(ray_ex, spec, bundle, cfg.with_(epochs=1))  # warm-up; tells it the data to draw
    names = {
        "d": "Job thread, polled 1/s",
        "e": "Ray, a new actor",
        "f": "Ray, the standby actor",
    }
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in names}
    for r in range(rounds):
        # the standby is made while nothing trains, as between a class's trainings; one
        # training fills this instance's CPUs, so no other is made while one trains
        _standby_ready(ray_ex)
        runs["d"].append(polled(here, spec, bundle, cfg))
        runs["f"].append(polled(ray_ex, spec, bundle, cfg))
        ray_ex.set_standby(0)  # CNNVIZ_RAY_STANDBY=0: the training starts its own actor
        runs["e"].append(polled(ray_ex, spec, bundle, cfg))
        ray_ex.set_standby(1)
        print(
            f"round {r + 1}: "
            + "  ".join(f"({k}) {v[-1][0]:.0f} / {v[-1][1]:.0f}" for k, v in runs.items())
            + " images/s (while training / start to end)",
            flush=True,
        )
    ray_ex.close()
    for i, what in ((0, "while training"), (1, "start to end")):
        d = statistics.median(v[i] for v in runs["d"])
        for k, name in names.items():
            print(
                f"({k}) {name:26s} {what:15s} {statistics.median(v[i] for v in runs[k]):8.0f} images/s"
            )
        for k in "ef":
            ratio = statistics.median(v[i] for v in runs[k]) / d
            print(
                f"({k})/(d) {what} = {ratio:.2f}   target >= 0.9  {'ok' if ratio >= 0.9 else 'BELOW'}"
            )
    return 0


def gpu_share(spec: dict, bundle, cfg: TrainConfig, jobs: int) -> int:
    """Aggregate images/s of ``jobs`` trainings sharing one GPU against one alone."""
    if not torch.cuda.is_available():
        print("no CUDA GPU on this machine: the GPU-sharing figure cannot be measured here")
        return 0
    ex = _ray(max(jobs, 2), gpus=1.0 / jobs)
    cfg = cfg.with_(device="cuda")
    polled(ex, spec, bundle, cfg.with_(epochs=1))  # warm-up

    def together(k: int) -> float:
        t = time.perf_counter()
        started = [
            ex.create(TrainRequest(spec, bundle, cfg, runs_root=_tmp_runs())).start()
            for _ in range(k)
        ]
        for job in started:
            while not job.wait(1.0):
                job.touch()
        assert all(str(j.status) == "finished" for j in started)
        return sum(j.started.train_size * cfg.epochs for j in started) / (time.perf_counter() - t)

    one, many = together(1), together(jobs)
    print(f"one job alone          {one:8.0f} images/s")
    print(f"{jobs} jobs on one GPU     {many:8.0f} images/s in all")
    print(f"ratio = {many / one:.2f}   target >= 3  {'ok' if many / one >= 3 else 'BELOW'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
