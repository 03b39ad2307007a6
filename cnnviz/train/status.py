"""The one vocabulary of where a training stands: a job's, a run's and a fit's end alike.

A job (``cnnviz.train.job``) is running or paused, then ends finished, stopped or
failed (``FitEnded.status``); its run folder's ``status.json`` says the same
words, and a run whose trainer is gone reads as interrupted (never written), one
whose status cannot be read as unknown (``cnnviz.train.run_checks``). Compared as
enums, never as strings.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"  # a job held between two mini-batches (its run still reads running)
    FINISHED = "finished"  # every epoch ran, test set evaluated
    STOPPED = "stopped"  # the user, the teacher or the idle reaper stopped it
    FAILED = "failed"  # NaN loss, out of memory, or an error: see reason / advice
    INTERRUPTED = "interrupted"  # a run "running" on disk whose process is gone
    UNKNOWN = "unknown"  # a run whose status.json is missing or unreadable


OUTCOMES = (Status.FINISHED, Status.STOPPED, Status.FAILED)  # how a fit ends (FitEnded)


__all__ = ["OUTCOMES", "Status"]
