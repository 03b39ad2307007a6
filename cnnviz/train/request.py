"""What one training is asked to be: ``TrainRequest``, the one value every layer passes on.

The submission gate (``cnnviz.classroom.submit``) takes it from a page or the
command line; the class queue holds it until its turn; the job registry hands it
to the executor, which makes the ``Job`` from it::

    request = TrainRequest(spec, bundle, config, owner=person.id, label="lenet5")
    job = registry.start(request)            # through the gate only, see cnnviz.classroom.submit
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from cnnviz.train.config import TrainConfig

if TYPE_CHECKING:
    from cnnviz.data.bundle import DataBundle


@dataclass(frozen=True, eq=False)
class TrainRequest:
    """One training: the network, its data and settings, whose it is and where its run goes."""

    spec: dict  # the design (cnnviz.design.spec)
    data: DataBundle  # the images it trains on
    config: TrainConfig
    owner: str | None = None  # the person's id on a class server; None: nobody's (single user, CLI)
    label: str = ""  # the run folder's name part (a preset's name, an experiment's arm)
    runs_root: str | os.PathLike | None = None  # where the run folder goes (None: CNNVIZ_RUNS_DIR)
    model: Any = None  # a network object to train instead of building ``spec`` (tests, the CLI)
    challenge: str = (
        ""  # the challenge it trains under (cnnviz.design.challenge), kept in config.json
    )

    def with_(self, **changes: Any) -> TrainRequest:
        return replace(self, **changes)

    @property
    def dataset(self) -> str:
        return str(getattr(self.data, "name", ""))


__all__ = ["TrainRequest"]
