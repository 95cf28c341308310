"""The errors of a sweep (internal: import them from :mod:`ccsim.sweep`)."""

from __future__ import annotations

from pathlib import Path


class SweepError(ValueError):
    """A sweep that cannot start or continue: bad grid, invalid point, or a store mismatch."""


class RunError(RuntimeError):
    """A sweep that failed while running (a point, a file that could not be written, a Dask
    cluster that would not start); finished points are kept."""


class PointError(RunError):
    """A point whose computation raised; the sweep stopped, finished points are kept."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: pending points cancelled, finished points kept on disk."""

    def __init__(self, done: int, total: int, out: Path | None):
        self.done, self.total, self.out = done, total, out
        where = f" in {out}" if out is not None else ""
        super().__init__(f"interrupted: {done} of {total} points finished and kept{where}")
