"""Reading a scenario document into a :class:`~ccsim.scenario.Scenario`, every field checked.

Private: the public entry points are :func:`ccsim.scenario.load_scenario`,
:meth:`Scenario.from_dict <ccsim.scenario.Scenario.from_dict>` and
:meth:`Scenario.with_overrides <ccsim.scenario.Scenario.with_overrides>`, which
call :func:`read_toml`, :func:`build_scenario` and :func:`apply_overrides`.
Each problem is reported as ``file: key.path: message``; a document's problems
are all collected before one :class:`~ccsim.scenario.ScenarioError` lists them.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import difflib
import io
import json
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ccsim import forecast_csv
from ccsim.distributions import (
    MAX_CV,
    MIN_CV,
    Deterministic,
    Distribution,
    Empirical,
    Exponential,
    Gamma,
    LogNormal,
)
from ccsim.durations import format_duration, parse_duration, parse_share, unit_slip
from ccsim.scenario.limits import (
    MAX_AGENTS,
    MAX_CONTACTS,
    MAX_CSV_BYTES,
    MAX_DURATION,
    MAX_FACTOR,
    MAX_INTERVALS,
    MAX_NAME,
    MAX_SCENARIO_BYTES,
    MAX_SEED,
    MIN_INTERVAL,
    SHOWN,
    busiest,
    channel_problems,
    cut,
    finite_number,
    looks_like_names,
    read_limited,
    shape_problems,
    toml_problems,
)
from ccsim.scenario.model import Break, Channel, Group, Problem, ScenarioError, Shift

# --- entry points ---------------------------------------------------------------------------


def read_toml(path: Path) -> dict[str, Any]:
    """The document in a TOML file.

    Raises :class:`ScenarioError` for a missing or unreadable file, a file larger than
    ``MAX_SCENARIO_BYTES`` or not text, text that is not UTF-8, nesting or lists beyond
    the limits (checked before parsing), or TOML syntax (with its line and column).
    """
    try:
        raw, why = read_limited(path, MAX_SCENARIO_BYTES, "the scenario file")
    except FileNotFoundError:
        raise ScenarioError([Problem(str(path), "", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError(
            [Problem(str(path), "", "is a directory, expected a scenario .toml file")]
        ) from None
    except OSError as exc:
        raise ScenarioError(
            [Problem(str(path), "", f"cannot be read ({exc.strerror or exc})")]
        ) from None
    except ValueError:  # a NUL character in the path
        raise ScenarioError([Problem(cut(repr(str(path))), "", "not a file name")]) from None
    if raw is None:
        raise ScenarioError([Problem(path.name, "", why)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [Problem(path.name, f"byte {exc.start}", "not UTF-8 text; save the file as UTF-8")]
        ) from None
    problems = toml_problems(text, path.name)
    if problems:
        raise ScenarioError(problems)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(path.name, "", _toml_message(str(exc)))]) from None
    except RecursionError:  # pragma: no cover - toml_problems bounds the nesting first
        raise ScenarioError([Problem(path.name, "", "nested too deeply")]) from None


def scenario_fields(doc: Any, source: Path | None, base_dir: Path | None) -> dict[str, Any]:
    """Check ``doc``; the keyword arguments of its :class:`~ccsim.scenario.Scenario`
    (see :meth:`Scenario.from_dict <ccsim.scenario.Scenario.from_dict>`)."""
    return _Builder(doc, source, base_dir).build()


def apply_overrides(
    spec: Mapping[str, Any],
    overrides: Mapping[str, Any],
    source: Path | None,
    n_intervals: int = 1,
) -> dict[str, Any]:
    """A copy of ``spec`` with the dotted-path ``overrides`` of :meth:`Scenario.with_overrides`.

    ``n_intervals`` is the base scenario's number of intervals. One number (or
    duration) for a per-interval field means every interval, so it must not
    shrink the horizon: when no list or CSV column would be left in the document
    to give its length, such scalar overrides are spread to ``n_intervals``
    values. A list keeps its own length (a wrong one is reported as such).

    Raises :class:`ScenarioError` listing every path the format does not know.
    """
    problems = shape_problems(
        {cut(path, 4 * SHOWN): value for path, value in overrides.items()}, _where(source)
    )
    if problems:  # before copying a value nested too deeply to copy
        raise ScenarioError(problems)
    doc = copy.deepcopy(dict(spec))
    scalars = []
    for path, value in overrides.items():
        message = _apply_override(doc, str(path), value)
        if message:
            problems.append(Problem(_where(source), str(path), message, value))
        else:
            scalars.append(str(path).split("."))
    if problems:
        raise ScenarioError(problems)
    refused = _interval_change(spec, doc, overrides)
    if refused:
        raise ScenarioError([Problem(_where(source), "interval", refused, doc.get("interval"))])
    if n_intervals > 1 and not _has_length(doc):
        for parts in scalars:
            _spread(doc, parts, n_intervals)
    return doc


def _interval_change(
    spec: Mapping[str, Any], doc: Mapping[str, Any], overrides: Mapping[str, Any]
) -> str | None:
    """Why an override of ``interval`` is refused: values per interval that it leaves in
    place (volumes, lists, CSV columns) would be read as values per new interval — another
    day, silently. None when the interval stays or every such value is given anew."""
    try:
        old = parse_duration(spec.get("interval"))
        new = parse_duration(doc.get("interval"))
    except (ValueError, TypeError):
        return None  # a bad interval is reported at its key by the builder
    if old == new or "interval" not in overrides:
        return None
    kept = [path for path in _per_interval_paths(doc) if path not in overrides]
    if not kept:
        return None
    shown = ", ".join(kept[:3]) + (f" and {len(kept) - 3} more" if len(kept) > 3 else "")
    return (
        f"{format_duration(new)} would read {shown} — given per {format_duration(old)} "
        f"interval — as values per {format_duration(new)} interval (another day: its "
        f"horizon and its volume per hour change); give them per {format_duration(new)} "
        f"interval too, or keep the interval at {format_duration(old)}"
    )


def _per_interval_paths(doc: Mapping[str, Any]) -> list[str]:
    """Dotted paths of the values whose meaning depends on the interval length: every
    channel volume, and any list or CSV column of a per-interval field."""
    paths = []
    channels, groups = doc.get("channels"), doc.get("groups")
    for name, spec in channels.items() if isinstance(channels, Mapping) else ():
        if not isinstance(spec, Mapping):
            continue
        if "volume" in spec:
            paths.append(f"channels.{name}.volume")
        for key in ("aht", "patience"):
            value, path = spec.get(key), f"channels.{name}.{key}"
            if isinstance(value, Mapping) and ("mean" in value or "dist" in value):
                value, path = value.get("mean"), f"{path}.mean"  # a distribution's mean
            if _gives_length(value):
                paths.append(path)
    for name, spec in groups.items() if isinstance(groups, Mapping) else ():
        for key in ("agents", "shrinkage"):
            if isinstance(spec, Mapping) and _gives_length(spec.get(key)):
                paths.append(f"groups.{name}.{key}")
    return paths


def _where(source: Path | None) -> str:
    """How messages name the document: its file name, or ``<scenario>``."""
    return source.name if source is not None else "<scenario>"


def _toml_message(message: str) -> str:
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)", message)
    if match:
        what = message[: match.start()] + message[match.end() :]
        return f"line {match.group(1)}, column {match.group(2)}: TOML syntax: {what.strip()}"
    return f"TOML syntax: {message}"


# --- the document format --------------------------------------------------------------------

_TOP_KEYS = (
    "name",
    "interval",
    "start",
    "seed",
    "shrinkage",
    "volume_uncertainty",
    "interval_uncertainty",
    "day_factors",
    "days_met",
    "routing",
    "channels",
    "groups",
    "shifts",
    "version",
    "contract_hours",
    "decimal",
)
_ROUTING_KEYS = ("dequeue",)
_DEQUEUE = ("priority", "longest_waiting")
_CHANNEL_KEYS = (
    "volume",
    "aht",
    "handle_time",
    "patience",
    "concurrency",
    "concurrency_slowdown",
    "service_level",
    "within",
    "asa",
    "max_abandon",
    "max_occupancy",
    "per",
    "hours",
    "clock",
    "route_to",
)
_GROUP_KEYS = ("skills", "agents", "shrinkage")
_SHIFT_KEYS = ("length", "starts", "breaks", "groups", "cost", "min", "max", "days_on", "days_off")
_STARTS_KEYS = ("from", "to", "every")
_BREAK_KEYS = ("length", "earliest", "latest")
_DAYS_OFF = ("any", "consecutive")
MAX_PLACEMENTS = 10_000  # break placements per shift start: more cannot be rostered
_CSV_KEYS = ("csv", "column")
_HANDLE_TIME_KEYS = ("dist", "cv", "csv", "column")
_PATIENCE_KEYS = ("dist", "mean", "cv", "csv", "column")
_SHAPES = ("exponential", "deterministic", "lognormal", "gamma", "empirical")
MAX_CONCURRENCY = 100  # contacts one agent holds at once: more is surely a typo
MAX_DAY_FACTORS = 1000  # measured days in day_factors
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FIXED_SHAPES = {"exponential": Exponential, "deterministic": Deterministic}  # no cv to give
_CV_SHAPES = {"lognormal": LogNormal, "gamma": Gamma}
_DAY = 86400.0


# --- plain data in, plain data out ----------------------------------------------------------


def _plain(value: Any) -> Any:
    """A copy of a document with numpy arrays as lists and numpy scalars as Python scalars."""
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    return value


def _jsonable(value: Any) -> Any:
    """A deep copy of a document with TOML dates and times turned into strings."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --- messages -------------------------------------------------------------------------------


def _closest(key: str, names: Any) -> str | None:
    """The name in ``names`` that ``key`` is most probably a typo of, if any."""
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.6)
    return close[0] if close else None


def _did_you_mean(name: str | None) -> str:
    return f"; did you mean '{name}'?" if name else ""


def _hint(key: str, names: Any) -> str:
    return _did_you_mean(_closest(key, names))


def _show(value: Any) -> str:
    """How a value from the document appears in a message ("got …")."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and abs(value) >= 10**16:
        if finite_number(value):
            return f"{float(value):g}"
        return f"an integer of {len(str(abs(value) // 10**300)) + 300} digits"
    return cut(repr(value))


# --- converters: one value → a number, or ValueError with "expected …, got …" ---------------


_is_finite = finite_number  # a finite int or float, not a bool; ints beyond float range fail


def _nonnegative(expected: str, high: float, whole: bool = False) -> Callable[[Any], float]:
    """A converter for numbers in [0, ``high``] (whole numbers when ``whole``) that says
    what it expected; ``high`` is a value no contact center has, checked before any
    arithmetic."""

    def convert(value: Any) -> float:
        if not _is_finite(value) or value < 0 or (whole and float(value) != int(value)):
            raise ValueError(f"expected {expected}, got {_show(value)}")
        if value > high:
            raise ValueError(f"expected {expected} and at most {high:,.0f}, got {_show(value)}")
        return float(value)

    return convert


_volume_value = _nonnegative("a number ≥ 0 (contacts offered)", MAX_CONTACTS)
_agents_value = _nonnegative("a whole number of agents ≥ 0", MAX_AGENTS, whole=True)
_sample_value = _nonnegative("a number of seconds ≥ 0", MAX_DURATION)


def _shrinkage_value(value: Any) -> float:
    """A shrinkage: a share in [0, 1) (0.3 or "30%")."""
    expected = "a share in [0, 1) such as 0.3 or '30%'"
    if isinstance(value, (Mapping, list, bool)) or value is None:
        raise ValueError(f"expected {expected}, got {_show(value)}")
    try:
        share = parse_share(value)
    except (ValueError, OverflowError):
        raise ValueError(f"expected {expected}, got {_show(value)}") from None
    if not 0 <= share < 1:
        raise ValueError(f"expected {expected}, got {_show(value)}")
    return share


def _duration_value(value: Any) -> float:
    if isinstance(value, (Mapping, list, bool)) or value is None:
        raise ValueError(f"expected a duration such as '180s' or '3min', got {_show(value)}")
    try:
        seconds = parse_duration(value)
    except ValueError:
        raise ValueError(
            f"expected a duration such as '20s', '3min' or '1h30min', got {_show(value)}"
        ) from None
    if seconds <= 0:
        raise ValueError(f"expected a duration > 0, got {_show(value)}")
    if seconds > MAX_DURATION:
        raise ValueError(f"expected a duration of at most a year (365d), got {_show(value)}")
    return seconds


def _from_cell(convert: Callable[[Any], float], decimal: str = ".") -> Callable[[str], float]:
    """A converter for CSV text (:mod:`ccsim.forecast_csv`): durations as ``mm:ss``,
    ``h:mm:ss``, seconds or ``3min``, numbers with the file's ``decimal`` mark; text that
    is neither goes to ``convert``, which says what it expected."""
    duration = convert in (_duration_value, _sample_value)

    def cell(text: str) -> float:
        text = text.strip()
        try:
            value: Any = (
                forecast_csv.parse_duration_cell(text, decimal)
                if duration
                else forecast_csv.parse_number(text, decimal)
            )
        except ValueError:
            value = text
        try:
            return convert(value)
        except ValueError as exc:
            if "," in text and decimal == ".":
                raise ValueError(f'{exc} (a decimal comma? say decimal = ",")') from None
            raise

    return cell


def _clock_of(value: Any) -> float | None:
    """Seconds after midnight of a time of day (``"08:30"``, a TOML time) or of the
    ``HH:MM`` that ends an interval label; None when there is none."""
    if isinstance(value, dt.time):
        return value.hour * 3600.0 + value.minute * 60.0
    match = re.search(r"(?:^|[ T])(\d{1,2}):(\d{2})(?::00)?$", value.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None
    return int(match.group(1)) * 3600.0 + int(match.group(2)) * 60.0


def _hhmm(seconds: float) -> str:
    """``"08:30"`` for seconds after midnight."""
    minutes = int(round(seconds / 60.0)) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- the builder ----------------------------------------------------------------------------


@dataclass
class _Series:
    """A per-interval field: a scalar (every interval) or an array of ``length`` values."""

    path: str
    value: float | np.ndarray
    length: int | None = None
    labels: list[str] | None = None

    def expand(self, n: int) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.value, dtype=float), (n,)).copy()


_Table = forecast_csv.CsvTable  # a CSV file: header, rows with their line numbers, delimiter


def csv_path(name: str, base_dir: Path | None) -> Path:
    """The file a scenario's ``{ csv = name }`` names: relative to ``base_dir`` (the
    scenario file's directory), else to the working directory."""
    file = Path(name)
    if not file.is_absolute() and base_dir is not None:
        file = base_dir / file
    return file


_TABLES: dict[Path, tuple[tuple[int, int], _Table]] = {}
_TABLES_KEPT = 8


def _stamp(file: Path) -> tuple[int, int] | None:
    try:
        stat = file.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _cached_table(file: Path) -> _Table | None:
    """A CSV table this process read before, if the file has not changed since."""
    kept = _TABLES.get(file)
    return kept[1] if kept is not None and kept[0] == _stamp(file) else None


def _remember_table(file: Path, table: _Table) -> None:
    """Keep a table that was read without problems (a sweep validates many variants of one
    scenario; each would read its forecast CSV again)."""
    stamp = _stamp(file)
    if stamp is None:
        return
    if len(_TABLES) >= _TABLES_KEPT:
        _TABLES.pop(next(iter(_TABLES)))
    _TABLES[file] = (stamp, table)


class _Builder:
    """Reads one document into a :class:`Scenario`, collecting every problem on the way."""

    def __init__(self, doc: Any, source: Path | None, base_dir: Path | None):
        self.doc = doc
        self.source = source
        self.base_dir = base_dir
        self.where = _where(source)
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.series: list[_Series] = []
        self.tables: dict[Path, _Table | None] = {}
        self.suggested: set[str] = set()  # key paths a "did you mean" already pointed to
        self.decimal = "."  # the decimal mark of the CSV files (the document's ``decimal``)
        self.interval_s: float | None = None  # the interval, once read without a problem
        self.labelled: dict[int, list[str] | None] = {}  # id(table) → its checked labels

    # -- bookkeeping ---------------------------------------------------------------------------

    def problem(self, path: str, message: str, value: Any = None) -> None:
        self.problems.append(Problem(self.where, path, message, value))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(Problem(self.where, path, message))

    def check_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                path = f"{prefix}.{cut(key)}" if prefix else cut(key)
                close = _closest(str(key), allowed)
                if close:
                    self.suggested.add(f"{prefix}.{close}" if prefix else close)
                self.problem(
                    path,
                    f"unknown key{_did_you_mean(close)} (expected one of: {', '.join(allowed)})",
                )

    def table(self, value: Any, path: str, what: str) -> Mapping[str, Any] | None:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.problem(path, f"expected a table of {what}, got {_show(value)}", value)
            return None
        return value

    def missing(self, table: Mapping[str, Any], key: str, prefix: str, message: str) -> bool:
        """True when ``key`` is absent; a problem unless a "did you mean" already named it."""
        if key in table:
            return False
        if f"{prefix}.{key}" not in self.suggested:
            self.problem(f"{prefix}.{key}", message)
        return True

    def known_name(self, name: Any, names: list[str], path: str, what: str) -> bool:
        """True when ``name`` is one of ``names``; else a problem naming the ``what``s there are."""
        if isinstance(name, str) and name in names:
            return True
        hint = _hint(name, names) if isinstance(name, str) else ""
        self.problem(
            path,
            f"expected a {what} name (one of: {', '.join(map(str, names)) or 'none'}), "
            f"got {_show(name)}{hint}",
            name,
        )
        return False

    def optional(
        self,
        table: Mapping[str, Any],
        key: str,
        prefix: str,
        check: Callable[[Any, str], Any],
        default: Any = None,
    ) -> Any:
        """``check(table[key], key path)``, or ``default`` when the key is absent or invalid."""
        if key not in table:
            return default
        value = check(table[key], f"{prefix}.{key}" if prefix else key)
        return default if value is None else value

    # -- scalars -------------------------------------------------------------------------------

    def share(self, value: Any, path: str, bounds: str) -> float | None:
        """A share (0.8 or "80%") within ``bounds``, e.g. ``"[0, 1)"`` or ``"[0, inf]"``."""
        lo, hi = bounds[0], bounds[-1]
        low, high = (float(x) for x in bounds[1:-1].split(","))
        closed_low, closed_high = lo == "[", hi == "]"
        expected = f"a share in {lo}{low:g}, {high:g}{hi} such as 0.8 or '80%'"
        if math.isinf(high):
            expected = f"a number {'≥' if closed_low else '>'} {low:g} (0.1 or '10%')"
        share = None
        if not (isinstance(value, (Mapping, list)) or value is None):
            try:
                share = parse_share(value)
            except (ValueError, OverflowError):
                pass
        if (
            share is None
            or not (share >= low if closed_low else share > low)
            or not (share <= high if closed_high else share < high)
        ):
            self.problem(path, f"expected {expected}, got {_show(value)}", value)
            return None
        if math.isinf(high) and share > MAX_FACTOR:  # no contact center has more
            self.problem(
                path,
                f"expected {expected} and at most {MAX_FACTOR:g} ({MAX_FACTOR:.0%}), "
                f"got {_show(value)}",
                value,
            )
            return None
        if math.isinf(high) and 0 < share < MIN_CV:  # a CV whose square underflows
            self.problem(path, f"expected 0 or at least {MIN_CV:g} (0.1%), got {_show(value)}")
            return None
        return share

    def duration(self, value: Any, path: str) -> float | None:
        try:
            return _duration_value(value)
        except ValueError as exc:
            self.problem(path, str(exc))
            return None

    def whole(
        self, value: Any, path: str, low: int, what: str, high: int | None = None
    ) -> int | None:
        if not _is_finite(value) or float(value) != int(value) or value < low:
            self.problem(path, f"must be a whole number ≥ {low}{what}, got {_show(value)}", value)
            return None
        if high is not None and value > high:
            self.problem(path, f"must be at most {high}{what}, got {_show(value)}", value)
            return None
        return int(value)

    # -- CSV -----------------------------------------------------------------------------------

    def read_csv(self, name: str, path: str) -> _Table | None:
        file = csv_path(name, self.base_dir)
        key = file.resolve()
        if key in self.tables:
            table = self.tables[key]
            if table is None:
                self.problem(path, f"CSV file {name!r} cannot be used (see above)")
            return table
        table = _cached_table(key)
        if table is not None:  # read before by this process, unchanged since (sweep points)
            self.tables[key] = table
            return table
        table = self.csv_table(file, name, f"{path}.csv")
        self.tables[key] = table
        if table is not None:
            _remember_table(key, table)
        return table

    def csv_table(self, file: Path, name: str, path: str) -> _Table | None:
        """The header and non-blank rows of a CSV file of at most ``MAX_CSV_BYTES`` and
        ``MAX_INTERVALS`` rows, or None after a problem; messages quote nothing of the
        file's content."""
        shown = cut(repr(name))
        try:
            raw, why = read_limited(file, MAX_CSV_BYTES, f"CSV file {shown}", regular=True)
        except FileNotFoundError:
            where = cut(file.parent.resolve(), 2 * SHOWN)
            self.problem(path, f"CSV file not found: {shown} (looked in {where})")
            return None
        except IsADirectoryError:
            self.problem(path, f"expected a CSV file, got a directory: {shown}")
            return None
        except OSError as exc:
            self.problem(path, f"CSV file {shown} cannot be read: {exc.strerror or exc}")
            return None
        if raw is None:
            self.problem(path, why)
            return None
        text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline="")
        first = raw[: raw.find(b"\n") if b"\n" in raw else len(raw)]
        delimiter = forecast_csv.detect_delimiter(first.decode("utf-8", errors="replace"))
        reader = csv.reader(text, delimiter=delimiter)  # decoded while read: memory stays
        # near the file's size
        try:
            header = next(reader, None)
            if header is None:
                self.problem(path, f"CSV file {shown} is empty, expected a header row")
                return None
            rows = []
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if len(rows) == MAX_INTERVALS:
                    message = f"more than {MAX_INTERVALS:,} rows (one per interval; the limit)"
                    self.problem(path, f"CSV file {shown} has {message}")
                    return None
                if any(cell.strip() for cell in row[len(header) :]):
                    hint = " (a decimal comma? write 1.5, not 1,5)" if delimiter == "," else ""
                    self.problem(
                        path,
                        f"CSV file {shown} line {reader.line_num}: {len(row)} cells but the "
                        f"header names {len(header)} columns{hint}",
                    )
                    return None
                rows.append((reader.line_num, row))
        except csv.Error as exc:  # e.g. a field beyond the csv module's limit
            self.problem(path, f"CSV file {shown} line {reader.line_num}: {exc}")
            return None
        except UnicodeDecodeError:
            self.problem(path, f"CSV file {shown} is not UTF-8 text; save it as UTF-8")
            return None
        return _Table([h.strip() for h in header], rows, name=cut(name), delimiter=delimiter)

    def csv_column(
        self, ref: Mapping[str, Any], path: str, convert: Callable[[str], float], blanks: bool
    ) -> tuple[np.ndarray, _Table] | None:
        """The converted cells of ``ref["column"]`` in ``ref["csv"]``, or None after a problem."""
        name, column = ref.get("csv"), ref.get("column")
        ok = True
        if not isinstance(name, str) or not name:
            self.problem(f"{path}.csv", f"expected a CSV file name (text), got {_show(name)}", name)
            ok = False
        elif "\0" in name:
            self.problem(f"{path}.csv", "expected a CSV file name, got one with a NUL character")
            ok = False
        if not isinstance(column, str) or not column:
            self.problem(
                f"{path}.column", f"expected a column name (text), got {_show(column)}", column
            )
            ok = False
        if not ok:
            return None
        table = self.read_csv(name, path)
        if table is None:
            return None
        try:
            found = table.index(column)  # its case, spaces and a unit in brackets aside
        except ValueError as exc:
            self.problem(f"{path}.column", str(exc))
            return None
        if found is None:
            listed = (  # only what looks like column names: never a line of another file
                f"{_hint(column, table.header)} (available: {', '.join(table.header)})"
                if looks_like_names(table.header)
                else " (its first line does not look like column names)"
            )
            self.problem(f"{path}.column", f"no column {_show(column)} in {cut(name)}{listed}")
            return None
        index = found
        values = []
        bad = []
        for line, row in table.rows:
            text = row[index].strip() if index < len(row) else ""
            if not text:
                if blanks:
                    continue
                bad.append(f"line {line}: expected a value, got an empty cell")
                continue
            try:
                values.append(convert(text))
            except ValueError as exc:
                bad.append(f"line {line}: {exc}")
        if bad:
            more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
            self.problem(path, f"{cut(name)} column {_show(column)}, " + "; ".join(bad[:3]) + more)
            return None
        if not values:
            self.problem(path, f"{cut(name)} column {_show(column)} has no values")
            return None
        return np.array(values, dtype=float), table

    # -- per-interval fields -------------------------------------------------------------------

    def per_interval(
        self, value: Any, path: str, convert: Callable[[Any], float]
    ) -> _Series | None:
        """A number, a list (one per interval) or ``{csv, column}``; registered for lengths."""
        series = None
        if isinstance(value, Mapping):
            self.check_keys(value, _CSV_KEYS, path)
            got = self.csv_column(value, path, _from_cell(convert, self.decimal), blanks=False)
            if got is not None:
                array, table = got
                labels = self.csv_labels(table, f"{path}.csv")
                series = _Series(path, array, len(array), labels)
        elif isinstance(value, list):
            if not value:
                self.problem(path, "expected one value per interval, got an empty list")
                return None
            values = []
            for i, item in enumerate(value):
                try:
                    values.append(convert(item))
                except ValueError as exc:
                    self.problem(f"{path}[{i}]", str(exc))
            if len(values) == len(value):
                series = _Series(path, np.array(values, dtype=float), len(values))
            else:
                # still count the length, so a wrong element does not also look like a wrong length
                self.series.append(_Series(path, 0.0, len(value)))
        else:
            try:
                series = _Series(path, convert(value))
            except ValueError as exc:
                self.problem(path, str(exc))
        if series is not None:
            self.series.append(series)
        return series

    # -- distributions -------------------------------------------------------------------------

    def shape(self, spec: Mapping[str, Any], path: str) -> Distribution | None:
        """The distribution that a ``{ dist, cv }`` or ``{ dist, csv, column }`` table names."""
        dist = spec.get("dist")
        if dist is None:
            self.problem(f"{path}.dist", f"required: one of {', '.join(_SHAPES)}")
            return None
        if dist not in _SHAPES:
            hint = _hint(dist, _SHAPES) if isinstance(dist, str) else ""
            self.problem(
                f"{path}.dist",
                f"expected one of {', '.join(_SHAPES)}, got {_show(dist)}{hint}",
                dist,
            )
            return None
        if dist in _CV_SHAPES:
            for key in ("csv", "column"):
                if key in spec:
                    self.problem(f"{path}.{key}", f'only for dist = "empirical", not {dist!r}')
            if "cv" not in spec:
                self.problem(
                    f"{path}.cv", f"required for {dist}: the coefficient of variation (> 0)"
                )
                return None
            cv = spec["cv"]
            if not _is_finite(cv) or not 0 < cv <= MAX_CV:
                self.problem(
                    f"{path}.cv",
                    f"expected a coefficient of variation > 0 and ≤ {MAX_CV:g}, got {_show(cv)}",
                    cv,
                )
                return None
            if cv < MIN_CV:
                self.problem(
                    f"{path}.cv",
                    f"expected a coefficient of variation ≥ {MIN_CV:g} (for less, use "
                    f'"deterministic"), got {_show(cv)}',
                    cv,
                )
                return None
            return _CV_SHAPES[dist](float(cv))
        if dist in _FIXED_SHAPES:
            for key in ("cv", "csv", "column"):
                if key in spec:
                    self.problem(
                        f"{path}.{key}",
                        f"not used with dist = {dist!r}"
                        + (" (its cv is fixed)" if key == "cv" else ""),
                    )
            return _FIXED_SHAPES[dist]()
        if "cv" in spec:
            self.problem(
                f"{path}.cv", "not used with dist = 'empirical' (the samples give the shape)"
            )
        got = self.csv_column(spec, path, _from_cell(_sample_value, self.decimal), blanks=True)
        if got is None:
            return None
        values = got[0]
        if not values.sum() > 0:
            self.problem(path, f"empirical samples in {spec['csv']} are all 0")
            return None
        return Empirical(tuple(float(v) for v in values), source=f"{spec['csv']}:{spec['column']}")

    def handle_time(self, value: Any, path: str) -> Distribution:
        if value is None:
            return Exponential()
        if isinstance(value, str):
            if value in _FIXED_SHAPES:
                return _FIXED_SHAPES[value]()
            extra = ""
            if value in _SHAPES:
                extra = f' ({value} needs a table, e.g. {{ dist = "{value}", cv = 0.8 }})'
            self.problem(
                path,
                'expected "exponential", "deterministic" or a table '
                f"{{ dist = …, cv = … }}, got {_show(value)}{extra}"
                + (_hint(value, _SHAPES) if not extra else ""),
                value,
            )
            return Exponential()
        if isinstance(value, Mapping):
            self.check_keys(value, _HANDLE_TIME_KEYS, path)
            return self.shape(value, path) or Exponential()
        self.problem(
            path, f'expected "exponential", "deterministic" or a table, got {_show(value)}', value
        )
        return Exponential()

    def patience(self, value: Any, path: str) -> tuple[_Series | None, Distribution]:
        """Mean patience per interval (None: never abandons) and its distribution.

        A duration, list or ``{ csv, column }`` is an exponential patience with that
        mean; a table with ``dist`` or ``mean`` gives both.
        """
        if value is None:
            return None, Exponential()
        if not isinstance(value, Mapping) or ("dist" not in value and "mean" not in value):
            return self.per_interval(value, path, _duration_value), Exponential()
        self.check_keys(value, _PATIENCE_KEYS, path)
        if "dist" not in value:  # { mean = "150s" }: exponential, as for a bare duration
            dist: Distribution = Exponential()
        else:
            dist = self.shape(value, path) or Exponential()
        if "mean" in value:
            mean = self.per_interval(value["mean"], f"{path}.mean", _duration_value)
        elif isinstance(dist, Empirical):
            mean = _Series(f"{path}.mean", dist.mean)
        else:
            self.problem(f"{path}.mean", 'required: the mean patience, e.g. mean = "150s"')
            mean = None
        return mean, dist

    # -- the document --------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        """The scenario's fields, or :class:`ScenarioError` listing every problem in the
        document."""
        doc = self.top_table()
        name = self.scenario_name(doc)
        before = len(self.problems)
        interval = self.interval(doc.get("interval"))
        self.interval_s = interval if len(self.problems) == before else None
        start = self.start(doc.get("start", "00:00"))
        self.decimal = self.decimal_mark(doc.get("decimal", "."))
        options = self.options(doc)
        raw_channels, raw_groups = self.channels_and_groups(doc)
        n, labels = self.intervals()
        factors = options["day_factors"]
        if factors is not None and factors.shape[1] != n:
            self.problem(
                "day_factors",
                f"expected {n} factors per day (one per interval), got {factors.shape[1]}",
            )
        if labels is not None and "start" in doc:
            self.start_agrees(doc["start"], _labels(start, interval, 1)[0], labels[0])
        if self.problems:
            raise ScenarioError(self.problems)

        starts = labels if labels is not None else _labels(start, interval, n)
        channels = self.built_channels(raw_channels, starts, interval, n)
        groups = self.built_groups(raw_groups, n)
        busy = busiest(options["volume_uncertainty"], options["interval_uncertainty"])
        for key, message in channel_problems(channels, interval, starts, busy):
            self.problem(key, message)
        shifts = self.shifts(doc, list(groups), interval, starts)
        if self.problems:
            raise ScenarioError(self.problems)
        self.check_oddities(channels, groups, starts)
        return dict(
            name=name,
            interval=interval,
            starts=starts,
            channels=channels,
            groups=groups,
            source=self.source,
            spec=_jsonable(doc),
            base_dir=self.base_dir,
            warnings=tuple(str(w) for w in self.warnings),
            shifts=shifts,
            **options,
        )

    def top_table(self) -> Mapping[str, Any]:
        """The document as plain data, checked to be a table of known keys, not too large."""
        too_large = shape_problems(self.doc, self.where)  # before any recursion over it
        if too_large:
            raise ScenarioError(too_large)
        doc = _plain(self.doc)
        if not isinstance(doc, Mapping):
            raise ScenarioError(
                [Problem(self.where, "", f"expected a table (a dict) at the top, got {_show(doc)}")]
            )
        self.check_keys(doc, _TOP_KEYS, "")
        return doc

    def scenario_name(self, doc: Mapping[str, Any]) -> str:
        """The scenario's name (by default the file's stem), with its ``version`` checked."""
        name = doc.get("name", self.source.stem if self.source is not None else "scenario")
        if not isinstance(name, str) or not name.strip():
            self.problem("name", f"expected a non-empty text, got {_show(name)}", name)
            name = "scenario"
        if "version" in doc and doc["version"] != 1:
            self.problem(
                "version",
                f"this ccsim reads scenario format version 1, got {_show(doc['version'])}",
                doc["version"],
            )
        return name

    def options(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """The scenario-wide settings: seed, shrinkage, uncertainties, day factors, routing…"""
        return {
            "seed": self.optional(
                doc, "seed", "", partial(self.whole, low=0, what="", high=MAX_SEED), 0
            ),
            "shrinkage": self.optional(
                doc, "shrinkage", "", partial(self.share, bounds="[0, 1)"), 0.0
            ),
            "volume_uncertainty": self.optional(
                doc, "volume_uncertainty", "", partial(self.share, bounds="[0, inf]"), 0.0
            ),
            "interval_uncertainty": self.optional(
                doc, "interval_uncertainty", "", partial(self.share, bounds="[0, inf]"), 0.0
            ),
            "days_met": self.optional(
                doc, "days_met", "", partial(self.share, bounds="(0, 1)"), None
            ),
            "day_factors": self.optional(doc, "day_factors", "", self.day_factors, None),
            "contract_hours": self.optional(doc, "contract_hours", "", self.contract_hours, None),
            "dequeue": self.dequeue(doc.get("routing")),
        }

    def built_channels(
        self, raw_channels: Mapping[str, dict[str, Any]], starts: list[str], interval: float, n: int
    ) -> dict[str, Channel]:
        """The Channels of the checked channel fields, their series expanded to ``n`` intervals."""
        channels = {}
        for cname, raw in raw_channels.items():
            patience = raw.pop("patience")
            hours = raw.pop("hours")
            if hours is not None:
                mask = self.hours_mask(hours, starts, interval, f"channels.{cname}.hours")
                raw["open_hours"] = mask
            channels[cname] = Channel(
                name=cname,
                volume=raw.pop("volume").expand(n),
                aht=raw.pop("aht").expand(n),
                patience=patience.expand(n) if patience is not None else None,
                **raw,
            )
        return channels

    def built_groups(self, raw_groups: Mapping[str, tuple[Any, ...]], n: int) -> dict[str, Group]:
        """The Groups of the checked group fields, their series expanded to ``n`` intervals."""
        groups = {}
        for gname, (skills, agents, shrink) in raw_groups.items():
            array = agents.expand(n).astype(np.int64) if agents is not None else None
            own = shrink.expand(n) if shrink is not None else None
            groups[gname] = Group(name=gname, skills=skills, agents=array, shrinkage=own)
        return groups

    def decimal_mark(self, value: Any) -> str:
        """The decimal mark of the scenario's CSV files: ``"."`` (default) or ``","``."""
        if value in (".", ","):
            return value
        self.problem("decimal", f'expected "." or ",", got {_show(value)}', value)
        return "."

    def csv_labels(self, table: _Table, path: str) -> list[str] | None:
        """The interval labels of a CSV file (:meth:`forecast_csv.CsvTable.labels`: a start
        column, or date and time combined), checked once per file to step by the interval;
        None (after a problem naming file and line) when they do not."""
        if id(table) in self.labelled:
            return self.labelled[id(table)]
        labels = None
        try:
            found = table.labels()
            if found is not None:
                labels, lines = found
                if self.interval_s is not None:
                    forecast_csv.check_steps(labels, lines, self.interval_s, table.name)
        except ValueError as exc:
            self.problem(path, str(exc))
            labels = None
        self.labelled[id(table)] = labels
        return labels

    def start_agrees(self, written: Any, first: str, label: str) -> None:
        """A problem when the document's ``start`` and a CSV file's first label disagree
        (the time of day, and the date when both have one)."""
        both_dated = " " in first and re.match(r"\d{4}-\d{2}-\d{2} ", label)
        same = first == label if both_dated else _clock_of(first) == _clock_of(label)
        if not same:
            self.problem(
                "start",
                f"{_show(_jsonable(written))}, but the CSV file's labels start at {label!r}: "
                "they would win unseen; give start in one place, or make them agree",
                written,
            )

    def day_factors(self, value: Any, path: str) -> np.ndarray | None:
        """Measured days × intervals of factors ≥ 0 (each a list of one number per interval;
        the number of intervals is checked once the horizon is known)."""
        rows = value if isinstance(value, list) else None
        ok = (
            bool(rows)
            and len(rows) <= MAX_DAY_FACTORS
            and all(isinstance(r, list) and r and len(r) == len(rows[0]) for r in rows)
        )
        array = None
        if ok:
            try:
                array = np.array(rows, dtype=float)
            except (TypeError, ValueError, OverflowError):
                ok = False
        if not ok or array is None or not np.all(np.isfinite(array)) or np.any(array < 0):
            self.problem(
                path,
                f"expected a list of days (at most {MAX_DAY_FACTORS}), each a list of one "
                "factor ≥ 0 per interval, all of one length",
            )
            return None
        array.setflags(write=False)
        return array

    def target_clock(self, value: Any, path: str) -> str:
        """A deferred channel's target clock: ``"open"`` (open hours) or ``"wall"``."""
        if value in ("open", "wall"):
            return value
        hint = _hint(value, ("open", "wall")) if isinstance(value, str) else ""
        self.problem(path, f'expected "open" or "wall", got {_show(value)}{hint}', value)
        return "open"

    def hours(self, value: Any, path: str) -> dict[str, list[tuple[int, int]]] | None:
        """Opening hours: ``"08:00-20:00"`` (every day; several ranges comma-separated;
        ``"closed"``), or a table by weekday ``{ mon = "08:00-20:00", sun = "closed" }``.
        Returns weekday (or ``"*"``) → [(open, close) minutes of the day]."""
        if isinstance(value, str):
            ranges = self.ranges(value, path)
            return None if ranges is None else {"*": ranges}
        if isinstance(value, Mapping) and value:
            out = {}
            for day, text in value.items():
                key = str(day).strip().lower()[:3]
                if key not in _WEEKDAYS or not isinstance(text, str):
                    self.problem(
                        f"{path}.{day}",
                        f'expected a weekday (mon … sun) = "HH:MM-HH:MM", got {_show(text)}',
                        text,
                    )
                    return None
                ranges = self.ranges(text, f"{path}.{day}")
                if ranges is None:
                    return None
                out[key] = ranges
            return out
        self.problem(
            path, f'expected "HH:MM-HH:MM" or a table by weekday, got {_show(value)}', value
        )
        return None

    def ranges(self, text: str, path: str) -> list[tuple[int, int]] | None:
        """``"08:00-12:00, 13:00-17:00"`` → [(480, 720), (780, 1020)] (minutes); ``closed``."""
        if text.strip().lower() == "closed":
            return []
        out = []
        for part in text.split(","):
            match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", part)
            if not match:
                self.problem(path, f'expected "HH:MM-HH:MM" or "closed", got {_show(text)}', text)
                return None
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
                self.problem(path, f"not a time of day in {_show(text)}", text)
                return None
            out.append((h1 * 60 + m1, h2 * 60 + m2))
        return out

    def hours_mask(
        self, hours: dict[str, list[tuple[int, int]]], starts: list[str], interval: float, path: str
    ) -> np.ndarray | None:
        """Boolean per interval: its start lies inside the opening hours (a range may pass
        midnight, e.g. 22:00-06:00)."""
        mask = np.zeros(len(starts), dtype=bool)
        for i, label in enumerate(starts):
            parts = label.split()
            hour, minute = (int(x) for x in parts[-1].split(":"))
            if "*" in hours:
                ranges = hours["*"]
            elif len(parts) == 2:
                day = dt.date.fromisoformat(parts[0]).strftime("%a").lower()
                ranges = hours.get(day, [])
            else:
                self.problem(
                    path,
                    "opening hours by weekday need dated interval labels "
                    '(start = "2026-11-23 08:00")',
                )
                return None
            t = hour * 60 + minute
            mask[i] = any((lo <= t < hi) if lo <= hi else (t >= lo or t < hi) for lo, hi in ranges)
        return mask

    def per(self, value: Any, path: str) -> str:
        """A service-level target's scope: ``"interval"`` or ``"day"``."""
        if value in ("interval", "day"):
            return value
        hint = _hint(value, ("interval", "day")) if isinstance(value, str) else ""
        self.problem(path, f'expected "interval" or "day", got {_show(value)}{hint}', value)
        return "interval"

    def dequeue(self, routing: Any) -> str:
        """The ``[routing]`` table's dequeue rule (default ``"priority"``)."""
        routing = self.table(routing, "routing", "routing options")
        if not routing:
            return "priority"
        self.check_keys(routing, _ROUTING_KEYS, "routing")
        value = routing.get("dequeue", "priority")
        if value in _DEQUEUE:
            return value
        hint = _hint(value, _DEQUEUE) if isinstance(value, str) else ""
        self.problem(
            "routing.dequeue",
            f'expected "priority" or "longest_waiting", got {_show(value)}{hint}',
            value,
        )
        return "priority"

    def channels_and_groups(
        self, doc: Mapping[str, Any]
    ) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[tuple[str, ...], _Series | None]]]:
        """The checked ``[channels.NAME]`` and ``[groups.NAME]`` tables that can be built."""
        channel_specs = self.table(doc.get("channels"), "channels", "channels")
        group_specs = self.table(doc.get("groups"), "groups", "agent groups")
        if channel_specs is not None and not channel_specs and "channels" not in doc:
            self.problem("channels", "required: at least one [channels.NAME] table")
        elif channel_specs is not None and not channel_specs:
            self.problem("channels", "expected at least one channel, got none")
        channel_specs = channel_specs or {}
        group_specs = group_specs or {}

        for section, names, what, field in (
            ("channels", channel_specs, "channel", "aht"),
            ("groups", group_specs, "group", "agents"),
        ):
            for name in names:
                self.name(str(name), section, what, field)

        raw_channels = {}
        for cname, spec in channel_specs.items():
            raw = self.channel(str(cname), spec, group_specs)
            if raw is not None:
                raw_channels[str(cname)] = raw
        raw_groups = {}
        for gname, spec in group_specs.items():
            raw = self.group(str(gname), spec, list(channel_specs))
            if raw is not None:
                raw_groups[str(gname)] = raw
        group_names = ", ".join(str(g) for g in group_specs) or "none"
        for cname, spec in channel_specs.items():
            if isinstance(spec, Mapping) and not any(
                isinstance(group, Mapping)
                and isinstance(group.get("skills"), list)
                and cname in group["skills"]
                for group in group_specs.values()
            ):
                self.problem(
                    f"channels.{cname}",
                    f"no group has {cname!r} in its skills, got groups: {group_names} — nobody "
                    f"would ever answer it, every contact would count as unanswered and its "
                    f"target could never be met; add {cname!r} to a group's skills",
                )
        return raw_channels, raw_groups

    def name(self, name: str, section: str, what: str, field: str) -> None:
        """A channel or group name must be addressable by a dotted path (``section.NAME.field``)."""
        path = f"{section}.{cut(json.dumps(name, ensure_ascii=False))}"
        if not name:
            self.problem(
                path,
                f"a {what} name must not be empty (dotted paths such as {section}.NAME.{field} "
                f"address it), got {_show(name)}",
            )
        elif "." in name:
            self.problem(
                path,
                f"a {what} name must not contain '.' (dotted paths such as "
                f"{section}.NAME.{field} address it), got {_show(name)}",
            )
        elif len(name) > MAX_NAME:
            self.problem(path, f"a {what} name must be at most {MAX_NAME} characters")

    def interval(self, value: Any) -> float:
        if value is None:
            self.problem("interval", 'required: the length of a planning interval, e.g. "30min"')
            return 1800.0
        seconds = self.duration(value, "interval")
        if seconds is None:
            return 1800.0
        if seconds < MIN_INTERVAL:
            self.problem("interval", f"must be at least 1s, got {_show(value)}", value)
            return 1800.0
        per_day = _DAY / seconds
        if abs(per_day - round(per_day)) > 1e-9 or seconds > _DAY:
            self.problem(
                "interval",
                f"must divide a day (24h) evenly, e.g. 15min, 30min or 60min; got {_show(value)} "
                f"({per_day:.4g} per day)",
                value,
            )
            return 1800.0
        return seconds

    def start(self, value: Any) -> dt.datetime | int:
        """The first label: a datetime, or minutes after midnight when no date is given."""
        if isinstance(value, dt.datetime):
            return value.replace(second=0, microsecond=0, tzinfo=None)
        if isinstance(value, dt.time):
            return value.hour * 60 + value.minute
        expected = 'expected "HH:MM" or "YYYY-MM-DD HH:MM"'
        if not isinstance(value, str):
            self.problem("start", f"{expected}, got {_show(value)}", value)
            return 0
        text = value.strip()
        match = re.fullmatch(r"(?:(\d{4}-\d{2}-\d{2})[ T])?(\d{1,2}):(\d{2})(?::00)?", text)
        if match:
            hour, minute = int(match.group(2)), int(match.group(3))
            if hour < 24 and minute < 60:
                if match.group(1) is None:
                    return hour * 60 + minute
                try:
                    day = dt.date.fromisoformat(match.group(1))
                except ValueError:
                    pass
                else:
                    return dt.datetime(day.year, day.month, day.day, hour, minute)
        self.problem("start", f"{expected}, got {_show(value)}", value)
        return 0

    def channel(
        self, cname: str, spec: Any, group_specs: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The checked fields of ``[channels.NAME]`` as :class:`Channel` arguments (volume, aht
        and patience still as :class:`_Series`), or None when volume or aht is unusable."""
        path = f"channels.{cname}"
        if not isinstance(spec, Mapping):
            self.problem(
                path,
                f"expected a table of channel fields (volume, aht, …), got {_show(spec)}",
                spec,
            )
            return None
        self.check_keys(spec, _CHANNEL_KEYS, path)
        for key, what in (("volume", "contacts offered per interval"), ("aht", "mean handle time")):
            self.missing(
                spec,
                key,
                path,
                f"required: {what} (a number, a list per interval or {{ csv, column }}), "
                "got nothing",
            )

        def get(key: str, check: Callable[[Any, str], Any], default: Any = None) -> Any:
            return self.optional(spec, key, path, check, default)

        raw: dict[str, Any] = {
            "volume": get("volume", partial(self.per_interval, convert=_volume_value)),
            "aht": get("aht", partial(self.per_interval, convert=_duration_value)),
            "handle_time": self.handle_time(spec.get("handle_time"), f"{path}.handle_time"),
        }
        raw["patience"], raw["patience_dist"] = self.patience(
            spec.get("patience"), f"{path}.patience"
        )
        raw["concurrency"] = get(
            "concurrency",
            partial(
                self.whole,
                low=1,
                high=MAX_CONCURRENCY,
                what=" (contacts one agent handles at once)",
            ),
            1,
        )
        raw["concurrency_slowdown"] = get(
            "concurrency_slowdown", partial(self.share, bounds="[0, inf]"), 0.0
        )
        raw["sl_target"] = get("service_level", partial(self.share, bounds="(0, 1)"))
        raw["target_time"] = get("within", self.duration)
        if "service_level" in spec:
            self.missing(
                spec,
                "within",
                path,
                "required when service_level is given: the time to answer within, e.g. "
                'within = "20s"; got nothing',
            )
        if "within" in spec:
            self.missing(
                spec,
                "service_level",
                path,
                "required when within is given: the share to answer in time, e.g. "
                "service_level = 0.8; got nothing",
            )
        raw["asa_max"] = get("asa", self.duration)
        raw["max_abandon"] = get("max_abandon", partial(self.share, bounds="(0, 1)"))
        raw["max_occupancy"] = get("max_occupancy", partial(self.share, bounds="(0, 1]"))
        raw["sl_per"] = self.per(spec.get("per", "interval"), f"{path}.per")
        raw["hours"] = self.hours(spec["hours"], f"{path}.hours") if "hours" in spec else None
        raw["clock"] = self.target_clock(spec.get("clock", "open"), f"{path}.clock")
        if "per" in spec and "service_level" not in spec:
            self.problem(f"{path}.per", "has no service_level target to measure per day")
        raw["route_to"] = self.route_to(cname, spec, group_specs) if "route_to" in spec else None
        if raw["volume"] is None or raw["aht"] is None:
            return None
        return raw

    def route_to(
        self, cname: str, spec: Mapping[str, Any], group_specs: Mapping[str, Any]
    ) -> tuple[str, ...] | None:
        path = f"channels.{cname}.route_to"
        value = spec["route_to"]
        if not isinstance(value, list) or not value:
            self.problem(
                path, f"expected a non-empty list of group names, got {_show(value)}", value
            )
            return None
        names = []
        for i, gname in enumerate(value):
            if not self.known_name(gname, list(group_specs), f"{path}[{i}]", "group"):
                continue
            skills = (
                group_specs[gname].get("skills")
                if isinstance(group_specs[gname], Mapping)
                else None
            )
            if isinstance(skills, list) and cname not in skills:
                self.problem(
                    f"{path}[{i}]",
                    f"group {gname!r} cannot serve {cname!r}: its skills are "
                    f"{', '.join(map(str, skills)) or 'none'}; "
                    f"add {cname!r} to groups.{gname}.skills",
                )
            if gname in names:
                self.problem(f"{path}[{i}]", f"group {gname!r} is listed twice")
            names.append(gname)
        return tuple(names)

    def contract_hours(self, value: Any, path: str) -> float | None:
        """Paid hours of one FTE per week: a number of hours in (0, 168]."""
        if not _is_finite(value) or not 0 < value <= 168:
            self.problem(
                path, f"expected hours per week in (0, 168] such as 37.5, got {_show(value)}", value
            )
            return None
        return float(value)

    def group(
        self, gname: str, spec: Any, channel_names: list[str]
    ) -> tuple[tuple[str, ...], _Series | None, _Series | None] | None:
        path = f"groups.{gname}"
        if not isinstance(spec, Mapping):
            self.problem(path, f"expected a table with skills and agents, got {_show(spec)}", spec)
            return None
        self.check_keys(spec, _GROUP_KEYS, path)
        skills = spec.get("skills")
        ok = True
        if not isinstance(skills, list) or not skills:
            self.problem(
                f"{path}.skills",
                "expected a non-empty list of channel names in priority order, "
                f"got {_show(skills)}",
                skills,
            )
            skills, ok = [], False
        seen = []
        for i, skill in enumerate(skills):
            if not self.known_name(skill, channel_names, f"{path}.skills[{i}]", "channel"):
                ok = False
            elif skill in seen:
                self.problem(f"{path}.skills[{i}]", f"channel {skill!r} is listed twice")
                ok = False
            seen.append(skill)
        agents = None
        if self.missing(
            spec,
            "agents",
            path,
            'required: agents per interval (a number, a list, { csv, column } or "auto"), '
            "got nothing",
        ):
            ok = False
        elif spec["agents"] != "auto":
            value = spec["agents"]
            if isinstance(value, str):
                self.problem(
                    f"{path}.agents",
                    'expected a whole number ≥ 0, a list, { csv, column } or "auto", '
                    f"got {_show(value)}",
                    value,
                )
                ok = False
            else:
                agents = self.per_interval(value, f"{path}.agents", _agents_value)
                ok = ok and agents is not None
        shrink = None
        if "shrinkage" in spec:
            shrink = self.per_interval(spec["shrinkage"], f"{path}.shrinkage", _shrinkage_value)
            ok = ok and shrink is not None
        return (tuple(skills), agents, shrink) if ok else None

    # -- shift templates -----------------------------------------------------------------------

    def shifts(
        self, doc: Mapping[str, Any], groups: list[str], interval: float, starts: list[str]
    ) -> dict[str, Shift]:
        """The checked ``[shifts.NAME]`` templates, every time on the interval grid."""
        specs = self.table(doc.get("shifts"), "shifts", "shift templates")
        if not specs:
            return {}
        first = _clock_of(starts[0])
        if first is None:
            self.problem(
                "shifts",
                f"the interval labels carry no time of day (first: {starts[0]!r}); "
                "shift start times are read against it",
            )
            return {}
        out = {}
        for sname, spec in specs.items():
            self.name(str(sname), "shifts", "shift", "length")
            shift = self.shift(str(sname), spec, groups, (interval, first, len(starts)))
            if shift is not None:
                out[str(sname)] = shift
        return out

    def shift(
        self, sname: str, spec: Any, groups: list[str], grid: tuple[float, float, int]
    ) -> Shift | None:
        """One ``[shifts.NAME]`` table; ``grid`` is (interval s, clock of the first interval s,
        number of intervals)."""
        interval, _, n = grid
        path = f"shifts.{sname}"
        if not isinstance(spec, Mapping):
            self.problem(
                path, f"expected a table of shift fields (length, starts, …), got {_show(spec)}"
            )
            return None
        self.check_keys(spec, _SHIFT_KEYS, path)
        before = len(self.problems)
        length = None
        if not self.missing(
            spec, "length", path, 'required: the paid length of a shift, e.g. "8h"; got nothing'
        ):
            length = self.on_grid(spec["length"], f"{path}.length", interval)
            if length is not None and length > _DAY:
                self.problem(f"{path}.length", f"must be at most 24h, got {_show(spec['length'])}")
        starts = self.shift_starts(spec.get("starts"), f"{path}.starts", grid)
        breaks = self.shift_breaks(spec.get("breaks", []), f"{path}.breaks", interval, length)
        names = tuple(groups)
        if "groups" in spec:
            names = self.shift_groups(spec["groups"], f"{path}.groups", groups)
        cost = self.optional(spec, "cost", path, self.positive, 1.0)
        counts = [
            self.optional(spec, key, path, partial(self.whole, low=0, what=" (shifts a day)"))
            for key in ("min", "max")
        ]
        if None not in counts and counts[0] > counts[1]:
            self.problem(f"{path}.max", f"must be ≥ min ({counts[0]}), got {counts[1]}")
        days_on = self.optional(
            spec, "days_on", path, partial(self.whole, low=1, high=7, what=" (days out of 7)")
        )
        if days_on is not None and abs(n * interval / (7 * _DAY) % 1) > 1e-9:
            self.problem(
                f"{path}.days_on",
                f"needs a horizon of whole weeks (7 × 24h), got {n * interval / _DAY:g} days",
            )
        off = self.shift_days_off(spec, path)
        if len(self.problems) > before:
            return None
        shift = Shift(
            sname,
            length,
            starts,
            breaks,
            names,
            cost,
            counts[0] or 0,
            counts[1],
            days_on,
            off == "consecutive",
        )
        ways = len(shift.placements(interval, MAX_PLACEMENTS))
        if not ways:
            self.problem(f"{path}.breaks", "the breaks cannot all fit in one shift, apart")
        elif ways > MAX_PLACEMENTS:
            self.problem(
                f"{path}.breaks",
                f"more than {MAX_PLACEMENTS} ways to place the breaks "
                "in one shift: narrow their windows",
            )
        return shift if 0 < ways <= MAX_PLACEMENTS else None

    def positive(self, value: Any, path: str) -> float | None:
        """A finite number > 0."""
        if not _is_finite(value) or value <= 0:
            self.problem(path, f"expected a number > 0, got {_show(value)}", value)
            return None
        return float(value)

    def on_grid(self, value: Any, path: str, interval: float) -> float | None:
        """A duration > 0 that is a whole number of intervals, seconds."""
        seconds = self.duration(value, path)
        if seconds is None:
            return None
        if abs(seconds / interval - round(seconds / interval)) > 1e-9:
            self.problem(
                path,
                f"must be a whole number of intervals ({format_duration(interval)}), "
                f"got {_show(value)}",
                value,
            )
            return None
        return seconds

    def clock(self, value: Any, path: str, grid: tuple[float, float, int]) -> float | None:
        """A time of day ("08:30") on an interval boundary, seconds after midnight."""
        interval, first, _ = grid
        seconds = _clock_of(value) if isinstance(value, (str, dt.time)) else None
        if seconds is None:
            self.problem(path, f'expected a time of day such as "08:30", got {_show(value)}', value)
            return None
        if abs(((seconds - first) / interval) - round((seconds - first) / interval)) > 1e-9:
            self.problem(
                path,
                f"{_show(value)} is not an interval boundary (intervals of "
                f"{format_duration(interval)} from {_hhmm(first)})",
                value,
            )
            return None
        return seconds % _DAY

    def shift_starts(
        self, value: Any, path: str, grid: tuple[float, float, int]
    ) -> tuple[float, ...]:
        """Allowed start times, seconds after midnight: a list of times, a
        ``{ from, to, every }`` table, or (absent) every half hour on an interval boundary."""
        interval, first, _ = grid
        if value is None:
            every = math.lcm(int(round(interval)), 1800)
            return tuple(sorted((first + k * every) % _DAY for k in range(int(_DAY // every))))
        if isinstance(value, list) and value:
            times = [self.clock(v, f"{path}[{i}]", grid) for i, v in enumerate(value)]
            return tuple(sorted({t for t in times if t is not None}))
        if not isinstance(value, Mapping):
            self.problem(
                path,
                'expected a list of times such as ["08:00", "08:30"] or '
                '{ from = "07:00", to = "12:00", every = "30min" }, '
                f"got {_show(value)}",
                value,
            )
            return ()
        self.check_keys(value, _STARTS_KEYS, path)
        ends = []
        for key in ("from", "to"):
            if not self.missing(value, key, path, 'required: a time of day such as "08:00"'):
                ends.append(self.clock(value[key], f"{path}.{key}", grid))
        every = self.optional(
            value, "every", path, partial(self.on_grid, interval=interval), 1800.0
        )
        if len(ends) < 2 or None in ends or every is None:
            return ()
        if abs(every / interval - round(every / interval)) > 1e-9:
            return ()  # 30min default on a longer interval: on_grid did not see it
        span = (ends[1] - ends[0]) % _DAY  # "to" before "from": past midnight
        return tuple(sorted({(ends[0] + k * every) % _DAY for k in range(int(span // every) + 1)}))

    def shift_breaks(
        self, value: Any, path: str, interval: float, length: float | None
    ) -> tuple[Break, ...]:
        """The breaks: a list of ``{ length, earliest, latest }`` tables (seconds after the
        shift's start at which the break may begin)."""
        if not isinstance(value, list):
            self.problem(
                path,
                'expected a list of { length = "30min", earliest = "3h", '
                f'latest = "5h" }} tables, got {_show(value)}',
                value,
            )
            return ()
        breaks = []
        for i, spec in enumerate(value):
            here = f"{path}[{i}]"
            if not isinstance(spec, Mapping):
                self.problem(
                    here, f"expected a table with length, earliest, latest, got {_show(spec)}"
                )
                continue
            self.check_keys(spec, _BREAK_KEYS, here)
            got = {}
            for key in _BREAK_KEYS:
                if not self.missing(spec, key, here, "required: a duration on the interval grid"):
                    got[key] = self.on_grid(spec[key], f"{here}.{key}", interval)
            if len(got) < 3 or None in got.values():
                continue
            if got["earliest"] > got["latest"]:
                self.problem(f"{here}.latest", f"must be ≥ earliest, got {_show(spec['latest'])}")
            elif length is not None and got["latest"] + got["length"] > length:
                self.problem(
                    f"{here}.latest",
                    "a break starting then ends after the shift "
                    f"({format_duration(length)}), got {_show(spec['latest'])}",
                )
            else:
                breaks.append(Break(got["length"], got["earliest"], got["latest"]))
        return tuple(breaks)

    def shift_groups(self, value: Any, path: str, groups: list[str]) -> tuple[str, ...]:
        """The groups a template may staff: a non-empty list of group names."""
        if not isinstance(value, list) or not value:
            self.problem(path, f"expected a non-empty list of group names, got {_show(value)}")
            return ()
        ok = [self.known_name(g, groups, f"{path}[{i}]", "group") for i, g in enumerate(value)]
        return tuple(dict.fromkeys(g for g, good in zip(value, ok, strict=True) if good))

    def shift_days_off(self, spec: Mapping[str, Any], path: str) -> str:
        """``days_off``: "any" or "consecutive" (only with ``days_on``)."""
        if "days_off" not in spec:
            return "any"
        value = spec["days_off"]
        if "days_on" not in spec:
            self.problem(f"{path}.days_off", "only with days_on (the days worked out of 7)")
        if value in _DAYS_OFF:
            return value
        hint = _hint(value, _DAYS_OFF) if isinstance(value, str) else ""
        self.problem(
            f"{path}.days_off", f'expected "any" or "consecutive", got {_show(value)}{hint}', value
        )
        return "any"

    def intervals(self) -> tuple[int, list[str] | None]:
        """The number of intervals (the common length of lists and CSV columns) and CSV labels."""
        lengths = [s for s in self.series if s.length is not None]
        if not lengths:
            return 1, None
        counts: dict[int, list[str]] = {}
        for s in lengths:
            counts.setdefault(s.length, []).append(s.path)
        n = max(counts, key=lambda length: len(counts[length]))
        if len(counts) > 1:
            agree = counts[n]
            shown = ", ".join(agree[:3]) + (f" and {len(agree) - 3} more" if len(agree) > 3 else "")
            for s in lengths:
                if s.length != n:
                    self.problem(
                        s.path,
                        f"expected {n} values (one per interval, like {shown}), got {s.length}",
                    )
        labels = next((s.labels for s in lengths if s.labels is not None and s.length == n), None)
        return n, labels

    def check_oddities(
        self, channels: Mapping[str, Channel], groups: Mapping[str, Group], starts: list[str]
    ) -> None:
        """Warnings: legal but probably unintended."""
        self.unit_slips()
        for group in groups.values():
            if group.agents is not None and not group.agents.any():
                self.warn(f"groups.{group.name}.agents", "0 agents in every interval")
        for channel in channels.values():
            path = f"channels.{channel.name}"
            if not channel.volume.any():
                self.warn(f"{path}.volume", "0 contacts in every interval")
            elif not channel.has_target:
                self.warn(
                    path,
                    "no target (service_level with within, asa, max_abandon or max_occupancy): "
                    "a staffing plan only keeps its queue stable",
                )
            if channel.concurrency == 1 and channel.concurrency_slowdown > 0:
                self.warn(f"{path}.concurrency_slowdown", "has no effect with concurrency 1")
            serving = [g for g in groups.values() if channel.name in g.skills]
            if serving and all(g.agents is not None for g in serving):
                staffed = sum(g.agents for g in serving)
                empty = np.flatnonzero((channel.volume > 0) & (staffed == 0))
                if empty.size:
                    self.warn(
                        f"{path}.volume",
                        f"contacts arrive in {empty.size} interval(s) with no agent able to answer "
                        f"(first: {starts[empty[0]]}); they will wait or go unanswered",
                    )

    def unit_slips(self) -> None:
        """Warnings for durations written as bare numbers too small to be seconds
        (``aht = 4``: 4 s — did you mean 4min?), each naming its key."""
        doc = self.doc if isinstance(self.doc, Mapping) else {}
        slip = unit_slip("interval", doc.get("interval"))
        if slip:
            self.warn("interval", slip)
        channels = doc.get("channels")
        for cname, spec in (channels if isinstance(channels, Mapping) else {}).items():
            if not isinstance(spec, Mapping):
                continue
            for key in ("aht", "patience"):
                path, value = f"channels.{cname}.{key}", spec.get(key)
                if isinstance(value, Mapping) and "mean" in value:
                    path, value = f"{path}.mean", value["mean"]
                items = value if isinstance(value, list) else [value]
                for i, item in enumerate(items):
                    slip = unit_slip(key, item)
                    if slip:
                        self.warn(f"{path}[{i}]" if isinstance(value, list) else path, slip)
                        break


def _labels(start: dt.datetime | int, interval: float, n: int) -> list[str]:
    """Interval labels from the first one: dated labels roll over midnight, times wrap at 24h."""
    if isinstance(start, dt.datetime):
        step = dt.timedelta(seconds=interval)
        return [(start + i * step).strftime("%Y-%m-%d %H:%M") for i in range(n)]
    minutes = start * 60.0
    labels = []
    for i in range(n):
        total = int((minutes + i * interval) // 60) % 1440
        labels.append(f"{total // 60:02d}:{total % 60:02d}")
    return labels


# --- overrides ------------------------------------------------------------------------------


def _allowed_keys(parts: list[str]) -> tuple[str, ...] | None:
    """Keys the format allows in the table at ``parts`` (None: any name, e.g. channels)."""
    if not parts:
        return _TOP_KEYS
    if parts == ["routing"]:
        return _ROUTING_KEYS
    if parts in (["channels"], ["groups"], ["shifts"]):
        return None
    if len(parts) == 2 and parts[0] == "shifts":
        return _SHIFT_KEYS
    if len(parts) == 3 and parts[0] == "shifts" and parts[2] == "starts":
        return _STARTS_KEYS
    if len(parts) == 2 and parts[0] == "channels":
        return _CHANNEL_KEYS
    if len(parts) == 2 and parts[0] == "groups":
        return _GROUP_KEYS
    if len(parts) == 3 and parts[0] == "channels" and parts[2] == "handle_time":
        return _HANDLE_TIME_KEYS
    if len(parts) == 3 and parts[0] == "channels" and parts[2] == "patience":
        return _PATIENCE_KEYS
    return _CSV_KEYS


def _apply_override(doc: dict[str, Any], path: str, value: Any) -> str | None:
    """Set ``path`` in ``doc`` to ``value`` (None: remove it); return a problem or None."""
    parts = path.split(".")
    if not path or any(not part for part in parts):
        return "not a dotted key path such as 'channels.voice.aht'"
    node: Any = doc
    for depth, part in enumerate(parts[:-1]):
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if not (part.isdigit() and int(part) < len(node)):
                return f"unknown path: '{here}' is not an index of a list of {len(node)}"
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                allowed = _allowed_keys(parts[:depth])
                if depth == 0 and part in ("routing", "channels", "groups", "shifts"):
                    node[part] = {}
                else:
                    names = list(node) if allowed is None else list(allowed)
                    return (
                        f"unknown path: no '{part}' in {here.rpartition('.')[0] or 'the scenario'}"
                        + _hint(part, names)
                    )
            node = node[part]
        else:
            return f"unknown path: '{here.rpartition('.')[0]}' is {_show(node)}, not a table"
    last = parts[-1]
    if isinstance(node, list):
        if not (last.isdigit() and int(last) < len(node)):
            return f"unknown path: '{last}' is not an index of a list of {len(node)}"
        if value is None:
            return "cannot remove one element of a list"
        node[int(last)] = copy.deepcopy(value)
        return None
    if not isinstance(node, dict):
        return f"unknown path: '{path.rpartition('.')[0]}' is {_show(node)}, not a table"
    allowed = _allowed_keys(parts[:-1])
    if last not in node and allowed is not None and last not in allowed:
        return f"unknown key '{last}'" + _hint(last, allowed)
    if value is None:
        node.pop(last, None)
    else:
        node[last] = copy.deepcopy(value)
    return None


# Per-interval fields an override can set to one value, and the converter that checks it.
_PER_INTERVAL = {
    ("channels", "volume"): _volume_value,
    ("channels", "aht"): _duration_value,
    ("channels", "patience"): _duration_value,
    ("channels", "patience", "mean"): _duration_value,
    ("groups", "agents"): _agents_value,
    ("groups", "shrinkage"): _shrinkage_value,
}


def _gives_length(value: Any) -> bool:
    """True for a per-interval value whose length sets the horizon: a list or a CSV column."""
    return isinstance(value, (list, tuple, np.ndarray, Mapping))


def _has_length(doc: Mapping[str, Any]) -> bool:
    """True when a per-interval field of ``doc`` is a list or a CSV column."""
    channels, groups = doc.get("channels"), doc.get("groups")
    for spec in channels.values() if isinstance(channels, Mapping) else ():
        if not isinstance(spec, Mapping):
            continue
        if _gives_length(spec.get("volume")) or _gives_length(spec.get("aht")):
            return True
        patience = spec.get("patience")
        if isinstance(patience, Mapping) and ("dist" in patience or "mean" in patience):
            patience = patience.get("mean")
        if _gives_length(patience):
            return True
    for spec in groups.values() if isinstance(groups, Mapping) else ():
        if isinstance(spec, Mapping) and (
            _gives_length(spec.get("agents")) or _gives_length(spec.get("shrinkage"))
        ):
            return True
    return False


def _spread(doc: dict[str, Any], parts: list[str], n: int) -> None:
    """Replace the valid scalar of a per-interval field at ``parts`` by ``n`` copies of it."""
    if len(parts) < 3 or (parts[0], *parts[2:]) not in _PER_INTERVAL:
        return
    convert = _PER_INTERVAL[(parts[0], *parts[2:])]
    node: Any = doc
    for part in parts[:-1]:
        if not isinstance(node, Mapping) or part not in node:
            return
        node = node[part]
    if not isinstance(node, dict) or parts[-1] not in node:
        return
    value = _plain(node[parts[-1]])
    try:
        convert(value)  # an invalid value stays as given, to be reported once at its key
    except ValueError:
        return
    node[parts[-1]] = [value] * n
