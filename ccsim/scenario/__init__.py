"""The Scenario model: channels, agent groups and targets, validated, in seconds.

A :class:`Scenario` is immutable. Per-interval values (volume, AHT, patience,
agents) are read-only numpy arrays of one length, ``n_intervals``; every time
is in seconds and every share a fraction. Scenarios come from a TOML file
(:func:`load_scenario`) or from a plain dict (:meth:`Scenario.from_dict`, the
same structure as the file); :meth:`Scenario.with_overrides` applies dotted-path
changes (``{"channels.voice.aht": 200}``) and validates again — sweeps use it.

This package is the scenario layer: :mod:`ccsim.scenario.model` has the parts
(:class:`Channel`, :class:`Group`, :class:`ScenarioError` with its
:class:`Problem` list), :mod:`ccsim.scenario.parse` reads and checks a document,
:mod:`ccsim.scenario.text` summarises one; this module has the
:class:`Scenario` itself, with every fact that needs the whole scenario (which
group carries a channel, which intervals are open), and the entry points.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from ccsim.scenario import parse, text
from ccsim.scenario.model import Break, Channel, Group, Problem, ScenarioError, Shift

__all__ = [
    "Break",
    "Channel",
    "Group",
    "Problem",
    "Scenario",
    "ScenarioError",
    "Shift",
    "load_scenario",
]


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
    interval_uncertainty : CV of a gamma factor drawn per interval of a simulated day, on top of
        the day's busyness (days differ in shape too; 0: none).
    day_factors : measured days × intervals: each day's contacts ÷ the mean volume, per
        interval (from ``ccsim fit``); when given, simulated and planned days are these days.
    days_met : share of days on which every target must hold (None: plan the average day).
    initial_waiting : contacts already waiting at the start, as (channel, age in seconds),
        oldest first — a state to simulate the rest of a day from (:meth:`from_state`).
    dequeue : ``"priority"`` or ``"longest_waiting"`` (see the scenario format).
    source : the file this scenario was read from, if any.
    spec : the document (plain dict, as in the TOML file) it was built from.
    base_dir : directory that CSV paths in ``spec`` are relative to (None: the working directory).
    warnings : things that are legal but probably unintended, as ``file: key.path: message``.
    shifts : shift template name → :class:`Shift` (the file's ``[shifts.NAME]``; empty: none).
    contract_hours : paid hours of one FTE per week (e.g. 37.5): FTE-hours become a count of
        people on contract (:meth:`contracts`); None: not given.
    """

    name: str
    interval: float
    starts: tuple[str, ...]
    channels: Mapping[str, Channel]
    groups: Mapping[str, Group]
    seed: int = 0
    shrinkage: float = 0.0
    volume_uncertainty: float = 0.0
    interval_uncertainty: float = 0.0
    day_factors: np.ndarray | None = None
    days_met: float | None = None
    initial_waiting: tuple[tuple[str, float], ...] = ()
    dequeue: str = "priority"
    source: Path | None = None
    spec: Mapping[str, Any] = field(default_factory=dict)
    base_dir: Path | None = None
    warnings: tuple[str, ...] = ()
    shifts: Mapping[str, Shift] = field(default_factory=dict)
    contract_hours: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts", tuple(self.starts))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        object.__setattr__(self, "channels", MappingProxyType(dict(self.channels)))
        object.__setattr__(self, "groups", MappingProxyType(dict(self.groups)))
        object.__setattr__(self, "shifts", MappingProxyType(dict(self.shifts)))

    def __getstate__(self) -> dict[str, Any]:
        """Picklable state (worker processes get scenarios): the read-only views as dicts."""
        state = dict(self.__dict__)
        state["channels"] = dict(self.channels)
        state["groups"] = dict(self.groups)
        state["shifts"] = dict(self.shifts)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        state["channels"] = MappingProxyType(state["channels"])
        state["groups"] = MappingProxyType(state["groups"])
        state["shifts"] = MappingProxyType(state.get("shifts", {}))
        self.__dict__.update(state)

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

    def agent_hours(self, agents: np.ndarray | Mapping[str, np.ndarray]) -> float:
        """Agent-hours of a staffing: Σ agents × interval length ÷ 3600.

        ``agents`` is agents per interval (any array of whole numbers, e.g. one
        group's or groups × intervals) or a mapping group → such arrays.
        """
        arrays = agents.values() if isinstance(agents, Mapping) else [agents]
        return float(sum(int(np.sum(a)) for a in arrays) * (self.interval / 3600.0))

    def group_shrinkage(self, group: str) -> np.ndarray:
        """Shrinkage per interval of ``group``: its own ``shrinkage``, else the scenario's."""
        own = self.groups[group].shrinkage
        if own is not None:
            return own
        return np.full(self.n_intervals, self.shrinkage)

    def fte_hours(self, agents: Mapping[str, np.ndarray]) -> float:
        """FTE-hours of a staffing (group → agents per interval): Σ agents ÷ (1 − the
        group's shrinkage in that interval) × interval length ÷ 3600."""
        total = 0.0
        for name, staff in agents.items():
            paid = np.asarray(staff, dtype=float) / (1.0 - self.group_shrinkage(name))
            total += float(paid.sum())
        return total * self.interval / 3600.0

    def contracts(self, fte_hours: float) -> float | None:
        """People on ``contract_hours`` a week that ``fte_hours`` over the horizon take,
        its days repeated to a week (a day's hours × 7, a week's as they are; a day is
        any part of a calendar day the horizon covers); None without ``contract_hours``."""
        if self.contract_hours is None:
            return None
        days = len(self.day_labels())
        return fte_hours * 7.0 / days / self.contract_hours

    def day_index(self) -> np.ndarray:
        """The day (0-based) each interval lies in: the first label's time of day plus the
        intervals before it, in whole days."""
        match = re.search(r"(\d{1,2}):(\d{2})$", self.starts[0]) if self.starts else None
        offset = int(match.group(1)) * 3600.0 + int(match.group(2)) * 60.0 if match else 0.0
        elapsed = offset + np.arange(self.n_intervals) * self.interval
        return (elapsed // 86400.0).astype(np.int64)

    def day_labels(self) -> list[str]:
        """A label per day of the horizon: ``"Mon 2026-11-23"`` when the interval labels are
        dated, else ``"day 1"``, ``"day 2"``, …"""
        index = self.day_index()
        n_days = int(index[-1]) + 1 if index.size else 0
        first = self.starts[0].split()[0] if self.starts and " " in self.starts[0] else None
        if first is None:
            return [f"day {d + 1}" for d in range(n_days)]
        import datetime as dt

        day0 = dt.date.fromisoformat(first)
        return [(day0 + dt.timedelta(days=d)).strftime("%a %Y-%m-%d") for d in range(n_days)]

    @property
    def open_intervals(self) -> np.ndarray:
        """Boolean per interval: the center is open (some channel has volume in it)."""
        return np.any([c.open for c in self.channels.values()], axis=0)

    def open_mask(self, channel: str) -> np.ndarray:
        """Boolean per interval: ``channel`` is open — its ``hours`` when given, else the
        intervals where it has volume or a group able to serve it has agents."""
        ch = self.channels[channel]
        if ch.open_hours is not None:
            return np.asarray(ch.open_hours, dtype=bool)
        staffed = np.zeros(self.n_intervals, dtype=bool)
        for name in self.groups_for(channel):
            agents = self.groups[name].agents
            if agents is not None:
                staffed |= agents > 0
        return (ch.volume > 0) | staffed

    def open_time(self, channel: str, times: np.ndarray) -> np.ndarray:
        """Open seconds of ``channel`` from the start of the horizon to each of ``times``
        (seconds): the target clock of :meth:`Channel.uses_open_clock` channels. A
        negative time (a contact carried from before the horizon, its age already in open
        seconds) is returned as is; after the horizon nothing more is open."""
        times = np.asarray(times, dtype=float)
        length, n = float(self.interval), self.n_intervals
        open_ = self.open_mask(channel).astype(float)
        cumulative = np.concatenate([[0.0], np.cumsum(open_ * length)])
        k = np.clip(np.floor(times / length), 0, n - 1).astype(np.int64)
        inside = cumulative[k] + open_[k] * np.clip(times - k * length, 0.0, length)
        return np.where(times < 0, times, np.where(times >= n * length, cumulative[-1], inside))

    def is_deferred(self, channel: str) -> bool:
        """True when ``channel`` is deferred (email, social): see :meth:`Channel.is_deferred`."""
        return self.channels[channel].is_deferred(self.interval)

    def home_groups(self, planned: Iterable[str]) -> dict[str, str | None]:
        """Channel → the group among ``planned`` that carries its staffing requirement.

        The first planned group of the channel's ``route_to``, else the first
        planned group in file order that has the skill; None when no planned
        group serves it.
        """
        planned = set(planned)
        homes: dict[str, str | None] = {}
        for name, channel in self.channels.items():
            candidates = list(channel.route_to or ()) + self.groups_for(name)
            homes[name] = next(
                (g for g in candidates if g in planned and name in self.groups[g].skills), None
            )
        return homes

    def fixed_dedicated(self, planned: Iterable[str]) -> dict[str, np.ndarray]:
        """Channel → agents per interval of the groups not in ``planned`` whose only skill it is."""
        planned = set(planned)
        out = {name: np.zeros(self.n_intervals, dtype=np.int64) for name in self.channels}
        for name, group in self.groups.items():
            if name not in planned and len(group.skills) == 1 and group.agents is not None:
                out[group.skills[0]] = out[group.skills[0]] + group.agents
        return out

    def from_state(
        self,
        start: str,
        waiting: Iterable[tuple[str, float]] = (),
        agents: Mapping[str, int] | None = None,
    ) -> Scenario:
        """The rest of the day from interval ``start`` (a label, or its time ``"11:00"``):
        the intervals from there on, with contacts already waiting (channel, age in
        seconds) and, for the groups in ``agents``, that many agents in the first interval.
        Raises ValueError naming what does not fit."""
        times = [label.split()[-1] for label in self.starts]
        if start in self.starts:
            k = self.starts.index(start)
        elif start in times:
            k = times.index(start)
        else:
            raise ValueError(f"--from {start}: no interval starts then ({self.starts[0]} …)")
        waiting = tuple(sorted(((str(c), float(a)) for c, a in waiting), key=lambda w: -w[1]))
        for channel, age in waiting:
            if channel not in self.channels or not age >= 0:
                raise ValueError(f"waiting contact ({channel!r}, {age!r}): unknown channel or age")
        agents = dict(agents or {})
        unknown = sorted(set(agents) - set(self.groups))
        if unknown:
            raise ValueError(f"agents for unknown group(s) {', '.join(unknown)}")
        channels = {
            name: dataclasses.replace(
                ch,
                volume=ch.volume[k:],
                aht=ch.aht[k:],
                patience=None if ch.patience is None else ch.patience[k:],
                open_hours=None if ch.open_hours is None else ch.open_hours[k:],
            )
            for name, ch in self.channels.items()
        }
        groups = {}
        for name, group in self.groups.items():
            staff = None if group.agents is None else np.array(group.agents[k:])
            if staff is not None and name in agents:
                staff[0] = int(agents[name])  # the agents on shift now
            shrink = None if group.shrinkage is None else group.shrinkage[k:]
            groups[name] = dataclasses.replace(group, agents=staff, shrinkage=shrink)
        factors = None if self.day_factors is None else self.day_factors[:, k:]
        return self.replace(
            starts=self.starts[k:],
            channels=channels,
            groups=groups,
            day_factors=factors,
            initial_waiting=waiting,
        )

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
        numpy arrays and numpy numbers are accepted as lists and numbers; ``spec``
        keeps them as plain Python.
        """
        source = Path(source) if source is not None else None
        if base_dir is None and source is not None:
            base_dir = source.parent
        fields = parse.scenario_fields(
            doc, source, Path(base_dir) if base_dir is not None else None
        )
        return cls(**fields)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new scenario with dotted-path changes applied to ``spec``, validated again.

        Keys are dotted paths into the document, e.g. ``"channels.voice.aht"``,
        ``"groups.phones.agents"``, ``"shrinkage"`` or ``"channels.voice.volume.3"``
        (an element of a list); a value of None removes the key (e.g. a patience).
        One number for a per-interval field (volume, aht, patience, agents) means
        every interval: it keeps this scenario's ``n_intervals``. A path that names
        nothing the format knows raises :class:`ScenarioError`.
        """
        doc = parse.apply_overrides(self.spec, overrides, self.source, self.n_intervals)
        return Scenario.from_dict(doc, source=self.source, base_dir=self.base_dir)

    def scaled(self, factors: Mapping[str, float]) -> Scenario:
        """A new scenario with the values at dotted paths multiplied, validated again — a
        what-if such as ``{"channels.voice.volume": 1.1}`` (10% more calls in every interval).

        Per-interval fields (a channel's ``volume``, ``aht``, ``patience``; a group's
        ``agents``, rounded to whole agents, and ``shrinkage``) are scaled as the scenario
        reads them, from a number, a list or a CSV column; any other key holding a number,
        a duration (seconds) or a share (``shrinkage``, ``channels.voice.within``) as
        written. Raises :class:`ScenarioError` naming the key when it holds no number to
        scale or the factor is not a finite number ≥ 0.
        """
        overrides: dict[str, Any] = {}
        problems = []
        where = self.source.name if self.source is not None else "<scenario>"
        for key, factor in factors.items():
            try:
                number = float(factor)
            except (TypeError, ValueError):
                number = float("nan")
            if isinstance(factor, bool) or not 0 <= number < float("inf"):
                problems.append(
                    Problem(where, key, f"the factor must be a number ≥ 0, got {factor!r}")
                )
                continue
            try:
                overrides.update(self._scaled_value(key, number))
            except ValueError as exc:
                problems.append(Problem(where, key, str(exc)))
        if problems:
            raise ScenarioError(problems)
        return self.with_overrides(overrides)

    def _scaled_value(self, key: str, factor: float) -> dict[str, Any]:
        """The override(s) that multiply the value at ``key`` by ``factor`` (see :meth:`scaled`)."""
        parts = key.split(".")
        node: Any = self.spec
        for part in parts:
            if not isinstance(node, Mapping) or part not in node:
                raise ValueError("nothing to scale here: the scenario does not give this key")
            node = node[part]
        table = len(parts) == 3 and parts[0] in ("channels", "groups")
        if table and parts[0] == "channels" and parts[2] in ("volume", "aht", "patience"):
            values = getattr(self.channels[parts[1]], parts[2])
            if parts[2] == "patience" and isinstance(node, Mapping):
                key = f"{key}.mean"
            out: dict[str, Any] = {key: [float(v) * factor for v in values]}
        elif table and parts[0] == "groups" and parts[2] in ("agents", "shrinkage"):
            values = getattr(self.groups[parts[1]], parts[2])
            if values is None:
                raise ValueError('agents = "auto": the plan decides, there is nothing to scale')
            rounded = parts[2] == "agents"
            out = {key: [round(v * factor) if rounded else float(v) * factor for v in values]}
        else:
            return {key: _scaled_scalar(node, factor)}
        if isinstance(node, Mapping) and "csv" in node:
            out.setdefault("start", self.starts[0])  # the CSV's labels, now given by start
        return out

    def echo(self) -> dict[str, Any]:
        """How output files echo this scenario: ``{"scenario": its document, "name": …}``
        (the document is ``{"name": …}`` for a scenario built without one)."""
        return {"scenario": dict(self.spec) or {"name": self.name}, "name": self.name}

    def summary(self) -> dict[str, Any]:
        """A plain-data summary (JSON-ready): intervals, channels with totals and peaks, groups."""
        return text.summarize(self)

    def describe(self) -> str:
        """A one-screen human summary of :meth:`summary` (what ``ccsim validate`` prints)."""
        return text.describe(self.summary())


def _scaled_scalar(value: Any, factor: float) -> Any:
    """A number, a share ("30%") or a duration ("20s") × ``factor``; ValueError otherwise."""
    from ccsim.durations import parse_duration, parse_share

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value * factor
    if isinstance(value, str):
        try:
            if value.strip().endswith("%"):
                return parse_share(value) * factor
            return parse_duration(value) * factor
        except ValueError:
            pass
    raise ValueError("holds no number, share or duration to scale")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file; CSV paths in it are relative to its directory.

    Raises :class:`ScenarioError` listing every problem (a missing file, TOML
    syntax with its line, or each invalid field as ``file: key.path: message``).
    """
    path = Path(path)
    return Scenario.from_dict(parse.read_toml(path), source=path, base_dir=path.parent)
