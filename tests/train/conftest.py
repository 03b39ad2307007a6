"""A local Ray instance for the Ray executor's tests: started once per test session, shut down at the end."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ray_cluster():
    """``ray.init(num_cpus=2)`` once (skipped when ray is not installed); yields the ray module."""
    ray = pytest.importorskip("ray", reason="the ray extra is not installed (requirements-ray.txt)")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    if started:
        ray.shutdown()
