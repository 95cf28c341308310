"""The analytic staffing requirement: agents per channel × interval, and per group.

The analytic requirement per channel × interval
-----------------------------------------------
- **Live channels** (customers wait on the line or in the chat window): the
  fewest agents meeting every target of the channel (service level, ASA,
  abandonment, occupancy ceiling) by Erlang C, or by Erlang A when the
  channel has a patience (customers abandon).
- **Concurrency k** (chat): an approximation — an agent is treated as k
  independent servers ("slots"), each chat taking ``aht × (1 + slowdown·(k−1))``
  (the handle time of a chat held alongside k−1 others); the slots are sized by
  Erlang C/A and agents = ⌈slots ÷ k⌉. It is optimistic when chats are few
  per agent and ignores that an agent's chats finish at different times;
  verification corrects it.
- **Deferred channels** (no patience and a target time of at least one
  interval: email, social): not Erlang C with a 4-hour wait, but a backlog
  recursion. The work arriving in interval i (volume × AHT, agent-seconds)
  must be done within its target window, the ``⌊target_time ÷ interval⌋``
  intervals from i on, clipped to the horizon and to the intervals in which
  the center is open (some channel has volume: no one is planned for the
  night, and the work of the last hours is planned before closing).
  Spreading each interval's work evenly over its window gives the capacity
  every interval needs; the cumulative capacity then always covers the work
  whose deadline has passed (earliest deadline first is first come first
  served here), so the backlog clears in time.
  Agents = ⌈capacity ÷ (interval × occupancy ceiling)⌉.

From channels to groups
-----------------------
A plan staffs every group (with ``keep_fixed``, only the ``agents = "auto"``
groups; the others keep the agents written in the scenario). Each channel's
requirement goes to its *home group*: the first planned group of its
``route_to`` list, or else the first planned group (in file order) that has the
skill. A group's staffing is the sum of the requirements of its home
channels, less what unplanned groups dedicated to the channel (one skill)
already staff — a multi-skill group shares agents between them, and the sum
is conservative (pooling needs fewer); verification takes the slack out.
A planned group that is no channel's home (e.g. an overflow pool) is planned
at 0: use ``keep_fixed`` to keep its roster.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ccsim import erlang
from ccsim.scenario import Channel, Scenario
from ccsim.staffing.days import (
    DayVariation,
    busyness_quantile,
    day_requirement,
    interval_levels,
)

__all__ = ["analytic_plan", "channel_requirement", "planned_groups", "predicted_kpis"]


def planned_groups(scenario: Scenario, keep_fixed: bool = False) -> tuple[str, ...]:
    """The groups a plan staffs: every group, or with ``keep_fixed`` only the ``"auto"`` ones."""
    return tuple(name for name, group in scenario.groups.items() if group.auto or not keep_fixed)


def _live_requirement(channel: Channel, interval: float) -> np.ndarray:
    """Agents per interval for a live channel by Erlang C (or A with patience)."""
    k = channel.concurrency
    aht = channel.slot_aht
    open_ = channel.open
    slots = np.zeros(channel.volume.shape, dtype=np.int64)
    if not np.any(open_):
        return slots
    traffic = channel.slot_traffic(interval)[open_]
    targets = {
        "target_time": channel.target_time,
        "sl_target": channel.sl_target,
        "asa_max": channel.asa_max,
        "max_occupancy": channel.max_occupancy,
    }
    if channel.abandons:
        targets["patience"] = channel.patience[open_]
        targets["max_abandon"] = channel.max_abandon
    if channel.sl_target is None:
        targets["target_time"] = None
    if not channel.has_target:
        # No target at all: the fewest agents that keep the queue stable.
        slots[open_] = np.floor(traffic).astype(np.int64) + 1
    else:
        slots[open_] = np.asarray(
            erlang.required_agents(traffic, aht[open_], **targets), dtype=np.int64
        )
    return -(-slots // k)  # ceil(slots / k)


def _deferred_requirement(
    channel: Channel, interval: float, open_: np.ndarray | None = None
) -> np.ndarray:
    """Agents per interval for a deferred channel by the backlog recursion (see module doc).

    ``open_`` marks the intervals in which the center works (default: all);
    work is only planned into open intervals of its window.
    """
    work = channel.volume * channel.aht / channel.concurrency  # agent-seconds per interval
    n = len(work)
    open_ = np.ones(n, dtype=bool) if open_ is None else np.asarray(open_, dtype=bool)
    if channel.uses_open_clock(interval) and open_.any():
        capacity = _open_clock_capacity(work, open_, max(1, int(channel.target_time // interval)))
    else:
        window = max(1, int(min(channel.target_time // interval, n)))
        capacity = np.zeros(n)
        for i in np.flatnonzero(work > 0):
            span = np.arange(i, min(i + window, n))
            span = span[open_[span]] if open_[span].any() else span[:1]
            capacity[span] += work[i] / len(span)
    ceiling = channel.max_occupancy if channel.max_occupancy is not None else 1.0
    agents = np.ceil(capacity / (interval * ceiling) - 1e-9)
    if agents.max(initial=0.0) > erlang.MAX_TRAFFIC:
        raise ValueError(
            f"volume × aht needs {agents.max():.3g} agents in one interval, more than "
            f"{erlang.MAX_TRAFFIC:.0e} (a typo?)"
        )
    return np.maximum(agents, 0).astype(np.int64)


def _open_clock_capacity(work: np.ndarray, open_: np.ndarray, window: int) -> np.ndarray:
    """Agent-seconds per interval when ``within`` counts open hours: the work arriving in
    interval i is spread over the next ``window`` open intervals from i on, passing the
    close to the next opening — in a run of such days, the start of the horizon again
    (the work of the last hours is done the next morning, not piled before the close)."""
    opened = np.flatnonzero(open_)
    window = min(window, len(opened))  # a window of several days: every open interval
    capacity = np.zeros(len(work))
    for i in np.flatnonzero(work > 0):
        first = int(np.searchsorted(opened, i))  # the first open interval at or after i
        span = opened[(first + np.arange(window)) % len(opened)]
        capacity[span] += work[i] / window
    return capacity


def channel_requirement(
    channel: Channel,
    interval: float,
    open_: np.ndarray | None = None,
    factor: float = 1.0,
    share: float | None = None,
    variation: DayVariation | None = None,
) -> np.ndarray:
    """Analytic agents per interval (int array) meeting every target of ``channel``.

    ``interval`` is the interval length in seconds. Live channels by Erlang C/A
    (with the concurrency approximation), deferred channels by the backlog
    recursion, planned into the ``open_`` intervals only (default: all); see the
    module documentation. The volume is taken × ``factor`` (a busy day: see
    :mod:`ccsim.staffing.days`). A live channel whose service level is measured
    per day (``per = "day"``) gets the cheapest staffing meeting it over each
    day — the average day, or a ``share`` of the synthetic days of ``variation``
    (:func:`ccsim.staffing.days.day_requirement`; its other targets at volume ×
    ``factor``).
    """
    by_day = channel.sl_per == "day" and channel.sl_target is not None
    if by_day and not channel.is_deferred(interval):
        try:
            others = dataclasses.replace(
                channel, sl_target=None, target_time=None, volume=channel.volume * factor
            )
            lower = _live_requirement(others, interval) if others.has_target else 0
            lower = np.broadcast_to(lower, channel.volume.shape)
            return day_requirement(channel, interval, lower, share, variation)
        except ValueError as exc:
            raise ValueError(f"channels.{channel.name}: {exc}") from None
    if factor != 1.0:
        channel = dataclasses.replace(channel, volume=channel.volume * factor)
    try:
        if channel.is_deferred(interval):
            return _deferred_requirement(channel, interval, open_)
        return _live_requirement(channel, interval)
    except ValueError as exc:  # e.g. a volume typo beyond what Erlang counts exactly
        raise ValueError(f"channels.{channel.name}: {exc}") from None


def _with_waiting(scenario: Scenario) -> dict[str, Channel]:
    """The channels, with the contacts already waiting at the start (a given state) added to
    the first interval's volume: the plan must answer them too."""
    waiting: dict[str, int] = {}
    for channel, _age in scenario.initial_waiting:
        waiting[channel] = waiting.get(channel, 0) + 1
    channels = dict(scenario.channels)
    for name, count in waiting.items():
        volume = np.array(channels[name].volume)
        volume[0] += count
        channels[name] = dataclasses.replace(channels[name], volume=volume)
    return channels


def analytic_plan(
    scenario: Scenario, planned: tuple[str, ...], days_met: float | None = None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(channel requirement, group staffing) of the analytic plan: for the average day, or
    for a share ``days_met`` of days (:mod:`ccsim.staffing.days`); see the module doc."""
    variation = DayVariation.of(scenario)
    factor = 1.0 if days_met is None else busyness_quantile(variation.factor_cv, days_met)
    channels = _with_waiting(scenario)
    requirement = {
        name: channel_requirement(
            channel,
            scenario.interval,
            scenario.open_mask(name)
            if channel.uses_open_clock(scenario.interval)
            else scenario.open_intervals,
            factor,
            days_met,
            variation,
        )
        for name, channel in channels.items()
    }
    homes = scenario.home_groups(planned)
    fixed = scenario.fixed_dedicated(planned)
    agents: dict[str, np.ndarray] = {}
    for name, group in scenario.groups.items():
        if name in planned:
            staff = np.zeros(scenario.n_intervals, dtype=np.int64)
            for channel, home in homes.items():
                if home == name:
                    # what fixed groups dedicated to the channel already answer is not planned again
                    staff = staff + np.maximum(requirement[channel] - fixed[channel], 0)
            agents[name] = staff
        else:
            agents[name] = np.asarray(group.agents, dtype=np.int64).copy()
    return requirement, agents


def predicted_kpis(
    channel: Channel, agents: np.ndarray, interval: float, cv: float = 0.0
) -> dict[str, np.ndarray]:
    """Erlang C/A prediction of the ``intervals.csv`` KPIs at ``agents`` per interval.

    Counts are expected values per interval; ``asa`` is the mean wait of
    answered contacts (seconds); occupancy is the busy share of the agents.
    Concurrency k is read as k slots per agent with the stretched handle time
    (as in the requirement). Deferred channels and closed intervals give NaN
    rates; the confidence-interval columns are NaN (nothing was sampled).
    ``service_level_p10``/``_p90`` are the service level on the busy day one in ten
    (busyness quantile 0.9 under CV ``cv``) and on the quiet day one in ten.
    """
    n = len(channel.volume)
    nan = np.full(n, np.nan)
    volume = channel.volume.astype(float)
    out = {
        "offered": volume,
        "answered": nan.copy(),
        "abandoned": nan.copy(),
        "unanswered": np.zeros(n),
        "answered_within": nan.copy(),
        "service_level": nan.copy(),
        "service_level_lo": nan.copy(),
        "service_level_hi": nan.copy(),
        "service_level_p10": nan.copy(),
        "service_level_p90": nan.copy(),
        "asa": nan.copy(),
        "abandon_rate": nan.copy(),
        "occupancy": nan.copy(),
    }
    k = channel.concurrency
    aht = channel.slot_aht
    ok = (volume > 0) & (agents > 0)
    if channel.is_deferred(interval) or not ok.any():
        out["unanswered"] = nan.copy()
        return out
    slots = agents[ok] * k
    traffic = channel.slot_traffic(interval)[ok]
    target = channel.target_time if channel.target_time is not None else 0.0
    if channel.abandons:
        measures = erlang.erlang_a(
            volume[ok] / interval, aht[ok], channel.patience[ok], slots, target
        )
        level, abandon, wait = measures.service_level, measures.p_abandon, measures.asa
        busy = measures.occupancy
    else:
        level = erlang.service_level(traffic, slots, aht[ok], target)
        abandon = np.zeros(ok.sum())
        wait = erlang.asa(traffic, slots, aht[ok])
        busy = erlang.occupancy(traffic, slots)
    out["abandoned"][ok] = volume[ok] * abandon
    out["answered"][ok] = volume[ok] - out["abandoned"][ok]
    out["abandon_rate"][ok] = abandon
    out["asa"][ok] = wait
    out["occupancy"][ok] = busy
    if channel.target_time is not None:
        out["service_level"][ok] = level
        out["answered_within"][ok] = volume[ok] * level
        # across days: the busy day (busyness quantile 0.9) gives the 10th percentile
        for key, share in (("service_level_p10", 0.9), ("service_level_p90", 0.1)):
            factor = busyness_quantile(cv, share)
            out[key][ok] = interval_levels(channel, agents, interval, factor)[ok]
    return out
