"""Backtest: replay the real days of a history against a written staffing plan.

A plan directory is what ``ccsim staff --out DIR`` writes: ``groups.csv`` (agents
per group × interval) and ``summary.json``, which echoes the scenario document
the plan was made from. :func:`backtest_plan` rebuilds that scenario, places
every day of a history (:mod:`ccsim.history`) on the plan's intervals and
measures each day's service level per channel over the day — answered within
T ÷ offered — with the plan's agents:

- **exact Erlang C per interval** on the day's counts as the offered load, for a
  channel that is a single queue the textbook formula describes: customers who
  never abandon, exponential handle times, one contact per agent at a time, a
  target time shorter than an interval (not a backlog), and one group that
  serves this channel only;
- **simulation** otherwise: the scenario with the day's counts as the mean
  volume of each interval (Poisson arrivals, no day-to-day variation on top),
  the plan's agents, ``replications`` replications under a seed derived from
  ``seed`` and the date (a day's result does not depend on which other days are
  replayed); the day's service level is the mean over the replications, with
  its 95% Student-t interval.

Interval labels of the plan (``"07:00"`` or ``"2026-11-23 07:00"``) are matched
to the history's starts by time of day; a history finer than the plan (15 min
against 30) is summed into the plan's intervals. Contacts in history intervals
outside the plan's span count as offered and not answered in time. A day meets
a channel's target when its service level over the day is at least
``service_level`` (for the simulated days: the mean over the replications); the
share of days meeting it has its 95% Wilson interval. Days without contacts
have no service level and are left out of the shares. A ``per = "interval"``
target is judged over the day too (as the simulated days of a plan's band are).
A plan must lie within one calendar day (one day's intervals, not past
midnight). Erlang C treats each interval as in steady state (nothing carried
over from the interval before), as the planner does.

Times are in seconds; every problem with a file is a ``ValueError`` naming the
file (bad history files: :class:`~ccsim.scenario.ScenarioError`, as
:func:`ccsim.history.read_history` raises them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ccsim import __version__
from ccsim.distributions import Exponential
from ccsim.durations import check_count, format_duration
from ccsim.history import History, read_history, select_days
from ccsim.results import Table, text_table, to_jsonable, write_json
from ccsim.scenario import Scenario, ScenarioError, load_scenario
from ccsim.sim import simulate
from ccsim.sim.metrics import mean_ci, wilson_interval
from ccsim.staffing.days import levels_on_counts
from ccsim.staffing.plan import read_plan_agents

__all__ = ["Backtest", "backtest_plan", "day_seed", "read_plan"]

_DAY = 86400.0  # seconds
_WRITE_HINT = "a plan directory is what `ccsim staff SCENARIO --out DIR` writes"
ERLANG_C, SIMULATION = "erlang_c", "simulation"


@dataclass(frozen=True, eq=False)
class Backtest:
    """The real days of a history replayed against a staffing plan.

    Attributes
    ----------
    scenario : the scenario the plan was made from.
    agents : group → agents per interval that were replayed (the plan's ``groups.csv``;
        a group it leaves out keeps the scenario's agents).
    days : one row per date × channel with a service-level time, in date order:
        ``date, weekday, channel, offered`` (contacts that day), ``outside`` (of them,
        in intervals outside the plan's span), ``answered_within`` (expected),
        ``service_level`` (over the day), ``service_level_lo, service_level_hi`` (95%
        interval of a simulated day; empty for Erlang C), ``target`` (the channel's
        ``service_level`` target), ``met`` (1 or 0; empty without a target or contacts),
        ``method`` (``erlang_c`` or ``simulation``).
    methods : channel → ``(method, why)``: why a channel is simulated ("" for Erlang C).
    plan_dir : the plan directory.
    history : the history file.
    replications, seed : of the simulated days (unused when every channel is Erlang C).
    """

    scenario: Scenario
    agents: Mapping[str, np.ndarray]
    days: Table
    methods: Mapping[str, tuple[str, str]]
    plan_dir: Path
    history: Path
    replications: int
    seed: int
    excluded: tuple[str, ...] = field(default=())

    @property
    def simulated(self) -> bool:
        """True when some channel's days were simulated."""
        return any(method == SIMULATION for method, _ in self.methods.values())

    def agent_hours(self) -> float:
        """Agent-hours of the plan replayed (one day's, every group)."""
        return self.scenario.agent_hours(dict(self.agents))

    def channels(self) -> dict[str, dict[str, Any]]:
        """Per channel: the target, the method, the days with contacts, the share of them
        meeting the target (``days_met`` with its 95% Wilson interval ``days_met_lo`` /
        ``_hi``) and the daily service level's 10th/50th/90th percentiles."""
        out = {}
        for name, (method, why) in self.methods.items():
            channel = self.scenario.channels[name]
            rows = (self.days["channel"] == name) & np.isfinite(self.days["service_level"])
            level = self.days["service_level"][rows]
            entry: dict[str, Any] = {
                "method": method,
                "why": why,
                "target_service_level": channel.sl_target,
                "target_time": channel.target_time,
                "per": channel.sl_per,
                "days": int(level.size),
                "offered": float(self.days["offered"][self.days["channel"] == name].sum()),
                "outside": float(self.days["outside"][self.days["channel"] == name].sum()),
            }
            if channel.sl_target is not None:
                met = int(np.sum(self.days["met"][rows] == 1))
                entry["days_met_count"] = met
                entry["days_met"] = met / level.size if level.size else float("nan")
                entry["days_met_lo"], entry["days_met_hi"] = wilson_interval(met, int(level.size))
            for q in (10, 50, 90):
                value = float(np.percentile(level, q)) if level.size else float("nan")
                entry[f"service_level_p{q}"] = value
            out[name] = entry
        return out

    def summary(self) -> dict:
        """The backtest in plain data (what ``summary.json`` holds, JSON-ready)."""
        sc = self.scenario
        dates = sorted(set(self.days["date"].tolist()))
        return to_jsonable(
            {
                "ccsim_version": __version__,
                "name": sc.name,
                "plan": self.plan_dir,
                "history": self.history,
                "dates": {
                    "first": dates[0] if dates else None,
                    "last": dates[-1] if dates else None,
                    "days": len(dates),
                    "weekdays": sorted(set(self.days["weekday"].tolist())),
                    "excluded": list(self.excluded),
                },
                "interval_seconds": sc.interval,
                "agent_hours": self.agent_hours(),
                "groups": {g: {"agent_hours": sc.agent_hours(a)} for g, a in self.agents.items()},
                "replications": self.replications if self.simulated else None,
                "seed": self.seed if self.simulated else None,
                "channels": self.channels(),
                "days": self.days,
            }
        )

    def describe(self) -> str:
        """The shares of days met per channel and one line per day, for people."""
        sc = self.scenario
        dates = sorted(set(self.days["date"].tolist()))
        span = f"{dates[0]} … {dates[-1]}" if dates else "no days"
        lines = [
            f"{sc.name} — backtest of {self.plan_dir} on {self.history.name}",
            f"{len(dates)} days ({span}); the plan: {self.agent_hours():.1f} agent-hours a day",
            "",
        ]
        for name, entry in self.channels().items():
            lines.append(f"{name} ({_target_text(sc, name)}): {_method_text(self, name)}")
            if "days_met" in entry and entry["days"]:
                lines.append(
                    f"  met on {entry['days_met_count']} of {entry['days']} days: "
                    f"{entry['days_met']:.0%} (95% CI {entry['days_met_lo']:.0%}–"
                    f"{entry['days_met_hi']:.0%})"
                )
            if entry["days"]:
                lines.append(
                    "  daily service level: "
                    + ", ".join(f"P{q} {entry[f'service_level_p{q}']:.1%}" for q in (10, 50, 90))
                )
            if entry["outside"]:
                lines.append(
                    f"  {entry['outside']:.0f} contacts came outside the plan's hours "
                    "(counted as not answered in time)"
                )
        lines.append("")
        lines += text_table(self._day_rows(), "llllrrl")
        return "\n".join(lines)

    def _day_rows(self) -> list[list[str]]:
        rows = [["date", "weekday", "channel", "offered", "service level", "target", "met"]]
        for row in self.days.rows():
            level, target, met = row["service_level"], row["target"], row["met"]
            shown = "-" if not math.isfinite(level) else f"{level:.1%}"
            if math.isfinite(row["service_level_lo"]):
                shown += f" ({row['service_level_lo']:.1%}–{row['service_level_hi']:.1%})"
            cells = [row["date"], row["weekday"], row["channel"], f"{row['offered']:.0f}", shown]
            cells.append(f"{target:.0%}" if math.isfinite(target) else "-")
            cells.append("" if not math.isfinite(met) else ("yes" if met else "MISSED"))
            rows.append(cells)
        return rows

    def write(self, out_dir: str | os.PathLike) -> list[Path]:
        """Write ``backtest.csv`` (the days) and ``summary.json`` atomically; return the paths
        (the figure: :func:`ccsim.plots.plot_backtest`)."""
        out = Path(out_dir)
        return [
            self.days.write_csv(out / "backtest.csv"),
            write_json(out / "summary.json", self.summary()),
        ]


def _target_text(scenario: Scenario, name: str) -> str:
    channel = scenario.channels[name]
    within = format_duration(channel.target_time)
    if channel.sl_target is None:
        return f"answered within {within}"
    return f"{channel.sl_target:.0%} in {within} over the day"


def _method_text(backtest: Backtest, name: str) -> str:
    method, why = backtest.methods[name]
    if method == ERLANG_C:
        return "exact Erlang C per interval on each day's counts"
    return (
        f"simulated ({why}): {backtest.replications} replications per day with the day's "
        f"counts as mean volumes, seed {backtest.seed}"
    )


# --- the plan -------------------------------------------------------------------------------


def read_plan(
    plan_dir: str | os.PathLike, scenario: Scenario | str | os.PathLike | None = None
) -> tuple[Scenario, dict[str, np.ndarray]]:
    """The scenario and the agents (group → agents per interval) of a written plan.

    ``scenario`` is the scenario the plan was made from (a :class:`Scenario` or its
    file); by default it is rebuilt from the document ``summary.json`` echoes. A group
    ``groups.csv`` leaves out keeps the scenario's agents. ValueError naming the file
    on a missing directory or file, an unreadable row, or a plan of another scenario.
    """
    plan = Path(plan_dir)
    if not plan.exists():
        raise ValueError(f"{plan}: no such directory ({_WRITE_HINT})")
    if not plan.is_dir():
        raise ValueError(f"{plan}: not a directory ({_WRITE_HINT})")
    if not (plan / "groups.csv").exists():
        raise ValueError(f"{plan / 'groups.csv'}: no such file ({_WRITE_HINT})")
    if scenario is None:
        scenario = _echoed_scenario(plan / "summary.json")
    elif not isinstance(scenario, Scenario):
        try:
            scenario = load_scenario(scenario)
        except ScenarioError as exc:
            raise ValueError(f"{exc.problems[0]}") from None
    agents = read_plan_agents(plan, scenario)
    for name, group in scenario.groups.items():
        if name in agents:
            continue
        if group.auto:
            raise ValueError(
                f"{plan / 'groups.csv'}: no rows for group {name!r}, whose agents the "
                'scenario leaves to the plan ("auto")'
            )
        agents[name] = np.asarray(group.agents, dtype=np.int64).copy()
    return scenario, {name: agents[name] for name in scenario.groups}


def _echoed_scenario(path: Path) -> Scenario:
    """The scenario a plan's ``summary.json`` echoes, rebuilt (CSV paths relative to it)."""
    try:
        with open(path, encoding="utf-8") as handle:
            summary = json.load(handle)
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file ({_WRITE_HINT})") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: cannot be read as JSON ({exc})") from None
    doc = summary.get("scenario") if isinstance(summary, dict) else None
    if not isinstance(doc, dict) or "channels" not in doc:
        raise ValueError(
            f"{path}: echoes no scenario document (not a plan's summary.json?); "
            "give the scenario file (--scenario FILE)"
        )
    try:
        return Scenario.from_dict(doc, source=path, base_dir=path.parent)
    except ScenarioError as exc:
        first = exc.problems[0]
        raise ValueError(
            f"{path}: the scenario it echoes cannot be rebuilt ({first.key}: {first.message}); "
            "CSV paths in it are relative to the original scenario file: give that file "
            "(--scenario FILE)"
        ) from None


# --- days on the plan's intervals -----------------------------------------------------------


def _clock(label: str) -> float | None:
    """Seconds after midnight of the ``HH:MM`` ending an interval label, or None."""
    text = label.strip().split()[-1] if label.strip() else ""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    hour, minute = int(parts[0]), int(parts[1])
    return hour * 3600.0 + minute * 60.0 if hour < 24 and minute < 60 else None


def _placement(scenario: Scenario, history: History, where: str) -> np.ndarray:
    """The plan interval of each of the history's starts (−1: outside the plan's span).

    ValueError when the plan spans more than one calendar day, its labels carry no
    regular time of day, or the history's intervals do not fit in the plan's."""
    step, n = scenario.interval, scenario.n_intervals
    first = _clock(scenario.starts[0])
    clocks = [_clock(label) for label in scenario.starts]
    if first is None or any(
        c is None or abs(c - (first + k * step) % _DAY) > 0.5 for k, c in enumerate(clocks)
    ):
        raise ValueError(
            f"{where}: the plan's interval labels ({scenario.starts[0]!r} …) are not times of "
            f"day every {format_duration(step)}; backtest matches them to the history's starts"
        )
    if first + n * step > _DAY + 0.5:
        raise ValueError(
            f"{where}: the plan runs from {scenario.starts[0]} for {format_duration(n * step)}, "
            "past midnight; backtest replays a plan for one calendar day (write one per day)"
        )
    size = history.interval
    offset = (_clock(history.starts[0]) - first) % size
    if size > step + 0.5 or step % size or min(offset, size - offset) > 0.5:
        raise ValueError(
            f"{history.name}: its {format_duration(size)} intervals from {history.starts[0]} "
            f"do not fit in the plan's {format_duration(step)} intervals from "
            f"{scenario.starts[0]} (a history as fine as the plan or finer, on its grid)"
        )
    seconds = np.array([_clock(s) for s in history.starts])
    index = np.floor((seconds - first) / step + 1e-9).astype(np.int64)
    return np.where((seconds >= first - 0.5) & (index < n), index, -1)


def _on_plan(history: History, placement: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Channel → days × plan intervals of contacts (history intervals summed into them)."""
    inside = placement >= 0
    out = {}
    for name, counts in history.counts.items():
        on = np.zeros((len(history.dates), n))
        np.add.at(on, (slice(None), placement[inside]), np.asarray(counts)[:, inside])
        out[name] = on
    return out


def _method(scenario: Scenario, name: str) -> tuple[str, str]:
    """``(ERLANG_C, "")`` when Erlang C per interval is exact for the channel, else
    ``(SIMULATION, why)``."""
    channel = scenario.channels[name]
    groups = scenario.groups_for(name)
    if channel.abandons:
        return SIMULATION, "customers abandon"
    if channel.concurrency != 1:
        return SIMULATION, f"concurrency {channel.concurrency}"
    if not isinstance(channel.handle_time, Exponential):
        return SIMULATION, f"{channel.handle_time.describe()} handle times"
    if channel.is_deferred(scenario.interval):
        return SIMULATION, "a backlog: the target time is an interval or more"
    if len(groups) != 1:
        return SIMULATION, f"served by {len(groups)} groups"
    if scenario.groups[groups[0]].skills != (name,):
        return SIMULATION, f"group {groups[0]} serves other channels too"
    return ERLANG_C, ""


# --- the replay -----------------------------------------------------------------------------


def backtest_plan(
    plan_dir: str | os.PathLike,
    history: str | os.PathLike | History,
    *,
    scenario: Scenario | str | os.PathLike | None = None,
    weekdays: Sequence[str] | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    exclude: Sequence[str] = (),
    column_map: Mapping[str, str] | None = None,
    replications: int = 10,
    seed: int | None = None,
    jobs: int | None = 1,
    progress: Callable[[int, int], Any] | None = None,
) -> Backtest:
    """Replay each day of a history against a written plan (see the module doc).

    Parameters
    ----------
    plan_dir : what ``ccsim staff --out DIR`` wrote (``groups.csv``, ``summary.json``).
    history : a history CSV (one row per date × interval, a count column per channel of
        the plan's scenario; see :func:`ccsim.history.read_history`) or a
        :class:`~ccsim.history.History` already read.
    scenario : the scenario the plan was made from (default: the one ``summary.json``
        echoes; give the file when its CSV paths do not resolve from the plan directory).
    weekdays, date_from, date_to : keep these days only (:func:`ccsim.history.select_days`).
    exclude : dates ``"YYYY-MM-DD"`` to leave out (holidays, the outliers a fit named).
    column_map : channel → the history column holding its counts (``{"voice": "calls"}``).
    replications : replications per simulated day (≥ 1; ≥ 2 for a day's interval).
    seed : seed of the simulated days (default: the scenario's).
    jobs : worker processes for a simulated day's replications (same numbers for any).
    progress : called as ``progress(done, total)`` after each simulated day.

    Returns
    -------
    Backtest
    """
    plan = Path(plan_dir)
    scenario, agents = read_plan(plan, scenario)
    replications = check_count("replications", replications, 1)
    seed = check_count("seed", scenario.seed if seed is None else seed, 0)
    exclude = [exclude] if isinstance(exclude, str) else list(exclude)
    history = _days_to_replay(
        history, scenario, column_map, weekdays=weekdays, date_from=date_from, date_to=date_to
    )
    history = _without(history, exclude)
    reported = _reported_channels(scenario, plan)
    placement = _placement(scenario, history, str(plan / "groups.csv"))
    counts = _on_plan(history, placement, scenario.n_intervals)
    outside = {c: np.asarray(v)[:, placement < 0].sum(axis=1) for c, v in history.counts.items()}
    methods = {name: _method(scenario, name) for name in reported}
    within, lo, hi = _answered_in_time(
        scenario, agents, counts, history.dates, methods, replications, seed, jobs, progress
    )
    days = _days_table(scenario, history, reported, counts, outside, within, lo, hi, methods)
    return Backtest(
        scenario=scenario,
        agents=agents,
        days=days,
        methods=methods,
        plan_dir=plan,
        history=history.source,
        replications=replications,
        seed=seed,
        excluded=tuple(sorted(set(exclude))),
    )


def _reported_channels(scenario: Scenario, plan: Path) -> list[str]:
    """The channels with a service-level time (within); ValueError when there are none."""
    reported = [n for n, c in scenario.channels.items() if c.target_time is not None]
    if not reported:
        raise ValueError(
            f"{plan / 'summary.json'}: no channel of the plan's scenario has a service-level "
            "time (within): nothing to backtest"
        )
    return reported


def _answered_in_time(
    scenario: Scenario,
    agents: Mapping[str, np.ndarray],
    counts: Mapping[str, np.ndarray],
    dates: Sequence[str],
    methods: Mapping[str, tuple[str, str]],
    replications: int,
    seed: int,
    jobs: int | None,
    progress: Callable[[int, int], Any] | None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Channel → contacts answered in time per day, and its 95% bounds (NaN by Erlang C)."""
    within, lo, hi = {}, {}, {}
    for name, (method, _) in methods.items():
        if method == ERLANG_C:
            channel = scenario.channels[name]
            group = scenario.groups_for(name)[0]
            levels = levels_on_counts(channel, counts[name], agents[group], scenario.interval)
            within[name] = (levels * counts[name]).sum(axis=1)
            lo[name] = hi[name] = np.full(len(dates), np.nan)
    simulated = [n for n, (method, _) in methods.items() if method == SIMULATION]
    if simulated:
        levels = _simulated_levels(
            scenario, agents, counts, dates, simulated, replications, seed, jobs, progress
        )
        for name in simulated:
            inside = counts[name].sum(axis=1)
            # a day with contacts only outside the plan's span answers none of them in time
            mean, lo[name], hi[name] = (levels[name][:, k] * inside for k in range(3))
            within[name] = np.where(inside > 0, mean, 0.0)
    return within, lo, hi


def _days_to_replay(
    history: str | os.PathLike | History,
    scenario: Scenario,
    column_map: Mapping[str, str] | None,
    **selection: Any,
) -> History:
    """The history's days to replay: read (a count column per channel of ``scenario``) and
    selected (:func:`ccsim.history.select_days` with ``selection``, if any is given)."""
    if isinstance(history, History):
        missing = [c for c in scenario.channels if c not in history.counts]
        if missing:
            raise ValueError(f"{history.name}: no counts for channel(s) {', '.join(missing)}")
    else:
        unknown = [key for key in column_map or {} if key not in scenario.channels]
        if unknown:
            raise ValueError(
                f"the plan's scenario has no channel {unknown[0]!r} to read from another "
                f"history column (its channels: {', '.join(scenario.channels)})"
            )
        history = read_history(history, list(scenario.channels), column_map=column_map)
    if any(value is not None for value in selection.values()):
        history = select_days(history, **selection)
    return history


def _without(history: History, exclude: Sequence[str]) -> History:
    """``history`` without the dates ``exclude``; ValueError for a date it does not have."""
    unknown = sorted(set(exclude) - set(history.dates))
    if unknown:
        raise ValueError(
            f"{history.name}: cannot exclude {', '.join(unknown)}: not among the days replayed"
        )
    keep = [i for i, d in enumerate(history.dates) if d not in set(exclude)]
    if not keep:
        raise ValueError(f"{history.name}: every day is excluded; nothing to backtest")
    return History(
        dates=tuple(history.dates[i] for i in keep),
        starts=history.starts,
        interval=history.interval,
        counts={c: np.asarray(v)[keep] for c, v in history.counts.items()},
        weekdays=tuple(history.weekdays[i] for i in keep),
        source=history.source,
    )


def day_seed(seed: int, date: str) -> int:
    """The seed of the simulated replay of ``date``: derived from ``seed`` and the date only."""
    ordinal = dt.date.fromisoformat(date).toordinal()
    return int(np.random.SeedSequence([int(seed), ordinal]).generate_state(1)[0])


def _simulated_levels(
    scenario: Scenario,
    agents: Mapping[str, np.ndarray],
    counts: Mapping[str, np.ndarray],
    dates: Sequence[str],
    names: Sequence[str],
    replications: int,
    seed: int,
    jobs: int | None,
    progress: Callable[[int, int], Any] | None,
) -> dict[str, np.ndarray]:
    """Channel → days × (mean, lo, hi): the simulated service level over the plan's span of
    each day (the day's counts as mean volumes; NaN where no replication drew a contact)."""
    out = {name: np.full((len(dates), 3), np.nan) for name in names}
    plain = scenario.replace(volume_uncertainty=0.0, interval_uncertainty=0.0, day_factors=None)
    for d, date in enumerate(dates):
        if any(counts[name][d].sum() > 0 for name in names):
            channels = {
                name: _with_volume(channel, counts[name][d])
                for name, channel in plain.channels.items()
            }
            day = plain.replace(channels=channels)
            result = simulate(
                day, replications, day_seed(seed, date), agents=dict(agents), jobs=jobs
            )
            table = result.days
            for name in names:
                rows = (table["channel"] == name) & (table["day"] == 0)
                per_rep = np.where(table["offered"][rows] > 0, table["service_level"][rows], np.nan)
                out[name][d] = [float(v) for v in mean_ci(per_rep)]
        if progress is not None:
            progress(d + 1, len(dates))
    for name in names:
        out[name][:, 1:] = np.clip(out[name][:, 1:], 0.0, 1.0)
    return out


def _with_volume(channel, volume: np.ndarray):
    return dataclasses.replace(channel, volume=np.asarray(volume, dtype=float))


def _days_table(scenario, history, names, counts, outside, within, lo, hi, methods) -> Table:
    """One row per date × channel (date order): see :attr:`Backtest.days`."""
    columns: dict[str, list] = {key: [] for key in _DAY_COLUMNS}
    for d, date in enumerate(history.dates):
        for name in names:
            target = scenario.channels[name].sl_target
            offered = float(counts[name][d].sum() + outside[name][d])
            level = within[name][d] / offered if offered > 0 else float("nan")
            met = float(level >= target - 1e-12) if target is not None and offered > 0 else None
            if offered > 0 and not math.isfinite(level):
                met = None
            values = {
                "date": date,
                "weekday": history.weekdays[d],
                "channel": name,
                "offered": offered,
                "outside": float(outside[name][d]),
                "answered_within": float(within[name][d]) if offered > 0 else 0.0,
                "service_level": level,
                "service_level_lo": lo[name][d] / offered if offered > 0 else float("nan"),
                "service_level_hi": hi[name][d] / offered if offered > 0 else float("nan"),
                "target": float("nan") if target is None else target,
                "met": float("nan") if met is None else met,
                "method": methods[name][0],
            }
            for key, value in values.items():
                columns[key].append(value)
    text = ("date", "weekday", "channel", "method")
    return Table(
        {
            key: np.array(values, dtype=object if key in text else float)
            for key, values in columns.items()
        }
    )


_DAY_COLUMNS = (
    "date",
    "weekday",
    "channel",
    "offered",
    "outside",
    "answered_within",
    "service_level",
    "service_level_lo",
    "service_level_hi",
    "target",
    "met",
    "method",
)
