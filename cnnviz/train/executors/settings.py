"""Where trainings run, as the teacher set it: the executor's settings, read from the environment.

=========================  ===========================================================
``CNNVIZ_EXECUTOR``        ``thread`` (default: a thread in this server) or ``ray``
``CNNVIZ_RAY_ADDRESS``     ``auto`` (the cluster this machine joined with ``ray start``),
                           ``ray://host:10001`` (Ray Client), ``host:6379`` (a head
                           node's GCS), or ``local`` (start a Ray instance in this process)
``CNNVIZ_RAY_CPUS``        CPUs each training asks for (default 1)
``CNNVIZ_RAY_GPUS``        share of a GPU each training asks for (default 0; 0.125 lets
                           eight students' small networks share one GPU)
``CNNVIZ_RAY_FALLBACK``    ``local``: when the cluster cannot be reached, train in this
                           server instead (default: refuse, with a message naming the address)
``CNNVIZ_RAY_IDLE_S``      a training actor that has not heard from this server for this
                           many seconds stops and exits (default 60): no orphans
``CNNVIZ_RAY_STANDBY``     actors kept started for the next trainings while the cluster has
                           room (default 1; 0: every training starts its own actor)
=========================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from cnnviz.settings import env as settings_env
from cnnviz.settings.env import check_number, check_whole, text

E = TypeVar("E", bound=StrEnum)


class ExecutorKind(StrEnum):
    THREAD = "thread"  # a thread in this server process (the embedded default)
    RAY = "ray"  # an actor on a Ray cluster


class FallbackKind(StrEnum):
    NONE = "none"  # an unreachable cluster is an error that names the address
    LOCAL = "local"  # an unreachable cluster: train in this server instead


class ClusterUnreachable(RuntimeError):
    """The Ray cluster could not be reached (or ray is not installed). The message names the address."""

    def __init__(self, address: str, detail: str) -> None:
        self.address, self.detail = address, detail
        super().__init__(f"{self.headline}. {self.advice}")

    @property
    def headline(self) -> str:
        return f"The Ray cluster at {self.address} cannot be reached ({self.detail})"

    @property
    def advice(self) -> str:
        return (
            "Start it (`ray start --head` on the head node), check CNNVIZ_RAY_ADDRESS, or let "
            "trainings run on this server when it is down (CNNVIZ_RAY_FALLBACK=local)."
        )


class ClusterRefused(ClusterUnreachable):
    """The cluster answered but refused this server: it asks for a token this server did not send."""

    @property
    def headline(self) -> str:
        return (
            f"The Ray cluster at {self.address} refused this server: it asks for an "
            f"authentication token ({self.detail})"
        )

    @property
    def advice(self) -> str:
        return (
            "Start the server with RAY_AUTH_MODE=token and the cluster's token: the head node's "
            "~/.ray/auth_token (made once with `ray get-auth-token --generate`) copied to this "
            "machine, or RAY_AUTH_TOKEN set to it. Or let trainings run on this server meanwhile "
            "(CNNVIZ_RAY_FALLBACK=local)."
        )


class SettingError(settings_env.SettingError):
    """An executor setting in the environment (or a CLI flag) is unusable; the message names it."""


@dataclass(frozen=True)
class ExecutorSettings:
    kind: ExecutorKind = ExecutorKind.THREAD
    address: str = "auto"
    num_cpus: float = 1.0
    num_gpus: float = 0.0  # a fraction of one GPU per training: several share one GPU
    fallback: FallbackKind = FallbackKind.NONE
    idle_s: float = 60.0  # the actor's watchdog: no poll for this long -> stop and exit
    standby: int = 1  # actors started ahead for the next trainings, while the cluster has room

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **given: object) -> ExecutorSettings:
        """Settings from ``CNNVIZ_*`` variables; keyword arguments (the CLI's flags) win."""
        raw: dict[str, object] = {
            "kind": text("CNNVIZ_EXECUTOR", "thread", env),
            "address": text("CNNVIZ_RAY_ADDRESS", "auto", env),
            "num_cpus": text("CNNVIZ_RAY_CPUS", "1", env),
            "num_gpus": text("CNNVIZ_RAY_GPUS", "0", env),
            "fallback": text("CNNVIZ_RAY_FALLBACK", "none", env),
            "idle_s": text("CNNVIZ_RAY_IDLE_S", "60", env),
            "standby": text("CNNVIZ_RAY_STANDBY", "1", env),
        }
        raw.update({k: v for k, v in given.items() if v is not None})
        try:
            return cls._checked(raw)
        except settings_env.SettingError as e:
            raise SettingError(str(e)) from None

    @classmethod
    def _checked(cls, raw: dict[str, object]) -> ExecutorSettings:
        return cls(
            kind=_choice("CNNVIZ_EXECUTOR", ExecutorKind, raw["kind"]),
            address=str(raw["address"]).strip(),
            num_cpus=check_number("CNNVIZ_RAY_CPUS", raw["num_cpus"], low=0.01, high=1024),
            num_gpus=check_number("CNNVIZ_RAY_GPUS", raw["num_gpus"], low=0.0, high=64),
            fallback=_choice("CNNVIZ_RAY_FALLBACK", FallbackKind, raw["fallback"]),
            idle_s=check_number("CNNVIZ_RAY_IDLE_S", raw["idle_s"], low=1.0, high=86400),
            standby=check_whole("CNNVIZ_RAY_STANDBY", raw["standby"], low=0, high=16),
        )

    def describe(self) -> str:
        if self.kind == ExecutorKind.THREAD:
            return "this server (a training thread)"
        gpu = f", {self.num_gpus:g} GPU" if self.num_gpus else ""
        return f"the Ray cluster at {self.address} ({self.num_cpus:g} CPU{gpu} per training)"


def _choice(name: str, enum: type[E], value: object) -> E:
    try:
        return enum(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(str(e) for e in enum)
        raise SettingError(f"{name} must be one of {allowed}, not {value!r}.") from None


__all__ = [
    "ClusterRefused",
    "ClusterUnreachable",
    "ExecutorKind",
    "ExecutorSettings",
    "FallbackKind",
    "SettingError",
]
