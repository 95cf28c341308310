"""The resumable store of a sweep (internal: import from :mod:`ccsim.sweep`).

A directory holding the manifest ``sweep.json``, one ``points/<id>.json`` per
finished point, the ``points.log`` journal, the ``.lock`` of the running sweep
and ``results.csv``; the layout and the columns are described in :mod:`ccsim.sweep`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ccsim.results import Table, atomic_write_text, remove_stale_temp, write_json
from ccsim.sweep.errors import RunError, SweepError
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
        describes the same sweep; remove temporary files of writes a kill cut short.
        Raises :class:`SweepError` when another process is running a sweep into it, it
        holds another sweep, or it cannot be used (not a directory, permission, no
        space, read-only: one line naming the path)."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._acquire()
            try:
                self._check_or_write(manifest)
                self.points_dir.mkdir(parents=True, exist_ok=True)
                remove_stale_temp(self.dir)
                remove_stale_temp(self.points_dir)
            except BaseException:
                self.close()
                raise
        except OSError as exc:
            raise SweepError(f"--out {self.dir}: cannot be used for a sweep: {_why(exc)}") from None

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
                why = _why(exc) if isinstance(exc, OSError) else "not JSON"
                raise SweepError(f"{self.manifest_path}: cannot be read ({why})") from None
            if not isinstance(there, dict) or not isinstance(there.get("scenario"), dict):
                raise SweepError(
                    f"{self.manifest_path} is not the manifest of a ccsim sweep; choose another "
                    "--out directory"
                )
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

    def finished(self, points: Sequence[Point], channels: Sequence[str]) -> dict[str, dict]:
        """Records of the points already on disk whose files check (:func:`valid_record`:
        this point, one row per channel of ``channels``, every number a number, the
        checksum); the others are computed again. The journal is rebuilt from them."""
        records = {}
        for point in points:
            path = self.points_dir / f"{point.id}.json"
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if valid_record(record, point, channels):
                records[point.id] = record
        try:
            self._rebuild_log(points, records)
        except OSError as exc:
            raise RunError(f"cannot write {self.log_path}: {_why(exc)}") from None
        return records

    def _rebuild_log(self, points: Sequence[Point], records: Mapping[str, dict]) -> None:
        """Make ``points.log`` one line per valid point file: keep the lines of valid
        points (the first of each), drop the others, add those a kill left out (stamped
        with the point file's time); rewritten only when it changes."""
        try:
            lines = self.log_path.read_text(encoding="utf-8").splitlines(keepends=True)
        except FileNotFoundError:
            lines = []
        kept, seen = [], set()
        for line in lines:
            fields = line.rstrip("\n").split("\t")
            if len(fields) == 4 and fields[1] in records and fields[1] not in seen:
                seen.add(fields[1])
                kept.append(line if line.endswith("\n") else line + "\n")
        for point in points:
            if point.id in records and point.id not in seen:
                mtime = (self.points_dir / f"{point.id}.json").stat().st_mtime
                kept.append(_log_line(records[point.id], time.localtime(mtime)))
        if kept != lines and (kept or lines):
            atomic_write_text(self.log_path, "".join(kept))

    def save(self, record: Mapping[str, Any]) -> None:
        """Write a finished point atomically, then log it; :class:`RunError` (one line) when
        the file system refuses (no space, read-only, …)."""
        text = json.dumps(record, indent=1, ensure_ascii=False) + "\n"
        path = self.points_dir / f"{record['id']}.json"
        try:
            atomic_write_text(path, text)
            path = self.log_path
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(_log_line(record, time.localtime()))
                log.flush()
        except OSError as exc:
            raise RunError(f"cannot write {path}: {_why(exc)}") from None

    def write_results(self, table: Table) -> None:
        """Write ``results.csv``; :class:`RunError` (one line) when the file system refuses."""
        try:
            table.write_csv(self.results_path)
        except OSError as exc:
            raise RunError(f"cannot write {self.results_path}: {_why(exc)}") from None


def _why(exc: OSError) -> str:
    """An OSError in a few words: ``No space left on device: /path``."""
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or type(exc).__name__}{where}"


def _log_line(record: Mapping[str, Any], when: time.struct_time) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", when)
    return f"{stamp}\t{record['id']}\t{record['point']}\t{record['elapsed']:.3f}\n"


def _checksum(record: Mapping[str, Any]) -> str:
    """SHA-256 of what a point file says about its point: key, seed and rows."""
    text = json.dumps([record.get("key"), record.get("seed"), record.get("rows")],
                      sort_keys=True, ensure_ascii=False)  # fmt: skip
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_NUMBER_TEXT = ("inf", "-inf", "nan")  # how encode_float writes what JSON cannot


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    return value is None or value in _NUMBER_TEXT


def valid_record(record: Any, point: Point, channels: Sequence[str]) -> bool:
    """Whether a point file's content is this point's result as this version writes it:
    its key, seed and elapsed time, one row per channel (in order) with every column a
    number (or ``"inf"``/``"nan"``), and the checksum of all of it."""
    if not isinstance(record, dict) or record.get("sha256") != _checksum(record):
        return False
    if record.get("key") != point.key or record.get("seed") != point.seed:
        return False
    if record.get("id") != point.id or record.get("point") != point.index:
        return False
    rows, elapsed = record.get("rows"), record.get("elapsed")
    if not (_is_number(elapsed) and isinstance(elapsed, (int, float))):
        return False
    if not isinstance(rows, list) or [
        row.get("channel") if isinstance(row, dict) else None for row in rows
    ] != list(channels):
        return False
    names = (*KPI_COLUMNS, "agent_hours")
    return all(all(name in row and _is_number(row[name]) for name in names) for row in rows)


def point_record(point: Point, result: Mapping[str, Any]) -> dict[str, Any]:
    """What ``points/<id>.json`` holds: the point's identity, seed and result rows, and
    the SHA-256 of key, seed and rows (checked when the file is read back)."""
    record = {
        "id": point.id,
        "point": point.index,
        "key": point.key,
        "overrides": dict(point.overrides),
        "seed": point.seed,
        "rows": result["rows"],
        "elapsed": result["elapsed"],
    }
    record["sha256"] = _checksum(json.loads(json.dumps(record)))
    return record


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
