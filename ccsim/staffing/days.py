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
  one agent at a time where it raises the day's answered-within count most,
  until the day's Erlang service level at volume × b_q reaches the target. Each
  24-hour block of the horizon is a day of its own.

Deferred channels (email, social) keep their backlog recursion at volume × b_q.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.stats import gamma

from ccsim import erlang
from ccsim.scenario import Channel

__all__ = [
    "busyness_quantile",
    "busyness_share",
    "day_blocks",
    "day_requirement",
    "day_service_level",
    "days_met_share",
    "interval_levels",
]

_DAY = 86400.0


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
    channel: Channel, interval: float, lower: np.ndarray, factor: float = 1.0
) -> np.ndarray:
    """Fewest agents per interval (greedy, see the module doc) whose Erlang service level
    over each day at volume × ``factor`` reaches ``channel.sl_target``.

    ``lower`` is the starting staffing (agents per interval meeting the channel's
    other targets); it is only ever raised.
    """
    agents = np.asarray(lower, dtype=np.int64).copy()
    volume = channel.volume * factor
    stable = np.where(volume > 0, np.floor(channel.slot_traffic(interval) * factor) + 1, 0)
    if not channel.abandons:  # Erlang C needs a stable queue in every interval
        agents = np.maximum(agents, -(-stable.astype(np.int64) // channel.concurrency))
    agents = np.maximum(agents, (volume > 0).astype(np.int64))
    days = day_blocks(len(agents), interval)
    for day in np.unique(days[volume > 0]):
        idx = np.flatnonzero((days == day) & (volume > 0))
        _fill_day(channel, interval, factor, agents, idx)
    return agents


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


def days_met_share(channel: Channel, agents: np.ndarray, interval: float, cv: float) -> float:
    """Predicted share of days on which the channel's service-level target holds with
    ``agents`` per interval, under busyness CV ``cv`` (Erlang; see the module doc).

    ``per = "day"``: the day's service level reaches the target; ``per = "interval"``:
    every interval's does. For a multi-day horizon, the worst day counts. NaN without a
    service-level target.
    """
    if channel.sl_target is None or not np.any(channel.volume > 0):
        return float("nan")

    def holds(factor: float) -> bool:
        if channel.sl_per == "day":
            levels = day_service_level(channel, agents, interval, factor)
        else:
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
    return busyness_share(cv, lo)
