"""The parts of a scenario: channels, agent groups, and the problems found in a document.

Every fact about one channel lives here as a method or property of
:class:`Channel` (is it deferred, its traffic, its slot handle time under
concurrency), so planner, simulator and CLI compute each of them one way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ccsim import erlang
from ccsim.distributions import Distribution, Exponential

__all__ = ["Break", "Channel", "Group", "Problem", "ScenarioError", "Shift"]


@dataclass(frozen=True)
class Problem:
    """One problem in a scenario document: where it is, what is wrong, and the value found.

    ``file`` names the document (its file name, or ``<scenario>``; empty when the
    problem is not about a document), ``key`` the dotted path of the field
    (empty for the document as a whole), ``message`` what is wrong and what was
    expected, ``value`` the offending value when there is one.
    """

    file: str
    key: str
    message: str
    value: Any = None

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.key, self.message) if part)


class ScenarioError(ValueError):
    """Problems in a scenario, as data (:class:`Problem`); the text lists each on a line
    as ``file: key.path: message``."""

    def __init__(self, problems: Iterable[Problem | str]):
        self.problems = [p if isinstance(p, Problem) else Problem("", "", str(p)) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))


def _frozen_array(values: Any, dtype: type = float) -> np.ndarray:
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Channel:
    """A way customers reach the center, with its volume, handle time, patience and targets.

    Targets are named as targets (``sl_target``, ``asa_max``) so that the
    achieved values keep the plain names (``service_level``, ``asa``) in every
    result table; the TOML keys stay ``service_level`` and ``asa``.

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
    sl_target : target share answered within ``target_time`` (None: no service-level target).
    target_time : the service-level threshold, seconds (the file's ``within``).
    asa_max : ceiling on the average speed of answer, seconds (the file's ``asa``).
    max_abandon : ceiling on the abandonment share.
    max_occupancy : ceiling on occupancy.
    route_to : groups a new contact is offered to, in order (None: longest-idle agent of any group).
    sl_per : ``"interval"`` (the service-level target holds in every interval) or ``"day"``
        (over the day's contacts: answered within ÷ offered over the day; the file's ``per``).
    open_hours : boolean per interval from the file's ``hours`` (None: not given; see
        :meth:`ccsim.scenario.Scenario.open_mask` for the default).
    clock : a deferred channel's target clock: ``"open"`` (``within`` counts open hours;
        work waiting at the close carries to the next opening) or ``"wall"``.
    """

    name: str
    volume: np.ndarray
    aht: np.ndarray
    handle_time: Distribution = field(default_factory=Exponential)
    patience: np.ndarray | None = None
    patience_dist: Distribution = field(default_factory=Exponential)
    concurrency: int = 1
    concurrency_slowdown: float = 0.0
    sl_target: float | None = None
    target_time: float | None = None
    asa_max: float | None = None
    max_abandon: float | None = None
    max_occupancy: float | None = None
    route_to: tuple[str, ...] | None = None
    sl_per: str = "interval"
    open_hours: np.ndarray | None = None
    clock: str = "open"

    def __post_init__(self) -> None:
        object.__setattr__(self, "volume", _frozen_array(self.volume))
        object.__setattr__(self, "aht", _frozen_array(np.broadcast_to(self.aht, self.volume.shape)))
        if self.patience is not None:
            patience = np.broadcast_to(self.patience, self.volume.shape)
            object.__setattr__(self, "patience", _frozen_array(patience))
        if self.open_hours is not None:
            object.__setattr__(self, "open_hours", _frozen_array(self.open_hours, dtype=bool))

    @property
    def abandons(self) -> bool:
        """True when customers of this channel abandon (a patience is given)."""
        return self.patience is not None

    @property
    def has_target(self) -> bool:
        """True when some target is set (service level, ASA, abandonment or occupancy)."""
        targets = (self.sl_target, self.asa_max, self.max_abandon, self.max_occupancy)
        return any(t is not None for t in targets)

    @property
    def open(self) -> np.ndarray:
        """Boolean per interval: the channel has volume in it."""
        return self.volume > 0

    @property
    def slot_aht(self) -> np.ndarray:
        """Handle time of one contact held alongside ``concurrency − 1`` others, seconds.

        ``aht × (1 + concurrency_slowdown × (concurrency − 1))``: the planner
        treats an agent as ``concurrency`` independent servers ("slots"), each
        taking this long.
        """
        return self.aht * (1.0 + self.concurrency_slowdown * (self.concurrency - 1))

    def is_deferred(self, interval: float) -> bool:
        """True for a deferred channel (email, social): no abandonment and a target time of
        at least one interval (``interval`` in seconds)."""
        return not self.abandons and self.target_time is not None and self.target_time >= interval

    def uses_open_clock(self, interval: float) -> bool:
        """True when ``within`` counts open hours: a deferred channel with ``clock = "open"``."""
        return self.clock == "open" and self.is_deferred(interval)

    def traffic(self, interval: float) -> np.ndarray:
        """Offered load per interval in Erlangs: volume × AHT ÷ interval length (seconds)."""
        return erlang.traffic(self.volume, self.aht, interval)

    def slot_traffic(self, interval: float) -> np.ndarray:
        """Offered load per interval on agent slots, Erlangs: volume × :attr:`slot_aht` ÷
        interval length (seconds)."""
        return erlang.traffic(self.volume, self.slot_aht, interval)


@dataclass(frozen=True, eq=False)
class Group:
    """Agents with the same skills, in priority order.

    ``agents`` is the staffing per interval (int array), or None for ``"auto"``:
    the staffing plan decides. ``shrinkage`` is the group's own share of paid time
    off the phones per interval (float array in [0, 1)), or None: the scenario's.
    """

    name: str
    skills: tuple[str, ...]
    agents: np.ndarray | None = None
    shrinkage: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", tuple(self.skills))
        if self.agents is not None:
            object.__setattr__(self, "agents", _frozen_array(self.agents, dtype=np.int64))
        if self.shrinkage is not None:
            object.__setattr__(self, "shrinkage", _frozen_array(self.shrinkage))

    @property
    def auto(self) -> bool:
        """True when the staffing plan decides this group's agents."""
        return self.agents is None


@dataclass(frozen=True)
class Break:
    """A break in a shift: ``length`` seconds off the phones, starting between ``earliest``
    and ``latest`` seconds after the shift starts (both included)."""

    length: float
    earliest: float
    latest: float


@dataclass(frozen=True, eq=False)
class Shift:
    """A shift template agents work (the file's ``[shifts.NAME]``); every time in seconds.

    Attributes
    ----------
    name : template name.
    length : paid length of one shift, seconds (breaks included).
    starts : allowed start times, seconds after midnight (each day of the horizon).
    breaks : the breaks of every shift of this template, in order.
    groups : the groups its agents may staff (all groups when the file names none).
    cost : cost of one paid hour (1: the roster minimises paid hours).
    min_count : fewest shifts of this template starting on each day of the horizon.
    max_count : most shifts of this template starting on each day (None: no limit).
    days_on : days worked out of every 7 (week scenarios; None: any day may be worked).
    consecutive_off : with ``days_on``, the days off of a week follow each other.
    """

    name: str
    length: float
    starts: tuple[float, ...]
    breaks: tuple[Break, ...] = ()
    groups: tuple[str, ...] = ()
    cost: float = 1.0
    min_count: int = 0
    max_count: int | None = None
    days_on: int | None = None
    consecutive_off: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts", tuple(float(s) for s in self.starts))
        object.__setattr__(self, "breaks", tuple(self.breaks))
        object.__setattr__(self, "groups", tuple(self.groups))

    @property
    def paid_hours(self) -> float:
        """Paid hours of one shift (its length, breaks included)."""
        return self.length / 3600.0

    def placements(self, interval: float, limit: int = 10_000) -> list[tuple[int, ...]]:
        """Every way to place this template's breaks in one shift, as tuples of each break's
        start in intervals after the shift's start (``interval`` in seconds); breaks keep
        their order and do not overlap. At most ``limit + 1`` tuples are listed (more are
        too many to roster). ``[()]`` when the template has no breaks."""
        ways: list[tuple[int, ...]] = [()]
        for brk in self.breaks:
            first = round(brk.earliest / interval)
            last = round(brk.latest / interval)
            span = round(brk.length / interval)
            grown = []
            for way in ways:
                free = way[-1] + round(self.breaks[len(way) - 1].length / interval) if way else 0
                for offset in range(max(first, free), last + 1):
                    if offset + span <= round(self.length / interval):
                        grown.append((*way, offset))
                if len(grown) > limit:
                    return grown
            ways = grown
        return ways
