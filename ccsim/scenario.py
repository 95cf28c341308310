"""The Scenario model: channels, agent groups and targets, validated, in seconds.

A :class:`Scenario` is immutable. Per-interval values (volume, AHT, patience,
agents) are read-only numpy arrays of one length, ``n_intervals``; every time
is in seconds and every share a fraction. Scenarios come from a TOML file
(:func:`load_scenario`) or from a plain dict (:meth:`Scenario.from_dict`, the
same structure as the file); :meth:`Scenario.with_overrides` applies dotted-path
changes (``{"channels.voice.aht": 200}``) and validates again — sweeps use it.

This module is the model and its entry points; reading and checking a document
lives in ``ccsim._scenario_parse``, and the text of :meth:`Scenario.describe` in
``ccsim._scenario_text``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from ccsim import _scenario_text
from ccsim.distributions import Distribution, Exponential

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

    @property
    def has_target(self) -> bool:
        """True when some target is set (service level, ASA, abandonment or occupancy)."""
        targets = (self.service_level, self.asa, self.max_abandon, self.max_occupancy)
        return any(t is not None for t in targets)

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

    def __getstate__(self) -> dict[str, Any]:
        """Picklable state (worker processes get scenarios): the read-only views as dicts."""
        state = dict(self.__dict__)
        state["channels"] = dict(self.channels)
        state["groups"] = dict(self.groups)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        state["channels"] = MappingProxyType(state["channels"])
        state["groups"] = MappingProxyType(state["groups"])
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
        from ccsim._scenario_parse import build_scenario

        source = Path(source) if source is not None else None
        if base_dir is None and source is not None:
            base_dir = source.parent
        return build_scenario(doc, source, Path(base_dir) if base_dir is not None else None)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new scenario with dotted-path changes applied to ``spec``, validated again.

        Keys are dotted paths into the document, e.g. ``"channels.voice.aht"``,
        ``"groups.phones.agents"``, ``"shrinkage"`` or ``"channels.voice.volume.3"``
        (an element of a list); a value of None removes the key (e.g. a patience).
        One number for a per-interval field (volume, aht, patience, agents) means
        every interval: it keeps this scenario's ``n_intervals``. A path that names
        nothing the format knows raises :class:`ScenarioError`.
        """
        from ccsim._scenario_parse import apply_overrides

        doc = apply_overrides(self.spec, overrides, self.source, self.n_intervals)
        return Scenario.from_dict(doc, source=self.source, base_dir=self.base_dir)

    def summary(self) -> dict[str, Any]:
        """A plain-data summary (JSON-ready): intervals, channels with totals and peaks, groups."""
        return _scenario_text.summarize(self)

    def describe(self) -> str:
        """A one-screen human summary of :meth:`summary` (what ``ccsim validate`` prints)."""
        return _scenario_text.describe(self.summary())


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file; CSV paths in it are relative to its directory.

    Raises :class:`ScenarioError` listing every problem (a missing file, TOML
    syntax with its line, or each invalid field as ``file: key.path: message``).
    """
    from ccsim._scenario_parse import read_toml

    path = Path(path)
    return Scenario.from_dict(read_toml(path), source=path, base_dir=path.parent)
