"""Work that crosses the night: one replication as a typical day in a run of such days.

A written channel whose ``within`` counts open hours (``clock = "open"``, the
default for deferred channels) does not lose the contacts still waiting when
it closes: they are answered when it reopens. The horizon is one day (or one
week) of a run of such days, so the day starts with the backlog that the same
plan leaves at the close of the days before — a steady state, reached per
replication by playing :data:`WARMUP_DAYS` independent days first (their own
random streams: a busy day is not followed by the same busy day), each
starting with the backlog of the one before (one is enough where the
morning clears the night's backlog: a day's backlog hardly depends on the one
it started with).

A carried contact keeps its interval of arrival and its age in open seconds
(its arrival time is minus that age), so its wait counts open hours across the
night. In the records of the final play the contacts still waiting at the
close are left out — in a run of such days they are the next morning's
backlog, and the backlog this day started with (answered today, in their
intervals of arrival) stands for them — as many as the morning's backlog
holds: when a day leaves more than it found (a busy day, or a plan that
cannot keep up), the excess stays unanswered and counts against the service
level.
Contacts of other channels still waiting at the end are unanswered, as
before.
"""

from __future__ import annotations

import array
from dataclasses import dataclass

import numpy as np

from ccsim.scenario import Scenario
from ccsim.sim.arrivals import Arrivals, generate_arrivals, replication_rng, to_buffer
from ccsim.sim.metrics import UNANSWERED, contact_records
from ccsim.sim.model import ContactCenter

__all__ = ["Backlog", "WARMUP_DAYS", "carrying_channels", "play_day"]

_GIVEN_STATE = 5  # random stream of the handle times of a given state's waiting contacts

WARMUP_DAYS = 1
"""Days played before a replication's day to build the backlog it starts with."""
_WARMUP_OFFSET = 1 << 40  # warm-up days' stream indexes: far above any replication index


@dataclass(frozen=True)
class Backlog:
    """Contacts waiting at a close: channel index, interval of arrival, age in open seconds
    and handle time (seconds), one entry per contact, oldest first."""

    channel: np.ndarray
    interval: np.ndarray
    age: np.ndarray
    handle: np.ndarray
    deadline: np.ndarray | None = None  # seconds from time 0 (None: nobody abandons)

    @classmethod
    def empty(cls) -> Backlog:
        return cls(*(np.zeros(0, dtype=t) for t in (np.int16, np.int32, float, float)))

    def __len__(self) -> int:
        return len(self.channel)

    def per_channel(self, n_channels: int) -> np.ndarray:
        """How many contacts of each channel."""
        return np.bincount(self.channel.astype(np.int64), minlength=n_channels).astype(float)


def carrying_channels(scenario: Scenario) -> list[int]:
    """Indexes of the channels whose waiting contacts carry over to the next opening."""
    return [
        c
        for c, ch in enumerate(scenario.channels.values())
        if ch.uses_open_clock(scenario.interval)
    ]


def with_backlog(arrivals: Arrivals, backlog: Backlog) -> Arrivals:
    """``arrivals`` with ``backlog`` in front, waiting at time 0 (arrival = −age)."""
    if not len(backlog):
        return arrivals

    def joined(front: np.ndarray, back: np.ndarray, typecode: str = "d") -> array.array:
        return to_buffer(np.concatenate([front, back]), typecode)

    return Arrivals(
        time_buffer=joined(-backlog.age, arrivals.time),
        channel=np.concatenate([backlog.channel, arrivals.channel]).astype(arrivals.channel.dtype),
        interval=np.concatenate([backlog.interval, arrivals.interval]).astype(
            arrivals.interval.dtype
        ),
        handle_buffer=joined(backlog.handle, arrivals.handle),
        deadline_buffer=joined(
            np.full(len(backlog), np.inf) if backlog.deadline is None else backlog.deadline,
            arrivals.deadline,
        ),
        busyness=arrivals.busyness,
        waiting=len(backlog) + arrivals.waiting,
    )


def leftover(
    scenario: Scenario, arrivals: Arrivals, records: dict[str, np.ndarray], carry: list[int]
) -> tuple[Backlog, np.ndarray]:
    """The contacts of carrying channels still waiting at the close (a :class:`Backlog`,
    oldest first) and the mask of those rows in ``records``."""
    names = list(scenario.channels)
    mask = (records["outcome"] == UNANSWERED) & np.isin(records["channel"], carry)
    rows = np.flatnonzero(mask)
    age = np.zeros(len(rows))
    channel = records["channel"][rows]
    for c in np.unique(channel):
        pick = channel == c
        start = records["arrival"][rows[pick]]
        close = scenario.open_time(names[c], np.full(len(start), scenario.horizon))
        age[pick] = close - scenario.open_time(names[c], start)
    order = np.argsort(-age, kind="stable")
    rows = rows[order]
    backlog = Backlog(
        channel=records["channel"][rows].astype(np.int16),
        interval=records["interval"][rows].astype(np.int32),
        age=age[order],
        handle=arrivals.handle[rows],
    )
    return backlog, mask


def given_backlog(scenario: Scenario, seed: int, replication: int) -> Backlog:
    """The scenario's ``initial_waiting`` contacts as a backlog: handle times drawn from
    each channel's distribution (its first interval's AHT), in the first interval.

    A waiting contact of a channel whose customers abandon gets a fresh patience drawn
    from that channel's distribution, counted from its arrival (it abandons at once if
    that is already past): the state does not say how patient the ones still waiting are.
    """
    names = list(scenario.channels)
    waiting = scenario.initial_waiting
    channel = np.array([names.index(c) for c, _ in waiting], dtype=np.int16)
    age = np.array([a for _, a in waiting], dtype=float)
    handle, deadline = np.zeros(len(waiting)), np.full(len(waiting), np.inf)
    for c in np.unique(channel):
        rows = np.flatnonzero(channel == c)
        ch = scenario.channels[names[c]]
        rng = replication_rng(seed, replication, int(c), _GIVEN_STATE)
        handle[rows] = ch.handle_time.sample(rng, np.full(len(rows), ch.aht[0]), len(rows))
        if ch.patience is not None:
            patience = ch.patience_dist.sample(rng, np.full(len(rows), ch.patience[0]), len(rows))
            deadline[rows] = patience - age[rows]
    zero = np.zeros(len(waiting), dtype=np.int32)
    return Backlog(channel, zero, age, handle, deadline)


def play_day(
    scenario: Scenario, staffing: np.ndarray, seed: int, replication: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """One replication's contact records, and per channel the contacts carried over the
    night at the close (zeros for channels that do not carry; see the module doc)."""
    fresh = generate_arrivals(scenario, seed, replication)
    if scenario.initial_waiting:  # the rest of a day from a given state: played once
        arrivals = with_backlog(fresh, given_backlog(scenario, seed, replication))
        raw = ContactCenter(scenario, staffing, arrivals).run()
        records = contact_records(arrivals, raw, replication, scenario.horizon)
        return records, np.zeros(len(scenario.channels))
    carry = carrying_channels(scenario)
    # The days before: independent days of their own (not this day again: a busy day is
    # not followed by the same busy day), each starting with the backlog of the one before.
    backlog = Backlog.empty()
    for k in range(WARMUP_DAYS if carry else 0):
        before = generate_arrivals(scenario, seed, _warmup_key(replication, k))
        _, backlog, _ = _play(scenario, staffing, before, backlog, replication, carry)
    records, left, mask = _play(scenario, staffing, fresh, backlog, replication, carry)
    if not carry:
        return records, np.zeros(len(scenario.channels))
    drop = _stand_ins(records, mask, backlog, len(scenario.channels))
    kept = {key: np.asarray(values)[~drop] for key, values in records.items()}
    return kept, left.per_channel(len(scenario.channels))


def _warmup_key(replication: int, k: int) -> int:
    """The replication index of the random streams of warm-up day ``k`` before
    ``replication``: far from every measured replication's index."""
    return _WARMUP_OFFSET + replication * WARMUP_DAYS + k


def _play(
    scenario: Scenario,
    staffing: np.ndarray,
    fresh: Arrivals,
    backlog: Backlog,
    replication: int,
    carry: list[int],
) -> tuple[dict[str, np.ndarray], Backlog, np.ndarray]:
    """Play one day that starts with ``backlog``: its records, the backlog it leaves at the
    close, and the rows of that backlog in the records."""
    arrivals = with_backlog(fresh, backlog)
    raw = ContactCenter(scenario, staffing, arrivals).run()
    records = contact_records(arrivals, raw, replication, scenario.horizon)
    if not carry:
        return records, Backlog.empty(), np.zeros(len(arrivals), dtype=bool)
    left, mask = leftover(scenario, arrivals, records, carry)
    return records, left, mask


def _stand_ins(
    records: dict[str, np.ndarray], mask: np.ndarray, carried_in: Backlog, n_channels: int
) -> np.ndarray:
    """Rows of the contacts left at the close that the morning's backlog stands for: per
    channel as many as were carried in, the oldest first. A backlog that grows from one
    day to the next (a plan that cannot keep up) leaves the rest unanswered."""
    drop = np.zeros(len(mask), dtype=bool)
    came = carried_in.per_channel(n_channels).astype(np.int64)
    channel = records["channel"]
    for c in np.unique(channel[mask]):
        rows = np.flatnonzero(mask & (channel == c))
        rows = rows[np.argsort(records["arrival"][rows], kind="stable")]  # oldest first
        drop[rows[: came[int(c)]]] = True
    return drop
