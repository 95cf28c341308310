"""The Scenario model: channels, agent groups and targets, validated, in seconds.

A :class:`Scenario` is immutable. Per-interval values (volume, AHT, patience,
agents) are read-only numpy arrays of one length, ``n_intervals``; every time
is in seconds and every share a fraction. Scenarios come from a TOML file
(:func:`load_scenario`) or from a plain dict (:meth:`Scenario.from_dict`, the
same structure as the file); :meth:`Scenario.with_overrides` applies dotted-path
changes (``{"channels.voice.aht": 200}``) and validates again — sweeps use it.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import datetime as dt
import difflib
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from ccsim.distributions import (
    Deterministic,
    Distribution,
    Empirical,
    Exponential,
    Gamma,
    LogNormal,
)
from ccsim.durations import format_duration, format_share, parse_duration, parse_share

__all__ = ["Channel", "Group", "Scenario", "ScenarioError", "load_scenario"]


class ScenarioError(ValueError):
    """Problems in a scenario; ``problems`` lists each as ``file: key.path: message``."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def _frozen_array(values: Any, dtype: type = float) -> np.ndarray:
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Channel:
    """A way customers reach the center, with its volume, handle time, patience and targets.

    Attributes
    ----------
    name : channel name (voice, chat, email, social, or any other).
    volume : contacts offered per interval (array, ≥ 0).
    aht : mean handle time per interval, seconds (array, > 0).
    handle_time : shape of the handle-time distribution; its mean is ``aht``.
    patience : mean patience per interval, seconds (array), or None when customers never abandon.
    patience_dist : shape of the patience distribution; its mean is ``patience``.
    concurrency : contacts one agent handles at once (chat: 2–4).
    concurrency_slowdown : each extra concurrent contact stretches handle time by this share.
    service_level : target share answered within ``target_time`` (None: no SL target).
    target_time : the service-level threshold, seconds (the file's ``within``).
    asa : ceiling on the average speed of answer, seconds.
    max_abandon : ceiling on the abandonment share.
    max_occupancy : ceiling on occupancy.
    route_to : groups a new contact is offered to, in order (None: longest-idle agent of any group).
    """

    name: str
    volume: np.ndarray
    aht: np.ndarray
    handle_time: Distribution = field(default_factory=Exponential)
    patience: np.ndarray | None = None
    patience_dist: Distribution = field(default_factory=Exponential)
    concurrency: int = 1
    concurrency_slowdown: float = 0.0
    service_level: float | None = None
    target_time: float | None = None
    asa: float | None = None
    max_abandon: float | None = None
    max_occupancy: float | None = None
    route_to: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "volume", _frozen_array(self.volume))
        object.__setattr__(self, "aht", _frozen_array(np.broadcast_to(self.aht, self.volume.shape)))
        if self.patience is not None:
            patience = np.broadcast_to(self.patience, self.volume.shape)
            object.__setattr__(self, "patience", _frozen_array(patience))

    @property
    def abandons(self) -> bool:
        """True when customers of this channel abandon (a patience is given)."""
        return self.patience is not None

    def traffic(self, interval: float) -> np.ndarray:
        """Offered load per interval in Erlangs: volume × AHT ÷ interval length (seconds)."""
        return self.volume * self.aht / interval


@dataclass(frozen=True, eq=False)
class Group:
    """Agents with the same skills, in priority order.

    ``agents`` is the staffing per interval (int array), or None for ``"auto"``:
    the staffing plan decides.
    """

    name: str
    skills: tuple[str, ...]
    agents: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", tuple(self.skills))
        if self.agents is not None:
            object.__setattr__(self, "agents", _frozen_array(self.agents, dtype=np.int64))

    @property
    def auto(self) -> bool:
        """True when the staffing plan decides this group's agents."""
        return self.agents is None


@dataclass(frozen=True, eq=False)
class Scenario:
    """A validated contact-center scenario; every time in seconds.

    Attributes
    ----------
    name : a title for tables and figures.
    interval : length of a planning interval, seconds.
    starts : label of each interval (``"08:00"`` or ``"2026-11-23 08:00"``).
    channels : channel name → :class:`Channel`, in file order.
    groups : group name → :class:`Group`, in file order.
    seed : default seed for simulations.
    shrinkage : share of paid time not available for contacts, in [0, 1).
    volume_uncertainty : CV of the gamma busyness factor drawn per simulated day (0: none).
    dequeue : ``"priority"`` or ``"longest_waiting"`` (see the scenario format).
    source : the file this scenario was read from, if any.
    spec : the document (plain dict, as in the TOML file) it was built from.
    base_dir : directory that CSV paths in ``spec`` are relative to (None: the working directory).
    warnings : things that are legal but probably unintended, as ``file: key.path: message``.
    """

    name: str
    interval: float
    starts: tuple[str, ...]
    channels: Mapping[str, Channel]
    groups: Mapping[str, Group]
    seed: int = 0
    shrinkage: float = 0.0
    volume_uncertainty: float = 0.0
    dequeue: str = "priority"
    source: Path | None = None
    spec: Mapping[str, Any] = field(default_factory=dict)
    base_dir: Path | None = None
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts", tuple(self.starts))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        object.__setattr__(self, "channels", MappingProxyType(dict(self.channels)))
        object.__setattr__(self, "groups", MappingProxyType(dict(self.groups)))

    @property
    def n_intervals(self) -> int:
        """Number of planning intervals."""
        return len(self.starts)

    @property
    def horizon(self) -> float:
        """Length of the arrival horizon, seconds (n_intervals × interval)."""
        return self.n_intervals * self.interval

    def groups_for(self, channel: str) -> list[str]:
        """Names of the groups whose skills include ``channel``, in file order."""
        return [name for name, group in self.groups.items() if channel in group.skills]

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some attributes changed (no re-validation; see :meth:`with_overrides`)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(
        cls,
        doc: Mapping[str, Any],
        *,
        source: str | Path | None = None,
        base_dir: str | Path | None = None,
    ) -> Scenario:
        """Build and validate a scenario from a document with the structure of the TOML file.

        ``source`` names the file in messages (``<scenario>`` when None) and gives
        the default name; CSV paths are relative to ``base_dir`` (default: the
        directory of ``source``, else the working directory). Every problem in
        the document is collected, then one :class:`ScenarioError` lists them all.
        """
        source = Path(source) if source is not None else None
        if base_dir is None and source is not None:
            base_dir = source.parent
        return _Builder(doc, source, Path(base_dir) if base_dir is not None else None).build()

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new scenario with dotted-path changes applied to ``spec``, validated again.

        Keys are dotted paths into the document, e.g. ``"channels.voice.aht"``,
        ``"groups.phones.agents"``, ``"shrinkage"`` or ``"channels.voice.volume.3"``
        (an element of a list); a value of None removes the key (e.g. a patience).
        A path that names nothing the format knows raises :class:`ScenarioError`.
        """
        doc = copy.deepcopy(dict(self.spec))
        where = self.source.name if self.source is not None else "<scenario>"
        problems = []
        for path, value in overrides.items():
            message = _apply_override(doc, str(path), value)
            if message:
                problems.append(f"{where}: {path}: {message}")
        if problems:
            raise ScenarioError(problems)
        return Scenario.from_dict(doc, source=self.source, base_dir=self.base_dir)

    def summary(self) -> dict[str, Any]:
        """A plain-data summary (JSON-ready): intervals, channels with totals and peaks, groups."""
        channels = []
        for channel in self.channels.values():
            traffic = channel.traffic(self.interval)
            peak = int(np.argmax(traffic)) if traffic.size else 0
            total = float(channel.volume.sum())
            if total > 0:
                aht_mean = float((channel.volume * channel.aht).sum() / total)
            else:
                aht_mean = float(channel.aht.mean())
            entry: dict[str, Any] = {
                "name": channel.name,
                "total_volume": total,
                "aht": aht_mean,
                "aht_min": float(channel.aht.min()),
                "aht_max": float(channel.aht.max()),
                "handle_time": channel.handle_time.describe(),
                "patience": None,
                "patience_dist": None,
                "concurrency": channel.concurrency,
                "concurrency_slowdown": channel.concurrency_slowdown,
                "service_level": channel.service_level,
                "within": channel.target_time,
                "asa": channel.asa,
                "max_abandon": channel.max_abandon,
                "max_occupancy": channel.max_occupancy,
                "route_to": list(channel.route_to) if channel.route_to else None,
                "peak_traffic": float(traffic[peak]) if traffic.size else 0.0,
                "peak_interval": peak,
                "peak_start": self.starts[peak] if self.starts else None,
                "served_by": self.groups_for(channel.name),
            }
            if channel.patience is not None:
                entry["patience"] = float(channel.patience.mean())
                entry["patience_dist"] = channel.patience_dist.describe()
            channels.append(entry)
        groups = []
        for group in self.groups.values():
            agents: Any = "auto"
            if group.agents is not None:
                agents = {"min": int(group.agents.min()), "max": int(group.agents.max())}
            groups.append({"name": group.name, "skills": list(group.skills), "agents": agents})
        return {
            "name": self.name,
            "source": str(self.source) if self.source is not None else None,
            "intervals": {
                "count": self.n_intervals,
                "length": self.interval,
                "first": self.starts[0] if self.starts else None,
                "last": self.starts[-1] if self.starts else None,
            },
            "seed": self.seed,
            "shrinkage": self.shrinkage,
            "volume_uncertainty": self.volume_uncertainty,
            "dequeue": self.dequeue,
            "channels": channels,
            "groups": groups,
            "warnings": list(self.warnings),
        }

    def describe(self) -> str:
        """A one-screen human summary of :meth:`summary` (what ``ccsim validate`` prints)."""
        return _describe(self.summary())


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file; CSV paths in it are relative to its directory.

    Raises :class:`ScenarioError` listing every problem (a missing file, TOML
    syntax with its line, or each invalid field as ``file: key.path: message``).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise ScenarioError([f"{path}: is a directory, expected a scenario .toml file"]) from None
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [f"{path.name}: byte {exc.start}: not UTF-8 text; save the file as UTF-8"]
        ) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"{path.name}: {_toml_message(str(exc))}"]) from None
    return Scenario.from_dict(doc, source=path, base_dir=path.parent)


# --- the document format --------------------------------------------------------------------

_TOP_KEYS = (
    "name",
    "interval",
    "start",
    "seed",
    "shrinkage",
    "volume_uncertainty",
    "routing",
    "channels",
    "groups",
    "version",
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
    "route_to",
)
_GROUP_KEYS = ("skills", "agents")
_CSV_KEYS = ("csv", "column")
_HANDLE_TIME_KEYS = ("dist", "cv", "csv", "column")
_PATIENCE_KEYS = ("dist", "mean", "cv", "csv", "column")
_SHAPES = ("exponential", "deterministic", "lognormal", "gamma", "empirical")
_DAY = 86400.0


def _allowed_keys(parts: list[str]) -> tuple[str, ...] | None:
    """Keys the format allows in the table at ``parts`` (None: any name, e.g. channels)."""
    if not parts:
        return _TOP_KEYS
    if parts == ["routing"]:
        return _ROUTING_KEYS
    if parts in (["channels"], ["groups"]):
        return None
    if len(parts) == 2 and parts[0] == "channels":
        return _CHANNEL_KEYS
    if len(parts) == 2 and parts[0] == "groups":
        return _GROUP_KEYS
    if len(parts) == 3 and parts[0] == "channels" and parts[2] == "handle_time":
        return _HANDLE_TIME_KEYS
    if len(parts) == 3 and parts[0] == "channels" and parts[2] == "patience":
        return _PATIENCE_KEYS
    return _CSV_KEYS


def _hint(key: str, allowed: Any) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


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
    return repr(value)


def _toml_message(message: str) -> str:
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)", message)
    if match:
        what = message[: match.start()] + message[match.end() :]
        return f"line {match.group(1)}, column {match.group(2)}: TOML syntax: {what.strip()}"
    return f"TOML syntax: {message}"


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
                if depth == 0 and part in ("routing", "channels", "groups"):
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


# --- converters: one value → a number, or ValueError with "expected …, got …" ---------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _volume_value(value: Any) -> float:
    if not _is_number(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"expected a number ≥ 0 (contacts offered), got {_show(value)}")
    return float(value)


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
    return seconds


def _agents_value(value: Any) -> float:
    if not _is_number(value) or not math.isfinite(value) or value < 0 or float(value) != int(value):
        raise ValueError(f"expected a whole number of agents ≥ 0, got {_show(value)}")
    return float(value)


def _from_cell(convert: Callable[[Any], float]) -> Callable[[str], float]:
    """A converter for CSV text: numbers are read first, durations stay text."""

    def cell(text: str) -> float:
        text = text.strip()
        try:
            value: Any = float(text)
        except ValueError:
            value = text
        return convert(value)

    return cell


@dataclass
class _Series:
    """A per-interval field: a scalar (every interval) or an array of ``length`` values."""

    path: str
    value: float | np.ndarray
    length: int | None = None
    labels: list[str] | None = None

    def expand(self, n: int) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.value, dtype=float), (n,)).copy()


@dataclass
class _Table:
    """A CSV file: header, and rows with their line numbers."""

    header: list[str]
    rows: list[tuple[int, list[str]]]


class _Builder:
    """Reads one document into a :class:`Scenario`, collecting every problem on the way."""

    def __init__(self, doc: Any, source: Path | None, base_dir: Path | None):
        self.doc = doc
        self.source = source
        self.base_dir = base_dir
        self.where = source.name if source is not None else "<scenario>"
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.series: list[_Series] = []
        self.tables: dict[Path, _Table | None] = {}
        self.suggested: set[str] = set()  # key paths a "did you mean" already pointed to

    # -- bookkeeping ---------------------------------------------------------------------------

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{self.where}: {path}: {message}")

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(f"{self.where}: {path}: {message}")

    def check_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                path = f"{prefix}.{key}" if prefix else str(key)
                close = difflib.get_close_matches(str(key), list(allowed), n=1, cutoff=0.6)
                if close:
                    self.suggested.add(f"{prefix}.{close[0]}" if prefix else close[0])
                self.problem(
                    path,
                    f"unknown key{_hint(str(key), allowed)} "
                    f"(expected one of: {', '.join(allowed)})",
                )

    def table(self, value: Any, path: str, what: str) -> Mapping[str, Any] | None:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.problem(path, f"expected a table of {what}, got {_show(value)}")
            return None
        return value

    # -- scalars -------------------------------------------------------------------------------

    def share(
        self, value: Any, path: str, low: float, high: float, closed_low: bool, closed_high: bool
    ) -> float | None:
        lo = "[" if closed_low else "("
        hi = "]" if closed_high else ")"
        expected = f"a share in {lo}{low:g}, {high:g}{hi} such as 0.8 or '80%'"
        if math.isinf(high):
            expected = f"a number {'≥' if closed_low else '>'} {low:g} (0.1 or '10%')"
        try:
            if isinstance(value, (Mapping, list)) or value is None:
                raise ValueError
            share = parse_share(value)
        except ValueError:
            self.problem(path, f"expected {expected}, got {_show(value)}")
            return None
        ok_low = share >= low if closed_low else share > low
        ok_high = share <= high if closed_high else share < high
        if not (ok_low and ok_high):
            self.problem(path, f"expected {expected}, got {_show(value)}")
            return None
        return share

    def duration(self, value: Any, path: str) -> float | None:
        try:
            return _duration_value(value)
        except ValueError as exc:
            self.problem(path, str(exc))
            return None

    def whole(self, value: Any, path: str, low: int, what: str) -> int | None:
        if (
            not _is_number(value)
            or not math.isfinite(value)
            or float(value) != int(value)
            or value < low
        ):
            self.problem(path, f"must be a whole number ≥ {low}{what}, got {_show(value)}")
            return None
        return int(value)

    # -- CSV -----------------------------------------------------------------------------------

    def read_csv(self, name: str, path: str) -> _Table | None:
        file = Path(name)
        if not file.is_absolute() and self.base_dir is not None:
            file = self.base_dir / file
        key = file.resolve()
        if key in self.tables:
            table = self.tables[key]
            if table is None:
                self.problem(path, f"CSV file {name!r} cannot be used (see above)")
            return table
        table = None
        try:
            with open(file, newline="", encoding="utf-8-sig") as handle:
                reader = csv.reader(handle)
                header = next(reader, None)
                if header is None:
                    self.problem(
                        f"{path}.csv", f"CSV file {name!r} is empty, expected a header row"
                    )
                else:
                    rows = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
                    table = _Table([h.strip() for h in header], rows)
        except FileNotFoundError:
            where = file.parent.resolve()
            self.problem(f"{path}.csv", f"CSV file not found: {name!r} (looked in {where})")
        except IsADirectoryError:
            self.problem(f"{path}.csv", f"expected a CSV file, got a directory: {str(file)!r}")
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            self.problem(f"{path}.csv", f"CSV file {str(file)!r} cannot be read: {exc}")
        self.tables[key] = table
        return table

    def csv_column(
        self, ref: Mapping[str, Any], path: str, convert: Callable[[str], float], blanks: bool
    ) -> tuple[np.ndarray, _Table] | None:
        """The converted cells of ``ref["column"]`` in ``ref["csv"]``, or None after a problem."""
        name, column = ref.get("csv"), ref.get("column")
        ok = True
        if not isinstance(name, str) or not name:
            self.problem(f"{path}.csv", f"expected a CSV file name (text), got {_show(name)}")
            ok = False
        if not isinstance(column, str) or not column:
            self.problem(f"{path}.column", f"expected a column name (text), got {_show(column)}")
            ok = False
        if not ok:
            return None
        table = self.read_csv(name, path)
        if table is None:
            return None
        if column not in table.header:
            self.problem(
                f"{path}.column",
                f"no column {column!r} in {name}{_hint(column, table.header)} "
                f"(available: {', '.join(table.header)})",
            )
            return None
        index = table.header.index(column)
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
            self.problem(path, f"{name} column {column!r}, " + "; ".join(bad[:3]) + more)
            return None
        if not values:
            self.problem(path, f"{name} column {column!r} has no values")
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
            got = self.csv_column(value, path, _from_cell(convert), blanks=False)
            if got is not None:
                array, table = got
                labels = None
                if "start" in table.header:
                    index = table.header.index("start")
                    labels = [
                        row[index].strip() if index < len(row) else "" for _, row in table.rows
                    ]
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

    def shape(
        self, spec: Mapping[str, Any], path: str, allow_empirical: bool
    ) -> Distribution | None:
        dist = spec.get("dist")
        if dist is None:
            self.problem(f"{path}.dist", f"required: one of {', '.join(_SHAPES)}")
            return None
        if dist not in _SHAPES or (dist == "empirical" and not allow_empirical):
            shapes = [s for s in _SHAPES if allow_empirical or s != "empirical"]
            hint = _hint(str(dist), shapes) if isinstance(dist, str) else ""
            self.problem(
                f"{path}.dist", f"expected one of {', '.join(shapes)}, got {_show(dist)}{hint}"
            )
            return None
        if dist in ("lognormal", "gamma"):
            for key in ("csv", "column"):
                if key in spec:
                    self.problem(f"{path}.{key}", f'only for dist = "empirical", not {dist!r}')
            if "cv" not in spec:
                self.problem(
                    f"{path}.cv", f"required for {dist}: the coefficient of variation (> 0)"
                )
                return None
            cv = spec["cv"]
            if not _is_number(cv) or not math.isfinite(cv) or cv <= 0:
                self.problem(
                    f"{path}.cv", f"expected a coefficient of variation > 0, got {_show(cv)}"
                )
                return None
            return LogNormal(float(cv)) if dist == "lognormal" else Gamma(float(cv))
        if dist in ("exponential", "deterministic"):
            for key in ("cv", "csv", "column"):
                if key in spec:
                    self.problem(
                        f"{path}.{key}",
                        f"not used with dist = {dist!r}"
                        + (" (its cv is fixed)" if key == "cv" else ""),
                    )
            return Exponential() if dist == "exponential" else Deterministic()
        if "cv" in spec:
            self.problem(
                f"{path}.cv", "not used with dist = 'empirical' (the samples give the shape)"
            )
        got = self.csv_column(spec, path, _from_cell(_sample_value), blanks=True)
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
            if value in ("exponential", "deterministic"):
                return Exponential() if value == "exponential" else Deterministic()
            extra = ""
            if value in ("lognormal", "gamma", "empirical"):
                extra = f' ({value} needs a table, e.g. {{ dist = "{value}", cv = 0.8 }})'
            self.problem(
                path,
                'expected "exponential", "deterministic" or a table '
                f"{{ dist = …, cv = … }}, got {_show(value)}{extra}"
                + (_hint(value, _SHAPES) if not extra else ""),
            )
            return Exponential()
        if isinstance(value, Mapping):
            self.check_keys(value, _HANDLE_TIME_KEYS, path)
            return self.shape(value, path, allow_empirical=True) or Exponential()
        self.problem(
            path, f'expected "exponential", "deterministic" or a table, got {_show(value)}'
        )
        return Exponential()

    def patience(self, value: Any, path: str) -> tuple[_Series | None, Distribution]:
        if value is None:
            return None, Exponential()
        if isinstance(value, Mapping) and "dist" not in value and "mean" not in value:
            return self.per_interval(value, path, _duration_value), Exponential()
        if isinstance(value, Mapping):
            self.check_keys(value, _PATIENCE_KEYS, path)
            if "dist" not in value:  # { mean = "150s" }: exponential, as for a bare duration
                dist: Distribution = Exponential()
            else:
                dist = self.shape(value, path, allow_empirical=True) or Exponential()
            if "mean" in value:
                mean = self.per_interval(value["mean"], f"{path}.mean", _duration_value)
            elif isinstance(dist, Empirical):
                mean = _Series(f"{path}.mean", dist.mean)
            else:
                self.problem(f"{path}.mean", 'required: the mean patience, e.g. mean = "150s"')
                mean = None
            return mean, dist
        return self.per_interval(value, path, _duration_value), Exponential()

    # -- the document --------------------------------------------------------------------------

    def build(self) -> Scenario:
        doc = self.doc
        if not isinstance(doc, Mapping):
            raise ScenarioError(
                [f"{self.where}: expected a table (a dict) at the top, got {_show(doc)}"]
            )
        self.check_keys(doc, _TOP_KEYS, "")

        name = doc.get("name", self.source.stem if self.source is not None else "scenario")
        if not isinstance(name, str) or not name.strip():
            self.problem("name", f"expected a non-empty text, got {_show(name)}")
            name = "scenario"
        if "version" in doc and doc["version"] != 1:
            self.problem(
                "version",
                f"this ccsim reads scenario format version 1, got {_show(doc['version'])}",
            )

        interval = self.interval(doc.get("interval"))
        start = self.start(doc.get("start", "00:00"))
        seed = 0
        if "seed" in doc:
            seed = self.whole(doc["seed"], "seed", 0, "") or 0
        shrinkage = 0.0
        if "shrinkage" in doc:
            shrinkage = self.share(doc["shrinkage"], "shrinkage", 0, 1, True, False) or 0.0
        uncertainty = 0.0
        if "volume_uncertainty" in doc:
            uncertainty = (
                self.share(doc["volume_uncertainty"], "volume_uncertainty", 0, math.inf, True, True)
                or 0.0
            )
        dequeue = "priority"
        routing = self.table(doc.get("routing"), "routing", "routing options")
        if routing:
            self.check_keys(routing, _ROUTING_KEYS, "routing")
            if "dequeue" in routing:
                value = routing["dequeue"]
                if value in _DEQUEUE:
                    dequeue = value
                else:
                    hint = _hint(value, _DEQUEUE) if isinstance(value, str) else ""
                    self.problem(
                        "routing.dequeue",
                        f'expected "priority" or "longest_waiting", got {_show(value)}{hint}',
                    )

        channel_specs = self.table(doc.get("channels"), "channels", "channels")
        group_specs = self.table(doc.get("groups"), "groups", "agent groups")
        if channel_specs is not None and not channel_specs and "channels" not in doc:
            self.problem("channels", "required: at least one [channels.NAME] table")
        elif channel_specs is not None and not channel_specs:
            self.problem("channels", "expected at least one channel, got none")
        channel_specs = channel_specs or {}
        group_specs = group_specs or {}
        group_names = [str(g) for g in group_specs]

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
        for cname, spec in channel_specs.items():
            if not isinstance(spec, Mapping):
                continue
            if not any(
                isinstance(group, Mapping)
                and isinstance(group.get("skills"), list)
                and cname in group["skills"]
                for group in group_specs.values()
            ):
                self.problem(
                    f"channels.{cname}",
                    f"no group has {cname!r} in its skills, got groups: "
                    f"{', '.join(group_names) or 'none'} — nobody would ever answer it, every "
                    f"contact would count as unanswered and its target could never be met; "
                    f"add {cname!r} to a group's skills",
                )

        n, labels = self.intervals()
        if self.problems:
            raise ScenarioError(self.problems)

        starts = labels if labels is not None else _labels(start, interval, n)
        channels = {}
        for cname, raw in raw_channels.items():
            patience = raw.pop("patience")
            channels[cname] = Channel(
                name=cname,
                volume=raw.pop("volume").expand(n),
                aht=raw.pop("aht").expand(n),
                patience=patience.expand(n) if patience is not None else None,
                **raw,
            )
        groups = {}
        for gname, (skills, agents) in raw_groups.items():
            array = agents.expand(n).astype(np.int64) if agents is not None else None
            groups[gname] = Group(name=gname, skills=skills, agents=array)
        scenario = Scenario(
            name=name,
            interval=interval,
            starts=starts,
            channels=channels,
            groups=groups,
            seed=seed,
            shrinkage=shrinkage,
            volume_uncertainty=uncertainty,
            dequeue=dequeue,
            source=self.source,
            spec=_jsonable(doc),
            base_dir=self.base_dir,
        )
        self.check_oddities(scenario)
        return dataclasses.replace(scenario, warnings=tuple(self.warnings))

    def interval(self, value: Any) -> float:
        if value is None:
            self.problem("interval", 'required: the length of a planning interval, e.g. "30min"')
            return 1800.0
        seconds = self.duration(value, "interval")
        if seconds is None:
            return 1800.0
        per_day = _DAY / seconds
        if abs(per_day - round(per_day)) > 1e-9 or seconds > _DAY:
            self.problem(
                "interval",
                f"must divide a day (24h) evenly, e.g. 15min, 30min or 60min; got {_show(value)} "
                f"({per_day:.4g} per day)",
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
            self.problem("start", f"{expected}, got {_show(value)}")
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
        self.problem("start", f"{expected}, got {_show(value)}")
        return 0

    def channel(
        self, cname: str, spec: Any, group_specs: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        path = f"channels.{cname}"
        if not isinstance(spec, Mapping):
            self.problem(
                path, f"expected a table of channel fields (volume, aht, …), got {_show(spec)}"
            )
            return None
        self.check_keys(spec, _CHANNEL_KEYS, path)
        raw: dict[str, Any] = {}
        for key, what in (("volume", "contacts offered per interval"), ("aht", "mean handle time")):
            if key not in spec and f"{path}.{key}" not in self.suggested:
                self.problem(
                    f"{path}.{key}",
                    f"required: {what} (a number, a list per interval or {{ csv, column }}), "
                    "got nothing",
                )
        volume = (
            self.per_interval(spec.get("volume"), f"{path}.volume", _volume_value)
            if "volume" in spec
            else None
        )
        aht = (
            self.per_interval(spec.get("aht"), f"{path}.aht", _duration_value)
            if "aht" in spec
            else None
        )
        raw["volume"], raw["aht"] = volume, aht
        raw["handle_time"] = self.handle_time(spec.get("handle_time"), f"{path}.handle_time")
        raw["patience"], raw["patience_dist"] = self.patience(
            spec.get("patience"), f"{path}.patience"
        )
        raw["concurrency"] = 1
        if "concurrency" in spec:
            raw["concurrency"] = (
                self.whole(
                    spec["concurrency"],
                    f"{path}.concurrency",
                    1,
                    " (contacts one agent handles at once)",
                )
                or 1
            )
        raw["concurrency_slowdown"] = 0.0
        if "concurrency_slowdown" in spec:
            raw["concurrency_slowdown"] = (
                self.share(
                    spec["concurrency_slowdown"],
                    f"{path}.concurrency_slowdown",
                    0,
                    math.inf,
                    True,
                    True,
                )
                or 0.0
            )
        sl = None
        if "service_level" in spec:
            sl = self.share(spec["service_level"], f"{path}.service_level", 0, 1, False, False)
        within = None
        if "within" in spec:
            within = self.duration(spec["within"], f"{path}.within")
        if (
            "service_level" in spec
            and "within" not in spec
            and f"{path}.within" not in self.suggested
        ):
            self.problem(
                f"{path}.within",
                "required when service_level is given: the time to answer within, e.g. "
                'within = "20s"; got nothing',
            )
        if (
            "within" in spec
            and "service_level" not in spec
            and f"{path}.service_level" not in self.suggested
        ):
            self.problem(
                f"{path}.service_level",
                "required when within is given: the share to answer in time, e.g. "
                "service_level = 0.8; got nothing",
            )
        raw["service_level"], raw["target_time"] = sl, within
        raw["asa"] = self.duration(spec["asa"], f"{path}.asa") if "asa" in spec else None
        raw["max_abandon"] = (
            self.share(spec["max_abandon"], f"{path}.max_abandon", 0, 1, False, False)
            if "max_abandon" in spec
            else None
        )
        raw["max_occupancy"] = (
            self.share(spec["max_occupancy"], f"{path}.max_occupancy", 0, 1, False, True)
            if "max_occupancy" in spec
            else None
        )
        raw["route_to"] = self.route_to(cname, spec, group_specs) if "route_to" in spec else None
        if volume is None or aht is None:
            return None
        return raw

    def route_to(
        self, cname: str, spec: Mapping[str, Any], group_specs: Mapping[str, Any]
    ) -> tuple[str, ...] | None:
        path = f"channels.{cname}.route_to"
        value = spec["route_to"]
        if not isinstance(value, list) or not value:
            self.problem(path, f"expected a non-empty list of group names, got {_show(value)}")
            return None
        names = []
        for i, gname in enumerate(value):
            if not isinstance(gname, str) or gname not in group_specs:
                hint = _hint(gname, list(group_specs)) if isinstance(gname, str) else ""
                self.problem(
                    f"{path}[{i}]",
                    "expected a group name "
                    f"(one of: {', '.join(map(str, group_specs)) or 'none'}), "
                    f"got {_show(gname)}{hint}",
                )
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

    def group(
        self, gname: str, spec: Any, channel_names: list[str]
    ) -> tuple[tuple[str, ...], _Series | None] | None:
        path = f"groups.{gname}"
        if not isinstance(spec, Mapping):
            self.problem(path, f"expected a table with skills and agents, got {_show(spec)}")
            return None
        self.check_keys(spec, _GROUP_KEYS, path)
        skills = spec.get("skills")
        ok = True
        if not isinstance(skills, list) or not skills:
            self.problem(
                f"{path}.skills",
                "expected a non-empty list of channel names in priority order, "
                f"got {_show(skills)}",
            )
            skills, ok = [], False
        seen = []
        for i, skill in enumerate(skills):
            if not isinstance(skill, str) or skill not in channel_names:
                hint = _hint(skill, channel_names) if isinstance(skill, str) else ""
                self.problem(
                    f"{path}.skills[{i}]",
                    f"expected a channel name (one of: {', '.join(channel_names) or 'none'}), "
                    f"got {_show(skill)}{hint}",
                )
                ok = False
            elif skill in seen:
                self.problem(f"{path}.skills[{i}]", f"channel {skill!r} is listed twice")
                ok = False
            seen.append(skill)
        agents = None
        if "agents" not in spec and f"{path}.agents" in self.suggested:
            ok = False
        elif "agents" not in spec:
            self.problem(
                f"{path}.agents",
                'required: agents per interval (a number, a list, { csv, column } or "auto"), '
                "got nothing",
            )
            ok = False
        elif spec["agents"] != "auto":
            value = spec["agents"]
            if isinstance(value, str):
                self.problem(
                    f"{path}.agents",
                    'expected a whole number ≥ 0, a list, { csv, column } or "auto", '
                    f"got {_show(value)}",
                )
                ok = False
            else:
                agents = self.per_interval(value, f"{path}.agents", _agents_value)
                ok = ok and agents is not None
        return (tuple(skills), agents) if ok else None

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

    def check_oddities(self, scenario: Scenario) -> None:
        """Warnings: legal but probably unintended."""
        for group in scenario.groups.values():
            if group.agents is not None and not group.agents.any():
                self.warn(f"groups.{group.name}.agents", "0 agents in every interval")
        for channel in scenario.channels.values():
            path = f"channels.{channel.name}"
            if not channel.volume.any():
                self.warn(f"{path}.volume", "0 contacts in every interval")
            if channel.concurrency == 1 and channel.concurrency_slowdown > 0:
                self.warn(f"{path}.concurrency_slowdown", "has no effect with concurrency 1")
            serving = [scenario.groups[g] for g in scenario.groups_for(channel.name)]
            if serving and all(g.agents is not None for g in serving):
                staffed = sum(g.agents for g in serving)
                empty = np.flatnonzero((channel.volume > 0) & (staffed == 0))
                if empty.size:
                    self.warn(
                        f"{path}.volume",
                        f"contacts arrive in {empty.size} interval(s) with no agent able to answer "
                        f"(first: {scenario.starts[empty[0]]}); they will wait or go unanswered",
                    )


def _sample_value(value: Any) -> float:
    if not _is_number(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"expected a number of seconds ≥ 0, got {_show(value)}")
    return float(value)


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


def _describe(summary: Mapping[str, Any]) -> str:
    """The human form of :meth:`Scenario.summary`."""
    iv = summary["intervals"]
    lines = [
        summary["name"],
        f"intervals: {iv['count']} × {format_duration(iv['length'])}, {iv['first']} → {iv['last']}",
        f"shrinkage {format_share(summary['shrinkage'])}, volume uncertainty (CV) "
        f"{summary['volume_uncertainty']:g}, dequeue {summary['dequeue']}, seed {summary['seed']}",
        "channels:",
    ]
    for ch in summary["channels"]:
        aht = format_duration(round(ch["aht"], 1))
        if ch["aht_min"] != ch["aht_max"]:
            low = format_duration(round(ch["aht_min"], 1))
            high = format_duration(round(ch["aht_max"], 1))
            aht += f" ({low}–{high})"
        patience = "never abandons"
        if ch["patience"] is not None:
            patience = f"patience {format_duration(round(ch['patience'], 1))} {ch['patience_dist']}"
        conc = f", concurrency {ch['concurrency']}" if ch["concurrency"] != 1 else ""
        if ch["concurrency_slowdown"]:
            conc += f" (+{format_share(ch['concurrency_slowdown'])} per extra)"
        targets = []
        if ch["service_level"] is not None:
            targets.append(
                f"{format_share(ch['service_level'])} in {format_duration(ch['within'])}"
            )
        if ch["asa"] is not None:
            targets.append(f"ASA ≤ {format_duration(ch['asa'])}")
        if ch["max_abandon"] is not None:
            targets.append(f"abandon ≤ {format_share(ch['max_abandon'])}")
        if ch["max_occupancy"] is not None:
            targets.append(f"occupancy ≤ {format_share(ch['max_occupancy'])}")
        lines.append(
            f"  {ch['name']}: {ch['total_volume']:,.0f} contacts, AHT {aht} {ch['handle_time']}, "
            f"{patience}{conc}"
        )
        route = f", routed to {', '.join(ch['route_to'])}" if ch["route_to"] else ""
        lines.append(
            f"    targets: {'; '.join(targets) or 'none'}; peak traffic "
            f"{ch['peak_traffic']:.1f} Erlangs at {ch['peak_start']}{route}"
        )
    lines.append("groups:")
    for group in summary["groups"]:
        agents = group["agents"]
        if agents != "auto":
            low, high = agents["min"], agents["max"]
            agents = f"{low}" if low == high else f"{low}–{high}"
        lines.append(f"  {group['name']}: skills {', '.join(group['skills'])}; agents {agents}")
    for warning in summary["warnings"]:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)
