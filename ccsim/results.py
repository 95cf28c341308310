"""Result tables and their writers: plain numpy columns, CSV/JSON written atomically.

A :class:`Table` is an ordered mapping of column name → 1-D numpy array, all
of one length — what an analyst hands to pandas (:meth:`Table.to_pandas`) and
what the CLI writes as CSV. Every file is written to a temporary name in the
target directory and renamed, so a reader never sees a half-written file and
an interrupted run never destroys a previous result.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Table",
    "atomic_path",
    "atomic_write_text",
    "output_set",
    "remove_stale_temp",
    "text_table",
    "write_json",
    "to_jsonable",
]


def text_table(rows: Iterable[Iterable[str]], align: str = "") -> list[str]:
    """Lines of a fixed-width text table for people (the first row is the header).

    ``align`` has one letter per column, ``l`` (text) or ``r`` (numbers); columns
    it does not cover are right-aligned, except the first, left-aligned when
    ``align`` is empty. Columns are two spaces apart; no line has trailing blanks.
    """
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
    align = (align or "l").ljust(len(widths), "r")
    return [
        "  ".join(
            c.ljust(w) if a == "l" else c.rjust(w)
            for c, w, a in zip(row, widths, align, strict=True)
        ).rstrip()
        for row in cells
    ]


class Table(Mapping[str, np.ndarray]):
    """Columns of equal length, in order; ``table["service_level"]`` is a numpy array."""

    def __init__(self, columns: Mapping[str, Any]):
        self._columns: dict[str, np.ndarray] = {}
        length = None
        for name, values in columns.items():
            array = np.asarray(values)
            if array.ndim != 1:
                raise ValueError(f"column {name!r} must be one-dimensional")
            if length is not None and len(array) != length:
                raise ValueError(f"column {name!r} has {len(array)} rows, expected {length}")
            length = len(array)
            self._columns[name] = array

    def __getitem__(self, name: str) -> np.ndarray:
        return self._columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    @property
    def columns(self) -> list[str]:
        """Column names, in order."""
        return list(self._columns)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(next(iter(self._columns.values()))) if self._columns else 0

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each row as a dict of plain Python values."""
        for i in range(self.n_rows):
            yield {name: _plain(col[i]) for name, col in self._columns.items()}

    def select(self, mask: np.ndarray) -> Table:
        """The rows where ``mask`` is true (a boolean array or index array)."""
        return Table({name: col[mask] for name, col in self._columns.items()})

    def to_pandas(self):
        """A ``pandas.DataFrame`` of the columns (needs the optional ``pandas`` extra); a
        ``start`` or ``date`` column of dated labels (``"2026-11-23 08:00"``, ``"2026-11-23"``)
        becomes datetimes, times of day alone (``"08:00"``) stay text."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas() needs pandas: pip install 'ccsim[pandas]'") from exc
        frame = pd.DataFrame({name: col for name, col in self._columns.items()})
        for name in ("start", "date"):
            if name in frame and len(frame) and _all_dated(self._columns[name]):
                frame[name] = pd.to_datetime(frame[name], format="ISO8601")
        return frame

    def to_csv(self, float_format: str = "{:.6g}") -> str:
        """The table as CSV text (header row, then one row per record)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        formatted = [_format_column(col, float_format) for col in self._columns.values()]
        writer.writerows(zip(*formatted, strict=True))
        return buffer.getvalue()

    def write_csv(self, path: str | os.PathLike, float_format: str = "{:.6g}") -> Path:
        """Write the table as CSV to ``path`` atomically; return the path."""
        return atomic_write_text(path, self.to_csv(float_format))

    def __repr__(self) -> str:
        return f"Table({self.n_rows} rows × {len(self)} columns: {', '.join(self.columns)})"

    @staticmethod
    def concat(tables: Iterable[Table]) -> Table:
        """Stack tables with the same columns, in order."""
        tables = list(tables)
        if not tables:
            return Table({})
        names = tables[0].columns
        return Table({n: np.concatenate([t[n] for t in tables]) for n in names})


_DATED = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")


def _all_dated(col: np.ndarray) -> bool:
    """True when every cell is a date or a date and time as ccsim writes them."""
    return all(isinstance(v, str) and _DATED.fullmatch(v) for v in col.tolist())


def _format_column(col: np.ndarray, float_format: str) -> list[str]:
    if col.dtype.kind == "f":
        return [
            float_format.format(v) if math.isfinite(v) else ("" if math.isnan(v) else str(v))
            for v in col.tolist()
        ]
    return [str(v) for v in col.tolist()]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def to_jsonable(value: Any) -> Any:
    """Plain JSON-ready data from numpy values, tables, paths; NaN/inf become None."""
    if isinstance(value, Table):
        return list(value.rows())
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def _file_mode() -> int:
    """0o666 less the process umask: the mode ``open()`` would give a new file."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed to ``path``.

    Whatever is written to the temporary path appears at ``path`` whole or not
    at all: on an error (or Ctrl-C) the temporary file is removed and a file
    already at ``path`` is left as it was. The file gets the usual mode
    (0o666 less the umask), not ``mkstemp``'s private 0o600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        os.chmod(tmp, FILE_MODE)
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C back until the block ends, so its steps happen all or not at all.

    A SIGINT arriving inside the block is remembered and acted on (normally a
    ``KeyboardInterrupt``) as the block ends. Outside the main thread, where
    signal handlers cannot be changed (or under a handler not set from Python,
    which could not be put back), the block runs unprotected.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is None  # a handler not set from Python
    ):
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            if callable(previous):
                previous(signal.SIGINT, None)
            elif previous == signal.SIG_DFL:
                raise KeyboardInterrupt


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` via a temporary file in the same directory and a rename."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(path)


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically (numpy values converted)."""
    return atomic_write_text(path, json.dumps(to_jsonable(data), indent=2) + "\n")


# --- one run's set of files in an output directory -------------------------------------------

_STALE_TEMP = re.compile(r"^\..+\.[a-z0-9_]{8}\.(tmp|png)$")  # atomic_path's names
_STAGING = ".ccsim-staging-"
SET_NAMES = (
    "intervals.csv",
    "groups.csv",
    "contacts.csv",
    "staffing.png",
    "simulation.png",
    "shifts.csv",
    "coverage.csv",
    "roster.png",
    "backtest.csv",
    "backtest.png",
    "summary.json",
)
"""Files ccsim commands write into an output directory: a set without a ``files`` list in
its ``summary.json`` (an older ccsim, or a run killed while swapping) is these."""


def remove_stale_temp(directory: str | os.PathLike) -> None:
    """Remove what a killed run left in ``directory``: temporary files of
    :func:`atomic_path` (``.NAME.XXXXXXXX.tmp``) and :func:`output_set` staging
    directories. A missing directory is left missing."""
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.name.startswith(_STAGING) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        elif _STALE_TEMP.match(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)


@contextlib.contextmanager
def output_set(directory: str | os.PathLike) -> Iterator[Path]:
    """Yield a staging directory for one run's set of files; on success the set replaces
    the one in ``directory``, so the directory never holds files of two runs.

    ``directory`` is created if needed and cleared of what killed runs left
    (:func:`remove_stale_temp`). After the block, ``summary.json`` (if the set has
    one) lists the set's ``files``; the previous set's ``summary.json`` goes first,
    then its other files, then the new files move in with ``summary.json`` last — a
    directory with a ``summary.json`` holds exactly the set it lists. Ctrl-C is held
    back during the swap; on an error (or Ctrl-C) while the set is written the
    previous set is left as it was.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    remove_stale_temp(directory)
    stage = Path(tempfile.mkdtemp(prefix=_STAGING, dir=directory))
    try:
        yield stage
        with interrupts_deferred():
            _swap_in(directory, stage)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _previous_set(directory: Path) -> set[str]:
    """Names of the set in ``directory``: its summary's ``files``, and the known names."""
    names = set(SET_NAMES)
    try:
        listed = json.loads((directory / "summary.json").read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, TypeError, KeyError):
        return names
    if isinstance(listed, list):
        names |= {n for n in listed if isinstance(n, str) and n == Path(n).name and n[:1] != "."}
    return names


def _swap_in(directory: Path, stage: Path) -> None:
    """Replace the set in ``directory`` by the files in ``stage`` (see :func:`output_set`)."""
    names = sorted(entry.name for entry in stage.iterdir())
    summary = stage / "summary.json"
    if summary.exists():
        data = json.loads(summary.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            write_json(summary, {**data, "files": names})
    old = _previous_set(directory)
    (directory / "summary.json").unlink(missing_ok=True)  # the old set is marked incomplete
    for name in sorted(old - set(names)):
        (directory / name).unlink(missing_ok=True)
    for name in sorted(names, key=lambda n: n == "summary.json"):
        os.replace(stage / name, directory / name)
