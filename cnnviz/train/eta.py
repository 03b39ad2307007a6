"""Training speed and time left, from recent iterations (warm-up left out).

The first iterations of a run are slow (memory allocation, kernel selection, the
DataLoader's first batches), so an average since the start makes the first
"time left" far too long. ``Eta`` keeps the last ``window`` iterations after the
first ``warmup`` ones and reports nothing ("estimating") until it has at least
``min_points`` of them (more when they span less than ``horizon_s``, so a fast
run's estimate does not jump about). The gap between one epoch's last iteration
and the next one's first (validation pass, saving, a new DataLoader pass) is
timed separately and added once per epoch still to come, so it neither slows
down the per-iteration rate nor is forgotten.

Times are the engine's ``elapsed_s`` (pauses excluded), so a pause does not slow
the estimate down.
"""

from __future__ import annotations

from collections import deque

WARMUP = 3  # iterations left out at the start of the run
WINDOW = 20  # iterations the rate is measured over
MIN_POINTS = 5  # iterations after warm-up before an estimate is given
HORIZON_S = 10.0  # fast runs: measure over this many recent seconds when that is more iterations


class Eta:
    """Feed it ``batch(iteration, elapsed_s, images)`` and ``epoch_end(elapsed_s)``."""

    def __init__(
        self,
        warmup: int = WARMUP,
        window: int = WINDOW,
        min_points: int = MIN_POINTS,
        horizon_s: float = HORIZON_S,
    ):
        self.warmup, self.min_points = warmup, max(int(min_points), 2)
        self.window, self.horizon_s = max(int(window), 2), horizon_s
        self._recent: deque[tuple[int, float, int]] = deque(maxlen=2000)
        self._offset = 0.0  # time spent between epochs so far (validation, saving, new DataLoader)
        self._between_s: float | None = None  # the last such gap
        self._last_batch_t: float | None = None
        self._epoch_ended = False

    def batch(self, iteration: int, elapsed_s: float, images: int) -> None:
        """One iteration ended at ``elapsed_s`` (since the start, pauses excluded)."""
        if self._epoch_ended and self._last_batch_t is not None:
            # the gap since the previous epoch's last iteration, less one iteration's work
            spi = self.seconds_per_iteration() or 0.0
            self._between_s = max(elapsed_s - self._last_batch_t - spi, 0.0)
            self._offset += self._between_s
        self._epoch_ended = False
        self._last_batch_t = elapsed_s
        if iteration > self.warmup:
            # the training clock: time between epochs taken out, so a window spanning an
            # epoch's end is not slowed down by it
            self._recent.append((iteration, elapsed_s - self._offset, int(images)))

    def epoch_end(self, elapsed_s: float) -> None:
        """An epoch (and its validation pass) ended; the gap is measured at the next iteration."""
        self._epoch_ended = True

    def _points(self) -> list[tuple[int, float, int]]:
        """The last ``window`` iterations, or more if they span less than ``horizon_s``."""
        pts = list(self._recent)
        if len(pts) < self.min_points:
            return []
        t_end = pts[-1][1]
        first = len(pts) - min(self.window, len(pts))
        while first > 0 and t_end - pts[first - 1][1] <= self.horizon_s:
            first -= 1
        return pts[first:]

    def seconds_per_iteration(self) -> float | None:
        """Recent time per iteration, or None while estimating."""
        pts = self._points()
        if not pts:
            return None
        (i0, t0, _), (i1, t1, _) = pts[0], pts[-1]
        if i1 <= i0 or t1 <= t0:
            return None
        return (t1 - t0) / (i1 - i0)

    def images_per_s(self) -> float | None:
        """Recent training speed, or None while estimating."""
        pts = self._points()
        if not pts or pts[-1][1] <= pts[0][1]:
            return None
        return sum(n for _, _, n in pts[1:]) / (pts[-1][1] - pts[0][1])

    def seconds_left(self, iterations_left: int, epochs_left: int) -> float | None:
        """Time to the end: iterations at the recent rate, plus the gap after each epoch left."""
        spi = self.seconds_per_iteration()
        if spi is None:
            return None
        return max(iterations_left, 0) * spi + max(epochs_left, 0) * (self._between_s or 0.0)
