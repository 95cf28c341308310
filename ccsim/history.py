"""Call history → scenario: read counts per date × interval, fit a mean day, write a scenario.

A history file (``HISTORY.csv``) has one row per date × interval: a ``date`` and a
``start`` column (or one ``datetime`` column) and a count column per channel.
:func:`read_history` reads and checks it into a :class:`History`;
:func:`select_days` keeps some weekdays or a date range; :func:`fit_history`
measures the mean day (the *profile*: mean contacts per interval), the opening
hours and the day-to-day variation (``volume_uncertainty``), setting aside
outlier days such as holiday closures; :func:`write_fitted_scenario` writes a
scenario file from a base scenario with those figures. :func:`dumps_toml` is
the small TOML writer it uses, and :func:`synthetic_history` makes a history
from a known model, for tests and examples.

Every time is in seconds (``History.interval``); interval labels are
``"HH:MM"``. Problems in a file raise :class:`~ccsim.scenario.ScenarioError`,
each as ``file: line N: column 'name': message``.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import math
import os
import re
import tomllib
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from ccsim.durations import format_duration
from ccsim.results import atomic_write_text
from ccsim.scenario import Problem, Scenario, ScenarioError

__all__ = [
    "ChannelFit",
    "Fit",
    "History",
    "Outlier",
    "dumps_toml",
    "fit_history",
    "fit_summary_text",
    "read_history",
    "select_days",
    "synthetic_history",
    "write_fitted_scenario",
]

MAX_BYTES = 200 * 1024 * 1024  # a history file larger than this is refused
MAX_ROWS = 2_000_000  # data rows; ~57 years of 15-minute intervals
MAX_PROBLEMS = 20  # problems listed before "… and N more"
MAX_CELL = 40  # characters of an offending cell shown in a message
OUTLIER_THRESHOLD = 5.0  # robust standard deviations (log daily totals) for an outlier day
MIN_LOG_SCALE = 0.05  # floor on the robust SD of log daily totals (5%)
OPEN_SHARE = 0.10  # an interval is open when its mean is ≥ this share of the peak mean

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # date.weekday() order
_WEEKDAY_NAMES = {
    **{name.casefold(): name for name in WEEKDAYS},
    **{
        full.casefold(): short
        for full, short in zip(
            ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
            WEEKDAYS,
            strict=True,
        )
    },
}
_DAY = 86400.0  # seconds
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::00)?")
_DATETIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{1,2}:[0-9]{2}(?::00)?)")
_NUMBER = re.compile(r"\+?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


# --- the history ----------------------------------------------------------------------------


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=float)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class History:
    """Contacts counted per date × interval, per channel, as read from a history file.

    Attributes
    ----------
    dates : the days, ``"YYYY-MM-DD"``, sorted; a date absent from the file is not a day here.
    starts : interval labels ``"HH:MM"``, sorted: every interval of the grid from the
        earliest start in the file to the latest.
    interval : length of an interval, seconds.
    counts : channel → contacts per day and interval, float array of shape
        ``(len(dates), len(starts))`` (read-only). A date × start with no row in the
        file counts 0 contacts: an interval is in ``starts`` because the file has it
        on some day (or it lies between two starts the file has), and exporters
        commonly leave out rows with nothing in them.
    weekdays : ``"Mon"`` … ``"Sun"`` of each date, computed from the date.
    source : the file it was read from, as given.
    """

    dates: tuple[str, ...]
    starts: tuple[str, ...]
    interval: float
    counts: Mapping[str, np.ndarray]
    weekdays: tuple[str, ...]
    source: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "dates", tuple(self.dates))
        object.__setattr__(self, "starts", tuple(self.starts))
        object.__setattr__(self, "weekdays", tuple(self.weekdays))
        counts = {name: _frozen(values) for name, values in self.counts.items()}
        object.__setattr__(self, "counts", MappingProxyType(counts))

    @property
    def channels(self) -> tuple[str, ...]:
        """The channel names, in the order they were asked for."""
        return tuple(self.counts)

    @property
    def name(self) -> str:
        """How messages name the history file (its path as given)."""
        return str(self.source)


class _Problems:
    """Problems in one file, each ``file: line N: column 'c': message``; the first few kept.

    Each is a :class:`~ccsim.scenario.Problem` whose ``file`` is the file's name as
    given, ``key`` the place (``line 17: column 'calls'``) and ``value`` the cell.
    """

    def __init__(self, name: str):
        self.name = name
        self.shown: list[Problem] = []
        self.more = 0

    def __bool__(self) -> bool:
        return bool(self.shown)

    def add(
        self,
        message: str,
        line: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        if len(self.shown) >= MAX_PROBLEMS:
            self.more += 1
            return
        where = []
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        if value is not None and len(value) > MAX_CELL:
            value = value[: MAX_CELL - 1] + "…"
        self.shown.append(Problem(self.name, ": ".join(where), message, value))

    def raise_if_any(self) -> None:
        if self.shown:
            more = [Problem(self.name, "", f"… and {self.more} more")] if self.more else []
            raise ScenarioError(self.shown + more)


def _first_undecodable(file: Path) -> tuple[int, int]:
    """Line number and byte (both from 1) of the first text in ``file`` that is not UTF-8."""
    with open(file, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, exc.start + 1
    return 1, 1  # pragma: no cover - only called after a decoding error


def _unreadable(name: str, exc: OSError) -> ScenarioError:
    return ScenarioError([Problem(name, "", f"cannot be read ({exc.strerror or exc})")])


def _cell(text: str) -> str:
    """An offending cell as a message shows it: quoted, at most ``MAX_CELL`` characters."""
    if not text:
        return "an empty cell"
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    return repr(text)


def _label(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_time(text: str) -> int | None:
    """Minutes after midnight of ``"HH:MM"`` (or ``"HH:MM:00"``), or None."""
    match = _TIME.fullmatch(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    return hour * 60 + minute if hour < 24 and minute < 60 else None


def _parse_date(text: str) -> str | None:
    """The date ``"YYYY-MM-DD"`` if it is a real date, else None."""
    if not _DATE.fullmatch(text):
        return None
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return None
    return text


def _parse_count(text: str) -> float | None:
    """A whole number ≥ 0 written in ASCII digits ("12", "12.0", "1e3"), or None."""
    if text.isascii() and text.isdigit():
        return float(text)
    if not _NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) and value == int(value) else None


def _check_interval(interval: float) -> float:
    """An interval argument in seconds: whole minutes dividing a day, else ValueError."""
    if isinstance(interval, bool) or not isinstance(interval, (int, float)):
        raise ValueError(f"interval must be a number of seconds, got {interval!r}")
    seconds = float(interval)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"interval must be a number of seconds > 0, got {interval!r}")
    if seconds % 60 or _DAY % seconds:
        raise ValueError(
            f"interval must be whole minutes that divide a day (900, 1800, 3600 s, …), "
            f"got {interval!r} s"
        )
    return seconds


def read_history(
    path: str | os.PathLike,
    channels: Sequence[str],
    *,
    column_map: Mapping[str, str] | None = None,
    interval: float | None = None,
) -> History:
    """Read a history file of contacts per date × interval.

    Parameters
    ----------
    path : the CSV file (comma or semicolon separated; the header line decides).
        It has a ``date`` (``YYYY-MM-DD``) and a ``start`` (``HH:MM``) column, or
        one ``datetime`` column (``YYYY-MM-DD HH:MM``; ``date`` and ``start`` win
        when both are there), and a count column per channel. Header names are
        matched without surrounding whitespace and case; other columns (such as
        ``weekday``) are ignored, and blank lines skipped.
    channels : the channels to read, e.g. ``["voice"]``.
    column_map : channel → the column holding its counts, where it is not named as
        the channel, e.g. ``{"voice": "calls"}``.
    interval : length of an interval, seconds; by default the smallest gap
        between two starts in the file. It must be whole minutes and divide a day.

    Returns
    -------
    History
        Counts per channel as an array of days × intervals. Starts form a grid
        of ``interval`` from the earliest start in the file to the latest; a
        date × start without a row counts 0 contacts. Dates are only those in
        the file: a missing day is not taken to be a day without contacts.

    Raises
    ------
    ScenarioError
        Listing every problem in the file at once (the first ``MAX_PROBLEMS``),
        each as ``file: line N: column 'name': message``: a missing or unreadable
        file, an empty or header-only file, missing columns, unreadable dates or
        times, counts that are not whole numbers ≥ 0, a date × interval given
        twice, starts off the interval grid. Files above ``MAX_BYTES`` or with
        more than ``MAX_ROWS`` data rows are refused.
    ValueError
        For bad arguments (no channels, a ``column_map`` key that is not a
        channel, an ``interval`` that does not divide a day).
    """
    name = os.fspath(path)
    file = Path(path)
    channels, columns, interval = _check_read_arguments(channels, column_map, interval)
    _check_history_file(file, name)
    problems = _Problems(name)
    rows, time_column = _parse_history_file(file, name, channels, columns, problems)
    interval = _grid_interval(rows, interval, time_column, problems)
    return _history_from_rows(rows, channels, interval, file)


def _check_read_arguments(
    channels: Sequence[str],
    column_map: Mapping[str, str] | None,
    interval: float | None,
) -> tuple[list[str], dict[str, str], float | None]:
    """read_history's channels, channel → column and interval (s), checked; else ValueError."""
    channels = list(channels)
    column_map = dict(column_map or {})
    if not channels or not all(isinstance(c, str) and c for c in channels):
        raise ValueError(f"channels must be a non-empty list of names, got {channels!r}")
    if len(set(channels)) != len(channels):
        raise ValueError(f"channels must be distinct, got {channels!r}")
    unknown = [key for key in column_map if key not in channels]
    if unknown:
        raise ValueError(
            f"column_map names {', '.join(map(repr, unknown))}, not one of the channels "
            f"{', '.join(map(repr, channels))}"
        )
    if interval is not None:
        interval = _check_interval(interval)
    columns = {c: str(column_map.get(c, c)).strip() for c in channels}
    shared = {col for col in columns.values() if list(columns.values()).count(col) > 1}
    if shared:
        raise ValueError(f"two channels read the same column: {', '.join(map(repr, shared))}")
    return channels, columns, interval


def _check_history_file(file: Path, name: str) -> None:
    """ScenarioError unless ``file`` exists, is not a directory and is at most ``MAX_BYTES``."""
    try:
        size = file.stat().st_size
    except FileNotFoundError:
        raise ScenarioError([Problem(name, "", "no such file")]) from None
    except OSError as exc:
        raise _unreadable(name, exc) from None
    if file.is_dir():
        raise ScenarioError([Problem(name, "", "is a directory, expected a history CSV file")])
    if size > MAX_BYTES:
        message = (
            f"{size / 2**20:.0f} MB, more than the {MAX_BYTES / 2**20:.0f} MB a history file "
            "may have; select the days you need first (e.g. one year)"
        )
        raise ScenarioError([Problem(name, "", message)])


def _parse_history_file(
    file: Path,
    name: str,
    channels: list[str],
    columns: Mapping[str, str],
    problems: _Problems,
) -> tuple[_Rows, str]:
    """The good rows of a history file and its start column; ScenarioError on any problem."""
    try:
        with open(file, newline="", encoding="utf-8-sig") as handle:
            parsed = _read_rows(handle, name, channels, columns, problems)
    except UnicodeDecodeError:
        line, byte = _first_undecodable(file)
        message = f"not UTF-8 text (at byte {byte} of the line); save the file as UTF-8"
        raise ScenarioError([Problem(name, f"line {line}", message)]) from None
    except csv.Error as exc:
        raise ScenarioError([Problem(name, "", f"not a readable CSV file ({exc})")]) from None
    except OSError as exc:
        raise _unreadable(name, exc) from None
    problems.raise_if_any()
    assert parsed is not None
    return parsed


def _grid_interval(
    rows: _Rows, interval: float | None, time_column: str, problems: _Problems
) -> float:
    """The interval in seconds (given, or inferred), with every start checked to be on its grid."""
    # the interval grid: from the earliest start, every `interval` seconds, to the latest
    minutes, first_at, rows_at = np.unique(rows.minutes, return_index=True, return_counts=True)
    first_line = {int(m): int(rows.lines[i]) for m, i in zip(minutes, first_at, strict=True)}
    at_minute = {int(m): int(n) for m, n in zip(minutes, rows_at, strict=True)}
    minutes = [int(m) for m in minutes]
    if interval is None:
        interval = _infer_interval(minutes, first_line, time_column, problems)
    step = int(interval // 60)
    origin = minutes[0]
    for minute in minutes:
        if (minute - origin) % step:
            problems.add(
                f"{_label(minute)} is not on the {format_duration(interval)} grid of starts "
                f"from {_label(origin)} ({at_minute[minute]} row(s) start there)",
                first_line[minute],
                time_column,
            )
    problems.raise_if_any()
    return interval


def _infer_interval(
    minutes: list[int], first_line: Mapping[int, int], time_column: str, problems: _Problems
) -> float:
    """The smallest gap between the sorted distinct starts (minutes), in seconds; else raises."""
    if len(minutes) < 2:
        problems.add(
            f"every row starts at {_label(minutes[0])}: the interval cannot be inferred; "
            "give it (interval=1800 for 30 minutes)",
            first_line[minutes[0]],
            time_column,
        )
        problems.raise_if_any()
    gap, at = min((b - a, b) for a, b in zip(minutes, minutes[1:], strict=False))
    if (24 * 60) % gap:
        problems.add(
            f"the smallest gap between starts, {gap} minutes (at {_label(at)}), "
            "does not divide a day; give the interval (interval=1800 for 30 minutes)",
            first_line[at],
            time_column,
        )
        problems.raise_if_any()
    return gap * 60.0


def _history_from_rows(rows: _Rows, channels: list[str], interval: float, file: Path) -> History:
    """The History of good rows on the grid of ``interval`` seconds from their earliest start."""
    step = int(interval // 60)
    origin = int(rows.minutes.min())
    grid = list(range(origin, int(rows.minutes.max()) + 1, step))
    order = sorted(range(len(rows.dates)), key=rows.dates.__getitem__)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))  # day id (first-seen order) → position in sorted dates
    dates = [rows.dates[i] for i in order]
    days = rank[rows.days]
    slots = (rows.minutes - origin) // step
    counts = np.zeros((len(channels), len(dates), len(grid)))
    for k in range(len(channels)):
        counts[k, days, slots] = rows.counts[k]
    return History(
        dates=tuple(dates),
        starts=tuple(_label(m) for m in grid),
        interval=float(interval),
        counts={c: counts[k] for k, c in enumerate(channels)},
        weekdays=tuple(WEEKDAYS[dt.date.fromisoformat(d).weekday()] for d in dates),
        source=file,
    )


class _Header(NamedTuple):
    """Where a history file's columns are: its header's line, delimiter, width and indices."""

    line: int
    delimiter: str
    width: int  # cells in the header
    index: dict[str, int]  # a wanted column → its position
    wanted: list[str]  # the time column(s), then the count columns
    time_column: str  # "start" or "datetime": the column that names a row's start


def _read_rows(
    handle: Iterator[str],
    name: str,
    channels: list[str],
    columns: Mapping[str, str],
    problems: _Problems,
) -> tuple[_Rows, str] | None:
    """The good rows of an open history file, and the column that names their start.

    Problems go to ``problems``; returns None when the header is unusable.
    """
    header = _read_header(handle, columns, problems)
    if header is None:
        return None
    parser = _RowParser(header, channels, columns, problems)
    reader = csv.reader(handle, delimiter=header.delimiter)
    n_rows = 0
    for row in reader:
        line = header.line + reader.line_num
        if not any(row) or not any(cell.strip() for cell in row):
            continue
        n_rows += 1
        if n_rows > MAX_ROWS:
            message = (
                f"more than {MAX_ROWS:,} data rows, the most a history file may have; "
                "select the days you need first (e.g. one year)"
            )
            raise ScenarioError([Problem(name, f"line {line}", message)])
        parser.add(row, line)
    if n_rows == 0:
        problems.add(
            "no data rows after the header; expected one row per date × interval",
            header.line,
        )
        return None
    rows = parser.rows()
    _check_duplicates(rows, header.time_column, problems)
    return rows, header.time_column


def _read_header(
    handle: Iterator[str], columns: Mapping[str, str], problems: _Problems
) -> _Header | None:
    """The header of an open history file (its first non-blank line); None when unusable."""
    header_line = 0
    header_text = ""
    for text in handle:
        header_line += 1
        if text.strip():
            header_text = text
            break
    expected = "date, start (or one datetime column), " + ", ".join(columns.values())
    if not header_text:
        problems.add(f"empty file, expected a header row with the columns {expected}", 1)
        return None
    delimiter = ";" if header_text.count(";") > header_text.count(",") else ","
    header = [h.strip() for h in next(csv.reader([header_text], delimiter=delimiter))]
    position: dict[str, list[int]] = {}
    for i, cell in enumerate(header):
        position.setdefault(cell.casefold(), []).append(i)
    wanted = _wanted_columns(position, columns, expected, header_line, problems)
    if wanted is None:
        return None
    index = {column: position[column.casefold()][0] for column in wanted}
    time_column = "datetime" if wanted[0] == "datetime" else "start"
    return _Header(header_line, delimiter, len(header), index, wanted, time_column)


def _wanted_columns(
    position: Mapping[str, list[int]],
    columns: Mapping[str, str],
    expected: str,
    header_line: int,
    problems: _Problems,
) -> list[str] | None:
    """The time column(s) then the count columns, each once in the header; else None."""

    def find(column: str) -> int | None:
        found = position.get(column.casefold())
        return found[0] if found else None

    if (find("date") is None or find("start") is None) and find("datetime") is not None:
        time_columns = ["datetime"]
    else:
        time_columns = ["date", "start"]
    wanted = [*time_columns, *columns.values()]
    missing = [c for c in wanted if find(c) is None]
    if missing:
        shown = ", ".join(map(repr, missing))
        if time_columns == ["date", "start"] and {"date", "start"} & set(missing):
            shown += " (or one 'datetime' column for both)"
        problems.add(
            f"missing column(s) {shown}; a history file needs the columns {expected}",
            header_line,
        )
        return None
    for column in wanted:
        found = position[column.casefold()]
        if len(found) > 1:
            problems.add(
                f"appears {len(found)} times in the header (columns "
                f"{', '.join(str(i + 1) for i in found)}); which one holds the data?",
                header_line,
                column,
            )
    if problems:
        return None
    return wanted


class _RowParser:
    """Checks the data rows of a history file one by one, keeping the good ones as columns."""

    def __init__(
        self,
        header: _Header,
        channels: list[str],
        columns: Mapping[str, str],
        problems: _Problems,
    ):
        self.header = header
        self.problems = problems
        self.columns = list(columns.values())
        self.count_index = [header.index[c] for c in self.columns]
        self.needed = max(header.index.values()) + 1
        self.date_ids: dict[str, int] = {}  # a date's text → its day id (first-seen order)
        self.dates: list[str] = []
        self.parsed_dates: dict[str, str | None] = {}
        self.parsed_times: dict[str, int | None] = {}
        self.days, self.minutes, self.lines = array("q"), array("q"), array("q")
        self.counts = [array("d") for _ in channels]

    def add(self, row: list[str], line: int) -> None:
        """Check a non-blank data row on ``line``: keep it if good, else note its problems."""
        header, problems = self.header, self.problems
        if len(row) > header.width and any(cell.strip() for cell in row[header.width :]):
            problems.add(
                f"{len(row)} cells but the header names {header.width} columns "
                "(a decimal comma? write 1.5, not 1,5)",
                line,
            )
            return
        if len(row) < self.needed:
            for column in header.wanted:
                if header.index[column] >= len(row):
                    problems.add(f"missing: the row has only {len(row)} cells", line, column)
            return
        date, minute = self._when(row, line)
        ok = date is not None and minute is not None
        values = []
        for column, i in zip(self.columns, self.count_index, strict=True):
            text = row[i].strip()
            value = float(text) if text.isdigit() and text.isascii() else _parse_count(text)
            if value is None:
                problems.add(f"must be a whole number ≥ 0, got {_cell(text)}", line, column, text)
                ok = False
            values.append(value)
        if not ok:
            return
        assert date is not None and minute is not None
        day = self.date_ids.get(date)
        if day is None:
            day = self.date_ids[date] = len(self.dates)
            self.dates.append(date)
        self.days.append(day)
        self.minutes.append(minute)
        self.lines.append(line)
        for store, value in zip(self.counts, values, strict=True):
            store.append(value)  # type: ignore[arg-type]

    def _when(self, row: list[str], line: int) -> tuple[str | None, int | None]:
        """A row's date and start (minutes after midnight), None where unreadable (noted)."""
        index, problems = self.header.index, self.problems
        if self.header.time_column == "start":
            date_text, time_text = row[index["date"]].strip(), row[index["start"]].strip()
            date = self.parsed_dates.get(date_text, "")
            if date == "":
                date = self.parsed_dates[date_text] = _parse_date(date_text)
            minute = self.parsed_times.get(time_text, -1)
            if minute == -1:
                minute = self.parsed_times[time_text] = _parse_time(time_text)
            if date is None:
                problems.add(
                    f"expected a date YYYY-MM-DD, got {_cell(date_text)}", line, "date", date_text
                )
            if minute is None:
                problems.add(
                    f"expected a time HH:MM, got {_cell(time_text)}", line, "start", time_text
                )
            return date, minute
        text = row[index["datetime"]].strip()
        match = _DATETIME.fullmatch(text)
        date = minute = None
        if match:
            date, minute = _parse_date(match.group(1)), _parse_time(match.group(2))
        if date is None or minute is None:
            problems.add(
                f"expected a date and time YYYY-MM-DD HH:MM, got {_cell(text)}",
                line,
                "datetime",
                text,
            )
        return date, minute

    def rows(self) -> _Rows:
        """The good rows so far, as arrays."""
        return _Rows(
            self.dates,
            np.array(self.days, dtype=np.int64),
            np.array(self.minutes, dtype=np.int64),
            np.array(self.lines, dtype=np.int64),
            [np.array(c, dtype=float) for c in self.counts],
        )


@dataclass
class _Rows:
    """The good rows of a history file, as columns: day ids index ``dates``."""

    dates: list[str]
    days: np.ndarray
    minutes: np.ndarray
    lines: np.ndarray
    counts: list[np.ndarray]


def _check_duplicates(rows: _Rows, time_column: str, problems: _Problems) -> None:
    """A problem for each row whose date × start an earlier row already gave."""
    if not len(rows.days):
        return
    keys = rows.days * (24 * 60) + rows.minutes
    order = np.argsort(keys, kind="stable")  # the rows of one key stay in file order
    sorted_keys = keys[order]
    new = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    if new.all():
        return
    run_start = np.maximum.accumulate(np.where(new, np.arange(len(order)), 0))
    first_line = rows.lines[order[run_start]]  # per sorted position: its key's first line
    where = "columns 'date', 'start'" if time_column == "start" else "column 'datetime'"
    repeats = np.flatnonzero(~new)
    for p in repeats[np.argsort(rows.lines[order[repeats]], kind="stable")]:
        j = order[p]
        date, minute, line = rows.dates[rows.days[j]], int(rows.minutes[j]), int(rows.lines[j])
        problems.add(
            f"{where}: {date} {_label(minute)} is given more than once: first on line "
            f"{int(first_line[p])}, again on line {line}",
            line,
        )


def select_days(
    history: History,
    *,
    weekdays: Sequence[str] | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> History:
    """The days of ``history`` on the given weekdays and between two dates (both included).

    Parameters
    ----------
    history : what :func:`read_history` returned.
    weekdays : weekday names, ``"Sun"`` … ``"Sat"`` or in full (``"sunday"``), any case;
        None keeps every weekday.
    date_from, date_to : ``"YYYY-MM-DD"``, included; None leaves that end open.

    Raises
    ------
    ValueError
        For an unknown weekday name or a malformed date, or when no day remains
        (the message says which days the history has).
    """
    keep_days = None
    if weekdays is not None:
        if isinstance(weekdays, str):
            weekdays = [weekdays]
        keep_days = set()
        for day in weekdays:
            short = _WEEKDAY_NAMES.get(str(day).strip().casefold())
            if short is None:
                raise ValueError(
                    f"unknown weekday {day!r}; expected one of Sun, Mon, Tue, Wed, Thu, Fri, Sat"
                )
            keep_days.add(short)
    for label, value in (("date_from", date_from), ("date_to", date_to)):
        if value is not None and _parse_date(str(value)) is None:
            raise ValueError(f"{label} must be a date YYYY-MM-DD, got {value!r}")
    keep = [
        i
        for i, (date, day) in enumerate(zip(history.dates, history.weekdays, strict=True))
        if (keep_days is None or day in keep_days)
        and (date_from is None or date >= date_from)
        and (date_to is None or date <= date_to)
    ]
    if not keep:
        asked = []
        if keep_days is not None:
            asked.append("/".join(d for d in _sunday_first(keep_days)))
        if date_from is not None or date_to is not None:
            asked.append(f"from {date_from or 'the first day'} to {date_to or 'the last day'}")
        has = (
            f"{history.dates[0]} … {history.dates[-1]}, "
            + "/".join(_sunday_first(set(history.weekdays)))
            if history.dates
            else "no days"
        )
        raise ValueError(f"{history.name}: no day is {' and '.join(asked)} (the history has {has})")
    return History(
        dates=tuple(history.dates[i] for i in keep),
        starts=history.starts,
        interval=history.interval,
        counts={c: values[keep] for c, values in history.counts.items()},
        weekdays=tuple(history.weekdays[i] for i in keep),
        source=history.source,
    )


def _sunday_first(days: Iterable[str]) -> list[str]:
    order = ("Sun", *WEEKDAYS[:-1])
    return [d for d in order if d in set(days)]


# --- the fit --------------------------------------------------------------------------------


class Outlier(NamedTuple):
    """A day set aside by :func:`fit_history`: its date, its total contacts and why."""

    date: str
    total: float
    reason: str


@dataclass(frozen=True, eq=False)
class ChannelFit:
    """What :func:`fit_history` measured for one channel over the kept days.

    Attributes
    ----------
    profile : mean contacts per interval over the kept days (array over all starts).
    open_mask : True for the intervals where the channel is open: from the first to
        the last interval whose mean is at least ``open_share`` of the peak mean.
    first_open, last_open : indices of the first and last open interval.
    volume_uncertainty : CV of the channel's daily busyness factor, corrected for
        Poisson noise (see :func:`fit_history`).
    busyness : each kept day's busyness factor, its total ÷ the mean total.
    interval_uncertainty : CV of a factor per interval and day on top of the day's
        busyness (days differ in shape), net of Poisson noise, over the open intervals
        (see :func:`_interval_cv`).
    """

    profile: np.ndarray
    open_mask: np.ndarray
    first_open: int
    last_open: int
    volume_uncertainty: float
    busyness: np.ndarray
    interval_uncertainty: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "profile", _frozen(self.profile))
        mask = np.array(self.open_mask, dtype=bool)
        mask.setflags(write=False)
        object.__setattr__(self, "open_mask", mask)
        object.__setattr__(self, "busyness", _frozen(self.busyness))

    @property
    def mean_total(self) -> float:
        """Mean contacts per kept day."""
        return float(self.profile.sum())

    @property
    def peak_index(self) -> int:
        """Index of the busiest interval of the mean day."""
        return int(np.argmax(self.profile))


@dataclass(frozen=True, eq=False)
class Fit:
    """The mean day and its day-to-day variation, measured from a :class:`History`.

    Attributes
    ----------
    channels : channel → its :class:`ChannelFit`.
    starts : the history's interval labels ``"HH:MM"``.
    interval : length of an interval, seconds.
    days : the dates used (outliers left out).
    weekdays : the weekdays of ``days``.
    outliers : the days set aside, as :class:`Outlier` ``(date, total, reason)``.
    volume_uncertainty : CV of the busyness factor of the total over channels,
        corrected for Poisson noise: what a scenario's ``volume_uncertainty`` takes.
    busyness : each kept day's factor for the total over channels.
    interval_uncertainty : the channels' interval CV, weighted by their volume: what a
        scenario's ``interval_uncertainty`` takes.
    source : the history file.
    outlier_threshold, open_share : the rules' settings that were used.
    """

    channels: Mapping[str, ChannelFit]
    starts: tuple[str, ...]
    interval: float
    days: tuple[str, ...]
    weekdays: tuple[str, ...]
    outliers: tuple[Outlier, ...]
    volume_uncertainty: float
    busyness: np.ndarray
    source: Path
    interval_uncertainty: float = 0.0
    outlier_threshold: float = OUTLIER_THRESHOLD
    open_share: float = OPEN_SHARE

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", MappingProxyType(dict(self.channels)))
        object.__setattr__(self, "busyness", _frozen(self.busyness))

    @property
    def span(self) -> tuple[int, int]:
        """First and last index of the open hours over all channels (earliest to latest)."""
        return (
            min(c.first_open for c in self.channels.values()),
            max(c.last_open for c in self.channels.values()),
        )


def _interval_cv(counts: np.ndarray) -> float:
    """CV of a gamma factor per interval and day beyond the day's busyness and Poisson noise.

    ``counts`` are days × open intervals. With ``E = B_d · p_i`` (the day's busyness
    times the mean profile), a count has variance ``E + c² E²`` under Poisson arrivals
    at rate ``E·ε`` with ``ε`` of CV ``c``; so ``c² = Σ((x − E)² − E) ÷ Σ E²``,
    clipped at 0.
    """
    totals = counts.sum(axis=1)
    if counts.size == 0 or totals.mean() <= 0:
        return 0.0
    expected = (totals / totals.mean())[:, None] * counts.mean(axis=0)[None, :]
    excess = float(((counts - expected) ** 2 - expected).sum())
    return float(np.sqrt(max(excess / float((expected**2).sum()), 0.0)))


def _poisson_corrected_cv(totals: np.ndarray) -> float:
    """CV of the busyness factor from daily totals: √max(0, (s² − m) ÷ m²)."""
    mean = float(totals.mean())
    if mean <= 0:
        return 0.0
    var = float(totals.var(ddof=1))
    return math.sqrt(max(0.0, (var - mean) / mean**2))


def fit_history(
    history: History,
    *,
    outlier_threshold: float = OUTLIER_THRESHOLD,
    open_share: float = OPEN_SHARE,
) -> Fit:
    """Measure the mean day, its opening hours and its day-to-day variation.

    Parameters
    ----------
    history : the days to fit, e.g. the Sundays of :func:`select_days`.
    outlier_threshold : how far from the median a day's total may be, in robust
        standard deviations of the log daily totals, before it is set aside.
    open_share : an interval is open when its mean is at least this share of
        the channel's peak mean.

    Returns
    -------
    Fit

    Raises
    ------
    ScenarioError
        When fewer than 2 days remain or a channel has no contacts on them.

    Notes
    -----
    **Outliers.** A day's total is the sum over channels and intervals. With
    :math:`x_d = \\log(\\max(\\text{total}_d, 0.5))` and :math:`m` their median,
    day *d* is set aside when

    .. math:: |x_d - m| > k \\cdot \\max(1.4826\\,\\mathrm{MAD}(x),\\; 0.05,\\;
              1/\\sqrt{\\text{median total}})

    with :math:`k` = ``outlier_threshold`` (default 5). 1.4826 × MAD estimates
    the standard deviation (exactly so for normal data), and the outliers
    themselves hardly move it. The floor keeps a very tight history from
    throwing out normal days: no day within a factor :math:`e^{0.05k}` (1.28
    for k = 5) of the median is ever set aside, nor one within Poisson noise of
    it. On a log scale a day with a tenth of the usual calls is as far out as
    one ten times as busy. On the Sundays of the Anonymous Bank's 1999 this
    sets aside the two holiday closures (1999-09-12, 203 calls, 13.6 robust
    SDs below the median; 1999-09-19, 338 calls, 10.3) and keeps the next
    quietest (912 calls, 3.8). With fewer than 3 days, or a median of 0, no
    day is set aside.

    **Open hours.** Per channel, the intervals from the first to the last whose
    mean is at least ``open_share`` (10%) of the channel's peak mean are open;
    a lull between them (lunch) stays open, as in ``derive_bank_sunday.py``.
    The rule is scale-free: doubling every count opens the same intervals. On
    the bank's Sundays and on Mondays to Thursdays it opens 07:00–23:30 (the
    last start is 23:30): 06:30 is at 5–8% of the peak, 07:00 at 22–28%, 23:30
    at 21–29%. A window across midnight (open 18:00–02:00) is not seen as one:
    its span covers the whole day.

    **Volume uncertainty.** Day *d*'s busyness factor is its total ÷ the mean
    total. If a day's contacts are Poisson with a rate the factor *B* scales,
    Var(total) = mean + c²·mean² where c is the CV of *B*, so
    c² = (s² − m) ÷ m² (s² the sample variance, ddof 1, m the mean of the kept
    totals), clipped at 0. Per channel the same with the channel's totals; for
    the scenario (:attr:`Fit.volume_uncertainty`) with the totals over channels.
    """
    _check_fit_settings(outlier_threshold, open_share)
    kept, outliers, totals = _kept_days(history, outlier_threshold)
    channels = {
        channel: _fit_channel(history.name, channel, values[kept], open_share)
        for channel, values in history.counts.items()
    }
    return _assemble_fit(
        history,
        channels,
        kept,
        totals,
        outliers,
        outlier_threshold=outlier_threshold,
        open_share=open_share,
    )


def _assemble_fit(
    history: History,
    channels: Mapping[str, ChannelFit],
    kept: np.ndarray,
    totals: np.ndarray,
    outliers: list[Outlier],
    *,
    outlier_threshold: float,
    open_share: float,
) -> Fit:
    """The Fit of the kept days (indices), their totals over channels and the channel fits."""
    weights = np.array([c.mean_total for c in channels.values()])
    interval_cv = float(
        np.average([c.interval_uncertainty for c in channels.values()], weights=weights)
    )
    return Fit(
        channels=channels,
        starts=history.starts,
        interval=history.interval,
        days=tuple(history.dates[i] for i in kept),
        weekdays=tuple(history.weekdays[i] for i in kept),
        outliers=tuple(outliers),
        volume_uncertainty=_poisson_corrected_cv(totals),
        busyness=totals / totals.mean(),
        source=history.source,
        interval_uncertainty=interval_cv,
        outlier_threshold=float(outlier_threshold),
        open_share=float(open_share),
    )


def _check_fit_settings(outlier_threshold: float, open_share: float) -> None:
    """ValueError unless ``outlier_threshold`` > 0 and ``open_share`` is in (0, 1]."""
    if not (isinstance(outlier_threshold, (int, float)) and outlier_threshold > 0):
        raise ValueError(f"outlier_threshold must be a number > 0, got {outlier_threshold!r}")
    if not (isinstance(open_share, (int, float)) and 0 < open_share <= 1):
        raise ValueError(f"open_share must be a share in (0, 1], got {open_share!r}")


def _kept_days(
    history: History, outlier_threshold: float
) -> tuple[np.ndarray, list[Outlier], np.ndarray]:
    """Kept days' indices, outliers set aside, kept totals; ScenarioError if < 2 are kept."""
    day_totals = sum(values.sum(axis=1) for values in history.counts.values())
    day_totals = np.asarray(day_totals, dtype=float).reshape(len(history.dates))
    outliers = []
    keep = np.ones(len(history.dates), dtype=bool)
    median = float(np.median(day_totals)) if len(day_totals) else 0.0
    if median > 0 and len(day_totals) >= 3:
        logs = np.log(np.maximum(day_totals, 0.5))
        centre = float(np.median(logs))
        mad = float(np.median(np.abs(logs - np.median(logs))))
        scale = max(1.4826 * mad, MIN_LOG_SCALE, 1.0 / math.sqrt(median))
        z = (logs - centre) / scale
        keep = np.abs(z) <= outlier_threshold
        for i in np.flatnonzero(~keep):
            side = "below" if z[i] < 0 else "above"
            outliers.append(
                Outlier(
                    history.dates[i],
                    float(day_totals[i]),
                    f"{abs(z[i]):.1f} robust SDs {side} the median day of {median:g} contacts "
                    f"(log scale; limit {outlier_threshold:g})",
                )
            )
    kept = np.flatnonzero(keep)
    if len(kept) < 2:
        message = (
            f"{len(kept)} day(s) to fit; at least 2 are needed to measure the day-to-day variation"
        )
        raise ScenarioError([Problem(history.name, "", message)])
    return kept, outliers, day_totals[kept]


def _fit_channel(name: str, channel: str, days: np.ndarray, open_share: float) -> ChannelFit:
    """One channel's fit from its kept days × intervals; ScenarioError if it has no contacts."""
    profile = days.mean(axis=0)
    peak = float(profile.max()) if profile.size else 0.0
    if peak <= 0:
        message = f"no contacts on the {len(days)} day(s) to fit; nothing to measure"
        raise ScenarioError([Problem(name, f"column {channel!r}", message)])
    is_open = np.flatnonzero(profile >= open_share * peak)
    first, last = int(is_open[0]), int(is_open[-1])
    mask = np.zeros(profile.size, dtype=bool)
    mask[first : last + 1] = True
    totals = days.sum(axis=1)
    return ChannelFit(
        profile=profile,
        open_mask=mask,
        first_open=first,
        last_open=last,
        volume_uncertainty=_poisson_corrected_cv(totals),
        busyness=totals / totals.mean(),
        interval_uncertainty=_interval_cv(days[:, mask]),
    )


def _count(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _days_text(fit: Fit) -> str:
    weekdays = "/".join(_sunday_first(set(fit.weekdays)))
    return f"{len(fit.days)} days, {fit.days[0]} … {fit.days[-1]} ({weekdays})"


def fit_summary_text(fit: Fit) -> str:
    """A few lines for people: days used, outliers with date and total, per channel the
    mean daily total, the peak, the open hours and the CV."""
    lines = [
        f"History: {fit.source.name}, {format_duration(fit.interval)} intervals",
        f"Days used: {_days_text(fit)}",
    ]
    if fit.outliers:
        lines.append(f"Set aside as outliers: {len(fit.outliers)}")
        lines += [f"  {o.date}: {_count(o.total)} contacts ({o.reason})" for o in fit.outliers]
    else:
        lines.append("Set aside as outliers: none")
    for name, channel in fit.channels.items():
        peak = channel.peak_index
        lines.append(
            f"{name}: mean day {channel.mean_total:.0f} contacts, "
            f"peak {channel.profile[peak]:.1f} at {fit.starts[peak]}, "
            f"open {fit.starts[channel.first_open]}–{fit.starts[channel.last_open]}, "
            f"CV {channel.volume_uncertainty:.3f}"
        )
    if len(fit.channels) > 1:
        lines.append(f"All channels: CV {fit.volume_uncertainty:.3f}")
    lines.append(
        f"Interval CV (days differ in shape, net of Poisson): {fit.interval_uncertainty:.3f}"
    )
    return "\n".join(lines)


# --- writing a scenario ---------------------------------------------------------------------


def _is_csv_ref(value: Any) -> bool:
    return isinstance(value, Mapping) and ("csv" in value or "column" in value)


def _length(value: Any) -> int | str | None:
    """Values per interval of a field: a list's length, "a CSV column", or None (one value)."""
    if isinstance(value, (list, tuple)):
        return len(value)
    if _is_csv_ref(value):
        return "a CSV column"
    return None


def write_fitted_scenario(
    base_doc: Mapping[str, Any],
    fit: Fit,
    history: History,
    out_path: str | os.PathLike,
    *,
    notes: Sequence[str] = (),
    day_factors: bool = False,
) -> Path:
    """Write a scenario file: ``base_doc`` with its volumes and variation fitted to a history.

    With ``day_factors`` the kept days themselves are written too (``day_factors``: each
    day's contacts over all channels ÷ the mean, per interval of the open span): planned
    and simulated days are then those days. They are the history's counts in another
    unit: leave them out of a file you cannot share with the data.

    Parameters
    ----------
    base_doc : a scenario document, as ``tomllib`` reads a scenario file.
    fit : what :func:`fit_history` measured on ``history``.
    history : the history that was fitted (its file and dates are cited in the header).
    out_path : the scenario file to write (atomically: a temporary file, renamed).
    notes : more comment lines for the file's header, e.g. the data's citation
        (BASE's own comments are not in its document, so they cannot be copied).

    Returns
    -------
    Path
        ``out_path``.

    Notes
    -----
    The written scenario covers the intervals from the earliest first open
    interval to the latest last open one over the fitted channels. Each fitted
    channel's ``volume`` becomes its profile there, rounded to 0.1 (0 where
    that channel is closed), whatever BASE gave (a number, a list or a CSV
    column); ``start`` becomes the first label (keeping BASE's date, if its start
    had one), ``interval`` the history's, and ``volume_uncertainty`` the fitted
    CV of the total over channels, rounded to 3 decimals. Other per-interval
    fields of BASE whose length no longer matches (a list of another length, or
    a CSV column): an agents list becomes ``"auto"``; a volume, aht or
    patience list is refused (:class:`ScenarioError`: give one value or a list
    of the new length). Lists of the new length are kept as they are. Other
    CSV paths (an empirical handle time) are kept as written, relative to the
    new file's directory. The document is checked as a scenario before anything
    is written; BASE's comments are not carried over.

    Raises
    ------
    ScenarioError
        When a fitted channel is not in BASE, a per-interval list cannot be
        carried over, or the result is not a valid scenario.
    """
    if fit.starts != history.starts or fit.interval != history.interval:
        raise ValueError("fit was not measured on this history (its intervals differ)")
    out_path = Path(out_path)
    doc = copy.deepcopy(dict(base_doc))
    lo, hi = fit.span
    n = hi - lo + 1
    labels = history.starts[lo : hi + 1]
    span_text = f"{labels[0]}–{labels[-1]}"
    base_channels = _check_base_channels(doc, fit, n, span_text)
    for name, channel in fit.channels.items():
        volume = np.where(channel.open_mask, channel.profile, 0.0)[lo : hi + 1]
        base_channels[name]["volume"] = [round(float(v), 1) for v in volume]
    changed = _auto_agents(doc, n)
    _set_fitted_fields(doc, fit, history, (lo, hi), day_factors)
    _check_fitted_scenario(doc, out_path)
    text = _fitted_text(doc, fit, history, span_text, changed, notes)
    if tomllib.loads(text) != doc:  # the writer covers the scenario format; make sure
        raise AssertionError("dumps_toml did not round-trip the fitted scenario")
    return atomic_write_text(out_path, text)


def _check_base_channels(
    doc: dict[str, Any], fit: Fit, n: int, span_text: str
) -> Mapping[str, Any]:
    """The base's channel table, checked to hold the fitted channels and fit ``n`` intervals."""
    where = "<base scenario>"
    problems = []
    base_channels = doc.get("channels")
    if not isinstance(base_channels, Mapping):
        raise ScenarioError([Problem(where, "channels", "expected a table of channels")])
    for name in fit.channels:
        if not isinstance(base_channels.get(name), Mapping):
            message = (
                f"the history has channel {name!r} but the base scenario does not; "
                f"add [channels.{name}] with its aht and targets"
            )
            problems.append(Problem(where, f"channels.{name}", message))
    for name, spec in base_channels.items():
        if not isinstance(spec, Mapping):
            continue
        fields = [("aht", spec.get("aht"))]
        if name not in fit.channels:
            fields.insert(0, ("volume", spec.get("volume")))
        patience = spec.get("patience")
        if isinstance(patience, Mapping) and ("dist" in patience or "mean" in patience):
            fields.append(("patience.mean", patience.get("mean")))
        else:
            fields.append(("patience", patience))
        for key, value in fields:
            length = _length(value)
            if length is not None and length != n:
                got = f"{length} values" if isinstance(length, int) else length
                message = (
                    f"one value per interval ({got}), but the fitted scenario has {n} "
                    f"intervals ({span_text}); give one value for every interval or a list of {n}"
                )
                problems.append(Problem(where, f"channels.{name}.{key}", message))
    if problems:
        raise ScenarioError(problems)
    return base_channels


def _auto_agents(doc: dict[str, Any], n: int) -> list[str]:
    """Set to "auto" the agents of groups whose per-interval agents are not ``n``; say which."""
    changed = []
    groups = doc.get("groups")
    for gname, spec in groups.items() if isinstance(groups, Mapping) else ():
        if not isinstance(spec, dict):
            continue
        length = _length(spec.get("agents"))
        if length is not None and length != n:
            spec["agents"] = "auto"
            got = f"{length} values" if isinstance(length, int) else length
            changed.append(f'groups.{gname}.agents = "auto" (the base gave {got}, not {n})')
    return changed


def _set_fitted_fields(
    doc: dict[str, Any],
    fit: Fit,
    history: History,
    span: tuple[int, int],
    day_factors: bool,
) -> None:
    """Set start, interval, the uncertainties and (if asked) day_factors of ``doc``."""
    lo, hi = span
    start = doc.get("start")
    date = None
    if isinstance(start, str) and _DATE.match(start.strip()):
        date = start.strip()[:10]
    elif isinstance(start, (dt.datetime, dt.date)):
        date = start.strftime("%Y-%m-%d")
    doc["start"] = f"{date} {history.starts[lo]}" if date else history.starts[lo]
    doc["interval"] = format_duration(history.interval)
    doc["volume_uncertainty"] = round(fit.volume_uncertainty, 3)
    doc["interval_uncertainty"] = round(fit.interval_uncertainty, 3)
    if day_factors:
        kept = [history.dates.index(d) for d in fit.days]
        total = sum(np.asarray(history.counts[c], dtype=float)[kept] for c in fit.channels)
        mean = total.mean(axis=0)
        ratio = np.where(mean > 0, total / np.where(mean > 0, mean, 1.0), 1.0)[:, lo : hi + 1]
        doc["day_factors"] = [[round(float(v), 3) for v in row] for row in ratio]


def _check_fitted_scenario(doc: dict[str, Any], out_path: Path) -> None:
    """ScenarioError, saying nothing was written, unless ``doc`` is a valid scenario."""
    try:
        Scenario.from_dict(doc, source=out_path, base_dir=out_path.parent)
    except ScenarioError as exc:
        raise ScenarioError(
            [
                Problem(p.file, p.key, f"{p.message} (in the fitted scenario; nothing written)")
                for p in exc.problems
            ]
        ) from None


def _fitted_text(
    doc: dict[str, Any],
    fit: Fit,
    history: History,
    span_text: str,
    changed: list[str],
    notes: Sequence[str],
) -> str:
    """The fitted scenario file's text: a comment header, then ``doc`` as TOML."""
    outliers = ", ".join(f"{o.date} ({_count(o.total)} contacts)" for o in fit.outliers)
    header = [
        f"Fitted by ccsim.history from {history.source.name}:",
        f"{_days_text(fit)}, {format_duration(history.interval)} intervals.",
        f"Set aside as outliers: {outliers or 'none'}.",
        f"volume: mean contacts per interval over {span_text}, rounded to 0.1 (an interval",
        f"is open from the first to the last whose mean is ≥ {fit.open_share:.0%} of the "
        "channel's peak).",
        f"volume_uncertainty: CV of the daily busyness factor, net of Poisson noise: "
        f"{fit.volume_uncertainty:.3f}.",
        *changed,
        "Everything else is from the base scenario (its comments are not copied).",
        *(line for note in notes for line in str(note).splitlines()),
    ]
    header = [("# " + re.sub(r"[\r\n]+", " ", line)).rstrip() for line in header]
    return "\n".join(header) + "\n\n" + dumps_toml(doc)


# --- a small TOML writer --------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_ESCAPES["\r"] = "\\r"
_LINE = 100  # wrap arrays longer than this


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"TOML keys are text, got {key!r}")
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _value(value: Any, indent: int = 0, used: int = 0, wrap: bool = True) -> str:
    """One TOML value: scalar, array (wrapped when long) or inline table.

    ``indent`` is the indentation of the line the value starts on, ``used`` the
    characters already on it (``key = ``): an array that would pass ``_LINE``
    is wrapped, one indented line per few items — never inside an inline
    table (``wrap`` False), which TOML keeps on one line.
    """
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        items = [f"{_key(k)} = {_value(v, wrap=False)}" for k, v in value.items()]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(value, (list, tuple)):
        items = [_value(v, indent + 4, wrap=wrap) for v in value]
        flat = "[" + ", ".join(items) + "]"
        if not wrap or indent + used + len(flat) <= _LINE or any("\n" in i for i in items):
            return flat
        lines, line = [], ""
        for item in items:
            if line and indent + 4 + len(line) + len(item) + 2 > _LINE:
                lines.append(line)
                line = ""
            line += item + ", "
        lines.append(line)
        pad = " " * (indent + 4)
        return "[\n" + "".join(pad + line.rstrip() + "\n" for line in lines) + " " * indent + "]"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as TOML")


def dumps_toml(doc: Mapping[str, Any]) -> str:
    """TOML text for a scenario document, such that ``tomllib.loads`` gives it back.

    Covers the subset the scenario format uses: tables, strings, ints, floats,
    bools, dates and times, arrays, inline tables. Tables at the top and one
    level below become sections (``[routing]``, ``[channels.voice]``); deeper
    tables are written inline (``handle_time = { dist = "lognormal", cv = 1.2 }``).
    Long arrays are wrapped over several lines. Raises ``TypeError`` for a value
    TOML cannot hold (None, an object).
    """
    out: list[str] = []
    _section(doc, [], out)
    return "\n".join(out).strip("\n") + "\n"


def _section(table: Mapping[str, Any], path: list[str], out: list[str]) -> None:
    plain = {k: v for k, v in table.items() if not (isinstance(v, Mapping) and len(path) < 2)}
    tables = {k: v for k, v in table.items() if isinstance(v, Mapping) and len(path) < 2}
    if path and (plain or not tables):
        out.append("")
        out.append("[" + ".".join(_key(p) for p in path) + "]")
    for key, value in plain.items():
        if value is None:
            raise TypeError(f"TOML has no null: {'.'.join([*path, str(key)])} is None")
        prefix = f"{_key(key)} = "
        out.append(prefix + _value(value, 0, len(prefix)))
    for key, value in tables.items():
        _section(value, [*path, key], out)


# --- a synthetic history --------------------------------------------------------------------


def synthetic_history(
    profile: Sequence[float],
    starts: Sequence[str],
    *,
    days: int,
    cv: float,
    seed: int,
    first_date: str = "2026-01-04",
    weekday_step: int = 7,
    channel: str = "voice",
    outliers: Mapping[int, float] | None = None,
) -> str:
    """CSV text of a history drawn from a known model: ``date,weekday,start,<channel>``.

    Day *d* (date ``first_date`` + d × ``weekday_step`` days; the default is a
    Sunday every week) has a busyness factor :math:`B_d` ~ gamma with mean 1 and
    CV ``cv`` (1 when ``cv`` is 0), times ``outliers.get(d, 1)`` (0.1: a closure);
    its count in interval *i* is Poisson with mean ``profile[i]`` × :math:`B_d`.
    One row per day × start, days in order.

    Parameters
    ----------
    profile : mean contacts per interval of an ordinary day (≥ 0).
    starts : the interval labels, ``"HH:MM"``, one per profile value.
    days : number of days (≥ 1).
    cv : coefficient of variation of the busyness factor (≥ 0).
    seed : seeds ``numpy.random.default_rng``; the busyness factors are drawn
        first, then the counts day by day.
    """
    lam = np.asarray(profile, dtype=float)
    if lam.ndim != 1 or len(lam) != len(starts) or not len(lam):
        raise ValueError("profile and starts must be non-empty and of one length")
    if not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise ValueError("profile values must be finite and ≥ 0")
    if days < 1 or cv < 0 or weekday_step < 1:
        raise ValueError("days and weekday_step must be ≥ 1 and cv ≥ 0")
    rng = np.random.default_rng(seed)
    if cv > 0:
        shape = 1.0 / cv**2
        busyness = rng.gamma(shape, 1.0 / shape, size=days)
    else:
        busyness = np.ones(days)
    for day, factor in (outliers or {}).items():
        busyness[day] *= factor
    counts = rng.poisson(busyness[:, None] * lam[None, :])
    first = dt.date.fromisoformat(first_date)
    lines = [f"date,weekday,start,{channel}"]
    for d in range(days):
        date = first + dt.timedelta(days=d * weekday_step)
        day = f"{date.isoformat()},{WEEKDAYS[date.weekday()]}"
        lines += [f"{day},{start},{count}" for start, count in zip(starts, counts[d], strict=True)]
    return "\n".join(lines) + "\n"
