"""Simulation-verified correction of a staffing plan (see :mod:`ccsim.staffing`).

The search, in the spirit of Feldman, Mandelbaum, Massey & Whitt (2008), sized
for many cells (channel × interval) at once so that its cost grows with what is
uncertain, not with the size of the center:

0. **Load correction** (one round): simulate the plan and measure, per live
   channel and interval, the work agents actually performed in the interval
   against the work of the contacts that arrived in it (tallied per
   replication: no per-contact records are kept). With long handle times the
   work of a peak spills into the following intervals, so the ratio is above 1
   just after a peak and below 1 on its way up. Each interval's volume is
   scaled by that ratio and sized again by Erlang — the simulated "modified
   offered load". Skipped when it would change fewer than 1% of the planned
   cells (the fixes find those few anyway, without a run of their own).
1. **Fix**: every open channel × interval that misses a target adds agents to
   the channel's home group in that interval: as many as Erlang C says are
   lacking at the traffic that reproduces the simulated service level (at
   least one), or — where that cannot be estimated (deferred channels, other
   targets) — 1, doubling while it keeps missing. The agents it missed with
   are remembered as too few.
2. **Trim**, a bisection per group × interval between the most agents known
   to miss (at first: one below the floor) and the current agents: every
   interval with room gives up the smaller of half the Erlang estimate of its
   slack (at least one) and half the room, all at once, and the plan is
   simulated. A miss is blamed on the removal nearest to it — in its own
   interval, the home group's first, then the other groups with the skill,
   then the interval before (work outlasts its interval); a deferred
   channel's on every removal within its target window. Blamed removals go
   back and mark their trial count as too few; the others are kept. A miss
   that no removal explains is fixed as in step 1. Trimming never goes below
   one agent where a live channel has volume (a simulated day on which nobody
   called proves nothing), nor below the analytic plan of a channel without
   targets (it cannot miss). When no interval has room left, the plan is
   simulated once more if blamed removals went back since its last run
   (**confirm**); a miss there sends the search back to step 1.

The result is the leanest of the simulated plans that missed fewest targets.

**Sequential sampling.** A run plays 4 days first (fewer if ``replications``
is smaller), then doubles while some cell's decision is unclear — its 95%
confidence interval holds the target — and more days could settle it (the
interval's half-width, projected, shrinks below the distance to the target
within ``replications`` days). Large centers have tight intervals after few
days; a cell sitting on its target is not worth more days and counts as a
miss. The schedule depends only on the simulated numbers, never on the
workers: the plan is the same for any ``jobs`` and executor.

**Common random numbers.** Every run uses the same seed, so replication *r*
has the same arrivals, handle times and patience in each iteration: a change
in the plan is judged on the same days, and the search converges instead of
chasing noise. An interval "meets" its service-level target when the lower
limit of the simulated 95% confidence interval reaches it (so a fresh
simulation is unlikely to find a shortfall), and its ASA, abandonment and
occupancy ceilings when their upper limits stay under them. An interval in
which no contact was offered in any replication has nothing to miss.

**Why each run re-simulates the whole day.** Under common random numbers a
change in interval *i* leaves the intervals before *i* as they were, so in
principle a run could restart from the model's state at the start of the
earliest changed interval. The search does not: its fixes and trims are sized
for every cell at once, so nearly every run changes the first open intervals
(:attr:`Search.first_change` records the earliest changed interval of each run;
``benchmarks/bench_verify_scale.py`` prints the share of the day a restart
could have skipped), and a written channel whose backlog carries over the
night (:mod:`ccsim.sim.carry`) starts its day with the backlog its own close
leaves, which any change anywhere moves.
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

SETTLE_SHARE = 0.0005
"""A run stops adding days when the cells still unclear are worth less than this share of
the plan's agent-hours at one agent for one interval each (they count as misses)."""


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


def days_needed(scenario: Scenario, result: SimulationResult, most: int, unsettled: int = 0) -> int:
    """How many days (replications) would make every cell's decision clear but the
    ``unsettled`` hardest, as far as ``most`` days can: ``result.replications`` when no
    more days are worth playing.

    A cell is unclear when the 95% confidence interval of a KPI with a target holds the
    target. Its per-day spread is read from the interval's half-width; the days it needs
    are the fewest whose Student-t half-width falls below the distance between the mean
    and the target. Cells that would need more than ``most`` days (the mean sits on the
    target) do not count: they stay misses whatever is played.
    """
    from scipy.special import stdtrit  # imported when needed (as in ccsim.sim.metrics)

    n = result.replications
    if n >= most:
        return n
    intervals, limits = result.intervals, result.limits
    spreads, distances = [], []
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
        for mean, half, target in checks:
            distance = np.abs(mean - target)
            unclear = open_ & ~(half < distance)  # NaN (fewer than 2 values): unclear
            spreads.append(half[unclear])
            distances.append(distance[unclear])
    if not spreads or not sum(len(s) for s in spreads):
        return n
    half, distance = np.concatenate(spreads), np.concatenate(distances)
    keep = np.isfinite(half)
    unsettled -= int(np.sum(~keep))
    if unsettled < 0:
        return min(most, 2 * n)  # cells without an interval yet (one value): more days
    half, distance = half[keep], distance[keep]
    spread = half / stdtrit(n - 1, 0.975) * math.sqrt(n)  # per-day standard deviation
    days = np.arange(n + 1, most + 1)
    width = stdtrit(days - 1, 0.975)[None, :] * spread[:, None] / np.sqrt(days)[None, :]
    settles = width < distance[:, None]
    first = np.where(settles.any(axis=1), days[np.argmax(settles, axis=1)], most + 1)
    worth = np.sort(first[first <= most])
    if worth.size <= unsettled:
        return n
    return int(worth[worth.size - unsettled - 1])


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
    many); per planned group, arrays over the intervals: ``cap`` (most agents
    tried), ``floor`` (never trimmed below), ``doubling`` (the least the next fix
    adds: it doubles while an interval keeps missing), ``fail`` (the most agents
    known to miss; one below the floor while none is known), ``strikes``
    (removals sent back with others, unsure which one missed: two mark it as
    too few); per group, ``spacing`` and ``phase`` (after a miss that blamed
    several removals in a target window, the group trims only every
    ``spacing``-th interval, ``phase`` rotating). ``runs``, ``days`` and ``seconds``
    count the simulation runs, the days they played and their wall time;
    ``first_change`` holds, per run, the earliest interval whose staffing
    changed since the run before (``n_intervals``: none), and ``skippable`` the
    days' worth of intervals before it (what restarts from saved states could
    have skipped). ``best`` keeps the leanest simulated plan with the fewest misses.
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
    doubling: dict[str, np.ndarray]
    fail: dict[str, np.ndarray]
    strikes: dict[str, np.ndarray]
    spacing: dict[str, int]
    phase: dict[str, int]
    executor: str = "processes"
    scheduler: Any = None
    runs: int = 0
    days: int = 0
    skippable: float = 0.0
    seconds: float = 0.0
    first_change: list[int] = field(default_factory=list)
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
            doubling={g: np.ones(sc.n_intervals, dtype=np.int64) for g in groups},
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
        """True when the search has used its simulation runs."""
        return self.runs >= self.max_iterations

    @property
    def unsimulated(self) -> bool:
        """True when the working plan differs from the one the last run simulated."""
        if self.simulated is None:
            return True
        return any(not np.array_equal(self.agents[g], self.simulated[g]) for g in self.groups)

    def run(self) -> tuple[SimulationResult, dict[str, np.ndarray]]:
        """Simulate the working plan (same seed every run) on as many days as its decisions
        need (:func:`days_needed`, at most ``replications``); its result and misses."""
        sc = self.scenario
        self.runs += 1
        self.first_change.append(self._first_change())
        started = time.monotonic()
        where = {"jobs": self.jobs, "executor": self.executor, "scheduler": self.scheduler}
        first = min(FIRST_DAYS, self.replications)
        result = simulate(sc, first, self.seed, agents=self.agents, **where)
        # unsettled cells allowed: each costs at most about one agent for one interval
        spare = int(SETTLE_SHARE * self.plan.agent_hours() / (sc.interval / 3600.0))
        while (want := days_needed(sc, result, self.replications, spare)) > result.replications:
            result = result.extended(min(want, 2 * result.replications), **where)
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
        return result, misses

    def _first_change(self) -> int:
        """The earliest interval whose staffing differs from the last run's (all: 0)."""
        n = self.scenario.n_intervals
        if self.simulated is None:
            return 0
        changed = np.any([self.agents[g] != self.simulated[g] for g in self.groups], axis=0)
        return int(np.argmax(changed)) if np.any(changed) else n

    def runs_left(self, missing: int) -> int:
        """A rough count of the runs still to come: the trims' bisection halves the widest
        room left in a group × interval each run, a miss costs a fix or two, and the last
        plan may need its confirming run."""
        room = 0
        for g in self.groups:
            low = np.maximum(self.fail[g] + 1, self.floor[g])
            room = max(room, int(np.max(self.agents[g] - low, initial=0)))
        left = math.ceil(math.log2(room + 1)) + (2 if missing else 0) + 1
        return max(0, min(left, self.max_iterations - self.runs))

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


def correct_load(
    search: Search, result: SimulationResult, misses: dict[str, np.ndarray], rounds: int = 1
) -> tuple[SimulationResult, dict[str, np.ndarray]]:
    """Phase 0, load correction: size live channels again at the load they really put on
    agents (performed ÷ arrived work, from the result's tallies), up to ``rounds`` times,
    while it moves at least 1% of the planned open cells by two agents or more (one is
    rounding; the fixes and trims find those few without a run of their own).

    Returns the latest simulation and its misses.
    """
    sc, agents = search.scenario, search.agents
    live = [
        c for c, ch in sc.channels.items() if search.homes[c] and not ch.is_deferred(sc.interval)
    ]
    cells = len(search.groups) * int(np.sum(sc.open_intervals))
    for _ in range(rounds):
        if not live or search.exhausted:
            break
        ratio = _work_ratio(sc, *result.work)
        proposed = {g: np.zeros(sc.n_intervals, dtype=np.int64) for g in search.groups}
        for name, channel in sc.channels.items():
            home = search.homes[name]
            if home is None:
                continue
            if name in live:
                scaled = dataclasses.replace(channel, volume=channel.volume * ratio[name])
                need = channel_requirement(scaled, sc.interval)
            else:
                need = search.plan.requirement[name]
            proposed[home] += np.maximum(need - search.fixed[name], 0)
        changed = 0
        for g in search.groups:
            np.maximum(proposed[g], search.floor[g], out=proposed[g])
            changed += int(np.sum(np.abs(proposed[g] - agents[g]) >= 2))
        if changed == 0 or changed < 0.01 * cells:
            break
        for g in search.groups:
            agents[g][:] = proposed[g]
        result, misses = search.run()
    return result, misses


def fix(
    search: Search,
    misses: dict[str, np.ndarray],
    gaps: dict[str, np.ndarray],
    clear: dict[str, np.ndarray] | None = None,
) -> bool:
    """Phase 1, fix: add agents to the home group of every channel × interval that misses.

    As many as the Erlang ``gaps`` say are lacking, and at least the doubling count
    (1, then twice as many while the interval keeps missing). Where the miss is
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
        gap = np.nan_to_num(gaps[channel], nan=0.0)
        estimate = np.maximum(gap, search.doubling[g])
        add[g] += np.where(miss, estimate, 0).astype(np.int64)
        if clear is not None:
            known[g] |= miss & clear[channel]
    fixable = False
    for g in search.groups:
        agents, cap = search.agents[g], search.cap[g]
        room = (add[g] > 0) & (agents < cap)
        search.doubling[g] = np.where(room, search.doubling[g] * 2, 1)
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


def judge_trial(
    search: Search, removal: dict[str, np.ndarray], misses: dict[str, np.ndarray]
) -> Verdict:
    """After simulating a trim: send back the removals blamed for a miss
    (:func:`_culprits`); keep the others.

    A removal blamed alone marks its trial agents as too few (``fail``); one blamed
    with others gets a strike, and two strikes mark it too (so the search ends). A
    deferred channel's miss that blames several removals makes their groups trim
    sparser: ``spacing`` doubles, up to one removal per target window.
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
    result, misses = correct_load(search, *search.run())
    clear = interval_misses(search.scenario, result, significant=True)
    while not search.exhausted:
        # one run fixes the misses and tries the trims elsewhere (group × interval apart)
        gaps = erlang_gaps(_simulated_plan(search, result), result.intervals, search.homes)
        fixed = any(m.any() for m in misses.values()) and fix(search, misses, gaps, clear)
        removal = trim(search, misses, gaps)
        if not fixed and not removal:
            if not search.unsimulated:
                break
            result, misses = confirm(search)
        else:
            result, misses = search.run()
            if removal:
                misses = judge_trial(search, removal, misses).unexplained
        clear = interval_misses(search.scenario, result, significant=True)
    search.say(search.closing_line())
    return search.outcome()
