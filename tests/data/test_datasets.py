"""The data layer's core: Shapes, registry, normalization, split, augmentation (torch as reference)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from cnnviz.data import registry as D
from cnnviz.data import pipeline
from cnnviz.data.shapes_set import SHAPE_CLASSES, make_shapes


@pytest.fixture(autouse=True)
def _fresh_cache():
    D.clear_cache()
    yield
    D.clear_cache()


def test_registry_facts():
    assert D.DEFAULT_DATASET == "shapes"
    images = {"shapes", "mnist", "fashionmnist", "kmnist", "cifar10"}
    assert set(D.DATASETS) == images | {"blobs", "xor", "circles", "spiral"}
    for name, info in D.DATASETS.items():
        assert info.name == name
        if name not in images:  # toy 2-D points: two classes, a flat [2] input
            assert info.features == 2 and info.item_shape == [2] and len(info.classes) == 2
            continue
        assert len(info.classes) == 10  # every preset's last Linear(…, 10) fits every set
        assert info.sizes[0] == info.size[0]
        assert info.channels in (1, 3)
    assert D.DATASETS["shapes"].sizes == (64, 32, 28)
    assert D.DATASETS["shapes"].source is D.Source.BUILTIN
    assert D.DATASETS["cifar10"].size == (32, 32)


def test_default_data_dir(monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATA_DIR", "/somewhere/else")
    assert str(D.default_data_dir()) == "/somewhere/else"
    monkeypatch.delenv("CNNVIZ_DATA_DIR")
    assert str(D.default_data_dir()) == "data"


@pytest.mark.parametrize(("size", "channels"), [(64, 3), (28, 1), (32, 3)])
def test_shapes_dtype_shape_balance(size, channels):
    x, y = make_shapes(203, size=size, channels=channels, seed=1)
    assert x.shape == (203, channels, size, size) and x.dtype == torch.uint8
    assert y.shape == (203,) and y.dtype == torch.int64
    counts = torch.bincount(y, minlength=10)
    assert len(SHAPE_CLASSES) == 10 and counts.max() - counts.min() <= 1
    assert x.float().std() > 20  # not blank: shapes, clutter and noise are drawn


def test_shapes_deterministic_by_seed():
    a = make_shapes(50, size=28, channels=1, seed=3)
    b = make_shapes(50, size=28, channels=1, seed=3)
    c = make_shapes(50, size=28, channels=1, seed=4)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_shapes_greyscale_is_luminance_of_colour():
    rgb, y1 = make_shapes(20, size=32, channels=3, seed=5)
    grey, y2 = make_shapes(20, size=32, channels=1, seed=5)
    assert torch.equal(y1, y2)
    lum = (rgb.float() * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    assert (lum - grey.float()).abs().max() <= 1.5  # same drawing, rounding apart


def test_shapes_bad_arguments():
    with pytest.raises(ValueError, match="channels"):
        make_shapes(5, channels=2)
    with pytest.raises(ValueError, match="size"):
        make_shapes(5, size=4)


def test_load_shapes_split_and_cache():
    b = D.load_dataset("shapes", size=28, channels=1, n_train=100, n_test=40, seed=2)
    assert b.train_x.shape == (100, 1, 28, 28) and b.test_x.shape == (40, 1, 28, 28)
    assert b.classes == SHAPE_CLASSES and b.shape == (1, 28, 28)
    # the test split comes from another seed: no image is shared with training
    flat_tr = {bytes(t.flatten().tolist()) for t in b.train_x}
    assert not any(bytes(t.flatten().tolist()) in flat_tr for t in b.test_x)
    again = D.load_dataset("shapes", size=28, channels=1, n_train=100, n_test=40, seed=2)
    assert again is b  # cached: not drawn again
    other = D.load_dataset("shapes", size=28, channels=1, n_train=100, n_test=40, seed=3)
    assert other is not b


def test_load_dataset_refuses_bad_requests():
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'"):
        D.load_dataset("imagenet")
    with pytest.raises(ValueError, match="between 4 and 256"):
        D.load_dataset("shapes", size=5000)
    with pytest.raises(ValueError, match="channels"):
        D.load_dataset("shapes", channels=4)
    with pytest.raises(ValueError, match="at least 1"):
        D.load_dataset("shapes", n_train=0)
    with pytest.raises(ValueError, match=r"GiB of memory .* fewer images or a smaller image size"):
        D.load_dataset("shapes", n_train=10_000_000)  # refused before anything is drawn
    with pytest.raises(ValueError, match="GiB of memory"):
        D.load_dataset("cifar10", size=256)  # 60,000 × 3×256×256 is too big: no file is read


def test_linear_model_cannot_solve_shapes_but_cnn_can():
    """A Linear layer on the pixels stays far below a small CNN trained the same way."""
    torch.manual_seed(0)
    b = D.load_dataset("shapes", size=28, channels=1, n_train=2000, n_test=500, seed=0)
    norm = pipeline.fit_normalization("standardize", b.train_x)
    x, y, xt, yt = norm.apply(b.train_x), b.train_y, norm.apply(b.test_x), b.test_y

    def train(model: torch.nn.Module, epochs: int) -> float:
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        for _ in range(epochs):
            for i in range(0, len(y), 50):
                loss = F.cross_entropy(model(x[i : i + 50]), y[i : i + 50])
                opt.zero_grad()
                loss.backward()
                opt.step()
        with torch.no_grad():
            return (model(xt).argmax(1) == yt).float().mean().item()

    linear = train(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10)), 6)
    cnn = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 10),
    )  # fmt: skip
    conv = train(cnn, 6)
    print(f"linear {linear:.1%}, CNN {conv:.1%}")
    assert linear < 0.45, f"a linear model reached {linear:.0%}: Shapes is too easy"
    assert conv > linear + 0.2, f"CNN {conv:.0%} vs linear {linear:.0%}"


def test_convert_images_matches_torch():
    x = torch.randint(0, 256, (5, 1, 28, 28), dtype=torch.uint8)
    big = pipeline.convert_images(x, size=64, channels=3)
    assert big.shape == (5, 3, 64, 64) and big.dtype == torch.uint8
    ref = (
        F.interpolate(x.float(), size=(64, 64), mode="bilinear", antialias=True)
        .round()
        .clamp(0, 255)
    )
    assert torch.equal(big[:, 0], ref[:, 0].to(torch.uint8))
    assert torch.equal(big[:, 0], big[:, 2])  # grey repeated
    assert pipeline.convert_images(x) is x  # nothing asked: untouched
    rgb = torch.randint(0, 256, (3, 3, 8, 8), dtype=torch.uint8)
    grey = pipeline.convert_images(rgb, channels=1)
    lum = (rgb.float() * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    assert torch.equal(grey, lum.round().to(torch.uint8))


def test_normalization_stats_equal_torch():
    x = torch.randint(0, 256, (37, 3, 9, 7), dtype=torch.uint8)
    norm = pipeline.fit_normalization(pipeline.NormKind.STANDARDIZE, x)  # uint8: level counts
    sums = pipeline.fit_normalization(pipeline.NormKind.STANDARDIZE, x.double(), chunk=10)
    assert norm.mean == pytest.approx(sums.mean, abs=1e-12)  # the chunked sums of floats agree
    assert norm.std == pytest.approx(sums.std, abs=1e-12)
    ref = x.float() / 255
    assert torch.allclose(
        torch.tensor(norm.mean, dtype=torch.float64), ref.mean(dim=(0, 2, 3)).double(), atol=1e-6
    )
    assert torch.allclose(
        torch.tensor(norm.std, dtype=torch.float64), ref.std(dim=(0, 2, 3)).double(), atol=1e-6
    )
    out = norm.apply(x)
    assert out.dtype == torch.float32
    assert torch.allclose(out.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(out.std(dim=(0, 2, 3)), torch.ones(3), atol=1e-5)
    # the same as torchvision's Normalize after ToTensor
    from torchvision.transforms import Normalize

    assert torch.allclose(out[0], Normalize(norm.mean, norm.std)(ref[0]), atol=1e-6)


def test_normalization_kinds_and_round_trip():
    x = torch.tensor([[[[0, 255]]]], dtype=torch.uint8)
    assert pipeline.fit_normalization("none", x).apply(x).tolist() == [[[[0.0, 255.0]]]]
    assert pipeline.fit_normalization("div255", x).apply(x).tolist() == [[[[0.0, 1.0]]]]
    const = torch.full((4, 1, 3, 3), 7, dtype=torch.uint8)
    assert torch.isfinite(
        pipeline.fit_normalization("standardize", const).apply(const)
    ).all()  # std 0 guarded
    norm = pipeline.fit_normalization(
        "standardize", torch.randint(0, 256, (5, 3, 4, 4), dtype=torch.uint8)
    )
    assert pipeline.Normalization.from_dict(norm.to_dict()) == norm
    assert "Normalize(mean=(" in norm.describe()
    with pytest.raises(ValueError, match="3 channel"):
        norm.apply(torch.zeros(1, 1, 4, 4, dtype=torch.uint8))
    single = norm.apply(torch.zeros(3, 4, 4, dtype=torch.uint8))  # one image, no batch axis
    assert single.shape == (3, 4, 4)


def test_split_train_val_is_stratified_and_deterministic():
    y = torch.arange(100) % 4
    x = torch.arange(100).view(100, 1, 1, 1)
    tx, ty, vx, vy = pipeline.split_train_val(x, y, 0.2, seed=0)
    assert len(vy) == 20 and len(ty) == 80
    assert torch.bincount(vy).tolist() == [5, 5, 5, 5]
    assert sorted(tx.flatten().tolist() + vx.flatten().tolist()) == list(range(100))  # a partition
    assert torch.equal(y[tx.flatten()], ty)  # labels travel with their images
    again = pipeline.split_train_val(x, y, 0.2, seed=0)
    assert all(torch.equal(a, b) for a, b in zip((tx, ty, vx, vy), again, strict=True))
    _, _, vx0, _ = pipeline.split_train_val(x, y, 0.0, seed=0)
    assert len(vx0) == 0
    with pytest.raises(ValueError, match="validation fraction"):
        pipeline.split_train_val(x, y, 1.0)


def test_iterations_per_epoch():
    assert pipeline.iterations_per_epoch(10_000, 64) == math.ceil(10_000 / 64) == 157
    assert pipeline.iterations_per_epoch(128, 64) == 2


def test_augment_flip_exactly_when_asked():
    x = torch.rand(64, 3, 8, 8)
    assert pipeline.augment_batch(x, flip=False, crop_padding=0) is x
    out = pipeline.augment_batch(
        x, flip=True, crop_padding=0, generator=torch.Generator().manual_seed(0)
    )
    assert out.shape == x.shape
    same = [torch.equal(o, i) for o, i in zip(out, x, strict=True)]
    flipped = [torch.equal(o, i.flip(-1)) for o, i in zip(out, x, strict=True)]
    assert all(s or f for s, f in zip(same, flipped, strict=True))
    assert 10 < sum(flipped) < 54  # about half
    again = pipeline.augment_batch(
        x, flip=True, crop_padding=0, generator=torch.Generator().manual_seed(0)
    )
    assert torch.equal(out, again)


def test_augment_crop_is_a_shifted_window_of_the_padded_image():
    x = torch.rand(32, 2, 6, 5)
    p = 2
    out = pipeline.augment_batch(
        x, flip=False, crop_padding=p, generator=torch.Generator().manual_seed(1)
    )
    assert out.shape == x.shape
    padded = F.pad(x, (p, p, p, p))
    shifts = set()
    for o, pad in zip(out, padded, strict=True):
        hits = [
            (dy, dx)
            for dy in range(2 * p + 1)
            for dx in range(2 * p + 1)
            if torch.equal(o, pad[:, dy : dy + 6, dx : dx + 5])
        ]
        assert hits, "every output is a window of the zero-padded input"
        shifts.add(hits[0])
    assert len(shifts) > 3  # windows differ per image


def test_augment_uint8_and_default_generator():
    x = torch.randint(0, 256, (4, 1, 5, 5), dtype=torch.uint8)
    out = pipeline.augment_batch(x, flip=True, crop_padding=1)
    assert out.dtype == torch.uint8 and out.shape == x.shape


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_pipeline_on_cuda_matches_cpu():
    x = torch.randint(0, 256, (16, 3, 8, 8), dtype=torch.uint8)
    norm = pipeline.fit_normalization("standardize", x)
    assert torch.allclose(norm.apply(x.cuda()).cpu(), norm.apply(x), atol=1e-6)
    for gen in (torch.Generator().manual_seed(0), torch.Generator(device="cuda").manual_seed(0)):
        out = pipeline.augment_batch(x.cuda().float(), flip=True, crop_padding=2, generator=gen)
        assert out.device.type == "cuda" and out.shape == x.shape
    cpu = pipeline.augment_batch(
        x.float(), flip=True, crop_padding=2, generator=torch.Generator().manual_seed(3)
    )
    gpu = pipeline.augment_batch(
        x.cuda().float(), flip=True, crop_padding=2, generator=torch.Generator().manual_seed(3)
    )
    assert torch.equal(cpu, gpu.cpu())  # same CPU random numbers: the same crops and flips


MNIST_TRAIN_CLASSES = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]  # 60,000


@pytest.mark.parametrize("keep", [60_000, 20_000, 9_000, 101])
def test_a_tenth_held_out_is_a_tenth_of_all_images_not_rounded_class_by_class(keep):
    """MNIST's 60,000 at 10 %: 54,000 / 6,000 (rounding each class apart gave 54,001 / 5,999)."""
    sizes = [round(n * keep / 60_000) for n in MNIST_TRAIN_CLASSES]
    y = torch.cat([torch.full((n,), c) for c, n in enumerate(sizes)])
    n = len(y)
    train, val = pipeline.split_sizes(y, 0.1)
    assert val == round(0.1 * n) and train == n - val
    x = torch.arange(n)
    tx, ty, vx, vy = pipeline.split_train_val(x, y, 0.1, seed=0)
    assert (len(tx), len(vx)) == (train, val)
    assert sorted(torch.cat([tx, vx]).tolist()) == list(range(n))
    per_class = torch.bincount(vy, minlength=10).tolist()
    assert all(abs(k - 0.1 * s) < 1 for k, s in zip(per_class, sizes, strict=True))  # stratified
    # the exported train.py splits the same way
    from cnnviz.train import script

    ns: dict = {}
    exec("import torch\nfrom torch import Tensor\n" + script.SPLIT, ns)
    sx, sy, svx, svy = ns["split_train_val"](x, y, 0.1, 0)
    assert torch.equal(sx, tx) and torch.equal(svx, vx)  # the very same images
