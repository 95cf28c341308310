"""Plans that hold on a chosen share of days: busy days, and service level over the day.

Real days are busier or quieter than the forecast: the scenario's
``volume_uncertainty`` is the coefficient of variation c of a gamma
*busyness factor* B (mean 1) that multiplies every arrival rate of a day. With
fixed agents, every interval's service level falls as B grows, so a target
holds on the days with B up to some factor b*, and on a share F(b*) of days (F
the gamma distribution function). To hold on a share q of days, a plan is
sized for the day at the q-quantile of B, ``busyness_quantile(c, q)``.

Two scopes of a service-level target (the channel's ``per``):

- ``per = "interval"``: every interval is sized by Erlang for volume × b_q; on
  every day not busier than that, each interval meets the target (in
  expectation, as Erlang and the per-interval simulation measure it).
- ``per = "day"``: the target is the service level over the day's contacts
  (answered within T ÷ offered over the day, as contracts and dashboards report
  it). It can be met by staffing the intervals where an agent buys most: the
  greedy allocation of Koole & van der Sluis ("Optimal shift scheduling with a
  global service level constraint", IIE Transactions 2003) — start every open
  interval at the fewest agents meeting its other targets (and stable), then add
  one agent at a time where it raises the day's answered-within count most.
  For the average day (no ``days_met``) the greedy stops when the day's Erlang
  service level reaches the target. For a share q of days it works on
  *synthetic days* (:class:`DayVariation`): 1000 days drawn from the
  scenario's day-to-day variation, each scored by Erlang per interval on its
  own counts. With measured days (``day_factors``, written by ``ccsim fit``)
  a synthetic day is a measured day — its size and its shape — resampled with
  a small log-normal jitter of its size (a smoothed bootstrap, Silverman's
  bandwidth): a few dozen days give a smooth quantile without assuming a
  distribution. Without them: a gamma busyness factor per day
  (``volume_uncertainty``), a gamma factor per interval and day
  (``interval_uncertainty``: real days differ in shape, not only in size) and
  Poisson counts. The
  greedy adds the agent that most raises the service level of the failing days
  closest to the target, until a share q of the synthetic days meets it (a
  chance-constrained version of the same allocation). Each 24-hour block of the
  horizon is a day of its own.

Deferred channels (email, social) keep their backlog recursion at volume × b_q.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy.stats import gamma

from ccsim import erlang
from ccsim.scenario import Channel
from ccsim.sim.arrivals import silverman_bandwidth

__all__ = [
    "DayVariation",
    "busyness_quantile",
    "busyness_share",
    "day_blocks",
    "day_requirement",
    "day_service_level",
    "days_met_share",
    "interval_levels",
    "levels_on_counts",
    "synthetic_day_levels",
]

_DAY = 86400.0


@dataclass(frozen=True)
class DayVariation:
    """How days vary, and the synthetic days drawn from it.

    ``day_cv``: CV of the busyness factor per day; ``interval_cv``: CV of a factor
    per interval and day (on top); ``seed``: seed of the synthetic days; ``days``:
    how many are drawn; ``factors``: measured days × intervals (contacts ÷ mean
    volume), resampled instead of the gamma factors when given.
    """

    day_cv: float = 0.0
    interval_cv: float = 0.0
    seed: int = 0
    days: int = 1000
    factors: np.ndarray | None = None

    @classmethod
    def of(cls, scenario) -> DayVariation:
        """The variation of a :class:`~ccsim.scenario.Scenario` (its seed for the draws)."""
        return cls(
            scenario.volume_uncertainty,
            scenario.interval_uncertainty,
            scenario.seed,
            factors=scenario.day_factors,
        )

    @property
    def factor_cv(self) -> float:
        """CV of the product of the two factors: one interval's load factor on a day."""
        return float(np.sqrt((1 + self.day_cv**2) * (1 + self.interval_cv**2) - 1))

    def counts(self, volume: np.ndarray, idx: np.ndarray, stream: int = 0) -> np.ndarray:
        """Synthetic days × intervals of contact counts for mean ``volume`` in the
        scenario's intervals ``idx``; ``stream`` tells days apart (same draws every call).

        With the days' own factors (the scenario's ``day_factors``: measured days, Poisson
        noise included) a drawn day is a measured day with its size jittered (smoothed
        bootstrap); else the two gamma factors and Poisson counts.
        """
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(7, stream)))
        volume = np.asarray(volume, dtype=float)
        if self.factors is not None:
            rows = self.factors[:, idx]
            level = (rows * volume).sum(axis=1) / max(volume.sum(), 1e-300)
            level = np.log(np.maximum(level, 1e-9))
            width = silverman_bandwidth(level)
            pick = rng.integers(len(rows), size=self.days)
            jitter = np.exp(width * rng.standard_normal(self.days) - width**2 / 2)
            return rows[pick] * jitter[:, None] * volume
        rate = np.broadcast_to(volume, (self.days, len(volume)))
        if self.day_cv > 0:
            shape = 1.0 / self.day_cv**2
            rate = rate * rng.gamma(shape, 1.0 / shape, self.days)[:, None]
        if self.interval_cv > 0:
            shape = 1.0 / self.interval_cv**2
            rate = rate * rng.gamma(shape, 1.0 / shape, rate.shape)
        return rng.poisson(rate).astype(float)


def busyness_quantile(cv: float, share: float) -> float:
    """The busyness factor (mean 1, CV ``cv``) that a share ``share`` of days stay below."""
    if cv <= 0:
        return 1.0
    shape = 1.0 / cv**2
    return float(gamma.ppf(share, shape, scale=1.0 / shape))


def busyness_share(cv: float, factor: float) -> float:
    """The share of days whose busyness factor is at most ``factor`` (CV ``cv``)."""
    if cv <= 0:
        return 1.0 if factor >= 1.0 - 1e-12 else 0.0
    shape = 1.0 / cv**2
    return float(gamma.cdf(factor, shape, scale=1.0 / shape))


def day_blocks(n_intervals: int, interval: float) -> np.ndarray:
    """Day index of each interval: 24-hour blocks from the first interval."""
    return (np.arange(n_intervals) * float(interval) // _DAY).astype(np.int64)


def interval_levels(
    channel: Channel, agents: np.ndarray, interval: float, factor: float = 1.0
) -> np.ndarray:
    """Erlang service level per interval at ``agents`` and volume × ``factor``.

    Erlang C, or Erlang A when the channel has a patience; concurrency k as k
    slots per agent (the planner's approximation). NaN where there is no volume;
    0 where there is volume and no agent.
    """
    agents = np.asarray(agents, dtype=np.int64)
    volume = channel.volume * factor
    out = np.full(len(volume), np.nan)
    has = volume > 0
    out[has] = 0.0
    ok = has & (agents > 0)
    if not ok.any():
        return out
    k, aht = channel.concurrency, channel.slot_aht[ok]
    slots = agents[ok] * k
    target = channel.target_time or 0.0
    if channel.abandons:
        rate = volume[ok] / interval
        out[ok] = erlang.erlang_a(rate, aht, channel.patience[ok], slots, target).service_level
    else:
        out[ok] = erlang.service_level(volume[ok] * aht / interval, slots, aht, target)
    return out


def day_service_level(
    channel: Channel, agents: np.ndarray, interval: float, factor: float = 1.0
) -> np.ndarray:
    """Erlang service level over each day (answered within ÷ offered), one per 24-hour
    block, at ``agents`` and volume × ``factor``; NaN for a day without volume."""
    levels = interval_levels(channel, agents, interval, factor)
    days = day_blocks(len(levels), interval)
    weight = channel.volume * factor
    within = np.bincount(days, np.nan_to_num(levels) * weight, days.max() + 1)
    offered = np.bincount(days, weight, days.max() + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(offered > 0, within / offered, np.nan)


def day_requirement(
    channel: Channel,
    interval: float,
    lower: np.ndarray,
    share: float | None = None,
    variation: DayVariation | None = None,
) -> np.ndarray:
    """Fewest agents per interval (greedy, see the module doc) meeting ``channel.sl_target``
    over each day: on the average day (``share`` None), or on a ``share`` of the synthetic
    days of ``variation``.

    ``lower`` is the starting staffing (agents per interval meeting the channel's
    other targets); it is only ever raised.
    """
    agents = np.asarray(lower, dtype=np.int64).copy()
    volume = channel.volume
    stable = np.where(volume > 0, np.floor(channel.slot_traffic(interval)) + 1, 0)
    # never fewer agents than the offered load: Erlang C needs a stable queue, and a plan
    # that leaves an interval to abandonment (Erlang A) would sacrifice its customers
    agents = np.maximum(agents, -(-stable.astype(np.int64) // channel.concurrency))
    agents = np.maximum(agents, (volume > 0).astype(np.int64))
    days = day_blocks(len(agents), interval)
    for day in np.unique(days[volume > 0]):
        idx = np.flatnonzero((days == day) & (volume > 0))
        if share is None:
            _fill_day(channel, interval, 1.0, agents, idx)
        else:
            counts = (variation or DayVariation()).counts(volume[idx], idx, stream=int(day))
            _fill_share(_part(channel, idx), interval, agents, idx, counts, share)
    return agents


def _part(channel: Channel, idx: np.ndarray) -> Channel:
    """The channel restricted to intervals ``idx``."""
    return dataclasses.replace(
        channel,
        volume=channel.volume[idx],
        aht=channel.aht[idx],
        patience=None if channel.patience is None else channel.patience[idx],
    )


def levels_on_counts(
    channel: Channel, counts: np.ndarray, agents: np.ndarray, interval: float
) -> np.ndarray:
    """Erlang service level of each (day, interval) of ``counts`` (days × intervals of
    ``channel``) with ``agents`` per interval; 0 where there are contacts and no agent."""
    agents = np.broadcast_to(np.asarray(agents, dtype=np.int64), counts.shape)
    aht = np.broadcast_to(channel.slot_aht, counts.shape)
    out = np.zeros(counts.shape)
    ok = (counts > 0) & (agents > 0)
    if not ok.any():
        return out
    slots, target = agents[ok] * channel.concurrency, channel.target_time or 0.0
    if channel.abandons:
        patience = np.broadcast_to(channel.patience, counts.shape)[ok]
        rate = counts[ok] / interval
        out[ok] = erlang.erlang_a(rate, aht[ok], patience, slots, target).service_level
    else:
        out[ok] = erlang.service_level(counts[ok] * aht[ok] / interval, slots, aht[ok], target)
    return out


def _daily(counts: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Service level over each synthetic day (1 for a day without contacts)."""
    total = counts.sum(axis=1)
    return np.where(total > 0, (counts * levels).sum(axis=1) / np.maximum(total, 1), 1.0)


def _fill_share(
    part: Channel,
    interval: float,
    agents: np.ndarray,
    idx: np.ndarray,
    counts: np.ndarray,
    share: float,
) -> None:
    """Add agents in intervals ``idx`` until a ``share`` of the synthetic days ``counts``
    meet the target: each time where it most raises the failing days nearest the target.

    The count of days met is not concave in the agents, so the greedy can end in a
    corner: the result is the cheaper of the greedy and the smallest uniform uplift of
    the per-interval Erlang plan meeting the same days, each trimmed of agents it no
    longer needs."""
    target, n_days = part.sl_target, len(counts)
    own, floor = agents[idx].copy(), agents[idx].copy()
    levels = levels_on_counts(part, counts, own, interval)
    needed = int(np.ceil(share * n_days - 1e-9))
    limit = int(own.sum()) + 20 * int(np.ceil(part.slot_traffic(interval).sum())) + 20 * len(idx)
    while own.sum() < limit:
        daily = _daily(counts, levels)
        met = daily >= target - 1e-12
        if met.sum() >= needed:
            break
        failing = np.flatnonzero(~met)
        near = failing[np.argsort(-daily[failing])][: min(2 * (needed - int(met.sum())), 100)]
        sub = counts[near]
        gain = ((levels_on_counts(part, sub, own + 1, interval) - levels[near]) * sub).sum(axis=0)
        gain = gain / np.maximum(sub.sum(), 1.0)
        j = int(np.argmax(gain))
        own[j] += 1
        levels[:, j] = _column(part, counts, own, interval, j)
    _trim_share(part, interval, counts, own, floor, levels, needed)
    uplift = _uplift(part, interval, counts, floor, needed)
    if uplift is not None:
        levels = levels_on_counts(part, counts, uplift, interval)
        _trim_share(part, interval, counts, uplift, floor, levels, needed)
        if uplift.sum() < own.sum():
            own = uplift
    agents[idx] = own


def _uplift(
    part: Channel, interval: float, counts: np.ndarray, floor: np.ndarray, needed: int
) -> np.ndarray | None:
    """The per-interval Erlang plan for the volume × m, for the smallest m in [1, 3] (by
    bisection, to 0.5%) meeting the target on ``needed`` of the synthetic days ``counts``."""
    traffic, aht, k = part.slot_traffic(interval), part.slot_aht, part.concurrency
    extra = {"patience": part.patience} if part.abandons else {}

    def plan(m: float) -> np.ndarray:
        slots = erlang.required_agents(
            traffic * m, aht, target_time=part.target_time, sl_target=part.sl_target, **extra
        )
        return np.maximum(floor, -(-np.asarray(slots, dtype=np.int64) // k))

    def meets(agents: np.ndarray) -> bool:
        levels = levels_on_counts(part, counts, agents, interval)
        return bool((_daily(counts, levels) >= part.sl_target - 1e-12).sum() >= needed)

    lo, hi = 1.0, 3.0
    if meets(plan(lo)):
        return plan(lo)
    if not meets(plan(hi)):
        return None
    while hi - lo > 0.005:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if meets(plan(mid)) else (mid, hi)
    return plan(hi)


def _column(part: Channel, counts: np.ndarray, own: np.ndarray, interval: float, j: int):
    """Service levels of interval ``j`` on every synthetic day at ``own[j]`` agents."""
    return levels_on_counts(_part(part, np.array([j])), counts[:, [j]], own[[j]], interval)[:, 0]


def _trim_share(
    part: Channel,
    interval: float,
    counts: np.ndarray,
    own: np.ndarray,
    floor: np.ndarray,
    levels: np.ndarray,
    needed: int,
) -> None:
    """Take back single agents the greedy no longer needs (a later addition can make an
    earlier one redundant), cheapest loss first, while ``needed`` days still meet the
    target; never below ``floor`` (in place). A few passes over the intervals."""
    target = part.sl_target
    for _ in range(3):
        removed = False
        fewer = levels_on_counts(part, counts, np.maximum(own - 1, 0), interval)
        loss = ((levels - fewer) * counts).sum(axis=0)
        for j in np.argsort(loss, kind="stable"):
            if own[j] <= floor[j]:
                continue
            own[j] -= 1
            column = _column(part, counts, own, interval, int(j))
            trial = levels.copy()
            trial[:, j] = column
            if (_daily(counts, trial) >= target - 1e-12).sum() >= needed:
                levels[:, j] = column
                removed = True
            else:
                own[j] += 1
        if not removed:
            return


def synthetic_day_levels(
    channel: Channel, agents: np.ndarray, interval: float, variation: DayVariation
) -> np.ndarray:
    """The service level over each synthetic day (days × 24-hour blocks) with ``agents``."""
    volume = channel.volume
    days = day_blocks(len(volume), interval)
    columns = []
    for day in np.unique(days[volume > 0]):
        idx = np.flatnonzero((days == day) & (volume > 0))
        counts = variation.counts(volume[idx], idx, stream=int(day))
        levels = levels_on_counts(_part(channel, idx), counts, agents[idx], interval)
        columns.append(_daily(counts, levels))
    return np.column_stack(columns) if columns else np.ones((variation.days, 0))


def _fill_day(
    channel: Channel, interval: float, factor: float, agents: np.ndarray, idx: np.ndarray
) -> None:
    """Add agents in intervals ``idx`` of one day, one at a time where the day's answered
    within T grows most, until the day's service level reaches the target (in place)."""
    sub = dataclasses.replace(
        channel,
        volume=channel.volume[idx],
        aht=channel.aht[idx],
        patience=None if channel.patience is None else channel.patience[idx],
    )
    weight = sub.volume * factor
    goal = channel.sl_target * weight.sum()
    now = interval_levels(sub, agents[idx], interval, factor)
    more = interval_levels(sub, agents[idx] + 1, interval, factor)
    limit = int(agents[idx].sum()) + 10 * int(np.ceil(sub.slot_traffic(interval).sum() * factor))
    limit += 10 * len(idx)
    while (now * weight).sum() < goal - 1e-9 and agents[idx].sum() < limit:
        j = int(np.argmax((more - now) * weight))
        agents[idx[j]] += 1
        one = np.array([j])
        now[j] = more[j]
        single = dataclasses.replace(
            sub,
            volume=sub.volume[one],
            aht=sub.aht[one],
            patience=None if sub.patience is None else sub.patience[one],
        )
        more[j] = interval_levels(single, agents[idx[one]] + 1, interval, factor)[0]


def days_met_share(
    channel: Channel, agents: np.ndarray, interval: float, variation: DayVariation
) -> float:
    """Predicted share of days on which the channel's service-level target holds with
    ``agents`` per interval (see the module doc). NaN without a service-level target.

    ``per = "day"``: the share of synthetic days whose service level over the day
    reaches the target (every 24-hour block of a synthetic day). ``per = "interval"``:
    the share of days whose load factor (busyness × interval factor, a gamma of CV
    :attr:`DayVariation.factor_cv`) leaves every interval's Erlang service level at
    the target or above.
    """
    if channel.sl_target is None or not np.any(channel.volume > 0):
        return float("nan")
    if channel.sl_per == "day":
        daily = synthetic_day_levels(channel, agents, interval, variation)
        return float(np.mean(np.all(daily >= channel.sl_target - 1e-12, axis=1)))

    def holds(factor: float) -> bool:
        levels = interval_levels(channel, agents, interval, factor)
        levels = levels[np.isfinite(levels)]
        return bool(np.all(levels >= channel.sl_target - 1e-9))

    if not holds(1e-6):
        return 0.0
    lo, hi = 1e-6, 1.0
    while holds(hi) and hi < 64:
        lo, hi = hi, hi * 2
    if holds(hi):
        return 1.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if holds(mid) else (lo, mid)
    return busyness_share(variation.factor_cv, lo)
