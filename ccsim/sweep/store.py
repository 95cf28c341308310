"""The resumable store of a sweep (internal: import from :mod:`ccsim.sweep`).

A directory holding the manifest ``sweep.json``, one ``points/<id>.json`` per
finished point, the ``points.log`` journal, the ``.lock`` of the running sweep
and ``results.csv``; the layout and the columns are described in :mod:`ccsim.sweep`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ccsim.results import Table, atomic_write_text, write_json
from ccsim.sweep.errors import SweepError
from ccsim.sweep.grid import Point
from ccsim.sweep.point import KPI_COLUMNS, decode_float

if TYPE_CHECKING:
    from ccsim.sweep import SweepPlan

STORE_FORMAT = 2
"""The version of the store layout, written into the manifest. 2: ``unanswered`` and
``answered_within`` columns, ``common_random_numbers`` in the manifest."""

IDENTITY = (
    "format",
    "ccsim_version",
    "grid",
    "replications",
    "seed",
    "common_random_numbers",
    "mode",
)
"""The manifest fields (besides the scenario's SHA-256) that a rerun must match to resume."""


class SweepStore:
    """The directory of a resumable sweep (the layout is described in :mod:`ccsim.sweep`)."""

    def __init__(self, directory: str | os.PathLike):
        self.dir = Path(directory)
        self.points_dir = self.dir / "points"
        self.manifest_path = self.dir / "sweep.json"
        self.log_path = self.dir / "points.log"
        self.results_path = self.dir / "results.csv"
        self._lock: Any = None

    def open(self, manifest: Mapping[str, Any]) -> None:
        """Lock the directory, then write the manifest or check that the one there
        describes the same sweep. Raises :class:`SweepError` when another process is
        running a sweep into it or it holds another sweep."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self._acquire()
        try:
            self._check_or_write(manifest)
        except BaseException:
            self.close()
            raise
        self.points_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.points_dir.glob(".*.tmp"):  # a write cut short by a kill
            stale.unlink(missing_ok=True)

    def _acquire(self) -> None:
        # A POSIX record lock: released when this process ends however it ends, and
        # not inherited by forked workers (so a killed sweep never leaves it held).
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            return
        handle = open(self.dir / ".lock", "a+", encoding="utf-8")
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise SweepError(
                f"another ccsim sweep is running into {self.dir}; wait for it to finish "
                "(or stop it), then rerun to resume"
            ) from None
        self._lock = handle

    def close(self) -> None:
        """Release the directory lock."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _check_or_write(self, manifest: Mapping[str, Any]) -> None:
        if self.manifest_path.exists():
            try:
                there = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise SweepError(f"{self.manifest_path}: cannot be read ({exc})") from None
            here = json.loads(json.dumps(manifest))
            if there.get("format") != here["format"]:
                raise SweepError(
                    f"{self.dir} holds a sweep in store format {there.get('format')!r}; this "
                    f"ccsim {here['ccsim_version']} writes format {here['format']} (other "
                    "results.csv columns) and cannot resume it: choose another --out "
                    "directory (or delete this one) to start a new sweep"
                )
            differ = [f for f in IDENTITY if there.get(f) != here.get(f)]
            if there.get("scenario", {}).get("sha256") != here["scenario"]["sha256"]:
                differ.insert(0, "scenario")
            if differ:
                raise SweepError(
                    f"{self.dir} holds another sweep (different {', '.join(differ)}); "
                    "rerun with the same arguments to resume it, or choose another --out "
                    "directory (or delete this one) to start a new sweep"
                )
        else:
            if self.points_dir.exists() and any(self.points_dir.iterdir()):
                raise SweepError(
                    f"{self.dir} has points but no sweep.json: not a sweep directory "
                    "ccsim can resume; choose another --out directory"
                )
            write_json(self.manifest_path, manifest)

    def finished(self, points: Sequence[Point]) -> dict[str, dict]:
        """Records of the points already on disk (unreadable or foreign files are ignored)."""
        records = {}
        for point in points:
            path = self.points_dir / f"{point.id}.json"
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if (
                record.get("key") == point.key
                and record.get("seed") == point.seed
                and _complete(record)
            ):
                records[point.id] = record
        return records

    def save(self, record: Mapping[str, Any]) -> None:
        """Write a finished point atomically, then log it."""
        text = json.dumps(record, indent=1, ensure_ascii=False) + "\n"
        atomic_write_text(self.points_dir / f"{record['id']}.json", text)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        line = f"{stamp}\t{record['id']}\t{record['point']}\t{record['elapsed']:.3f}\n"
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(line)
            log.flush()


def _complete(record: Mapping[str, Any]) -> bool:
    """Whether a point file has every column of this version (else it is computed again)."""
    rows = record.get("rows")
    return isinstance(rows, list) and all(
        isinstance(row, Mapping) and all(name in row for name in (*KPI_COLUMNS, "agent_hours"))
        for row in rows
    )


def point_record(point: Point, result: Mapping[str, Any]) -> dict[str, Any]:
    """What ``points/<id>.json`` holds: the point's identity, seed and result rows."""
    return {
        "id": point.id,
        "point": point.index,
        "key": point.key,
        "overrides": dict(point.overrides),
        "seed": point.seed,
        "rows": result["rows"],
        "elapsed": result["elapsed"],
    }


def results_table(plan: SweepPlan, records: Mapping[str, Mapping[str, Any]]) -> Table:
    """One row per point × channel, in grid order, from the finished points' records
    (the columns are described in :mod:`ccsim.sweep`)."""
    rows: list[tuple[Point, Mapping[str, Any]]] = []
    for point in plan.points:
        record = records.get(point.id)
        if record is not None:
            rows.extend((point, row) for row in record["rows"])
    columns: dict[str, Any] = {"point": np.array([p.index for p, _ in rows], dtype=np.int64)}
    for axis in plan.axes:
        values = np.empty(len(rows), dtype=object)
        values[:] = [_csv_value(p.overrides[axis.key]) for p, _ in rows]
        columns[axis.key] = values
    columns["channel"] = np.array([r["channel"] for _, r in rows], dtype=object)
    for name in (*KPI_COLUMNS, "agent_hours"):
        columns[name] = np.array([decode_float(r[name]) for _, r in rows], dtype=float)
    columns["seed"] = np.array([p.seed for p, _ in rows], dtype=np.int64)
    return Table(columns)


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return value
