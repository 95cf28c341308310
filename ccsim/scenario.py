"""The Scenario model: channels, agent groups and targets, validated, in seconds.

A :class:`Scenario` is immutable. Per-interval values (volume, AHT, patience,
agents) are read-only numpy arrays of one length, ``n_intervals``; every time
is in seconds and every share a fraction. Scenarios come from a TOML file
(:func:`load_scenario`) or from a plain dict (:meth:`Scenario.from_dict`, the
same structure as the file); :meth:`Scenario.with_overrides` applies dotted-path
changes (``{"channels.voice.aht": 200}``) and validates again — sweeps use it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from ccsim.distributions import Distribution, Exponential

__all__ = ["Channel", "Group", "Scenario", "ScenarioError"]


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts", tuple(self.starts))
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
