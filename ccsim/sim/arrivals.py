"""Pre-generated arrivals for one replication: every channel's contacts, merged in time order.

Arrivals per channel are Poisson with a rate constant inside each interval
(volume ÷ interval length) that changes at interval boundaries: the count in
interval *i* is Poisson(volume[i] × busyness of its day) and the times are
uniform inside the interval; the busyness factor (volume uncertainty) is drawn
once per simulated day. Handle time and patience are drawn vectorised from the channel's
distributions with the mean of the interval the contact *arrived* in.

Random streams come from ``numpy.random.SeedSequence(seed, spawn_key=...)``
keyed by (replication, channel, purpose), so a replication's contacts depend
only on the seed and the replication number — never on which process ran it or
how many ran before it.
"""

from __future__ import annotations

import array
from dataclasses import dataclass

import numpy as np

from ccsim.scenario import Scenario

__all__ = ["Arrivals", "generate_arrivals", "replication_rng"]

# purposes of the per-channel streams (part of the spawn key: never renumber)
_ARRIVALS, _HANDLE, _PATIENCE = 0, 1, 2
# stream of the per-day busyness factors: channel slot -1 is not a channel
_BUSYNESS = -1
_INTERVAL_BUSYNESS = 3
_MEASURED_DAY = 4


def replication_rng(seed: int, replication: int, channel: int, purpose: int) -> np.random.Generator:
    """The generator of one (replication, channel, purpose) stream of ``seed``."""
    key = (replication, channel + 1, purpose)  # spawn keys must be ≥ 0: channel -1 → 0
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def to_buffer(values: np.ndarray, typecode: str = "d") -> array.array:
    """A copy of ``values`` as an ``array.array`` (compact; fast scalar access in callbacks)."""
    buffer = array.array(typecode)
    dtype = np.dtype(typecode if typecode != "d" else "f8")
    buffer.frombytes(memoryview(np.ascontiguousarray(values, dtype=dtype)).cast("B"))
    return buffer


@dataclass(frozen=True)
class Arrivals:
    """One replication's contacts in arrival order (columns of equal length).

    ``time`` arrival, seconds; ``channel`` channel index (scenario order);
    ``interval`` index of the arrival interval; ``handle`` handle time,
    seconds (before any concurrency slowdown); ``deadline`` arrival + patience,
    seconds (``inf`` when customers of the channel never abandon);
    ``busyness`` the volume factor drawn for each simulated day (24-hour
    block of the horizon; ones without volume uncertainty); ``waiting`` how many
    contacts at the front are already waiting at time 0 (``time`` ≤ 0: minus their
    age, seconds). The float columns
    are ``array.array`` buffers (the engine reads them element by element); the
    properties give numpy views.
    """

    time_buffer: array.array
    channel: np.ndarray
    interval: np.ndarray
    handle_buffer: array.array
    deadline_buffer: array.array
    busyness: np.ndarray
    waiting: int = 0

    def __len__(self) -> int:
        return len(self.time_buffer)

    @property
    def time(self) -> np.ndarray:
        """Arrival times, seconds (a numpy view of ``time_buffer``)."""
        return np.frombuffer(self.time_buffer, dtype=float)

    @property
    def handle(self) -> np.ndarray:
        """Handle times drawn, seconds (a numpy view of ``handle_buffer``)."""
        return np.frombuffer(self.handle_buffer, dtype=float)

    @property
    def deadline(self) -> np.ndarray:
        """Arrival + patience, seconds (a numpy view of ``deadline_buffer``)."""
        return np.frombuffer(self.deadline_buffer, dtype=float)


def busyness_factors(scenario: Scenario, seed: int, replication: int) -> np.ndarray:
    """One gamma factor (mean 1, CV ``scenario.volume_uncertainty``) per simulated day.

    A day is a 24-hour block of the horizon from its start (a scenario opening
    at 08:00 has its days from 08:00 to 08:00: one working day each). All ones
    without volume uncertainty.
    """
    days = max(1, int(np.ceil(scenario.horizon / 86400.0 - 1e-9)))
    cv = float(scenario.volume_uncertainty or 0.0)
    if cv <= 0:
        return np.ones(days)
    shape = 1.0 / cv**2
    return replication_rng(seed, replication, _BUSYNESS, 0).gamma(shape, 1.0 / shape, days)


def interval_factors(scenario: Scenario, seed: int, replication: int) -> np.ndarray:
    """One gamma factor (mean 1, CV ``scenario.interval_uncertainty``) per interval of a
    simulated day, on top of the day's busyness: days differ in shape, not only in size.
    All ones (and no random draw) without interval uncertainty."""
    cv = float(scenario.interval_uncertainty or 0.0)
    if cv <= 0:
        return np.ones(scenario.n_intervals)
    shape = 1.0 / cv**2
    rng = replication_rng(seed, replication, _BUSYNESS, _INTERVAL_BUSYNESS)
    return rng.gamma(shape, 1.0 / shape, scenario.n_intervals)


def rate_factors(scenario: Scenario, seed: int, replication: int) -> tuple[np.ndarray, np.ndarray]:
    """What multiplies every arrival rate in each interval of one replication, and the
    busyness factor of each day (per interval, then per 24-hour block).

    The day's gamma busyness factor (per 24-hour block) times a gamma factor per
    interval; or, when the scenario has measured days (``day_factors``), one of
    them drawn at random with its size jittered (the smoothed bootstrap of
    :class:`ccsim.staffing.days.DayVariation`, here without the planner's import).
    """
    if scenario.day_factors is not None:
        rng = replication_rng(seed, replication, _BUSYNESS, _MEASURED_DAY)
        rows = scenario.day_factors
        level = np.log(np.maximum(rows.mean(axis=1), 1e-9))
        width = silverman_bandwidth(level)
        jitter = np.exp(width * rng.standard_normal() - width**2 / 2)
        row = rows[rng.integers(len(rows))] * jitter
        return row, np.array([float(row.mean())])
    factor = busyness_factors(scenario, seed, replication)
    day = (np.arange(scenario.n_intervals) * float(scenario.interval) // 86400.0).astype(np.int64)
    per_day = factor[np.minimum(day, len(factor) - 1)]
    return per_day * interval_factors(scenario, seed, replication), factor


def silverman_bandwidth(values: np.ndarray) -> float:
    """Silverman's rule-of-thumb kernel width for a smoothed bootstrap of ``values``."""
    n = len(values)
    if n < 2:
        return 0.0
    spread = float(np.std(values, ddof=1))
    q75, q25 = np.percentile(values, [75, 25])
    spread = min(spread, (q75 - q25) / 1.34) if q75 > q25 else spread
    return 0.9 * spread * n ** (-0.2)


def generate_arrivals(scenario: Scenario, seed: int, replication: int) -> Arrivals:
    """All contacts of replication ``replication`` of ``scenario`` under ``seed``."""
    length = float(scenario.interval)
    per_interval, factor = rate_factors(scenario, seed, replication)
    parts = []
    for c, channel in enumerate(scenario.channels.values()):
        rng = replication_rng(seed, replication, c, _ARRIVALS)
        counts = rng.poisson(np.asarray(channel.volume, dtype=float) * per_interval)
        interval = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        # uniform inside each interval; sorting by time keeps intervals in order
        time = np.sort((interval + rng.random(len(interval))) * length)
        handle = channel.handle_time.sample(
            replication_rng(seed, replication, c, _HANDLE), channel.aht[interval], len(interval)
        )
        if channel.patience is None:
            deadline = np.full(len(interval), np.inf)
        else:
            patience = channel.patience_dist.sample(
                replication_rng(seed, replication, c, _PATIENCE),
                channel.patience[interval],
                len(interval),
            )
            deadline = time + patience
        parts.append((time, np.full(len(interval), c, dtype=np.int16), interval, handle, deadline))
    if not parts:
        empty = np.empty(0)
        parts.append((empty, empty.astype(np.int16), empty.astype(np.int32), empty, empty))
    if len(parts) == 1:  # one channel: already in time order
        time, channel, interval, handle, deadline = parts[0]
        del parts
        return Arrivals(
            to_buffer(time), channel, interval, to_buffer(handle), to_buffer(deadline), factor
        )
    order = np.argsort(np.concatenate([p[0] for p in parts]), kind="stable")

    def merged(k: int) -> np.ndarray:
        return np.concatenate([p[k] for p in parts])[order]

    return Arrivals(
        time_buffer=to_buffer(merged(0)),
        channel=merged(1),
        interval=merged(2),
        handle_buffer=to_buffer(merged(3)),
        deadline_buffer=to_buffer(merged(4)),
        busyness=factor,
    )
