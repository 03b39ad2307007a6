"""Datasets on their way to Ray workers: packed once per dataset, or made on the worker.

- The built-in Shapes set is *drawn on the worker* from the same ``load_dataset``
  arguments (it is seeded), so no image crosses the network; a fingerprint of the
  first images checks that the worker drew the same ones.
- Any other set is *packed* as uint8 NumPy arrays (what Ray's object store shares
  between workers of a node without copying) and put in the object store once per
  dataset (``RayExecutor`` caches the reference by ``data_key``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cnnviz.data.bundle import DataBundle

FINGERPRINT_IMAGES = 64


def data_key(bundle: DataBundle) -> tuple:
    """Identifies a dataset's contents cheaply: name, shapes and a fingerprint."""
    return (
        str(bundle.name),
        tuple(bundle.train_x.shape),
        tuple(bundle.test_x.shape),
        fingerprint(bundle),
    )


def fingerprint(bundle: DataBundle) -> tuple[int, int, int, int]:
    n = FINGERPRINT_IMAGES
    return (
        int(bundle.train_x[:n].sum(dtype=torch.int64)),
        int(bundle.train_y[:n].sum()),
        int(bundle.test_x[:n].sum(dtype=torch.int64)),
        int(bundle.test_y[:n].sum()),
    )


def recipe(bundle: DataBundle) -> dict | None:
    """How a worker can draw this bundle itself (the built-in Shapes set), else None."""
    from cnnviz.data.catalog import DATASETS
    from cnnviz.data.kinds import Source
    from cnnviz.data.registry import load_arguments

    args = load_arguments(bundle)
    info = DATASETS.get(str(bundle.name))
    if args is None or info is None or info.source != Source.BUILTIN:
        return None
    return {"load": args, "key": data_key(bundle)}


def pack(bundle: DataBundle) -> dict[str, Any]:
    """The bundle as plain arrays and facts (picklable without torch; zero-copy in Ray)."""
    return {
        "name": str(bundle.name),
        "classes": [str(c) for c in bundle.classes],
        "train_x": bundle.train_x.numpy(),
        "train_y": bundle.train_y.numpy(),
        "test_x": bundle.test_x.numpy(),
        "test_y": bundle.test_y.numpy(),
    }


def unpack(payload: dict[str, Any]) -> DataBundle:
    """A DataBundle from ``pack``'s arrays or from a ``recipe`` (drawn here, then checked)."""
    if "load" in payload:
        from cnnviz.data.registry import load_dataset

        bundle = load_dataset(**payload["load"])
        if data_key(bundle) != tuple(payload["key"]):
            raise RuntimeError(
                f"This worker drew a different {bundle.name} set than the server did: "
                "install the same cnnviz version on every machine of the cluster."
            )
        return bundle

    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.array(a, copy=True))  # the store's arrays are read-only

    return DataBundle(
        payload["name"],
        tuple(payload["classes"]),
        tensor(payload["train_x"]),
        tensor(payload["train_y"]),
        tensor(payload["test_x"]),
        tensor(payload["test_y"]),
    )


__all__ = ["data_key", "fingerprint", "pack", "recipe", "unpack"]
