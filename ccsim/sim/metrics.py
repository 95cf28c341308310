"""Per-contact records and the KPIs aggregated from them.

The engine's only output is one flat record per contact
(:func:`contact_records`); every KPI here is an aggregation of those records,
plus the scenario's staffing for the denominator of occupancy.

Definitions (per channel × interval; a contact belongs to the interval it
arrived in; all times seconds):

- ``offered`` = ``answered + abandoned + unanswered`` (always);
- ``answered_within`` answered with wait ≤ ``target_time``;
- ``service_level`` = answered within T ÷ offered (abandoned contacts count
  against it); the per-channel totals add ``service_level_excl_short_abandons``
  = answered within T ÷ (offered − abandoned within T) and
  ``service_level_answered`` = answered within T ÷ answered. NaN when the
  channel has no ``target_time``;
- ``asa`` mean wait of answered contacts; ``abandon_rate`` = abandoned ÷ offered;
- ``occupancy`` = busy time ÷ staffed time of the groups able to serve the
  channel. Busy time of a contact is its handle time ÷ its channel's
  ``concurrency`` (an agent with a full set of chats is busy 100%; with one of
  three chats, a third), split over the intervals it spans; staffed time is
  ``agents[group, interval] × interval length`` from the staffing played.
  Work after the end of the horizon and before the warm-up is not counted; an
  agent finishing a contact after the staffing dropped can push it above 1.

Counts are means per replication; rates are the mean of the per-replication
rates, with a 95% Student-t confidence interval from their spread across
replications (NaN with fewer than two replications where the rate is defined),
clipped to [0, 1] for shares and to ≥ 0 for ASA.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ccsim.results import Table
from ccsim.scenario import Scenario
from ccsim.sim.arrivals import Arrivals
from ccsim.sim.model import RawRecords

__all__ = [
    "ANSWERED",
    "ABANDONED",
    "UNANSWERED",
    "INTERVAL_COLUMNS",
    "channel_work",
    "contact_records",
    "Tally",
    "tally",
    "summarize",
    "mean_ci",
]

ANSWERED, ABANDONED, UNANSWERED = 0, 1, 2

#: the columns of ``intervals.csv`` (a contract: see DESIGN.md, Outputs)
INTERVAL_COLUMNS = (
    "channel",
    "interval",
    "start",
    "offered",
    "answered",
    "abandoned",
    "unanswered",
    "answered_within",
    "service_level",
    "service_level_lo",
    "service_level_hi",
    "service_level_p10",
    "service_level_p90",
    "asa",
    "abandon_rate",
    "occupancy",
)


def contact_records(
    arrivals: Arrivals, raw: RawRecords, replication: int, horizon: float
) -> dict[str, np.ndarray]:
    """The flat per-contact columns of one replication.

    ``replication, channel`` (index), ``interval, arrival, answer_time``
    (NaN if none), ``abandon_time`` (NaN if none), ``wait`` (until answer,
    abandonment, or the end of the horizon for unanswered contacts),
    ``handle_time`` (NaN unless answered; stretched by concurrency slowdown),
    ``group`` (index, −1 none), ``outcome`` (0 answered, 1 abandoned, 2 unanswered).
    """
    # built in place, column by column: a million contacts must stay well under 150 MB
    n = len(arrivals)
    time, deadline, answer = arrivals.time, arrivals.deadline, raw.answer
    answered = np.isfinite(answer)
    abandoned = deadline <= horizon
    abandoned &= ~answered
    outcome = np.full(n, UNANSWERED, dtype=np.int8)
    outcome[answered] = ANSWERED
    outcome[abandoned] = ABANDONED
    abandon_time = np.full(n, np.nan)
    np.copyto(abandon_time, deadline, where=abandoned)
    wait = np.full(n, float(horizon))
    np.copyto(wait, answer, where=answered)
    np.copyto(wait, deadline, where=abandoned)
    wait -= time
    handle = raw.handle  # the engine's own buffer: NaN where nobody handled the contact
    handle[~answered] = np.nan
    return {
        # one value repeated: a zero-stride view costs no memory
        "replication": np.broadcast_to(np.int32(replication), (n,)),
        "channel": arrivals.channel.astype(np.int16, copy=False),
        "interval": arrivals.interval.astype(np.int32, copy=False),
        "arrival": time,
        "answer_time": answer,
        "abandon_time": abandon_time,
        "wait": wait,
        "handle_time": handle,
        "group": raw.group,
        "outcome": outcome,
    }


@dataclass(frozen=True)
class Tally:
    """One replication's sums per channel × interval (arrays ``(channels, intervals)``).

    ``busy`` and ``staffed`` are per group × interval, seconds; ``carried_in`` and
    ``carried_out`` per channel: contacts waiting at the open (carried from the day
    before) and at the close (carried to the next day; see :mod:`ccsim.sim.carry`);
    ``performed`` and ``arrived_work`` per channel × interval, seconds of handle time: the
    work agents performed in each interval, and the work of the answered contacts that
    arrived in it (:func:`channel_work`; the staffing verification's load correction).
    """

    offered: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    unanswered: np.ndarray
    answered_within: np.ndarray
    abandoned_within: np.ndarray
    wait_answered: np.ndarray
    busy: np.ndarray
    staffed: np.ndarray
    carried_in: np.ndarray
    carried_out: np.ndarray
    performed: np.ndarray
    arrived_work: np.ndarray


def channel_work(
    records: dict[str, np.ndarray], n_channels: int, n_intervals: int, length: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per channel × interval, seconds of handle time of the answered contacts: the work
    performed in each interval (work still going on at the end of the horizon counts in
    the last interval) and the work of the contacts that arrived in it."""
    served = records["outcome"] == ANSWERED
    start = np.asarray(records["answer_time"])[served]
    end = start + np.asarray(records["handle_time"])[served]
    channel = np.asarray(records["channel"])[served].astype(np.int64)
    ones = np.ones(len(start))
    performed = busy_time(start, end, ones, channel, n_channels, n_intervals, length, 0.0)
    beyond = np.maximum(end - np.maximum(start, n_intervals * length), 0.0)
    performed[:, -1] += np.bincount(channel, beyond, n_channels)
    key = channel * n_intervals + np.asarray(records["interval"])[served]
    end -= start  # the handle times, in place
    arrived = np.bincount(key, end, n_channels * n_intervals).reshape(n_channels, n_intervals)
    return performed, arrived


def _window(scenario: Scenario, warmup: float) -> np.ndarray:
    """Seconds of each interval that count (after the warm-up)."""
    length = float(scenario.interval)
    starts = np.arange(scenario.n_intervals) * length
    return np.clip(starts + length - np.maximum(starts, warmup), 0.0, length)


def busy_time(
    start: np.ndarray,
    end: np.ndarray,
    weight: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    n_intervals: int,
    length: float,
    low: float,
) -> np.ndarray:
    """Σ weight × overlap of [start, end) with each interval, per group (seconds), clipped to
    [low, n_intervals × length)."""
    out = np.zeros((n_groups, n_intervals))
    s = np.maximum(start, low)
    e = np.minimum(end, n_intervals * length)
    keep = e > s
    s, e, w, g = s[keep], e[keep], weight[keep], group[keep].astype(np.int64)
    i0 = np.minimum((s // length).astype(np.int64), n_intervals - 1)
    i1 = np.minimum((e // length).astype(np.int64), n_intervals - 1)
    size = n_groups * n_intervals
    same = i0 == i1
    flat = g * n_intervals
    total = np.zeros(size)  # float even when a selection below is empty (bincount gives int)
    total += np.bincount(flat[same] + i0[same], w[same] * (e[same] - s[same]), size)
    span = ~same
    total += np.bincount(flat[span] + i0[span], w[span] * ((i0[span] + 1) * length - s[span]), size)
    total += np.bincount(flat[span] + i1[span], w[span] * (e[span] - i1[span] * length), size)
    # whole intervals strictly between i0 and i1: a difference array per group
    middle = span & (i1 > i0 + 1)
    if middle.any():
        diff = np.zeros((n_groups, n_intervals + 1))
        np.add.at(diff, (g[middle], i0[middle] + 1), w[middle] * length)
        np.add.at(diff, (g[middle], i1[middle]), -w[middle] * length)
        total += np.cumsum(diff, axis=1)[:, :n_intervals].ravel()
    out += total.reshape(n_groups, n_intervals)
    return out


_CHUNK = 1 << 17  # rows aggregated at once: bounds the temporaries of :func:`tally`


def tally(
    records: dict[str, np.ndarray],
    scenario: Scenario,
    staffing: np.ndarray,
    warmup: float,
    carried_out: np.ndarray | None = None,
) -> Tally:
    """Aggregate one replication's records (contacts arriving before ``warmup`` s excluded);
    ``carried_out``: per channel, contacts left waiting at the close for the next day."""
    n = len(records["arrival"])
    parts = [
        _tally_rows({k: v[lo : lo + _CHUNK] for k, v in records.items()}, scenario, warmup)
        for lo in range(0, max(n, 1), _CHUNK)
    ]
    sums = {k: np.sum([p[k] for p in parts], axis=0) for k in parts[0]}
    n_c = len(scenario.channels)
    early = records["arrival"] < 0  # carried in: waiting at time 0
    carried_in = np.bincount(records["channel"][early].astype(np.int64), minlength=n_c)
    return Tally(
        **sums,
        staffed=np.asarray(staffing, dtype=float) * _window(scenario, warmup),
        carried_in=carried_in.astype(float),
        carried_out=np.zeros(n_c) if carried_out is None else np.asarray(carried_out, float),
    )


def clock_wait(records: dict[str, np.ndarray], scenario: Scenario, keep=slice(None)) -> np.ndarray:
    """Each contact's wait by its channel's target clock, seconds: open seconds between
    arrival and answer (or abandonment, or the end) for channels whose ``within`` counts
    open hours (:meth:`~ccsim.scenario.Channel.uses_open_clock`), else the wall-clock wait."""
    wait = records["wait"][keep]
    names = list(scenario.channels)
    clocked = [
        c
        for c, ch in enumerate(scenario.channels.values())
        if ch.uses_open_clock(scenario.interval)
    ]
    if not clocked:
        return wait
    wait = np.array(wait, dtype=float)
    channel = records["channel"][keep]
    arrival = records["arrival"][keep]
    for c in clocked:
        rows = channel == c
        start = arrival[rows]
        wait[rows] = scenario.open_time(names[c], start + wait[rows]) - scenario.open_time(
            names[c], start
        )
    return wait


def _tally_rows(
    records: dict[str, np.ndarray], scenario: Scenario, warmup: float
) -> dict[str, np.ndarray]:
    channels = list(scenario.channels.values())
    n_c, n_i, n_g = len(channels), scenario.n_intervals, len(scenario.groups)
    length = float(scenario.interval)
    size = n_c * n_i

    keep = records["arrival"] >= warmup if warmup > 0 else slice(None)
    channel = records["channel"][keep].astype(np.int64)
    key = channel * n_i + records["interval"][keep]
    outcome = records["outcome"][keep]
    wait = records["wait"][keep]
    target = np.array([np.inf if ch.target_time is None else ch.target_time for ch in channels])
    within = clock_wait(records, scenario, keep) <= target[channel]
    answered = outcome == ANSWERED
    abandoned = outcome == ABANDONED

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(key[mask], minlength=size).reshape(n_c, n_i).astype(float)

    offered = np.bincount(key, minlength=size).reshape(n_c, n_i).astype(float)
    wait_answered = np.bincount(key[answered], wait[answered], size).reshape(n_c, n_i)

    # busy time of every answered contact (warm-up or not: clipping does the warm-up)
    served = records["outcome"] == ANSWERED
    conc = np.array([max(1, ch.concurrency) for ch in channels], dtype=float)
    start = records["answer_time"][served]
    busy = busy_time(
        start,
        start + records["handle_time"][served],
        1.0 / conc[records["channel"][served]],
        records["group"][served],
        n_g,
        n_i,
        length,
        warmup,
    )
    performed, arrived_work = channel_work(records, n_c, n_i, length)
    return {
        "performed": performed,
        "arrived_work": arrived_work,
        "offered": offered,
        "answered": count(answered),
        "abandoned": count(abandoned),
        "unanswered": count(outcome == UNANSWERED),
        "answered_within": count(answered & within),
        "abandoned_within": count(abandoned & within),
        "wait_answered": wait_answered,
        "busy": busy,
    }


def mean_ci(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over ``axis`` ignoring NaN, and its 95% Student-t interval (NaN for < 2 values)."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    m = finite.sum(axis=axis)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=axis)
        sd = np.nanstd(values, axis=axis, ddof=1)
        if np.any(m >= 2):
            from scipy.special import stdtrit  # imported when needed: it costs 20 MB

            half = np.where(m >= 2, stdtrit(np.maximum(m - 1, 1), 0.975) * sd / np.sqrt(m), np.nan)
        else:
            half = np.full(np.shape(mean), np.nan)
    return mean, mean - half, mean + half


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _occupancy(busy: np.ndarray, staffed: np.ndarray, members: np.ndarray) -> np.ndarray:
    """busy, staffed: (R, G, I); members: (C, G) 0/1 → occupancy (R, C, I)."""
    return _ratio(
        np.einsum("cg,rgi->rci", members, busy), np.einsum("cg,rgi->rci", members, staffed)
    )


#: per channel × interval: the 95% limits of the KPIs that ``intervals.csv`` gives as means only
LIMIT_COLUMNS = (
    "asa_lo",
    "asa_hi",
    "abandon_rate_lo",
    "abandon_rate_hi",
    "occupancy_lo",
    "occupancy_hi",
)


def summarize(tallies: list[Tally], scenario: Scenario) -> tuple[Table, Table, Table, Table]:
    """The ``intervals`` table (DESIGN columns), the per-channel ``channels`` totals, the
    per-interval 95% limits of ASA, abandonment and occupancy (``LIMIT_COLUMNS``), and the
    ``days`` table (service level over each simulated day)."""
    names = list(scenario.channels)
    channels = list(scenario.channels.values())
    n_c, n_i = len(names), scenario.n_intervals
    stack = {f: np.stack([getattr(t, f) for t in tallies]) for f in Tally.__dataclass_fields__}
    has_target = np.array([ch.target_time is not None for ch in channels])
    members = np.array(
        [[ch in g.skills for g in scenario.groups.values()] for ch in names], dtype=float
    ).reshape(n_c, len(scenario.groups))

    def kpis(s: dict[str, np.ndarray], occupancy: np.ndarray) -> dict[str, np.ndarray]:
        no_target = ~has_target[None, :, None] if s["offered"].ndim == 3 else ~has_target[None]
        sl = _ratio(s["answered_within"], s["offered"])
        sl_excl = _ratio(s["answered_within"], s["offered"] - s["abandoned_within"])
        sl_ans = _ratio(s["answered_within"], s["answered"])
        aw = np.where(no_target, np.nan, s["answered_within"])
        out = {}
        for name in ("offered", "answered", "abandoned", "unanswered"):
            out[name] = s[name].mean(axis=0)
        out["answered_within"] = aw.mean(axis=0)
        for name, per_rep in (
            ("service_level", sl),
            ("service_level_excl_short_abandons", sl_excl),
            ("service_level_answered", sl_ans),
            ("asa", _ratio(s["wait_answered"], s["answered"])),
            ("abandon_rate", _ratio(s["abandoned"], s["offered"])),
            ("occupancy", occupancy),
        ):
            if name.startswith("service_level"):
                per_rep = np.where(no_target, np.nan, per_rep)
            if name == "service_level":
                out["service_level_p10"], out["service_level_p90"] = _percentiles(per_rep, 10, 90)
            mean, lo, hi = mean_ci(per_rep)
            if name != "occupancy":  # shares stay in [0, 1], waits ≥ 0
                lo = np.maximum(lo, 0.0)
                hi = hi if name == "asa" else np.minimum(hi, 1.0)
            out[name], out[name + "_lo"], out[name + "_hi"] = mean, lo, hi
        return out

    per_interval = kpis(stack, _occupancy(stack["busy"], stack["staffed"], members))
    rows_channel = np.repeat(np.array(names, dtype=object), n_i)
    intervals = {
        "channel": rows_channel,
        "interval": np.tile(np.arange(n_i, dtype=np.int64), n_c),
        "start": np.tile(np.array(scenario.starts, dtype=object), n_c),
    }
    for name in INTERVAL_COLUMNS[3:]:
        intervals[name] = per_interval[name].ravel()

    carried = {k: stack.pop(k) for k in ("carried_in", "carried_out")}
    totals = {k: v.sum(axis=2) for k, v in stack.items() if k not in ("busy", "staffed")}
    busy = stack["busy"].sum(axis=2, keepdims=True)
    staffed = stack["staffed"].sum(axis=2, keepdims=True)
    per_channel = kpis(totals, _occupancy(busy, staffed, members)[:, :, 0])
    columns = {"channel": np.array(names, dtype=object)}
    for name in INTERVAL_COLUMNS[3:]:
        columns[name] = per_channel[name]
    for name in ("service_level_excl_short_abandons", "service_level_answered", *LIMIT_COLUMNS):
        columns[name] = per_channel[name]
    columns["target_service_level"] = np.array(
        [np.nan if ch.sl_target is None else ch.sl_target for ch in channels]
    )
    columns["target_time"] = np.array(
        [np.nan if ch.target_time is None else ch.target_time for ch in channels]
    )
    # backlog carried over the night: waiting at the open and at the close, means per day
    columns["carried_in"] = carried["carried_in"].mean(axis=0)
    columns["carried_out"] = carried["carried_out"].mean(axis=0)
    limits = {"channel": intervals["channel"], "interval": intervals["interval"]}
    for name in LIMIT_COLUMNS:
        limits[name] = per_interval[name].ravel()
    return Table(intervals), Table(columns), Table(limits), _days_table(stack, scenario)


def _percentiles(per_rep: np.ndarray, *qs: float) -> list[np.ndarray]:
    """Percentiles ``qs`` over the replications (axis 0), ignoring NaN; NaN where none."""
    finite = np.isfinite(per_rep).any(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        values = np.nanpercentile(np.where(finite, per_rep, 0.0), qs, axis=0)
    return [np.where(finite, v, np.nan) for v in values]


def _days_table(stack: dict[str, np.ndarray], scenario: Scenario) -> Table:
    """One row per channel × simulated day (replication × 24-hour block of the horizon):
    ``channel, replication, day, offered, answered_within, service_level, asa,
    abandon_rate`` (over the day)."""
    n_r, n_c, n_i = stack["offered"].shape
    day = (np.arange(n_i) * float(scenario.interval) // 86400.0).astype(np.int64)
    n_d = int(day.max()) + 1

    def per_day(values: np.ndarray) -> np.ndarray:  # (R, C, I) → (R, C, D)
        out = np.zeros((n_r, n_c, n_d))
        np.add.at(out, (slice(None), slice(None), day), values)
        return out

    offered = per_day(stack["offered"])
    within = per_day(stack["answered_within"])
    answered = per_day(stack["answered"])
    no_target = np.array([ch.target_time is None for ch in scenario.channels.values()])
    level = np.where(no_target[None, :, None], np.nan, _ratio(within, offered))
    shape = (n_r, n_c, n_d)
    return Table(
        {
            "channel": np.broadcast_to(
                np.array(list(scenario.channels), dtype=object)[None, :, None], shape
            ).ravel(),
            "replication": np.broadcast_to(np.arange(n_r)[:, None, None], shape).ravel(),
            "day": np.broadcast_to(np.arange(n_d)[None, None, :], shape).ravel(),
            "offered": offered.ravel(),
            "answered_within": within.ravel(),
            "service_level": level.ravel(),
            "asa": _ratio(per_day(stack["wait_answered"]), answered).ravel(),
            "abandon_rate": _ratio(per_day(stack["abandoned"]), offered).ravel(),
        }
    )


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval of a share ``successes / trials`` (NaN without trials)."""
    if trials <= 0:
        return float("nan"), float("nan")
    p = successes / trials
    denominator = 1.0 + z * z / trials
    center = (p + z * z / (2 * trials)) / denominator
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return float(max(0.0, center - half)), float(min(1.0, center + half))


def day_band(days: Table, scenario: Scenario) -> dict[str, dict[str, float]]:
    """Per channel with a target time: the share of simulated days whose service level
    over the day meets the target (``days_met``, with its 95% Wilson interval
    ``days_met_lo``/``_hi``), the same for the ASA and abandonment ceilings over the day
    (``days_met_asa``, ``days_met_abandon``) and all of them together (``days_met_all``),
    and the daily service level's 10th/50th/90th percentiles."""
    band = {}
    for name, channel in scenario.channels.items():
        if channel.target_time is None:
            continue
        rows = (days["channel"] == name) & (days["offered"] > 0)
        level = days["service_level"][rows]
        entry = dict(
            zip(
                ("service_level_p10", "service_level_p50", "service_level_p90"),
                (float(v) for v in np.percentile(level, (10, 50, 90)))
                if level.size
                else [np.nan] * 3,
                strict=True,
            )
        )
        entry["days"] = int(level.size)
        every = np.ones(level.size, dtype=bool)
        for key, holds in _day_targets(channel, days, rows, level):
            met = int(np.sum(holds))
            every &= holds
            entry[key] = met / level.size if level.size else float("nan")
            entry[f"{key}_lo"], entry[f"{key}_hi"] = wilson_interval(met, int(level.size))
        if sum(k.startswith("days_met") and not k.endswith(("_lo", "_hi")) for k in entry) > 1:
            met = int(every.sum())
            entry["days_met_all"] = met / level.size if level.size else float("nan")
            entry["days_met_all_lo"], entry["days_met_all_hi"] = wilson_interval(met, level.size)
        band[name] = entry
    return band


def _day_targets(channel, days: Table, rows: np.ndarray, level: np.ndarray):
    """(key, per-day boolean) for each of the channel's targets measured over the day:
    the service level, and the ASA and abandonment ceilings."""
    if channel.sl_target is not None:
        yield "days_met", level >= channel.sl_target - 1e-12
    if channel.asa_max is not None:
        yield "days_met_asa", np.nan_to_num(days["asa"][rows], nan=0.0) <= channel.asa_max
    if channel.max_abandon is not None:
        yield "days_met_abandon", days["abandon_rate"][rows] <= channel.max_abandon + 1e-12


def group_occupancy(tallies: list[Tally]) -> tuple[np.ndarray, np.ndarray]:
    """Occupancy of each agent group: busy ÷ staffed time of its agents, the mean over
    replications — per group × interval (NaN where none is staffed), and per group over
    the horizon. A multi-skill group's figure is what every channel it serves shows as
    its ``occupancy`` (the busy share of the agents able to serve it)."""
    busy = np.stack([t.busy for t in tallies])  # (R, G, I), seconds
    staffed = np.stack([t.staffed for t in tallies])
    ratio = _ratio(busy, staffed)
    seen = np.isfinite(ratio).sum(axis=0)
    per_interval = np.where(seen > 0, np.nansum(ratio, axis=0) / np.maximum(seen, 1), np.nan)
    total = _ratio(busy.sum(axis=2), staffed.sum(axis=2)).mean(axis=0)
    return per_interval, total
