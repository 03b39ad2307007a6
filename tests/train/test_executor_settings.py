"""Executor settings from the environment, and the data as it travels to Ray workers (no ray needed)."""

from __future__ import annotations

import pytest
import torch

from cnnviz.data.registry import load_dataset
from cnnviz.train.executors import executor_from_env
from cnnviz.train.executors.ray_data import pack, recipe, unpack
from cnnviz.train.executors.settings import (
    ExecutorKind,
    ExecutorSettings,
    FallbackKind,
    SettingError,
)
from cnnviz.train.executors.thread import ThreadExecutor
from tests.helpers import tiny_bundle


def test_nothing_set_is_the_thread_here(monkeypatch: pytest.MonkeyPatch):
    s = ExecutorSettings.from_env({})
    assert s.kind == ExecutorKind.THREAD and s.fallback == FallbackKind.NONE
    monkeypatch.delenv("CNNVIZ_EXECUTOR", raising=False)
    assert isinstance(executor_from_env(), ThreadExecutor)
    assert "this server" in s.describe()


def test_ray_settings_from_the_environment_and_flags():
    env = {
        "CNNVIZ_EXECUTOR": "Ray",
        "CNNVIZ_RAY_ADDRESS": "ray://head:10001",
        "CNNVIZ_RAY_CPUS": "2",
        "CNNVIZ_RAY_GPUS": "0.125",
        "CNNVIZ_RAY_FALLBACK": "local",
        "CNNVIZ_RAY_IDLE_S": "30",
        "CNNVIZ_RAY_STANDBY": "2",
    }
    s = ExecutorSettings.from_env(env)
    assert (s.kind, s.address, s.num_cpus, s.num_gpus, s.fallback, s.idle_s, s.standby) == (
        ExecutorKind.RAY, "ray://head:10001", 2.0, 0.125, FallbackKind.LOCAL, 30.0, 2,
    )  # fmt: skip
    assert ExecutorSettings.from_env({}).standby == 1  # one actor started ahead by default
    assert ExecutorSettings.from_env({"CNNVIZ_RAY_STANDBY": "0"}).standby == 0
    assert "ray://head:10001" in s.describe() and "0.125 GPU" in s.describe()
    flags = ExecutorSettings.from_env(env, kind="thread", address=None)
    assert flags.kind == ExecutorKind.THREAD and flags.address == "ray://head:10001"


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("CNNVIZ_EXECUTOR", "spark", "thread, ray"),
        ("CNNVIZ_RAY_GPUS", "half", "a number"),
        ("CNNVIZ_RAY_GPUS", "-1", "between 0 and 64"),
        ("CNNVIZ_RAY_CPUS", "0", "between"),
        ("CNNVIZ_RAY_FALLBACK", "yes", "none, local"),
        ("CNNVIZ_RAY_STANDBY", "1.5", "a whole number"),
        ("CNNVIZ_RAY_STANDBY", "-1", "between 0 and 16"),
    ],
)
def test_a_bad_setting_names_itself(name: str, value: str, words: str):
    with pytest.raises(SettingError, match=name) as e:
        ExecutorSettings.from_env({name: value})
    assert words in str(e.value)


def test_packed_data_come_back_equal():
    b = tiny_bundle()
    out = unpack(pack(b))
    assert out.name == b.name and out.classes == b.classes
    for k in ("train_x", "train_y", "test_x", "test_y"):
        assert (
            torch.equal(getattr(out, k), getattr(b, k))
            and getattr(out, k).dtype == getattr(b, k).dtype
        )
    assert recipe(b) is None  # not from the registry: it travels as arrays


def test_shapes_are_drawn_on_the_worker_from_a_recipe():
    b = load_dataset("shapes", size=16, channels=1, n_train=40, n_test=12, seed=3)
    r = recipe(b)
    assert r is not None and r["load"]["seed"] == 3 and "train_x" not in r
    from cnnviz.data.registry import clear_cache

    clear_cache()  # the worker has its own process: nothing cached there
    drawn = unpack(r)
    assert drawn is not b and torch.equal(drawn.train_x, b.train_x)
    assert torch.equal(drawn.test_y, b.test_y)
    forged = {**r, "key": ("shapes", (1,), (1,), (0, 0, 0, 0))}
    with pytest.raises(RuntimeError, match="same cnnviz version"):
        unpack(forged)
