"""Simulation-verified correction of a staffing plan (see :mod:`ccsim.staffing`).

The search, in the spirit of Feldman, Mandelbaum, Massey & Whitt (2008), is sized
for many cells (channel × interval) at once, so that its cost grows with what is
uncertain rather than with the size of the center. Each run simulates the whole
plan; between runs:

1. **Fix** (where the last run missed): every open channel × interval that
   misses a target adds agents to the channel's home group in that interval:
   the larger of two estimates of what it lacks — the Erlang C gap at the
   traffic that reproduces the simulated service level, and the **load
   correction** (:func:`correct_load`: the channel sized again by Erlang at the
   load it really puts on agents, performed ÷ arrived work from the run's
   tallies — with long handle times a peak's work spills into the next
   intervals) — at least 1; where neither can be estimated (deferred channels,
   other targets) 1, one more each time the interval keeps missing.
   Where the shortfall is significant, the agents it missed with are
   remembered as too few (``fail``).
2. **Trim** (when nothing missed), a bisection per group × interval between the
   most agents known to miss (at first one below the floor) and the current
   agents: every interval with room gives up the smaller of half the Erlang
   estimate of its slack (at least one) and half the room, all at once. A miss
   in that run is blamed on the nearest removal — its own interval, the home
   group's first, then the other groups with the skill, then the interval
   before (work outlasts its interval); a deferred channel's on every removal
   within its target window. Blamed removals go back; one blamed alone marks
   its trial count as too few, one blamed with others gets a strike (two mark
   it), and a group whose deferred channel blamed several at once trims every
   other interval, then every fourth … (denser again when all its removals
   hold). Unblamed removals are kept; a miss no removal explains is fixed as
   in step 1. Trimming never goes below one agent where a live channel has
   volume (a simulated day on which nobody called proves nothing), nor below
   the analytic plan of a channel without targets (it cannot miss).
3. **Confirm**: when no interval has room left and removals went back since the
   last run, the plan is simulated once more; a miss sends the search back to 1.

The search stops there, after ``max_iterations`` runs, or at a run that meets
every target when the cycle of trims and fixes before it (the second or a
later one) saved less than ``STALL_SHARE`` of the agent-hours (the last agents
are the dearest to find).
The result is the leanest of the simulated plans that missed fewest targets.

**Sequential sampling.** A run plays 4 days first (or half the days the run
before needed), then doubles, up to ``replications``, while some cell's
decision is unclear — its 95% confidence interval holds the target — and more
days could settle it (the half-width, projected, falls below the distance to
the target). A few unclear cells may stay unsettled, as many as
``SETTLE_SHARE`` of the plan's agent-hours buys at one agent for one interval
each: in a trim's run those near a removal (a miss there only sends the
removal back), elsewhere those that would need more than 8 days. Large
centers have tight intervals after few days; a cell sitting on its target is
not worth more days and counts as a miss. The schedule depends only on the
simulated numbers, never on the workers: the plan is the same for any ``jobs``
and executor.

**Common random numbers.** Every run uses the same seed, so replication *r*
has the same arrivals, handle times and patience in each iteration: a change
in the plan is judged on the same days, and the search converges instead of
chasing noise. An interval "meets" its service-level target when the lower
limit of the simulated 95% confidence interval reaches it (so a fresh
simulation is unlikely to find a shortfall), and its ASA, abandonment and
occupancy ceilings when their upper limits stay under them. An interval in
which no contact was offered in any replication has nothing to miss.

**Memory.** Runs keep each replication's tallies (sums per channel ×
interval: kilobytes), never the per-contact records (gigabytes for a large
center); the load correction reads the work performed from the tallies.

**Why each run re-simulates the whole day.** Under common random numbers a
change in interval *i* leaves the intervals before *i* as they were, so a run
could in principle restart from the engine's state at the start of the
earliest changed interval. Measured, that would skip only about a fifth of the
simulated days (:attr:`Search.first_change`; the closing progress line says
how much): fixes and trims are sized for every cell at once, so nearly every
run changes an early interval. And it would need the engine's whole state —
busy agents with their remaining work, chat slots, queues — saved at interval
boundaries (``ccsim.sim.state`` starts a day from waiting contacts and agents
on shift, not from work in progress); a written channel whose backlog carries
over the night (:mod:`ccsim.sim.carry`) starts its day with a backlog that
the plan of the whole day shapes, so any change moves its morning.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ccsim import erlang
from ccsim._pools import dask_client
from ccsim.scenario import Scenario
from ccsim.sim import SimulationResult, simulate
from ccsim.sim.metrics import channel_work
from ccsim.staffing.plan import StaffingPlan
from ccsim.staffing.requirement import channel_requirement

__all__ = [
    "FIRST_DAYS",
    "SETTLE_SHARE",
    "STALL_SHARE",
    "Search",
    "Verdict",
    "confirm",
    "correct_load",
    "days_needed",
    "effective_traffic",
    "erlang_gaps",
    "fix",
    "interval_misses",
    "judge_trial",
    "load_ratio",
    "trim",
    "verify_plan",
]

FIRST_DAYS = 4
"""Days simulated first in each run (then doubled while decisions are unclear)."""

SETTLE_SHARE = 0.001
"""A run stops adding days when the cells still unclear are worth less than this share of
the plan's agent-hours at one agent for one interval each (they count as misses)."""

STALL_SHARE = 0.005
"""The search stops at a run that meets every target when, since the last such run (a
cycle of trims and fixes), the best plan got leaner by less than this share."""


def interval_misses(
    scenario: Scenario, result: SimulationResult, *, significant: bool = False
) -> dict[str, np.ndarray]:
    """Channel → boolean array: the open intervals whose simulated KPIs miss a target.

    ``result`` is a :class:`~ccsim.sim.SimulationResult`; an interval is open
    when the channel has volume in it. A target is met "with the simulated
    confidence": the lower 95% limit of the service level reaches its target,
    the upper limits of ASA, abandonment and occupancy stay under their
    ceilings (the means, when a single replication gives no interval). A KPI
    that could not be measured in an open interval (nobody answered, nobody
    staffed) is a miss, unless no contact was offered there in any replication.
    With ``significant``, only the shortfalls the simulation is sure of: the upper
    95% limit of the service level below its target, the lower limits of the others
    above their ceilings.
    """
    intervals, limits = result.intervals, result.limits
    low, high = ("hi", "lo") if significant else ("lo", "hi")
    misses: dict[str, np.ndarray] = {}
    for name, channel in scenario.channels.items():
        rows = intervals["channel"] == name
        miss = np.zeros(scenario.n_intervals, dtype=bool)

        def bound(kpi: str, side: str, rows: np.ndarray = rows) -> np.ndarray:
            table = intervals if kpi == "service_level" else limits
            value = table[f"{kpi}_{side}"][rows]
            return np.where(np.isnan(value), intervals[kpi][rows], value)

        if channel.sl_target is not None:
            level = bound("service_level", low)
            miss |= ~(level >= channel.sl_target - 1e-12)  # NaN: a miss
        for kpi, ceiling in (
            ("asa", channel.asa_max),
            ("abandon_rate", channel.max_abandon),
            ("occupancy", channel.max_occupancy),
        ):
            if ceiling is not None:
                miss |= ~(bound(kpi, high) <= ceiling)
        # Nothing offered in any replication (a tiny forecast): no customer to fail.
        offered = intervals["offered"][rows] > 0
        misses[name] = miss & (channel.volume > 0) & offered
    return misses


def _unclear_cells(
    scenario: Scenario, result: SimulationResult, forgiven: dict[str, np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The open cells × KPIs whose 95% interval holds their target: the half-width, the
    distance from the mean to the target, and whether the cell is ``forgiven``."""
    intervals, limits = result.intervals, result.limits
    halves, distances, forgivable = [], [], []
    for name, channel in scenario.channels.items():
        rows = intervals["channel"] == name
        open_ = (channel.volume > 0) & (intervals["offered"][rows] > 0)
        checks = []
        if channel.sl_target is not None:
            mean = intervals["service_level"][rows]
            checks.append((mean, mean - intervals["service_level_lo"][rows], channel.sl_target))
        for kpi, ceiling in (
            ("asa", channel.asa_max),
            ("abandon_rate", channel.max_abandon),
            ("occupancy", channel.max_occupancy),
        ):
            if ceiling is not None:
                mean = intervals[kpi][rows]
                checks.append((mean, limits[f"{kpi}_hi"][rows] - mean, ceiling))
        excused = np.zeros(len(open_), dtype=bool) if forgiven is None else forgiven[name]
        for mean, half, target in checks:
            distance = np.abs(mean - target)
            unclear = open_ & ~(half < distance)  # NaN (fewer than 2 values): unclear
            halves.append(half[unclear])
            distances.append(distance[unclear])
            forgivable.append(excused[unclear])
    if not halves:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    return np.concatenate(halves), np.concatenate(distances), np.concatenate(forgivable)


def days_needed(
    scenario: Scenario,
    result: SimulationResult,
    most: int,
    unsettled: int = 0,
    forgiven: dict[str, np.ndarray] | None = None,
) -> int:
    """How many days (replications) would make every cell's decision clear, as far as
    ``most`` days can: ``result.replications`` when no more days are worth playing.

    A cell is unclear when the 95% confidence interval of a KPI with a target holds the
    target. Its per-day spread is read from the interval's half-width; the days it needs
    are the fewest whose Student-t half-width falls below the distance between the mean
    and the target. Cells that would need more than ``most`` days (the mean sits on the
    target) do not count: they stay misses whatever is played. Up to ``unsettled``
    cells may stay unclear, the hardest to settle: among those ``forgiven`` (channel →
    intervals), and those that would need more than twice ``FIRST_DAYS``.
    """
    from scipy.special import stdtrit  # imported when needed (as in ccsim.sim.metrics)

    n = result.replications
    half, distance, excused = _unclear_cells(scenario, result, forgiven)
    if n >= most or not half.size:
        return n
    unknown = ~np.isfinite(half)  # one value so far: no interval yet
    if np.any(unknown & ~excused) or np.sum(unknown) > unsettled:
        return min(most, 2 * n)
    unsettled -= int(np.sum(unknown))
    half, distance, excused = half[~unknown], distance[~unknown], excused[~unknown]
    spread = half / stdtrit(n - 1, 0.975) * math.sqrt(n)  # per-day standard deviation
    days = np.arange(n + 1, most + 1)
    width = stdtrit(days - 1, 0.975)[None, :] * spread[:, None] / np.sqrt(days)[None, :]
    settles = width < distance[:, None]
    first = np.where(settles.any(axis=1), days[np.argmax(settles, axis=1)], most + 1)
    worth = first <= most
    sparable = excused | (first > 2 * FIRST_DAYS)  # forgiven, or dear to settle
    need = int(first[worth & ~sparable].max(initial=n))
    spared = np.sort(first[worth & sparable])
    if spared.size > unsettled:
        need = max(need, int(spared[spared.size - unsettled - 1]))
    return need


def load_ratio(scenario: Scenario, contacts) -> dict[str, np.ndarray]:
    """Channel → per interval: work performed in the interval ÷ work of contacts arriving in it.

    ``contacts`` are a simulation's per-contact records (all replications); work
    done after the horizon counts in the last interval. 1 where nothing arrived.
    (The search reads the same sums from the result's tallies: :attr:`SimulationResult.work`.)
    """
    n_c, n_i = len(scenario.channels), scenario.n_intervals
    return _work_ratio(scenario, *channel_work(contacts, n_c, n_i, float(scenario.interval)))


def _work_ratio(scenario: Scenario, performed, arrived) -> dict[str, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(arrived > 0, performed / arrived, 1.0)
    return dict(zip(scenario.channels, ratio, strict=True))


def _group_misses(scenario, misses: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Group → boolean array: intervals where a channel the group can serve misses."""
    return {
        name: np.any([misses[c] for c in group.skills if c in misses], axis=0)
        for name, group in scenario.groups.items()
    }


def effective_traffic(level, slots, aht, target_time: float) -> np.ndarray:
    """The Erlang C traffic (Erlangs) at which ``slots`` servers give service level ``level``.

    Bisection on the traffic, element-wise: the Erlang model fitted to what the
    simulation saw, used to estimate how many agents an interval lacks or can spare.
    """
    level = np.asarray(level, dtype=float)
    slots = np.asarray(slots, dtype=np.int64)
    lo = np.zeros(level.shape)
    hi = slots.astype(float)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        above = erlang.service_level(mid, slots, aht, target_time) > level
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return 0.5 * (lo + hi)


def erlang_gaps(plan: StaffingPlan, intervals, homes) -> dict[str, np.ndarray]:
    """Channel → estimated agents lacking (> 0) or to spare (< 0) per interval; NaN: unknown.

    For live channels with a service-level target: the Erlang C traffic that
    reproduces the simulated service level (lower 95% limit) at the channel's
    current agents, then the agents Erlang C needs at that traffic.
    """
    sc = plan.scenario
    shares = plan.channel_agents()
    gaps = {}
    for name, ch in sc.channels.items():
        gap = np.full(sc.n_intervals, np.nan)
        gaps[name] = gap
        if homes[name] is None or ch.sl_target is None or ch.is_deferred(sc.interval):
            continue
        rows = intervals["channel"] == name
        level = intervals["service_level_lo"][rows]
        level = np.where(np.isnan(level), intervals["service_level"][rows], level)
        k = ch.concurrency
        aht = ch.slot_aht
        slots = shares[name] * k
        ok = (slots > 0) & (ch.volume > 0) & np.isfinite(level)
        if not ok.any():
            continue
        traffic = effective_traffic(level[ok], slots[ok], aht[ok], ch.target_time)
        need = erlang.required_agents(
            traffic, aht[ok], target_time=ch.target_time, sl_target=ch.sl_target
        )
        gap[ok] = np.ceil(np.asarray(need) / k) - shares[name][ok]
    return gaps


def _reach(scenario, name: str) -> int:
    """How many intervals back a removal can cause a miss of channel ``name``."""
    channel = scenario.channels[name]
    if channel.is_deferred(scenario.interval):
        return int(np.ceil(channel.target_time / scenario.interval))
    return 1


@dataclass(eq=False)
class Search:
    """The state of one verification search over a working copy of a plan.

    ``plan`` is the working plan (its ``agents`` change as the search goes);
    ``replications`` the most days a run plays (:func:`days_needed` decides how
    many). Per planned group, arrays over the intervals: ``cap`` (most agents
    tried), ``floor`` (never trimmed below), ``step`` (the next fix where no
    estimate is known: one more while an interval keeps missing), ``fail`` (the most agents
    known to miss; one below the floor while none is known), ``strikes``
    (removals sent back with others, unsure which one missed: two mark it as too
    few); per group, ``spacing`` and ``phase`` (after a miss that blamed several
    removals in a target window, the group trims only every ``spacing``-th
    interval, ``phase`` rotating).

    ``runs``, ``days`` and ``seconds`` count the simulation runs, the days they
    played and their wall time; ``clean_runs`` are the runs that met every
    target, ``clean_best`` the best plan's agent-hours at the last of them and
    ``gain`` the share the cycle before it saved (``stalled`` when below
    ``STALL_SHARE``); ``first_change`` holds, per run, the earliest interval whose
    staffing changed since the run before (``n_intervals``: none), and
    ``skippable`` the days' worth of intervals before it (what restarts from
    saved states could have skipped). ``best`` keeps the leanest simulated plan
    with the fewest misses.
    """

    plan: StaffingPlan
    replications: int
    seed: int
    max_iterations: int
    jobs: int | None
    say: Callable[[str], None]
    homes: dict[str, str | None]
    fixed: dict[str, np.ndarray]
    groups: list[str]
    cap: dict[str, np.ndarray]
    floor: dict[str, np.ndarray]
    step: dict[str, np.ndarray]
    fail: dict[str, np.ndarray]
    strikes: dict[str, np.ndarray]
    spacing: dict[str, int]
    phase: dict[str, int]
    executor: str = "processes"
    scheduler: Any = None
    runs: int = 0
    days: int = 0
    last_days: int = 0
    skippable: float = 0.0
    seconds: float = 0.0
    first_change: list[int] = field(default_factory=list)
    clean_best: float = float("inf")
    clean_runs: list[int] = field(default_factory=list)
    gain: float = float("inf")
    stalled: bool = False
    simulated: dict[str, np.ndarray] | None = None
    best: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        plan: StaffingPlan,
        *,
        replications: int,
        seed: int,
        max_iterations: int = 60,
        progress: Callable[[str], None] | None = None,
        jobs: int | None = 1,
        executor: str = "processes",
        scheduler: Any = None,
    ) -> Search:
        """A search from ``plan`` (which is copied, never changed)."""
        sc = plan.scenario
        work = dataclasses.replace(plan, agents={g: a.copy() for g, a in plan.agents.items()})
        homes = sc.home_groups(plan.planned)
        fixed = sc.fixed_dedicated(plan.planned)
        groups = list(plan.planned)
        floor = _floors(plan, homes, fixed)
        return cls(
            plan=work,
            replications=replications,
            seed=seed,
            max_iterations=max_iterations,
            jobs=jobs,
            say=progress or (lambda line: None),
            homes=homes,
            fixed=fixed,
            groups=groups,
            cap={g: 4 * plan.analytic_agents[g] + 20 for g in groups},
            floor=floor,
            step={g: np.ones(sc.n_intervals, dtype=np.int64) for g in groups},
            fail={g: floor[g] - 1 for g in groups},
            strikes={g: np.zeros(sc.n_intervals, dtype=np.int64) for g in groups},
            spacing=dict.fromkeys(groups, 1),
            phase=dict.fromkeys(groups, 0),
            executor=executor,
            scheduler=scheduler,
        )

    @property
    def scenario(self) -> Scenario:
        return self.plan.scenario

    @property
    def agents(self) -> dict[str, np.ndarray]:
        """The working plan's agents per group (changed in place by the phases)."""
        return self.plan.agents

    @property
    def exhausted(self) -> bool:
        """True when the search has used its simulation runs, or has ``stalled``: a run
        met every target, and since the last run that did the best plan got leaner by
        less than ``STALL_SHARE`` of its agent-hours, after two such cycles at least
        (the last agents are the dearest to find: a planner would not wait for them)."""
        return self.runs >= self.max_iterations or self.stalled

    @property
    def unsimulated(self) -> bool:
        """True when the working plan differs from the one the last run simulated."""
        if self.simulated is None:
            return True
        return any(not np.array_equal(self.agents[g], self.simulated[g]) for g in self.groups)

    def run(
        self, forgiven: dict[str, np.ndarray] | None = None
    ) -> tuple[SimulationResult, dict[str, np.ndarray]]:
        """Simulate the working plan (same seed every run) on as many days as its decisions
        need (:func:`days_needed`, at most ``replications``); its result and misses.

        In the ``forgiven`` cells (a trial's: a miss there sends a removal back and costs
        no run) a few may stay unclear: as many as ``SETTLE_SHARE`` of the agent-hours
        buys at one agent for one interval each."""
        sc = self.scenario
        self.runs += 1
        self.first_change.append(self._first_change())
        started = time.monotonic()
        where = {"jobs": self.jobs, "executor": self.executor, "scheduler": self.scheduler}
        most = self.replications
        first = min(most, max(FIRST_DAYS, self.last_days // 2))  # where the last run ended
        result = simulate(sc, first, self.seed, agents=self.agents, **where)
        # unsettled cells allowed: each costs at most about one agent for one interval
        spare = int(SETTLE_SHARE * self.plan.agent_hours() / (sc.interval / 3600.0))
        while days_needed(sc, result, most, spare, forgiven) > result.replications:
            result = result.extended(min(2 * result.replications, most), **where)
        self.last_days = result.replications
        misses = interval_misses(sc, result)
        self.days += result.replications
        self.skippable += result.replications * self.first_change[-1] / sc.n_intervals
        self.seconds += time.monotonic() - started
        self.simulated = {g: self.agents[g].copy() for g in self.groups}
        total = sum(int(m.sum()) for m in misses.values())
        hours = self.plan.agent_hours()
        self.say(self._progress_line(total, hours, result.replications))
        key = (total, hours)
        if not self.best or key < self.best["key"]:
            self.best.update(key=key, agents={g: a.copy() for g, a in self.agents.items()})
            self.best.update(result=result, misses=misses)
        if total == 0:
            best = self.best["key"][1]
            self.gain = (self.clean_best - best) / best
            self.clean_best = best
            self.clean_runs.append(self.runs)
            self.stalled = self.gain < STALL_SHARE and len(self.clean_runs) >= 3
        return result, misses

    def _first_change(self) -> int:
        """The earliest interval whose staffing differs from the last run's (all: 0)."""
        n = self.scenario.n_intervals
        if self.simulated is None:
            return 0
        changed = np.any([self.agents[g] != self.simulated[g] for g in self.groups], axis=0)
        return int(np.argmax(changed)) if np.any(changed) else n

    def runs_left(self, missing: int) -> int:
        """A rough count of the runs still to come. Once cycles of trims and fixes have
        ended in runs meeting every target: the rest of this cycle and, while the last
        one saved at least twice ``STALL_SHARE``, one more, at their mean length. Before:
        the trims' bisection halves the widest room left in a group × interval each run,
        a miss costs a fix or two, and the last plan may need its confirming run."""
        if self.stalled:
            return 0
        marks = self.clean_runs
        if len(marks) >= 2:
            cycle = (marks[-1] - marks[0]) / (len(marks) - 1)
            left = max(1.0, cycle - (self.runs - marks[-1]))
            left += cycle if self.gain >= 2 * STALL_SHARE else 0.0
        else:
            room = 0
            for g in self.groups:
                low = np.maximum(self.fail[g] + 1, self.floor[g])
                room = max(room, int(np.max(self.agents[g] - low, initial=0)))
            left = math.ceil(math.log2(room + 1)) + (2 if missing else 0) + 1
        return max(0, min(round(left), self.max_iterations - self.runs))

    def _progress_line(self, missing: int, hours: float, days: int) -> str:
        left = self.runs_left(missing) * self.seconds / self.runs
        return (
            f"run {self.runs} of at most {self.max_iterations}: {missing} cells missing, "
            f"{hours:.1f} agent-hours, {days} days, est. {_duration(left)} left"
        )

    def closing_line(self) -> str:
        """What the search cost: runs, days, time, and the share of the days simulated
        that restarts from saved states could have skipped (see the module doc)."""
        share = self.skippable / self.days if self.days else 0.0
        return (
            f"done: {self.runs} runs, {self.days} days simulated in {self.seconds:.0f} s; "
            f"restarts from saved states could have skipped {share:.0%} of them"
        )

    def outcome(self) -> StaffingPlan:
        """The leanest plan that met the most targets among those simulated, as a new plan."""
        best = self.best
        return dataclasses.replace(
            self.plan,
            agents={g: a.copy() for g, a in best["agents"].items()},
            simulation=best["result"],
            verified=True,
            iterations=self.runs,
            seed=self.seed,
            replications=best["result"].replications,
            unmet=[(c, int(i)) for c, miss in best["misses"].items() for i in np.flatnonzero(miss)],
        )


def _duration(seconds: float) -> str:
    """A time left for people: "40 s", "3 min"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def _floors(
    plan: StaffingPlan, homes: dict[str, str | None], fixed: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Per planned group, the agents never trimmed away: a live channel's one agent
    wherever it has volume (a quiet simulated day proves nothing), and the analytic
    agents (a stable queue) of a channel without targets, which cannot miss."""
    sc = plan.scenario
    floor = {g: np.zeros(sc.n_intervals, dtype=np.int64) for g in plan.planned}
    for name, channel in sc.channels.items():
        g = homes[name]
        if g is None:
            continue
        if not channel.has_target:
            floor[g] += np.maximum(plan.requirement[name] - fixed[name], 0)
        elif not channel.is_deferred(sc.interval):
            one = ((channel.volume > 0) & (fixed[name] == 0)).astype(np.int64)
            floor[g] = np.maximum(floor[g], one)
    return floor


def correct_load(search: Search, result: SimulationResult) -> dict[str, np.ndarray]:
    """Phase 0, load correction: channel → agents lacking (> 0) or to spare (< 0) per
    interval at the load each live channel really puts on agents; NaN for deferred
    channels and those no planned group carries.

    The load is the channel's volume scaled by the work performed in the interval ÷
    the work of the contacts arriving in it (from the result's tallies: with long
    handle times a peak's work spills into the next intervals), sized again by Erlang
    (the simulated "modified offered load"), against the channel's agents in
    ``result``. The fixes take the larger of this and the Erlang gap.
    """
    sc = search.scenario
    ratio = _work_ratio(sc, *result.work)
    shares = _simulated_plan(search, result).channel_agents()
    gaps = {}
    for name, channel in sc.channels.items():
        gaps[name] = np.full(sc.n_intervals, np.nan)
        if search.homes[name] is not None and not channel.is_deferred(sc.interval):
            scaled = dataclasses.replace(channel, volume=channel.volume * ratio[name])
            gaps[name] = (channel_requirement(scaled, sc.interval) - shares[name]).astype(float)
    return gaps


def fix(
    search: Search,
    misses: dict[str, np.ndarray],
    gaps: dict[str, np.ndarray],
    clear: dict[str, np.ndarray] | None = None,
) -> bool:
    """Phase 1, fix: add agents to the home group of every channel × interval that misses.

    As many as the ``gaps`` say are lacking (at least one), or where they cannot
    estimate it the group's ``step`` (1, then one more each time the interval keeps
    missing: a deferred channel's miss may need its whole target window). Where the
    miss is
    ``clear`` (significant: :func:`interval_misses`; default: every miss) the agents it
    missed with become the interval's known ``fail``. Returns True when some agent was
    added (a group at its cap in every missing interval adds none).
    """
    n = search.scenario.n_intervals
    add = {g: np.zeros(n, dtype=np.int64) for g in search.groups}
    known = {g: np.full(n, clear is None) for g in add}  # misses sure to be misses
    for channel, miss in misses.items():
        g = search.homes[channel]
        if g is None or not miss.any():
            continue
        gap = gaps[channel]
        estimate = np.where(np.isfinite(gap), np.maximum(np.nan_to_num(gap), 1), search.step[g])
        add[g] += np.where(miss, estimate, 0).astype(np.int64)
        if clear is not None:
            known[g] |= miss & clear[channel]
    fixable = False
    for g in search.groups:
        agents, cap = search.agents[g], search.cap[g]
        room = (add[g] > 0) & (agents < cap)
        search.step[g] = np.where(room, search.step[g] + 1, 1)
        if room.any():
            fixable = True
            sure = room & known[g]
            search.fail[g][sure] = np.maximum(search.fail[g], agents)[sure]
            agents[room] = np.minimum(agents + add[g], cap)[room]
    return fixable


def _spare(search: Search, group: str, gaps: dict[str, np.ndarray]) -> np.ndarray:
    """Agents ``group`` can likely spare per interval: half the smallest Erlang slack of
    its home channels (at least one; one where unknown)."""
    spare = np.full(search.scenario.n_intervals, 1 << 30, dtype=np.int64)
    for channel, home in search.homes.items():
        if home == group:
            gap = gaps[channel]
            ok = np.isfinite(gap) & (gap < 0)
            half = np.where(ok, np.floor(-np.nan_to_num(gap) / 2), 1)
            spare = np.minimum(spare, np.maximum(half.astype(np.int64), 1))
    return spare


def trim(
    search: Search, misses: dict[str, np.ndarray], gaps: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Phase 2, trim: take agents out of every interval with room; group → agents removed.

    The room of a group × interval is what lies above both its floor and its known
    ``fail``; each takes out the smaller of half the Erlang estimate of its slack
    (:func:`_spare`, at least one) and half the distance to ``fail`` (bisection),
    all at once — or, in a group whose ``spacing`` grew, in every ``spacing``-th
    interval (the phase rotates). Not where the group's channels miss. The
    removals are applied.
    """
    n = search.scenario.n_intervals
    group_miss = _group_misses(search.scenario, misses)
    removal = {}
    for g in search.groups:
        agents, fail = search.agents[g], search.fail[g]
        room = agents - np.maximum(fail + 1, search.floor[g])
        slack = (room > 0) & ~group_miss[g]
        spacing = search.spacing[g]
        for _ in range(spacing if spacing > 1 and slack.any() else 0):
            search.phase[g] = (search.phase[g] + 1) % spacing
            pick = slack & (np.arange(n) % spacing == search.phase[g])
            if pick.any():
                slack = pick
                break
        if not slack.any():
            continue
        half = np.maximum((agents - fail) // 2, 1)
        amount = np.where(slack, np.minimum(np.minimum(_spare(search, g, gaps), half), room), 0)
        removal[g] = amount
        agents -= amount
    return removal


@dataclass(frozen=True)
class Verdict:
    """What a trim's simulation said: ``kept_all`` (every removal held and nothing missed),
    ``kept_none`` (every removal went back), and the ``unexplained`` misses (channel →
    intervals) that no removal is blamed for: the fix phase's work."""

    kept_all: bool
    kept_none: bool
    unexplained: dict[str, np.ndarray]


def _culprits(
    search: Search, name: str, j: int, removal: dict[str, np.ndarray]
) -> list[tuple[str, int, int]]:
    """The removals blamed for a miss of channel ``name`` in interval ``j``: (group, first,
    last interval). A live channel's: the nearest — its own interval before the one
    before (work outlasts its interval), the home group before the other groups with the
    skill. A deferred channel's: every removal within its target window before the miss
    (its backlog carries them forward)."""
    sc = search.scenario
    home = search.homes[name]
    able = [g for g in sc.groups_for(name) if g in removal]
    able.sort(key=lambda g: g != home)
    reach = _reach(sc, name)
    if reach > 1:
        lo = max(0, j - reach)
        return [(g, lo, j) for g in able if removal[g][lo : j + 1].any()]
    for k in (j, j - 1):
        if k < 0:
            continue
        for tier in ([g for g in able if g == home], [g for g in able if g != home]):
            hit = [(g, k, k) for g in tier if removal[g][k] > 0]
            if hit:
                return hit
    return []


def _near(search: Search, removal: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Channel → the intervals where a miss would be blamed on one of the removals
    (:func:`_culprits`): a removal's own interval and the next, or for a deferred
    channel its target window after it."""
    sc, n = search.scenario, search.scenario.n_intervals
    near = {}
    for name in sc.channels:
        tried = np.zeros(n, dtype=bool)
        for g in sc.groups_for(name):
            if g in removal:
                tried |= removal[g] > 0
        reach = _reach(sc, name)
        spread = tried.copy()
        for k in range(1, reach + 1):
            spread[k:] |= tried[:-k]
        near[name] = spread
    return near


def judge_trial(
    search: Search, removal: dict[str, np.ndarray], misses: dict[str, np.ndarray]
) -> Verdict:
    """After simulating a trim: send back the removals blamed for a miss
    (:func:`_culprits`); keep the others.

    A removal blamed alone marks its trial agents as too few (``fail``); one blamed
    with others gets a strike, and two strikes mark it too (so the search ends). A
    deferred channel's miss that blames several removals makes their groups trim
    sparser: ``spacing`` doubles, up to one removal per target window; a group whose
    removals all held trims denser again (``spacing`` halves).
    """
    n = search.scenario.n_intervals
    back = {g: np.zeros(n, dtype=bool) for g in removal}
    alone = {g: np.zeros(n, dtype=bool) for g in removal}
    unexplained = {name: np.zeros(n, dtype=bool) for name in misses}
    widen: set[str] = set()
    for name, miss in misses.items():
        for j in np.flatnonzero(miss):
            culprits = _culprits(search, name, int(j), removal)
            unexplained[name][j] = not culprits
            cells = [(g, k) for g, lo, hi in culprits for k in range(lo, hi + 1)]
            cells = [(g, k) for g, k in cells if removal[g][k] > 0]
            for g, k in cells:
                back[g][k] = True
            if len(cells) == 1:
                alone[cells[0][0]][cells[0][1]] = True
            elif _reach(search.scenario, name) > 1:
                widen |= {g for g, _ in cells}
    for g in widen:  # once per trial, however many misses
        widest = 1 + max(_reach(search.scenario, c) for c in search.scenario.groups[g].skills)
        search.spacing[g] = min(2 * search.spacing[g], widest)
    tried_any, returned_all = False, True
    for g, amount in removal.items():
        tried = amount > 0
        sent = back[g] & tried
        tried_any |= bool(tried.any())
        returned_all &= bool(np.array_equal(sent, tried))
        search.strikes[g][sent & ~alone[g]] += 1
        known = sent & (alone[g] | (search.strikes[g] >= 2))
        search.fail[g][known] = np.maximum(search.fail[g], search.agents[g])[known]
        search.agents[g][sent] += amount[sent]
        if tried.any() and not sent.any() and g not in widen:
            search.spacing[g] = max(1, search.spacing[g] // 2)  # all held: denser again
    kept_all = not any(b.any() for b in back.values()) and not any(
        u.any() for u in unexplained.values()
    )
    return Verdict(kept_all, returned_all and tried_any, unexplained)


def confirm(search: Search) -> tuple[SimulationResult, dict[str, np.ndarray]]:
    """Phase 3, confirm: simulate the plan with the removals that held (a miss there sends
    the search back to fixing)."""
    return search.run()


def _simulated_plan(search: Search, result: SimulationResult) -> StaffingPlan:
    """The working plan with the agents ``result`` played (what its KPIs describe)."""
    return dataclasses.replace(
        search.plan, agents=dict(zip(search.scenario.groups, result.staffing, strict=True))
    )


def verify_plan(
    plan: StaffingPlan,
    *,
    replications: int,
    seed: int,
    max_iterations: int = 60,
    progress: Callable[[str], None] | None = None,
    jobs: int | None = 1,
    executor: str = "processes",
    scheduler: Any = None,
) -> StaffingPlan:
    """The plan corrected by simulation, as a new plan (``plan`` is not changed).

    The search of this module's documentation: load correction, then fix,
    trim and confirm until nothing changes or ``max_iterations`` simulation
    runs are used. Each run plays at most ``replications`` days, as many as its
    decisions need. ``jobs`` workers of ``executor`` (``"processes"``, or
    ``"dask"`` on ``scheduler``'s cluster — a client, a cluster or an address — or
    a local one started for the search) play the days: the plan is the same on
    any. ``progress`` gets a line after each run.
    """
    if executor == "dask" and not hasattr(scheduler, "submit"):
        with dask_client(jobs or 1, scheduler) as client:  # one cluster for every run
            return verify_plan(
                plan,
                replications=replications,
                seed=seed,
                max_iterations=max_iterations,
                progress=progress,
                jobs=jobs,
                executor=executor,
                scheduler=client,
            )
    search = Search.start(
        plan,
        replications=replications,
        seed=seed,
        max_iterations=max_iterations,
        progress=progress,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
    )
    result, misses = search.run()
    while not search.exhausted:
        gaps = erlang_gaps(_simulated_plan(search, result), result.intervals, search.homes)
        if any(m.any() for m in misses.values()):
            load = correct_load(search, result)
            lacking = {c: np.fmax(gaps[c], load[c]) for c in gaps}
            clear = interval_misses(search.scenario, result, significant=True)
            if fix(search, misses, lacking, clear):
                result, misses = search.run()
                continue
        removal = trim(search, misses, gaps)
        if removal:
            result, misses = search.run(forgiven=_near(search, removal))
            misses = judge_trial(search, removal, misses).unexplained
        elif search.unsimulated:
            result, misses = confirm(search)  # blamed removals went back since the last run
        else:
            break
    search.say(search.closing_line())
    return search.outcome()
