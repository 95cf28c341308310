"""Forecast CSV files as planning tools export them: read forgivingly, checked strictly.

One reader for the CSV columns of a scenario (``{ csv = …, column = … }``) and for
``ccsim erlang --forecast``. Forgiving where an export differs only in form:

- the delimiter is detected from the header line: comma, semicolon or tab;
- a column is found whatever its case, surrounding spaces or unit in brackets
  (``column = "aht"`` finds ``AHT (mm:ss)``);
- numbers may use a decimal comma when the file is said to (``decimal = ","``), with
  ``.`` or spaces between thousands (``1.234,5``);
- durations may be ``mm:ss``, ``h:mm:ss``, a number of seconds or ``"3min"``;
- the interval labels come from a ``start`` (or ``datetime``, ``timestamp``) column, or
  from a ``date`` column and a ``time`` (or ``start``) column together.

Strict where the content is in doubt: a cell that is not a number, a comma in a number
of a file not said to use decimal commas, more cells than the header names, a header
with no data rows, two columns that read as the same name, a date that could be day/month
or month/day, timestamps that step by another length than the interval — each an error
(:class:`ValueError`) naming the file and line. Every time is in seconds.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ccsim.durations import format_duration, parse_duration

__all__ = [
    "CsvTable",
    "check_steps",
    "detect_delimiter",
    "normalized",
    "parse_duration_cell",
    "parse_number",
    "read_table",
]

DELIMITERS = (",", ";", "\t")
_UNIT = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*$")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_CLOCK = re.compile(r"(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d+)?)")
_LABEL_COLUMNS = ("start", "datetime", "date time", "timestamp", "interval start")
_TIME_COLUMNS = ("time", "start", "interval start", "start time")


def normalized(name: str) -> str:
    """A column name as matched: lower case, spaces collapsed, a trailing unit in
    brackets dropped (``" AHT (mm:ss) "`` → ``"aht"``)."""
    return " ".join(_UNIT.sub("", name.strip()).lower().replace("_", " ").split())


def detect_delimiter(header_line: str) -> str:
    """The delimiter of a CSV file from its header line: the most frequent of comma,
    semicolon and tab outside quotes (comma when none, or on a tie)."""
    bare = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: bare.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties: the first, the comma
    return best if counts[best] else ","


@dataclass
class CsvTable:
    """A CSV file's header (cells stripped) and non-blank rows with their line numbers;
    ``name`` names it in messages, ``delimiter`` is the one detected."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    name: str = "<csv>"
    delimiter: str = ","
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def index(self, column: str) -> int | None:
        """The position of ``column``: its exact name, else the one header cell whose
        :func:`normalized` name is the same; None when there is none. ValueError when two
        header cells read as that name."""
        if column in self.header:
            return self.header.index(column)
        want = normalized(column)
        found = [i for i, name in enumerate(self.header) if normalized(name) == want]
        if len(found) > 1:
            shown = ", ".join(repr(self.header[i]) for i in found)
            raise ValueError(f"{self.name}: columns {shown} both read as {want!r}; rename one")
        return found[0] if found else None

    def cells(self, index: int) -> list[tuple[int, str]]:
        """(line, stripped text) of column ``index`` in every row (empty when the row ends
        before it)."""
        return [(line, row[index].strip() if index < len(row) else "") for line, row in self.rows]

    def labels(self) -> tuple[list[str], list[int]] | None:
        """Interval labels and their lines: a ``start`` (``datetime``, ``timestamp``) column
        as written, or a ``date`` and a ``time`` (or ``start``) column combined as
        ``YYYY-MM-DD HH:MM``; None when the file has neither. ValueError naming the line
        of a date or time that cannot be read."""
        date = self._first(("date", "day"))
        clock = self._first(_TIME_COLUMNS)
        if date is not None and clock is not None and date != clock:
            labels, lines = [], []
            for (line, day), (_, time) in zip(self.cells(date), self.cells(clock), strict=True):
                labels.append(
                    f"{_read_date(day, self.name, line)} {_read_time(time, self.name, line)}"
                )
                lines.append(line)
            return labels, lines
        start = self._first(_LABEL_COLUMNS)
        if start is None:
            return None
        cells = self.cells(start)
        return [text for _, text in cells], [line for line, _ in cells]

    def _first(self, names: Iterable[str]) -> int | None:
        for name in names:
            index = self.index(name)
            if index is not None:
                return index
        return None


def read_table(
    lines: Iterable[str], name: str, *, max_rows: int | None = None, delimiter: str | None = None
) -> CsvTable:
    """Read CSV text (an iterable of lines, e.g. an open file) into a :class:`CsvTable`:
    the delimiter detected from the first line, blank rows skipped, at most ``max_rows``
    data rows. ValueError naming ``name`` and the line: no header, no data rows, more
    cells than the header names, a CSV syntax error."""
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None or not first.strip():
        raise ValueError(f"{name} is empty, expected a header row")
    delimiter = delimiter or detect_delimiter(first)
    reader = csv.reader(_chain(first, iterator), delimiter=delimiter)
    try:
        header = [cell.strip() for cell in next(reader)]
        rows = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if any(cell.strip() for cell in row[len(header) :]):
                raise ValueError(
                    f"{name} line {reader.line_num}: {len(row)} cells but the header names "
                    f"{len(header)} columns"
                    + (" (a decimal comma? write 1.5, not 1,5)" if delimiter == "," else "")
                )
            if max_rows is not None and len(rows) == max_rows:
                raise ValueError(f"{name} has more than {max_rows:,} rows (the limit)")
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise ValueError(f"{name} line {reader.line_num}: {exc}") from None
    if not rows:
        raise ValueError(f"{name} has a header but no data rows")
    return CsvTable(header, rows, name=name, delimiter=delimiter)


def _chain(first: str, rest: Iterable[str]) -> Iterable[str]:
    yield first
    yield from rest


def parse_number(text: str, decimal: str = ".") -> float:
    """A finite number from a CSV cell. With ``decimal=","`` the comma is the decimal mark
    and ``.`` or spaces may group thousands (``1.234,5``); with ``"."`` a comma is refused
    (a decimal comma in a file not said to have them). ValueError saying what was expected."""
    raw = text.strip()
    t = raw.replace("\u00a0", "").replace("\u202f", "")
    if decimal == ",":
        t = t.replace(" ", "")
        if re.fullmatch(r"[-+]?\d{1,3}(?:\.\d{3})+(?:,\d*)?", t):
            t = t.replace(".", "")
        elif "." in t:
            raise ValueError(f"expected a number with a decimal comma, got {raw!r}")
        t = t.replace(",", ".")
    elif "," in t:
        raise ValueError(f'expected a number, got {raw!r} (a decimal comma? say decimal = ",")')
    if not _NUMBER.fullmatch(t):
        raise ValueError(f"expected a number, got {raw!r}")
    value = float(t)
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {raw!r}")
    return value


def parse_duration_cell(text: str, decimal: str = ".") -> float:
    """Seconds from a duration cell: ``mm:ss`` (``4:35``), ``h:mm:ss`` (``1:02:05``), a
    number of seconds (a decimal comma with ``decimal=","``) or a duration with units
    (``3min``). ValueError saying what was expected."""
    raw = text.strip()
    clock = _CLOCK.fullmatch(raw.replace(",", ".") if decimal == "," else raw)
    if clock:
        hours, minutes, seconds = clock.groups()
        if float(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
            raise ValueError(f"expected mm:ss or h:mm:ss, got {raw!r}")
        return int(hours or 0) * 3600.0 + int(minutes) * 60.0 + float(seconds)
    try:
        return parse_number(raw, decimal)
    except ValueError:
        pass
    try:
        return parse_duration(raw)
    except ValueError:
        raise ValueError(
            f"expected a duration (mm:ss, h:mm:ss, seconds or '3min'), got {raw!r}"
        ) from None


def _read_date(text: str, name: str, line: int) -> str:
    """``YYYY-MM-DD`` from ``2026-11-23``, ``2026/11/23`` or ``23.11.2026``; ValueError
    naming the line, also for ``11/12/2026`` (day/month or month/day?)."""
    text = text.strip()
    iso = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", text)
    dotted = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    try:
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3])).isoformat()
        if dotted:
            return dt.date(int(dotted[3]), int(dotted[2]), int(dotted[1])).isoformat()
    except ValueError:
        pass
    hint = " (day/month or month/day? write 2026-11-23)" if "/" in text else ""
    raise ValueError(f"{name} line {line}: expected a date such as 2026-11-23, got {text!r}{hint}")


def _read_time(text: str, name: str, line: int) -> str:
    """``HH:MM`` from ``8:00``, ``08:00`` or ``08:00:00``; ValueError naming the line."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::00)?", text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{name} line {line}: expected a time such as 08:30, got {text.strip()!r}")
    return f"{int(match[1]):02d}:{match[2]}"


def _minutes(label: str) -> float | None:
    """Minutes since 0001-01-01 of a dated label, or of the time of day for an undated one
    (None when the label ends in no ``HH:MM``)."""
    match = re.search(r"(\d{1,2}):(\d{2})(?::\d{2})?$", label.strip())
    if not match:
        return None
    minutes = int(match[1]) * 60 + int(match[2])
    date = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})[ T]", label)
    if date:
        try:
            day = dt.date(int(date[1]), int(date[2]), int(date[3])).toordinal()
        except ValueError:
            return None
        minutes += day * 1440
    return float(minutes)


def check_steps(labels: list[str], lines: list[int], interval: float, name: str) -> None:
    """Refuse labels that do not step by ``interval`` seconds from one row to the next
    (undated labels wrap at midnight): a ValueError naming ``name`` and the first line
    that does, the gap and the interval. Labels without a time of day are not checked."""
    minutes = [_minutes(label) for label in labels]
    if any(m is None for m in minutes):
        return
    step = interval / 60.0
    dated = all(re.match(r"\s*\d{4}-\d{2}-\d{2}", label) for label in labels)
    for k in range(1, len(minutes)):
        gap = minutes[k] - minutes[k - 1]
        if not dated:
            gap %= 1440
        if abs(gap - step) > 1e-9:
            shown = format_duration(gap * 60) if gap > 0 else f"{gap:g} minutes"
            raise ValueError(
                f"{name} line {lines[k]}: {labels[k]!r} comes {shown} after {labels[k - 1]!r} "
                f"but the interval is {format_duration(interval)}; the rows must be consecutive "
                "intervals (write the interval the file has, or re-bucket it)"
            )
