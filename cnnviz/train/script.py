"""A saved run's training as one runnable Python file (``train.py``), in the course's order.

``training_script(run) -> str``: Dataset, DataLoader, the model, loss and optimizer, the
epoch/iteration loop with forward and backward pass, evaluation without the backward
pass, using the run's data, normalization, optimizer, seed and epochs, ending with
``test accuracy: 0.9123``. The same file runs data-parallel under ``torchrun
--nproc_per_node=N train.py`` (DistributedDataParallel, a DistributedSampler, gloo on
the CPU, nccl on GPUs): one code path, one process being the case N = 1.

Decisions:

- The built-in Shapes set is *embedded*: its generator's source
  (``cnnviz/data/shapes_set.py``, which needs only torch) is copied into the file at
  export, so the script runs anywhere torch is installed (a cluster, a laptop without
  cnnviz) and draws the very same images. The module stays the one home of the
  generator; the copy is made from it, never edited by hand.
- torchvision sets are read with ``torchvision.datasets`` (downloaded into ``./data``);
  a run on one's own images reads an ImageFolder whose path is a placeholder: the
  server's path is never written into a file meant to be shared.
- The normalization's numbers are the run's own (measured on its training split).
- The model is ``to_pytorch_code``'s ``class Net``: the same layers, so the same
  ``torch.manual_seed`` gives the same starting weights as the app's run.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from cnnviz.data.kinds import NormKind
from cnnviz.text.escape import for_python_docstring
from cnnviz.train.config import LrSchedule, OptimizerKind, TrainConfig

TV_CLASSES = {
    "mnist": "MNIST",
    "fashionmnist": "FashionMNIST",
    "kmnist": "KMNIST",
    "cifar10": "CIFAR10",
}
SHAPES_TEST_SEED_OFFSET = 1_000_003  # as cnnviz.data.registry draws the Shapes test split


def _net_class(spec: dict) -> str:
    from cnnviz.design.export import to_pytorch_code

    code = to_pytorch_code(spec)
    body = code.split('\n\n\nif __name__ == "__main__":')[0]
    return body[body.index("\nclass ") + 1 :].rstrip() + "\n"  # Residual/Concat, then Net


def _shapes_source() -> str:
    from cnnviz.data import catalog, shapes_set

    src = inspect.getsource(shapes_set)
    drop = ("from __future__ import annotations", "import math", "import torch")
    lines = []
    for line in src.splitlines():
        if line.startswith(drop) or line.startswith("from torch import Tensor"):
            continue
        if line.startswith("from cnnviz.data.catalog import "):  # the facts, written out
            names = line.split(" import ", 1)[1].split(", ")
            lines += [f"{n} = {getattr(catalog, n)!r}" for n in names]
            continue
        lines.append(line)
    text = "\n".join(lines)
    if text.startswith('"""'):  # the module's docstring becomes a comment
        end = text.index('"""', 3) + 3
        doc = text[3 : end - 3].strip().splitlines()
        text = "\n".join("# " + d if d else "#" for d in doc) + text[end:]
    return text.strip() + "\n"


def _optimizer(cfg: TrainConfig) -> str:
    if cfg.optimizer == OptimizerKind.SGD:
        return (
            "torch.optim.SGD(\n        model.parameters(), lr=LEARNING_RATE, "
            "momentum=MOMENTUM, weight_decay=WEIGHT_DECAY\n    )"
        )
    name = "AdamW" if cfg.optimizer == OptimizerKind.ADAMW else "Adam"
    return f"torch.optim.{name}(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)"


def _scheduler(cfg: TrainConfig) -> str:
    if cfg.lr_schedule == LrSchedule.STEP:
        marks = sorted({max(1, cfg.epochs // 2), max(1, (3 * cfg.epochs) // 4)})
        return f"torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones={marks}, gamma=0.1)  # ×0.1 after half and three quarters of the epochs"
    if cfg.lr_schedule == LrSchedule.COSINE:
        return "torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)  # down to 0 along half a cosine"
    return "None  # the same learning rate every epoch"


def _normalize_lines(cfg: TrainConfig, norm: dict, channels: int) -> tuple[str, str]:
    """(the constants, the two lines of __getitem__ that normalize)."""
    kind = NormKind(str(norm.get("kind") or cfg.normalize))
    if kind == NormKind.NONE:
        return (
            "# normalization: none (raw pixel values 0..255)\n",
            "        x = x.float()  # raw 0..255\n",
        )
    if kind == NormKind.DIV255:
        return (
            "# normalization: ÷255 (pixel values 0..1, what ToTensor does)\n",
            "        x = x.float() / 255  # ToTensor: 0..1\n",
        )
    mean = [round(float(v), 6) for v in norm.get("mean") or [0.5] * channels]
    std = [round(float(v), 6) for v in norm.get("std") or [0.25] * channels]
    consts = (
        "# normalization: ÷255, then (x - mean) / std per channel; the run measured these on its\n"
        "# training split (0..1 units)\n"
        f"MEAN = {mean}\nSTD = {std}\n"
    )
    body = (
        "        x = x.float() / 255  # ToTensor: 0..1\n"
        "        x = (x - self.mean) / self.std  # Normalize(MEAN, STD)\n"
    )
    return consts, body


def _loader(name: str, info: Any, n_train: int, n_test: int) -> str:
    """The body of load_images() for this dataset."""
    if name == "shapes":
        return (
            '    """The built-in Shapes set, drawn by its generator (at the end of this file)."""\n'
            "    train_x, train_y = make_shapes(N_TRAIN, size=SIZE, channels=CHANNELS, seed=DATA_SEED)\n"
            f"    test_x, test_y = make_shapes(N_TEST, size=SIZE, channels=CHANNELS, seed=DATA_SEED + {SHAPES_TEST_SEED_OFFSET})\n"
            "    return train_x, train_y, test_x, test_y\n"
        )
    if name in TV_CLASSES:
        full_train, full_test = (info.n_train, info.n_test) if info else (0, 0)
        return (
            f'    """{TV_CLASSES[name]} from torchvision (downloaded into DATA_DIR the first time)."""\n'
            "    from torchvision import datasets\n\n"
            "    parts = []\n"
            "    for train, n, seed in ((True, N_TRAIN, DATA_SEED), (False, N_TEST, DATA_SEED + 1)):\n"
            f"        ds = datasets.{TV_CLASSES[name]}(DATA_DIR, train=train, download=True)\n"
            "        x = torch.as_tensor(ds.data)\n"
            "        x = x.permute(0, 3, 1, 2) if x.dim() == 4 else x.unsqueeze(1)  # (N, C, H, W) uint8\n"
            "        y = torch.as_tensor(ds.targets, dtype=torch.int64)\n"
            f"        if n < len(y):  # the run used a random subset (full: {full_train:,} / {full_test:,})\n"
            "            keep = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))[:n]\n"
            "            x, y = x[keep], y[keep]\n"
            "        parts += [convert(x), y]\n"
            "    return tuple(parts)\n"
        )
    return (
        '    """Your own images: one sub-folder per class under DATA_DIR (ImageFolder layout)."""\n'
        "    from torchvision import datasets, transforms\n\n"
        "    steps = [transforms.Resize(SIZE), transforms.CenterCrop(SIZE)]\n"
        "    if CHANNELS == 1:\n"
        "        steps.append(transforms.Grayscale())\n"
        "    folder = datasets.ImageFolder(DATA_DIR, transform=transforms.Compose([*steps, transforms.PILToTensor()]))\n"
        "    x = torch.stack([folder[i][0] for i in range(len(folder))])  # (N, C, H, W) uint8\n"
        "    y = torch.as_tensor(folder.targets, dtype=torch.int64)\n"
        "    train_x, train_y, test_x, test_y = split_train_val(x, y, 0.2, DATA_SEED)  # 20% for the test\n"
        "    return train_x, train_y, test_x, test_y\n"
    )


def training_script(run: Any) -> str:
    """The run (a ``cnnviz.train.store.Run``) as a runnable ``train.py``."""
    from cnnviz.data.catalog import DATASETS

    cfg = TrainConfig.from_dict(run.train_config)
    ds = run.dataset
    name = str(ds.get("name") or "shapes")
    info = DATASETS.get(name)
    channels, size = int(ds.get("channels") or 3), int((ds.get("size") or [64])[0])
    n_train = int(ds.get("train_size") or 0) + int(ds.get("val_size") or 0)
    n_test = int(ds.get("test_size") or 0)
    classes = [str(c) for c in run.classes]
    label = str(run.config.get("label") or run.spec.get("name") or "net")
    acc = run.status.get("test_accuracy")
    acc_line = f"{float(acc):.4f}" if isinstance(acc, int | float) else "None"
    norm_consts, norm_body = _normalize_lines(cfg, run.config.get("normalization") or {}, channels)
    title = info.title if info else "your own images"
    extra = ""
    if name in TV_CLASSES or name not in DATASETS:
        extra = (
            'DATA_DIR = "data"'
            + (
                "  # torchvision keeps its files here"
                if name in TV_CLASSES
                else "  # the folder with one sub-folder per class: change it to yours"
            )
            + "\n"
        )
    aug = []
    if cfg.augment_flip:
        aug.append("random horizontal flip")
    if cfg.augment_crop:
        aug.append(f"random crop after padding by {cfg.augment_crop}")
    parts = [
        HEAD.format(
            label=for_python_docstring(label),
            title=for_python_docstring(title),
            run_id=run.id,
            n_train=n_train,
            val=round(100 * cfg.val_fraction),
            n_test=n_test,
            acc=f"{float(acc):.4f}" if acc_line != "None" else "(not measured)",
        ),
        SETTINGS.format(
            dataset=json.dumps(name),
            classes=json.dumps(classes, ensure_ascii=False),
            channels=channels,
            size=size,
            n_train=n_train,
            n_test=n_test,
            seed=cfg.seed,
            epochs=cfg.epochs,
            batch_size=cfg.batch_size,
            lr=repr(float(cfg.lr)),
            momentum=repr(float(cfg.momentum)),
            wd=repr(float(cfg.weight_decay)),
            val=repr(float(cfg.val_fraction)),
            patience=cfg.patience,
            flip=cfg.augment_flip,
            crop=cfg.augment_crop,
            acc=acc_line,
            extra=extra,
            sgd="" if cfg.optimizer == OptimizerKind.SGD else "  # (used by SGD only)",
        ),
        norm_consts,
        "\n\n# ---------------------------------------------------------------- 0. the images\n\n",
        "def load_images() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:\n",
        _loader(name, info, n_train, n_test),
        CONVERT if name in TV_CLASSES else "",
        SPLIT,
        DATASET_CLASS.format(
            normalize=norm_body,
            mean_std="        self.mean = torch.tensor(MEAN).view(-1, 1, 1)\n"
            "        self.std = torch.tensor(STD).view(-1, 1, 1)\n"
            if "MEAN" in norm_consts
            else "",
        ),
        "\n\n# ---------------------------------------------------------------- 3. the model\n\n",
        _net_class(run.spec),
        EVALUATE,
        MAIN.format(
            optimizer=_optimizer(cfg),
            scheduler=_scheduler(cfg),
            augment=", ".join(aug) or "none",
        ),
    ]
    if name == "shapes":
        parts += [
            "\n\n# ---------------------------------------------------------------- appendix: the Shapes generator\n"
            "# Copied from cnnviz (cnnviz/data/shapes_set.py) when this file was exported, so the file\n"
            "# needs only torch and draws the same images as the app.\n\n",
            _shapes_source(),
        ]
    parts.append('\n\nif __name__ == "__main__":\n    main()\n')
    return "".join(parts)


HEAD = '''"""{label} on {title}: the training of cnnviz run {run_id}, as one file.

The same data ({n_train:,} training images, {val}% of them held out for validation,
{n_test:,} test images), normalization, network, loss, optimizer, seed and epochs as the
run, which reached test accuracy {acc}; this script lands close to it.

    python train.py                          one process (on a GPU if there is one)
    torchrun --nproc_per_node=2 train.py     data-parallel: DistributedDataParallel, each
                                             process trains on its share of every epoch

The pieces, in the course's order: 1 Dataset, 2 DataLoader, 3 the model, 4 loss and
optimizer, 5 the epoch/iteration loop (forward and backward pass), 6 evaluation without
the backward pass.
"""

from __future__ import annotations

import math
import os

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, Subset
from torch.utils.data.distributed import DistributedSampler

'''

SETTINGS = """# ---------------------------------------------------------------- the run's settings
DATASET = {dataset}
CLASSES = {classes}
CHANNELS, SIZE = {channels}, {size}  # each image: [C, H, W] = [{channels}, {size}, {size}]
N_TRAIN, N_TEST = {n_train}, {n_test}  # images in the training split (before validation) and the test split
DATA_SEED = 0  # which images are drawn; cnnviz's Train page uses 0
{extra}SEED = {seed}  # starting weights, validation split, shuffling
EPOCHS = {epochs}  # one epoch = one pass over the training set
BATCH_SIZE = {batch_size}  # images per iteration (mini-batch), all processes together
LEARNING_RATE = {lr}
MOMENTUM = {momentum}{sgd}
WEIGHT_DECAY = {wd}
VAL_FRACTION = {val}  # share of the training images held out for validation
PATIENCE = {patience}  # early stopping: epochs without a better validation accuracy (0 = off)
AUGMENT_FLIP, AUGMENT_CROP = {flip}, {crop}  # training images only
RUN_TEST_ACCURACY = {acc}  # what the app's run reached
"""

CONVERT = '''

def convert(x: Tensor) -> Tensor:
    """uint8 (N, C, H, W) to CHANNELS×SIZE×SIZE, as the app converted them (bilinear, antialiased)."""
    x = x.float()
    if CHANNELS == 1 and x.shape[1] == 3:
        x = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    elif CHANNELS == 3 and x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    if x.shape[-2:] != (SIZE, SIZE):
        x = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", antialias=True, align_corners=False)
    return x.round().clamp(0, 255).to(torch.uint8)
'''

SPLIT = '''

def split_train_val(x: Tensor, y: Tensor, fraction: float, seed: int) -> tuple[Tensor, ...]:
    """Hold out round(fraction * N) images, each class its share, in a seeded random order."""
    g = torch.Generator().manual_seed(seed)
    held, kept = [], []
    classes = torch.unique(y).tolist()
    exact = [fraction * int((y == c).sum()) for c in classes]
    counts = [int(e) for e in exact]  # round(fraction * N) in all: the largest remainders get +1
    left = round(fraction * len(y)) - sum(counts)
    for i in sorted(range(len(exact)), key=lambda i: (counts[i] - exact[i], i))[: max(0, left)]:
        counts[i] += 1
    for c, k in zip(classes, counts):
        idx = (y == c).nonzero().squeeze(1)
        idx = idx[torch.randperm(len(idx), generator=g)]
        held.append(idx[:k])
        kept.append(idx[k:])
    tr, va = torch.cat(kept), torch.cat(held)
    tr, va = tr[torch.randperm(len(tr), generator=g)], va[torch.randperm(len(va), generator=g)]
    return x[tr], y[tr], x[va], y[va]
'''

DATASET_CLASS = '''

# ---------------------------------------------------------------- 1. the Dataset


class ImageDataset(Dataset):
    """One (image, label) pair per index: the image as float32 [C, H, W], normalized."""

    def __init__(self, images: Tensor, labels: Tensor, augment: bool = False) -> None:
        self.images, self.labels, self.augment = images, labels, augment  # uint8 (N, C, H, W), (N,)
{mean_std}
    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        x = self.images[i]  # (C, H, W) uint8
{normalize}        if self.augment and AUGMENT_FLIP and torch.rand(()) < 0.5:
            x = x.flip(-1)  # random horizontal flip
        if self.augment and AUGMENT_CROP:
            p = AUGMENT_CROP  # random crop of the image padded with zeros
            dy, dx = torch.randint(0, 2 * p + 1, (2,)).tolist()
            x = F.pad(x, (p, p, p, p))[:, dy : dy + SIZE, dx : dx + SIZE]
        return x, self.labels[i]
'''

EVALUATE = '''

# ---------------------------------------------------------------- 6. evaluation (no backward pass)


def evaluate(model: nn.Module, data: Dataset, device: torch.device, rank: int, world: int) -> tuple[float, float]:
    """Mean loss and accuracy over ``data``: forward passes only, under eval() and no_grad().

    With several processes each one evaluates every world-th image and the sums are added up
    (all_reduce), so every image counts exactly once.
    """
    part = Subset(data, range(rank, len(data), world))
    loader = DataLoader(part, batch_size=256)
    model.eval()  # BatchNorm2d uses its running statistics, Dropout is off
    sums = torch.zeros(3, dtype=torch.float64, device=device)  # loss, correct, images
    with torch.no_grad():  # no gradients kept: no backward pass here
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)  # (B, classes)
            sums[0] += F.cross_entropy(logits, y, reduction="sum")
            sums[1] += (logits.argmax(1) == y).sum()
            sums[2] += len(y)
    if world > 1:
        dist.all_reduce(sums)  # add up every process's sums
    n = max(sums[2].item(), 1)
    return sums[0].item() / n, sums[1].item() / n
'''

MAIN = """

def main() -> None:
    # torchrun starts N copies of this file and tells each its RANK and the WORLD_SIZE
    world = int(os.environ.get("WORLD_SIZE", "1"))
    distributed = world > 1
    if distributed:
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if distributed else 0
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")

    def say(*args: object) -> None:
        if rank == 0:
            print(*args, flush=True)

    if distributed and rank != 0:
        dist.barrier()  # let process 0 download the data first
    train_x, train_y, test_x, test_y = load_images()
    if distributed and rank == 0:
        dist.barrier()
    train_x, train_y, val_x, val_y = split_train_val(train_x, train_y, VAL_FRACTION, SEED)
    train_set = ImageDataset(train_x, train_y, augment=True)  # augmentation: {augment}
    val_set, test_set = ImageDataset(val_x, val_y), ImageDataset(test_x, test_y)

    # ------------------------------------------------------------ 2. the DataLoader
    # The sampler gives each process its own share of a new random order every epoch
    # (with one process: all of it). BATCH_SIZE images per iteration in all.
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True, seed=SEED)
    train_loader = DataLoader(train_set, batch_size=max(1, BATCH_SIZE // world), sampler=sampler)
    say(
        f"{{DATASET}}: {{len(train_set):,}} training / {{len(val_set):,}} validation / {{len(test_set):,}} test images; "
        f"one mini-batch: [{{BATCH_SIZE}}, {{CHANNELS}}, {{SIZE}}, {{SIZE}}]; {{len(train_loader)}} iterations per epoch"
        + (f" on each of {{world}} processes" if distributed else "")
    )

    torch.manual_seed(SEED)  # the same starting weights as the app's run
    model = Net().to(device)
    torch.manual_seed(SEED)
    if distributed:  # averages the gradients of all processes in every backward pass
        model = DistributedDataParallel(model, device_ids=[local] if device.type == "cuda" else None)
    net = model.module if distributed else model  # the network itself, for evaluation

    # ------------------------------------------------------------ 4. loss and optimizer
    loss_fn = nn.CrossEntropyLoss()  # softmax is inside the loss: the network outputs logits
    optimizer = {optimizer}
    scheduler = {scheduler}

    # ------------------------------------------------------------ 5. epochs and iterations
    best, since = -1.0, 0
    for epoch in range(1, EPOCHS + 1):
        sampler.set_epoch(epoch - 1)  # a new order every epoch, the same one on every process
        model.train()
        seen = loss_sum = correct = 0
        for x, y in train_loader:  # one iteration = one mini-batch
            x, y = x.to(device), y.to(device)  # x: (B, C, H, W), y: (B,)
            logits = model(x)  # forward pass: (B, classes)
            loss = loss_fn(logits, y)
            optimizer.zero_grad()
            loss.backward()  # backward pass: a gradient for every weight
            optimizer.step()  # one step of the optimizer
            seen += len(y)
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
        val_loss, val_acc = evaluate(net, val_set, device, rank, world) if len(val_set) else (math.nan, math.nan)
        say(
            f"epoch {{epoch}}/{{EPOCHS}}: train loss {{loss_sum / max(seen, 1):.4f}}, "
            f"train accuracy {{correct / max(seen, 1):.4f}}, validation loss {{val_loss:.4f}}, "
            f"validation accuracy {{val_acc:.4f}}"
        )
        if scheduler is not None:
            scheduler.step()
        if PATIENCE and len(val_set):
            best, since = (val_acc, 0) if val_acc > best else (best, since + 1)
            if since >= PATIENCE:
                say(f"early stopping: no better validation accuracy for {{PATIENCE}} epochs")
                break

    test_loss, test_acc = evaluate(net, test_set, device, rank, world)
    say(f"test loss: {{test_loss:.4f}}")
    say(f"test accuracy: {{test_acc:.4f}}")
    if distributed:
        dist.barrier()  # every process is done before the group goes away
        dist.destroy_process_group()
"""


__all__ = ["training_script"]
