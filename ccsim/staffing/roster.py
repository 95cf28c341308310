"""Rosters: shifts people can work whose agents on the phones cover a staffing plan.

A staffing plan says how many agents each group needs on the phones in each
interval; people work shifts (the scenario's ``[shifts.NAME]`` templates: a
length, allowed start times, breaks placed in windows). A *roster* is a count
of shifts per template, group, start and break placement. :func:`make_roster`
finds the cheapest one as a mixed-integer program solved by HiGHS
(``scipy.optimize.milp``)::

    minimise    Σ_c cost_c · x_c                      cost_c: paid hours × cost per hour
    subject to  Σ_c a_gic · x_c ≥ r_gi                every group g and interval i
                min_t ≤ Σ_{c of t starting on day d} x_c ≤ max_t
                Σ_{c of t, g on day d} x_c = Σ_{p ∋ d} y_tgp    templates with days_on
                x, y whole numbers ≥ 0

A column c is one shift: template, group, start interval and one placement of
its breaks; ``a_gic`` is 1 when its agent is at work and not on a break in
interval i (the explicit set-covering model of Dantzig, 1954: each break
placement is a column of its own, so the optimum places the breaks too).
``y_tgp`` counts agents working the days of a weekly pattern p (``days_on`` of
7, days off anywhere or consecutive); start times may differ from day to day.
A day is a 24-hour block of the horizon (as in :mod:`ccsim.staffing.days`).

The roster covers agents *on the phones*: its breaks are placed explicitly,
and the scenario's shrinkage (absence, training) is not applied to it.

Verified rosters
----------------
With ``verify=True`` the roster's agents on the phones are simulated (the same
days every run: common random numbers) and judged like a verified plan (the
lower 95% limit of each interval's service level reaches the target, ASA,
abandonment and occupancy ceilings hold; a ``per = "day"`` target over each
simulated day). Then:

1. **cover**: where a channel misses, its home group's requirement is raised
   to one agent above the roster there, and the roster solved again, until
   every target holds;
2. **relax**: the requirement is lowered by one agent in every interval not
   yet known to be tight (never below one agent where a live channel has
   volume) and solved again; the cheaper roster is simulated. If it meets every
   target it is kept and the step repeated; otherwise the lowered intervals
   within reach of each miss (the interval and the one before for live
   channels, the target window for deferred ones) are marked tight and the
   step is tried again. Stops when no lowering makes the roster cheaper.

The result may be below the plan in some intervals (``below_requirement``)
and still meet every target in simulation: that is where it saves.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from ccsim import __version__
from ccsim.results import Table, text_table, to_jsonable, write_json
from ccsim.scenario import Scenario
from ccsim.sim import SimulationResult, simulate
from ccsim.sim.metrics import mean_ci, wilson_interval
from ccsim.staffing.plan import read_plan_agents
from ccsim.staffing.verify import interval_misses

__all__ = ["Roster", "make_roster", "read_plan_agents", "roster_misses", "solve_roster"]

_DAY = 86400.0


# --- the shifts the templates allow ---------------------------------------------------------


@dataclass(frozen=True)
class _Columns:
    """Every shift the templates allow: one column per template × group × start × breaks.

    ``start`` is the interval index where the shift starts, ``day`` the 24-hour block
    of the horizon it starts in, ``way`` its break starts (intervals after its start),
    ``cost`` its cost (paid hours × cost per hour), ``cover`` the (groups × intervals) ×
    columns 0/1 matrix of its agent on the phones.
    """

    template: np.ndarray
    group: np.ndarray
    start: np.ndarray
    day: np.ndarray
    way: list[tuple[int, ...]]
    cost: np.ndarray
    cover: sparse.csc_array


def _clock(label: str) -> float:
    """Seconds after midnight of an interval label ending in ``HH:MM`` (0 when none)."""
    tail = label.strip().rsplit(" ", 1)[-1].split("T")[-1]
    try:
        hours, minutes = tail.split(":")[:2]
        return int(hours) * 3600.0 + int(minutes) * 60.0
    except ValueError:
        return 0.0


def _on_offsets(scenario: Scenario, name: str, way: tuple[int, ...]) -> np.ndarray:
    """Intervals after a shift's start in which its agent is on the phones (not on a break)."""
    shift, interval = scenario.shifts[name], scenario.interval
    on = np.ones(round(shift.length / interval), dtype=bool)
    for start, brk in zip(way, shift.breaks, strict=True):
        on[start : start + round(brk.length / interval)] = False
    return np.flatnonzero(on)


def _start_intervals(scenario: Scenario, name: str) -> np.ndarray:
    """Interval indexes at which a shift of template ``name`` may start, in the horizon."""
    shift, interval, n = scenario.shifts[name], scenario.interval, scenario.n_intervals
    first = _clock(scenario.starts[0])
    days = math.ceil(n * interval / _DAY)
    starts = {
        round(((tod - first) % _DAY + d * _DAY) / interval)
        for d in range(days)
        for tod in shift.starts
    }
    return np.array(sorted(s for s in starts if s < n), dtype=np.int64)


def _columns(scenario: Scenario, groups: list[str], need: np.ndarray) -> _Columns:
    """The shift columns for a requirement ``need`` (groups × intervals). A column whose
    agent would cover no interval with a requirement is left out, unless its template has
    a minimum count or a days-on rule (which may oblige such a shift)."""
    n, interval = scenario.n_intervals, scenario.interval
    meta: dict[str, list] = {"template": [], "group": [], "start": [], "way": [], "cost": []}
    rows, cols, m = [], [], 0
    for t, (name, shift) in enumerate(scenario.shifts.items()):
        starts = _start_intervals(scenario, name)
        keep_all = shift.min_count > 0 or shift.days_on is not None
        for gname in shift.groups:
            if gname not in groups:
                continue
            g = groups.index(gname)
            for way in shift.placements(interval):
                cells = starts[:, None] + _on_offsets(scenario, name, way)[None, :]
                inside = cells < n
                useful = (need[g][np.minimum(cells, n - 1)] > 0) & inside
                kept = np.flatnonzero(useful.any(axis=1) | keep_all)
                counts = inside[kept].sum(axis=1)
                rows.append(g * n + cells[kept][inside[kept]])
                cols.append(m + np.repeat(np.arange(len(kept)), counts))
                meta["template"] += [t] * len(kept)
                meta["group"] += [g] * len(kept)
                meta["start"] += starts[kept].tolist()
                meta["way"] += [way] * len(kept)
                meta["cost"] += [shift.cost * shift.paid_hours] * len(kept)
                m += len(kept)
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    cover = sparse.csc_array(
        (np.ones(len(row)), (row, col)), shape=(len(groups) * n, m), dtype=float
    )
    start = np.array(meta["start"], dtype=np.int64)
    return _Columns(
        template=np.array(meta["template"], dtype=np.int64),
        group=np.array(meta["group"], dtype=np.int64),
        start=start,
        day=(start * interval // _DAY).astype(np.int64),
        way=meta["way"],
        cost=np.array(meta["cost"], dtype=float),
        cover=cover,
    )


def _week_patterns(days_on: int, consecutive: bool) -> list[tuple[int, ...]]:
    """The weekly patterns of days worked (0–6): ``days_on`` of 7, the days off anywhere
    or following each other (cyclically)."""
    if not consecutive:
        return list(itertools.combinations(range(7), days_on))
    patterns = {tuple(sorted((s + k) % 7 for k in range(days_on))) for s in range(7)}
    return sorted(patterns)


# --- the mixed-integer program --------------------------------------------------------------


@dataclass(frozen=True)
class _Solution:
    """What one solve found: shifts per column, agents on the phones, and the solver's figures."""

    columns: _Columns
    counts: np.ndarray
    tours: dict[tuple[str, str], int]
    scheduled: np.ndarray
    cost: float
    lp_bound: float
    bound: float
    status: str
    seconds: float


def _uncovered(scenario: Scenario, groups: list[str], target: np.ndarray, cols: _Columns) -> None:
    """ValueError naming the first group × interval with a requirement no shift can cover."""
    n = scenario.n_intervals
    reach = np.zeros(len(groups) * n, dtype=bool)
    if cols.cover.shape[1]:
        reach = np.asarray(cols.cover.sum(axis=1)).ravel() > 0
    missing = np.flatnonzero((target.ravel() > 0) & ~reach)
    if missing.size:
        g, i = divmod(int(missing[0]), n)
        more = f" (and {missing.size - 1} more group × interval cells)" if missing.size > 1 else ""
        raise ValueError(
            f"no shift template covers group {groups[g]} at {scenario.starts[i]} "
            f"(interval {i}, {int(target.ravel()[missing[0]])} agents required){more}: "
            f'add a [shifts.NAME] template with groups = ["{groups[g]}"] and a start '
            "time whose shift spans that interval outside its breaks"
        )


def _count_rows(scenario: Scenario, cols: _Columns, width: int) -> list[LinearConstraint]:
    """Per template and day: min ≤ shifts starting that day ≤ max."""
    out = []
    n_days = math.ceil(scenario.n_intervals * scenario.interval / _DAY)
    for t, shift in enumerate(scenario.shifts.values()):
        if shift.min_count == 0 and shift.max_count is None:
            continue
        rows, cells = [], []
        for d in range(n_days):
            members = np.flatnonzero((cols.template == t) & (cols.day == d))
            rows += [d] * len(members)
            cells += members.tolist()
        matrix = sparse.csr_array(
            (np.ones(len(cells)), (rows, cells)), shape=(n_days, width), dtype=float
        )
        high = np.inf if shift.max_count is None else shift.max_count
        out.append(LinearConstraint(matrix, shift.min_count, high))
    return out


def _tour_rows(
    scenario: Scenario, groups: list[str], cols: _Columns
) -> tuple[list[tuple[str, str, tuple[int, ...]]], list[tuple[int, int, float]]]:
    """The weekly tours of days-on templates: their (template, group, pattern) variables and
    the entries (row, column offset, value) linking each day's shifts to the tours working it."""
    tours, entries, row = [], [], 0
    n_days = math.ceil(scenario.n_intervals * scenario.interval / _DAY)
    for t, (name, shift) in enumerate(scenario.shifts.items()):
        if shift.days_on is None:
            continue
        patterns = _week_patterns(shift.days_on, shift.consecutive_off)
        for g, gname in enumerate(groups):
            if gname not in shift.groups:
                continue
            first = len(tours)
            tours += [(name, gname, p) for p in patterns]
            for d in range(n_days):
                members = np.flatnonzero((cols.template == t) & (cols.group == g) & (cols.day == d))
                entries += [(row, int(c), 1.0) for c in members]
                entries += [
                    (row, len(cols.cost) + first + k, -1.0)
                    for k, p in enumerate(patterns)
                    if d % 7 in p
                ]
                row += 1
    return tours, entries


def solve_roster(
    scenario: Scenario,
    target: Mapping[str, np.ndarray],
    *,
    time_limit: float = 60.0,
    gap: float = 0.001,
) -> _Solution:
    """The cheapest roster whose agents on the phones are at least ``target`` (group → agents
    per interval) in every interval; ``time_limit`` seconds for the solver, stopping at the
    relative optimality ``gap``. ValueError when no template can cover some interval or the
    templates' counts and days-on rules leave no roster; RuntimeError when the time limit
    passes before any roster is found."""
    began = time.perf_counter()
    groups = list(target)
    need = np.array([np.asarray(target[g], dtype=float) for g in groups]).reshape(
        len(groups), scenario.n_intervals
    )
    cols = _columns(scenario, groups, need)
    _uncovered(scenario, groups, need, cols)
    rows = np.flatnonzero(need.ravel() > 0)
    tours, entries = _tour_rows(scenario, groups, cols)
    width = len(cols.cost) + len(tours)
    cover = sparse.hstack([cols.cover[rows], sparse.csc_array((len(rows), len(tours)))])
    constraints = [LinearConstraint(cover, need.ravel()[rows], np.inf)]
    constraints += _count_rows(scenario, cols, width)
    if entries:
        r, c, v = (np.array(x) for x in zip(*entries, strict=True))
        link = sparse.csr_array((v, (r, c)), shape=(int(r.max()) + 1, width))
        constraints.append(LinearConstraint(link, 0.0, 0.0))
    cost = np.concatenate([cols.cost, np.zeros(len(tours))])
    bounds = Bounds(0.0, np.inf)
    relaxed = milp(cost, bounds=bounds, constraints=constraints, options={"time_limit": time_limit})
    if relaxed.status == 2:
        raise ValueError(
            "no roster fits the shift templates' min/max counts and days_on rules while "
            "covering the requirement: loosen them or add a template"
        )
    options = {"time_limit": time_limit, "mip_rel_gap": gap, "disp": False}
    result = milp(
        cost, integrality=np.ones(width), bounds=bounds, constraints=constraints, options=options
    )
    if result.x is None:
        raise RuntimeError(
            f"no roster found within the time limit ({time_limit:g} s): {result.message}"
        )
    x = np.round(result.x).astype(np.int64)
    counts = x[: len(cols.cost)]
    scheduled = (
        (cols.cover @ counts.astype(float)).reshape(len(groups), -1).round().astype(np.int64)
    )
    return _Solution(
        columns=cols,
        counts=counts,
        tours=_tour_totals(tours, x[len(cols.cost) :]),
        scheduled=scheduled,
        cost=float(cost @ x),
        lp_bound=float(relaxed.fun) if relaxed.fun is not None else float("nan"),
        bound=float(getattr(result, "mip_dual_bound", np.nan) or np.nan),
        status="optimal" if result.status == 0 else "time limit",
        seconds=time.perf_counter() - began,
    )


def _tour_totals(tours: list, values: np.ndarray) -> dict[tuple[str, str], int]:
    """(template, group) → agents on weekly tours."""
    totals: dict[tuple[str, str], int] = {}
    for (name, gname, _), value in zip(tours, values, strict=True):
        totals[(name, gname)] = totals.get((name, gname), 0) + int(value)
    return totals


# --- the roster ------------------------------------------------------------------------------


def _label(scenario: Scenario, k: int) -> str:
    """The label of interval ``k`` (past the horizon: continued from the last label)."""
    n = scenario.n_intervals
    if k < n:
        return scenario.starts[k]
    last = scenario.starts[-1]
    extra = (k - n + 1) * scenario.interval
    try:
        import datetime as dt

        when = dt.datetime.strptime(last.strip(), "%Y-%m-%d %H:%M") + dt.timedelta(seconds=extra)
        return when.strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return _hhmm(_clock(last) + extra)


def _hhmm(seconds: float) -> str:
    """``"08:30"`` for seconds after midnight (modulo a day)."""
    minutes = int(round(seconds / 60.0)) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass
class Roster:
    """A roster: counts of shifts per template, group, start and break placement.

    Attributes
    ----------
    scenario : the scenario rostered (its ``shifts`` are the templates).
    requirement : group → agents per interval to cover on the phones (the staffing plan).
    target : group → agents per interval the final roster was solved to cover: the
        requirement, raised where verification found a miss and lowered where it showed
        the targets hold without.
    solution : the final solve (its shift columns and counts, the solver's figures).
    verified : True when the roster was simulated and corrected (see the module doc).
    simulation : the simulation of the final roster (None unless verified).
    unmet : ``(channel, interval)`` pairs whose targets the roster does not meet.
    iterations : simulation runs used by the verification.
    solves : mixed-integer programs solved; ``solve_seconds`` their total time, seconds.
    """

    scenario: Scenario
    requirement: dict[str, np.ndarray]
    target: dict[str, np.ndarray]
    solution: _Solution
    verified: bool = False
    simulation: SimulationResult | None = None
    unmet: list[tuple[str, int]] = field(default_factory=list)
    iterations: int = 0
    seed: int | None = None
    replications: int | None = None
    solves: int = 1
    solve_seconds: float = 0.0
    time_limit: float = 60.0
    gap_target: float = 0.001

    @property
    def groups(self) -> list[str]:
        """The rostered groups, in the order of ``requirement``."""
        return list(self.requirement)

    @property
    def agents(self) -> dict[str, np.ndarray]:
        """Group → agents on the phones per interval (what a simulation of the roster plays)."""
        return {g: self.solution.scheduled[k].copy() for k, g in enumerate(self.groups)}

    @property
    def cost(self) -> float:
        """The roster's cost: Σ shifts × paid hours × the template's cost per hour."""
        return self.solution.cost

    @property
    def paid_hours(self) -> float:
        """Paid hours of every rostered shift (breaks included)."""
        lengths = np.array([s.paid_hours for s in self.scenario.shifts.values()])
        cols = self.solution.columns
        return (
            float(np.sum(self.solution.counts * lengths[cols.template])) if len(cols.cost) else 0.0
        )

    @property
    def gap(self) -> float:
        """Relative optimality gap of the final solve: (cost − best bound) ÷ cost."""
        sol = self.solution
        bound = np.nanmax([sol.bound, sol.lp_bound, 0.0])
        return float(max(0.0, sol.cost - bound) / sol.cost) if sol.cost > 0 else 0.0

    def label(self, k: int) -> str:
        """The label of interval ``k``, continued past the horizon (a shift may end after it)."""
        return _label(self.scenario, k)

    def below_requirement(self) -> list[tuple[str, int, int, int]]:
        """``(group, interval, required, on the phones)`` where the roster is below the plan."""
        out = []
        for g, agents in self.agents.items():
            for i in np.flatnonzero(agents < self.requirement[g]):
                out.append((g, int(i), int(self.requirement[g][i]), int(agents[i])))
        return out

    def bands(self) -> list[tuple[str, str, int, int, list[tuple[int, int]], int]]:
        """The rostered shift kinds as ``(shift, group, start, end, breaks, count)`` in
        interval indexes (``end`` and a break's end exclusive; they may pass the horizon),
        sorted by start — what a Gantt chart draws."""
        sc, sol = self.scenario, self.solution
        cols, names = sol.columns, list(sc.shifts)
        used = np.flatnonzero(sol.counts > 0)
        used = used[np.lexsort((cols.group[used], cols.template[used], cols.start[used]))]
        out = []
        for c in used:
            shift = sc.shifts[names[cols.template[c]]]
            k = int(cols.start[c])
            breaks = [
                (k + b, k + b + round(brk.length / sc.interval))
                for b, brk in zip(cols.way[c], shift.breaks, strict=True)
            ]
            end = k + round(shift.length / sc.interval)
            out.append((shift.name, self.groups[cols.group[c]], k, end, breaks, int(sol.counts[c])))
        return out

    def shifts_table(self) -> Table:
        """One row per rostered shift kind: ``shift, group, start, end, breaks, count``
        (``breaks`` as ``HH:MM-HH:MM`` separated by ``;``)."""
        sc = self.scenario
        first = _clock(sc.starts[0])

        def clock(k: int) -> str:
            return _hhmm(first + k * sc.interval)

        bands = self.bands()
        obj = {"dtype": object}
        return Table(
            {
                "shift": np.array([b[0] for b in bands], **obj),
                "group": np.array([b[1] for b in bands], **obj),
                "start": np.array([_label(sc, b[2]) for b in bands], **obj),
                "end": np.array([_label(sc, b[3]) for b in bands], **obj),
                "breaks": np.array(
                    [";".join(f"{clock(s)}-{clock(e)}" for s, e in b[4]) for b in bands], **obj
                ),
                "count": np.array([b[5] for b in bands], dtype=np.int64),
            }
        )

    def coverage_table(self) -> Table:
        """One row per group × interval: ``group, interval, start, required, scheduled``
        (agents on the phones), ``over, under`` (scheduled above / below required)."""
        sc, n = self.scenario, self.scenario.n_intervals
        required = np.concatenate([self.requirement[g] for g in self.groups]).astype(np.int64)
        scheduled = self.solution.scheduled.ravel()
        return Table(
            {
                "group": np.repeat(np.array(self.groups, dtype=object), n),
                "interval": np.tile(np.arange(n, dtype=np.int64), len(self.groups)),
                "start": np.tile(np.array(sc.starts, dtype=object), len(self.groups)),
                "required": required,
                "scheduled": scheduled,
                "over": np.maximum(scheduled - required, 0),
                "under": np.maximum(required - scheduled, 0),
            }
        )

    def _hours(self, agents: np.ndarray) -> float:
        return self.scenario.agent_hours(np.asarray(agents, dtype=np.int64))

    def summary(self) -> dict:
        """The roster in plain data (what ``summary.json`` holds, JSON-ready): paid hours,
        required and scheduled agent-hours, overcover (agent-hours above the requirement ÷
        required, %), the solver's cost, LP bound, gap and time, per group and template,
        the intervals below the requirement, and the verification."""
        sc, sol = self.scenario, self.solution
        required = sum(self._hours(self.requirement[g]) for g in self.groups)
        coverage = self.coverage_table()
        over, under = self._hours(coverage["over"]), self._hours(coverage["under"])
        groups = {}
        for k, g in enumerate(self.groups):
            rows = coverage["group"] == g
            need = self._hours(self.requirement[g])
            groups[g] = {
                "required_hours": need,
                "scheduled_hours": self._hours(sol.scheduled[k]),
                "paid_hours": self._paid(sol.columns.group == k),
                "shifts": int(sol.counts[sol.columns.group == k].sum()),
                "overcover_pct": 100 * self._hours(coverage["over"][rows]) / need if need else 0.0,
            }
        templates = {}
        for t, (name, shift) in enumerate(sc.shifts.items()):
            mine = sol.columns.template == t
            templates[name] = {
                "shifts": int(sol.counts[mine].sum()),
                "paid_hours": self._paid(mine),
            }
            if shift.days_on is not None:
                templates[name]["agents_on_tours"] = sum(
                    v for (tn, _), v in sol.tours.items() if tn == name
                )
        below = [
            {"group": g, "interval": i, "start": sc.starts[i], "required": r, "scheduled": s}
            for g, i, r, s in self.below_requirement()
        ]
        return to_jsonable(
            {
                "ccsim_version": __version__,
                **sc.echo(),
                "paid_hours": self.paid_hours,
                "cost": self.cost,
                "required_hours": required,
                "scheduled_hours": sum(g["scheduled_hours"] for g in groups.values()),
                "overcover_hours": over,
                "overcover_pct": 100 * over / required if required else 0.0,
                "under_hours": under,
                "plan_fte_hours": required / (1.0 - sc.shrinkage),
                "shrinkage": sc.shrinkage,
                "solver": {
                    "name": "HiGHS (scipy.optimize.milp)",
                    "status": sol.status,
                    "cost": sol.cost,
                    "lp_bound": sol.lp_bound,
                    "bound": sol.bound,
                    "gap": self.gap,
                    "gap_target": self.gap_target,
                    "seconds": sol.seconds,
                    "solves": self.solves,
                    "seconds_all_solves": self.solve_seconds,
                    "shift_columns": int(len(sol.columns.cost)),
                },
                "groups": groups,
                "templates": templates,
                "below_requirement": below,
                "verified": self.verified,
                "iterations": self.iterations,
                "seed": self.seed,
                "replications": self.replications,
                "unmet": [
                    {"channel": c, "interval": i, "start": sc.starts[i]} for c, i in self.unmet
                ],
            }
        )

    def _paid(self, mask: np.ndarray) -> float:
        """Paid hours of the rostered shifts in the columns ``mask`` selects."""
        lengths = np.array([s.paid_hours for s in self.scenario.shifts.values()])
        cols = self.solution.columns
        return float(np.sum(self.solution.counts[mask] * lengths[cols.template[mask]]))

    def describe(self) -> str:
        """Tables for people: shifts per template and group, hours per group, the solver."""
        sc, info = self.scenario, self.summary()
        how = "verified by simulation" if self.verified else "covering the plan"
        lines = [f"{sc.name} — roster of {int(self.solution.counts.sum())} shifts, {how}", ""]
        rows = [["shift", "group", "shifts", "paid hours"]]
        table = self.shifts_table()
        for name in sc.shifts:
            for g in self.groups:
                mine = (table["shift"] == name) & (table["group"] == g)
                if mine.any():
                    count = int(table["count"][mine].sum())
                    rows.append([name, g, str(count), f"{count * sc.shifts[name].paid_hours:.1f}"])
        lines += text_table(rows, "llrr") + [""]
        rows = [["group", "required agent-h", "on the phones", "paid hours", "overcover"]]
        for g, entry in info["groups"].items():
            rows.append(
                [
                    g,
                    f"{entry['required_hours']:.1f}",
                    f"{entry['scheduled_hours']:.1f}",
                    f"{entry['paid_hours']:.1f}",
                    f"{entry['overcover_pct']:.1f}%",
                ]
            )
        lines += text_table(rows, "lrrrr") + [""]
        lines.append(
            f"paid hours {info['paid_hours']:.1f} (cost {info['cost']:.1f}); plan agent-hours "
            f"{info['required_hours']:.1f} ({info['plan_fte_hours']:.1f} FTE-hours at "
            f"{sc.shrinkage:.0%} shrinkage); overcover {info['overcover_pct']:.1f}%"
        )
        solver = info["solver"]
        lines.append(
            f"solver: HiGHS {solver['status']}, cost {solver['cost']:.1f}, LP bound "
            f"{solver['lp_bound']:.1f}, gap {100 * solver['gap']:.2f}%, {solver['seconds']:.2f} s "
            f"({solver['shift_columns']} shift columns; {self.solves} solves, "
            f"{self.solve_seconds:.1f} s in all)"
        )
        lines += self._verification_lines()
        return "\n".join(lines)

    def _verification_lines(self) -> list[str]:
        sc, below = self.scenario, self.below_requirement()
        lines = []
        if below:
            shown = ", ".join(f"{g} {sc.starts[i]} ({s} of {r})" for g, i, r, s in below[:6])
            more = f" and {len(below) - 6} more" if len(below) > 6 else ""
            why = (
                "the targets hold by simulation"
                if self.verified and not self.unmet
                else "unverified"
            )
            lines.append(f"below the plan in {len(below)} intervals ({why}): {shown}{more}")
        if self.verified:
            lines.append(
                f"verification: {self.iterations} simulation runs × {self.replications} days"
            )
            if self.unmet:
                where = ", ".join(f"{c} {sc.starts[i]}" for c, i in self.unmet[:8])
                lines.append(f"cannot meet the targets in {len(self.unmet)} intervals: {where}")
            else:
                lines.append("every open interval meets its targets in simulation")
        return lines

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write shifts.csv, coverage.csv and summary.json atomically; return the paths
        (figure: :func:`ccsim.plots.plot_roster`)."""
        out = Path(out_dir)
        return [
            self.shifts_table().write_csv(out / "shifts.csv"),
            self.coverage_table().write_csv(out / "coverage.csv"),
            write_json(out / "summary.json", self.summary()),
        ]


# --- verification by simulation --------------------------------------------------------------


def roster_misses(scenario: Scenario, result: SimulationResult) -> dict[str, np.ndarray]:
    """Channel → boolean per interval: the open intervals where a simulated target is missed.

    Per-interval targets as :func:`ccsim.staffing.verify.interval_misses`. A
    ``per = "day"`` service-level target is judged over each simulated day (24-hour
    block): the day misses when the lower 95% limit of its mean service level is below
    the target — or, when the scenario has ``days_met``, when the upper 95% (Wilson)
    limit of the share of simulated days meeting it is below ``days_met``; every open
    interval of a day that misses is marked.
    """
    per_day = [
        name
        for name, ch in scenario.channels.items()
        if ch.sl_per == "day" and ch.sl_target is not None
    ]
    judged = scenario
    if per_day:
        judged = scenario.replace(
            channels={
                name: dataclasses.replace(ch, sl_target=None) if name in per_day else ch
                for name, ch in scenario.channels.items()
            }
        )
    misses = interval_misses(judged, result)
    day_of = (np.arange(scenario.n_intervals) * scenario.interval // _DAY).astype(np.int64)
    days = result.days
    for name in per_day:
        channel = scenario.channels[name]
        for d in np.unique(day_of[channel.volume > 0]):
            rows = (days["channel"] == name) & (days["day"] == d) & (days["offered"] > 0)
            level = days["service_level"][rows]
            if not level.size:
                continue
            if scenario.days_met is not None:
                met = int(np.sum(level >= channel.sl_target - 1e-12))
                short = wilson_interval(met, int(level.size))[1] < scenario.days_met
            else:
                mean, low, _ = mean_ci(level)
                low = mean if np.isnan(low) else low
                short = not low >= channel.sl_target - 1e-12
            if short:
                misses[name] = misses[name] | ((day_of == d) & (channel.volume > 0))
    return misses


def _reach(scenario: Scenario, name: str) -> int:
    """How many intervals back a missing agent can cause a miss of channel ``name``."""
    channel = scenario.channels[name]
    if channel.is_deferred(scenario.interval):
        return int(np.ceil(channel.target_time / scenario.interval))
    return 1


def _floors(scenario: Scenario, requirement: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per group, the agents never relaxed away: one where a live channel it carries has
    volume (a quiet simulated day proves nothing); all of a group carrying a channel
    without targets (it cannot miss, so simulation cannot judge it)."""
    homes = scenario.home_groups(requirement)
    floor = {g: np.zeros(scenario.n_intervals, dtype=np.int64) for g in requirement}
    for name, channel in scenario.channels.items():
        g = homes[name]
        if g is None:
            continue
        if not channel.has_target:
            floor[g] = np.asarray(requirement[g], dtype=np.int64).copy()
        elif not channel.is_deferred(scenario.interval):
            floor[g] = np.maximum(floor[g], (channel.volume > 0).astype(np.int64))
    return floor


@dataclass(eq=False)
class _Search:
    """The state of a roster verification: the solver and simulation settings, the
    requirement being covered (``target``), the intervals known to be tight, counters."""

    scenario: Scenario
    requirement: dict[str, np.ndarray]
    solve: Callable[[dict[str, np.ndarray]], _Solution]
    replications: int
    seed: int
    jobs: int | None
    max_iterations: int
    say: Callable[[str], None]
    target: dict[str, np.ndarray] = field(default_factory=dict)
    tight: dict[str, np.ndarray] = field(default_factory=dict)
    runs: int = 0
    solves: int = 0
    seconds: float = 0.0

    def roster(self, target: dict[str, np.ndarray]) -> _Solution:
        solution = self.solve(target)
        self.solves += 1
        self.seconds += solution.seconds
        return solution

    def judge(self, solution: _Solution) -> tuple[SimulationResult, dict[str, np.ndarray]]:
        agents = {g: solution.scheduled[k] for k, g in enumerate(self.requirement)}
        result = simulate(
            self.scenario, self.replications, self.seed, agents=agents, jobs=self.jobs
        )
        self.runs += 1
        misses = roster_misses(self.scenario, result)
        count = int(sum(m.sum() for m in misses.values()))
        hours = self.scenario.agent_hours(solution.scheduled)
        self.say(
            f"run {self.runs}: cost {solution.cost:.1f}, {hours:.1f} agent-hours on the "
            f"phones, {count} interval misses"
        )
        return result, misses

    def blame(self, misses: dict[str, np.ndarray], lowered: dict[str, np.ndarray]) -> bool:
        """Mark tight the lowered intervals within reach of each miss; True when any was."""
        sc, marked = self.scenario, False
        for name, miss in misses.items():
            for g in sc.groups_for(name):
                if g not in lowered:
                    continue
                for j in np.flatnonzero(miss):
                    lo = max(0, j - _reach(sc, name))
                    hit = lowered[g][lo : j + 1]
                    marked |= bool(hit.any())
                    self.tight[g][lo : j + 1] |= hit
        return marked


def _cover(search: _Search, solution: _Solution) -> tuple[_Solution, SimulationResult, dict]:
    """Step 1: raise the requirement where a channel misses until every target holds (or
    the runs are used up); returns the last roster, its simulation and misses."""
    sc = search.scenario
    homes = sc.home_groups(search.requirement)
    groups = list(search.requirement)
    result, misses = search.judge(solution)
    while any(m.any() for m in misses.values()) and search.runs < search.max_iterations:
        raised = False
        for name, miss in misses.items():
            g = homes[name]
            if g is None or not miss.any():
                continue
            more = solution.scheduled[groups.index(g)][miss] + 1
            search.target[g][miss] = np.maximum(search.target[g][miss], more)
            search.tight[g][miss] = True
            raised = True
        if not raised:
            break
        solution = search.roster(search.target)
        result, misses = search.judge(solution)
    return solution, result, misses


def _relax(search: _Search, best: _Solution, result: SimulationResult) -> tuple:
    """Step 2: lower the requirement by one agent where not tight; keep a cheaper roster
    that meets every target; mark tight what a miss blames. Returns the best roster and
    its simulation."""
    floor = _floors(search.scenario, search.requirement)
    while search.runs < search.max_iterations:
        trial_target = {
            g: np.where(search.tight[g], t, np.maximum(floor[g], t - 1))
            for g, t in search.target.items()
        }
        lowered = {g: trial_target[g] < search.target[g] for g in search.target}
        if not any(low.any() for low in lowered.values()):
            break
        trial = search.roster(trial_target)
        if trial.cost >= best.cost - 1e-9:
            break
        trial_result, misses = search.judge(trial)
        if not any(m.any() for m in misses.values()):
            best, result, search.target = trial, trial_result, trial_target
        elif not search.blame(misses, lowered):
            for g in lowered:
                search.tight[g] |= lowered[g]
    return best, result


# --- entry points ----------------------------------------------------------------------------


def make_roster(
    scenario: Scenario,
    agents: Mapping[str, Any] | None = None,
    *,
    verify: bool = False,
    replications: int = 40,
    seed: int | None = None,
    jobs: int | None = 1,
    time_limit: float = 60.0,
    gap: float = 0.001,
    max_iterations: int = 30,
    progress: Callable[[str], None] | None = None,
) -> Roster:
    """The cheapest roster of the scenario's shift templates covering a staffing plan.

    Parameters
    ----------
    scenario : the scenario; its ``[shifts.NAME]`` templates are the shifts to roster.
    agents : group → agents on the phones per interval to cover (e.g. a
        :class:`~ccsim.staffing.StaffingPlan`'s ``agents``, or :func:`read_plan_agents`
        of a written plan). Default: :func:`ccsim.staffing.plan_staffing` first (verified
        when ``verify``), with the same ``replications``, ``seed`` and ``jobs``.
    verify : simulate the roster and correct it until every target holds, then lower it
        where the targets hold without (see the module documentation).
    replications : simulated days per verification run (≥ 2).
    seed : seed of the simulations (default: the scenario's); every run reuses it.
    jobs : worker processes for the simulations (same numbers for any).
    time_limit : seconds the solver may spend on one roster.
    gap : relative optimality gap at which the solver stops (0.001: within 0.1% of the
        best possible cost).
    max_iterations : cap on verification simulation runs.
    progress : called with a short status line after each simulation run.

    Raises ValueError (bad input: no templates, an interval no template covers — named
    with its group —, infeasible counts) and RuntimeError (no roster within the time limit).
    """
    if not scenario.shifts:
        raise ValueError(
            "the scenario has no shift templates: add a [shifts.NAME] table "
            '(length = "8h", starts, breaks) to roster'
        )
    if not (isinstance(time_limit, int | float) and time_limit > 0):
        raise ValueError(f"time_limit must be a number of seconds > 0, got {time_limit!r}")
    if not (isinstance(gap, int | float) and 0 <= gap < 1):
        raise ValueError(f"gap must be a share in [0, 1) such as 0.001, got {gap!r}")
    say = progress or (lambda line: None)
    seed = scenario.seed if seed is None else seed
    if agents is None:
        from ccsim.staffing import plan_staffing

        plan = plan_staffing(
            scenario, verify=verify, replications=replications, seed=seed, progress=say, jobs=jobs
        )
        agents = plan.agents
    requirement = _requirement(scenario, agents)
    search = _Search(
        scenario=scenario,
        requirement=requirement,
        solve=lambda target: solve_roster(scenario, target, time_limit=time_limit, gap=gap),
        replications=replications,
        seed=seed,
        jobs=jobs,
        max_iterations=max_iterations,
        say=say,
        target={g: a.copy() for g, a in requirement.items()},
        tight={g: np.zeros(scenario.n_intervals, dtype=bool) for g in requirement},
    )
    solution = search.roster(search.target)
    roster = Roster(
        scenario,
        requirement,
        search.target,
        solution,
        solves=1,
        solve_seconds=solution.seconds,
        time_limit=time_limit,
        gap_target=gap,
    )
    return _verified(search, roster) if verify else roster


def _verified(search: _Search, roster: Roster) -> Roster:
    """The roster after verification: covered until every target holds, then relaxed."""
    solution, result, misses = _cover(search, roster.solution)
    unmet = [(c, int(i)) for c, m in misses.items() for i in np.flatnonzero(m)]
    if not unmet:
        solution, result = _relax(search, solution, result)
    return dataclasses.replace(
        roster,
        target={g: t.copy() for g, t in search.target.items()},
        solution=solution,
        verified=True,
        simulation=result,
        unmet=unmet,
        iterations=search.runs,
        seed=search.seed,
        replications=search.replications,
        solves=search.solves,
        solve_seconds=search.seconds,
    )


def _requirement(scenario: Scenario, agents: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Group → whole agents ≥ 0 per interval, checked against the scenario."""
    out = {}
    for name, value in agents.items():
        if name not in scenario.groups:
            raise ValueError(
                f"agents given for unknown group {name!r}; groups: {', '.join(scenario.groups)}"
            )
        array = np.broadcast_to(np.asarray(value, dtype=float), (scenario.n_intervals,))
        if not (np.all(np.isfinite(array)) and np.all(array >= 0)):
            raise ValueError(f"agents for group {name!r} must be whole numbers ≥ 0")
        out[name] = np.ceil(array - 1e-9).astype(np.int64)
    return out
