"""Simulation-verified correction of a staffing plan (see :mod:`ccsim.staffing`).

The search, in the spirit of Feldman, Mandelbaum, Massey & Whitt (2008):

0. **Load correction** (a few rounds): simulate the plan and measure, per
   live channel and interval, the work agents actually performed in the
   interval against the work of the contacts that arrived in it. With long
   handle times the work of a peak spills into the following intervals, so
   the ratio is above 1 just after a peak and below 1 on its way up. Each
   interval's volume is scaled by that ratio and sized again by Erlang — the
   simulated "modified offered load". Stops when the plan no longer changes.
1. **Fix**: simulate the plan; every open channel × interval that misses a
   target adds agents to the channel's home group in that interval: as many
   as Erlang C says are lacking at the traffic that reproduces the simulated
   service level (at least one), or — where that cannot be estimated
   (deferred channels, other targets) — 1, doubling while it keeps missing.
2. **Trim**: take agents out of every interval with slack at once (half the
   Erlang estimate of the slack, at least one) and simulate. A group whose
   channels then miss anywhere gets all its removals back, and from then on
   trims one agent at a time in intervals far enough apart that each miss has
   one culprit (a rotating phase covers every interval). A live channel's miss
   blames the removal in its own interval, or else the one before (work
   outlasts its interval); a deferred channel's miss blames every removal
   within its target window before it. A blamed lone removal marks its
   interval tight; a removal sent back without blame twice does too. Repeat until no
   removal holds. Trimming never goes below one agent where a live channel has
   volume (a simulated day on which nobody called proves nothing), nor below
   the analytic plan of a channel without targets (it cannot miss).
3. **Confirm**: the plan with the removals that held is simulated; a miss
   there sends the search back to step 1.

The result is the leanest of the simulated plans that missed fewest targets.

Every run uses the same seed, so arrivals, handle times and patience are the
same in each iteration (common random numbers): a change in the plan is judged
on the same days, and the search converges instead of chasing noise.
An interval "meets" its service-level target when the lower limit of the
simulated 95% confidence interval reaches it (so a fresh simulation is unlikely
to find a shortfall), and its ASA, abandonment and occupancy ceilings when their
upper limits stay under them. An interval in which no contact was offered in
any replication has nothing to miss.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ccsim import erlang
from ccsim.scenario import Scenario
from ccsim.sim import SimulationResult, simulate
from ccsim.sim.metrics import busy_time
from ccsim.staffing.plan import StaffingPlan
from ccsim.staffing.requirement import channel_requirement

__all__ = [
    "Search",
    "confirm",
    "correct_load",
    "effective_traffic",
    "erlang_gaps",
    "fix",
    "interval_misses",
    "judge_trial",
    "load_ratio",
    "trim",
    "verify_plan",
]


def interval_misses(scenario: Scenario, result: SimulationResult) -> dict[str, np.ndarray]:
    """Channel → boolean array: the open intervals whose simulated KPIs miss a target.

    ``result`` is a :class:`~ccsim.sim.SimulationResult`; an interval is open
    when the channel has volume in it. A target is met "with the simulated
    confidence": the lower 95% limit of the service level reaches its target,
    the upper limits of ASA, abandonment and occupancy stay under their
    ceilings (the means, when a single replication gives no interval). A KPI
    that could not be measured in an open interval (nobody answered, nobody
    staffed) is a miss, unless no contact was offered there in any replication.
    """
    intervals, limits = result.intervals, result.limits
    misses: dict[str, np.ndarray] = {}
    for name, channel in scenario.channels.items():
        rows = intervals["channel"] == name
        miss = np.zeros(scenario.n_intervals, dtype=bool)

        def bound(kpi: str, side: str, rows: np.ndarray = rows) -> np.ndarray:
            table = intervals if kpi == "service_level" else limits
            value = table[f"{kpi}_{side}"][rows]
            return np.where(np.isnan(value), intervals[kpi][rows], value)

        if channel.sl_target is not None:
            level = bound("service_level", "lo")
            miss |= ~(level >= channel.sl_target - 1e-12)  # NaN: a miss
        for kpi, ceiling in (
            ("asa", channel.asa_max),
            ("abandon_rate", channel.max_abandon),
            ("occupancy", channel.max_occupancy),
        ):
            if ceiling is not None:
                miss |= ~(bound(kpi, "hi") <= ceiling)
        # Nothing offered in any replication (a tiny forecast): no customer to fail.
        offered = intervals["offered"][rows] > 0
        misses[name] = miss & (channel.volume > 0) & offered
    return misses


def load_ratio(scenario: Scenario, contacts) -> dict[str, np.ndarray]:
    """Channel → per interval: work performed in the interval ÷ work of contacts arriving in it.

    ``contacts`` are a simulation's per-contact records (all replications); work
    done after the horizon counts in the last interval. 1 where nothing arrived.
    """
    n_c, n_i, length = len(scenario.channels), scenario.n_intervals, scenario.interval
    served = contacts["outcome"] == 0
    start = contacts["answer_time"][served]
    handle = contacts["handle_time"][served]
    channel = contacts["channel"][served].astype(np.int64)
    performed = busy_time(start, start + handle, np.ones(len(start)), channel, n_c, n_i, length, 0)
    # work still going on at the end of the horizon belongs to its last interval
    horizon = n_i * length
    beyond = np.maximum(start + handle - np.maximum(start, horizon), 0.0)
    performed[:, -1] += np.bincount(channel, beyond, n_c)
    arrived = np.bincount(channel * n_i + contacts["interval"][served], handle, n_c * n_i).reshape(
        n_c, n_i
    )
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


def _blamed(scenario, group: str, tried: np.ndarray, misses: dict[str, np.ndarray]) -> np.ndarray:
    """Intervals whose removal in ``group`` is blamed for the ``misses`` that followed it.

    A live channel's miss is blamed on the removal in its own interval, else on
    the one just before (work outlasts its interval); a deferred channel's miss
    on every removal within its target window before it (its backlog carries
    them forward).
    """
    blamed = np.zeros(len(tried), dtype=bool)
    for name in scenario.groups[group].skills:
        reach = _reach(scenario, name)
        for j in np.flatnonzero(misses[name]):
            if tried[j] and reach == 1:
                blamed[j] = True
            else:
                lo = max(0, j - reach)
                blamed[lo : j + 1] |= tried[lo : j + 1]
    return blamed


@dataclass(eq=False)
class Search:
    """The state of one verification search over a working copy of a plan.

    ``plan`` is the working plan (its ``agents`` change as the search goes);
    per planned group, arrays over the intervals: ``cap`` (most agents tried),
    ``floor`` (never trimmed below), ``doubling`` (the next fix where Erlang
    cannot estimate one), ``frozen`` (a lone removal did not hold: tight),
    ``strikes`` (removals sent back without blame), and ``isolated`` (trims one
    agent per blame window), ``spacing`` and ``phase`` (which window). ``best``
    keeps the leanest simulated plan with the fewest misses.
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
    frozen: dict[str, np.ndarray]
    strikes: dict[str, np.ndarray]
    isolated: dict[str, bool]
    spacing: dict[str, int]
    phase: dict[str, int]
    runs: int = 0
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
    ) -> Search:
        """A search from ``plan`` (which is copied, never changed)."""
        sc = plan.scenario
        work = dataclasses.replace(plan, agents={g: a.copy() for g, a in plan.agents.items()})
        homes = sc.home_groups(plan.planned)
        fixed = sc.fixed_dedicated(plan.planned)
        groups = list(plan.planned)
        n = sc.n_intervals
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
            floor=_floors(plan, homes, fixed),
            doubling={g: np.ones(n, dtype=np.int64) for g in groups},
            frozen={g: np.zeros(n, dtype=bool) for g in groups},
            strikes={g: np.zeros(n, dtype=np.int64) for g in groups},
            isolated=dict.fromkeys(groups, False),
            spacing={g: 1 + max(_reach(sc, c) for c in sc.groups[g].skills) for g in groups},
            phase=dict.fromkeys(groups, -1),
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

    def run(self) -> tuple[SimulationResult, dict[str, np.ndarray]]:
        """Simulate the working plan (same seed every run); its result and misses."""
        self.runs += 1
        result = simulate(
            self.scenario,
            replications=self.replications,
            seed=self.seed,
            agents=self.agents,
            jobs=self.jobs,
        )
        misses = interval_misses(self.scenario, result)
        total = sum(int(m.sum()) for m in misses.values())
        hours = self.plan.agent_hours()
        self.say(f"run {self.runs}: {hours:.1f} agent-hours, {total} interval misses")
        key = (total, hours)
        if not self.best or key < self.best["key"]:
            self.best.update(key=key, agents={g: a.copy() for g, a in self.agents.items()})
            self.best.update(result=result, misses=misses)
        return result, misses

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
            replications=self.replications,
            unmet=[(c, int(i)) for c, miss in best["misses"].items() for i in np.flatnonzero(miss)],
        )


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
    search: Search, result: SimulationResult, misses: dict[str, np.ndarray], rounds: int = 2
) -> tuple[SimulationResult, dict[str, np.ndarray]]:
    """Phase 0, load correction: size live channels again at the load they really put on
    agents (:func:`load_ratio`), up to ``rounds`` times or until the plan stops changing.

    Returns the latest simulation and its misses.
    """
    sc, agents = search.scenario, search.agents
    live = [
        c for c, ch in sc.channels.items() if search.homes[c] and not ch.is_deferred(sc.interval)
    ]
    for _ in range(rounds):
        if not live or search.exhausted:
            break
        ratio = load_ratio(sc, result.contacts)
        previous = {g: agents[g].copy() for g in search.groups}
        for g in search.groups:
            agents[g][:] = 0
        for name, channel in sc.channels.items():
            home = search.homes[name]
            if home is None:
                continue
            if name in live:
                scaled = dataclasses.replace(channel, volume=channel.volume * ratio[name])
                need = channel_requirement(scaled, sc.interval)
            else:
                need = search.plan.requirement[name]
            agents[home] += np.maximum(need - search.fixed[name], 0)
        for g in search.groups:
            np.maximum(agents[g], search.floor[g], out=agents[g])
        if all(np.array_equal(previous[g], agents[g]) for g in search.groups):
            break
        result, misses = search.run()
    return result, misses


def fix(search: Search, misses: dict[str, np.ndarray], gaps: dict[str, np.ndarray]) -> bool:
    """Phase 1, fix: add agents to the home group of every channel × interval that misses.

    As many as the Erlang ``gaps`` say are lacking (at least one), or where they
    cannot estimate it the group's doubling count. Returns True when some agent
    was added (a group at its cap in every missing interval adds none).
    """
    n = search.scenario.n_intervals
    add = {g: np.zeros(n, dtype=np.int64) for g in search.groups}
    for channel, miss in misses.items():
        g = search.homes[channel]
        if g is None or not miss.any():
            continue
        gap = gaps[channel]
        estimate = np.where(np.isfinite(gap), np.maximum(np.nan_to_num(gap), 1), search.doubling[g])
        add[g] += np.where(miss, estimate, 0).astype(np.int64)
    fixable = False
    for g in search.groups:
        agents, cap = search.agents[g], search.cap[g]
        room = (add[g] > 0) & (agents < cap)
        search.doubling[g] = np.where(room, search.doubling[g] * 2, 1)
        if room.any():
            fixable = True
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
    """Phase 2, trim: take agents out of every interval with slack; group → agents removed.

    At first half the Erlang estimate of the slack, at least one, everywhere at
    once. Once a removal of the group did not hold (``isolated``), one agent at
    a time in intervals far enough apart that a miss can only be blamed on one
    of them (a rotating phase covers every interval). Never below the floor, nor
    in a frozen interval or one whose channels miss. The removals are applied.
    """
    n = search.scenario.n_intervals
    group_miss = _group_misses(search.scenario, misses)
    removal = {}
    for g in search.groups:
        agents = search.agents[g]
        slack = (agents > search.floor[g]) & ~search.frozen[g] & ~group_miss[g]
        if not slack.any():
            continue
        if search.isolated[g]:
            spacing = search.spacing[g]
            for _ in range(spacing):
                search.phase[g] = (search.phase[g] + 1) % spacing
                pick = slack & (np.arange(n) % spacing == search.phase[g])
                if pick.any():
                    break
            amount = pick.astype(np.int64)
        else:
            amount = np.where(
                slack, np.minimum(_spare(search, g, gaps), agents - search.floor[g]), 0
            )
        removal[g] = amount
        agents -= amount
    return removal


def judge_trial(
    search: Search, removal: dict[str, np.ndarray], misses: dict[str, np.ndarray]
) -> tuple[bool, bool]:
    """After simulating a trim: send back the removals of every group whose channels now
    miss; (every removal held, none held).

    The blamed removals (:func:`_blamed`) of a group already trimming one at a
    time become frozen; the others get a strike, and two strikes freeze an
    interval too, so the search always ends.
    """
    after = _group_misses(search.scenario, misses)
    kept_all, kept_none = True, True
    for g, amount in removal.items():
        tried = amount > 0
        if not after[g].any():
            kept_none = False
            continue
        blamed = tried & _blamed(search.scenario, g, tried, misses)
        search.agents[g][tried] += amount[tried]
        if search.isolated[g]:
            search.frozen[g] |= blamed
        search.strikes[g][tried & ~blamed] += 1
        search.frozen[g] |= search.strikes[g] >= 2
        search.isolated[g] = True
        kept_all = False
    return kept_all, kept_none


def confirm(search: Search) -> tuple[SimulationResult, dict[str, np.ndarray]]:
    """Phase 3, confirm: simulate the plan with the removals that held (a miss there sends
    the search back to fixing)."""
    return search.run()


def verify_plan(
    plan: StaffingPlan,
    *,
    replications: int,
    seed: int,
    max_iterations: int = 60,
    progress: Callable[[str], None] | None = None,
    jobs: int | None = 1,
) -> StaffingPlan:
    """The plan corrected by simulation, as a new plan (``plan`` is not changed).

    The search of this module's documentation: load correction, then fix,
    trim and confirm until nothing changes or ``max_iterations`` simulation
    runs are used. ``jobs`` worker processes play the replications of each run
    (same numbers for any). ``progress`` gets a line after each run.
    """
    search = Search.start(
        plan,
        replications=replications,
        seed=seed,
        max_iterations=max_iterations,
        progress=progress,
        jobs=jobs,
    )
    result, misses = correct_load(search, *search.run())
    while not search.exhausted:
        gaps = erlang_gaps(search.plan, result.intervals, search.homes)
        if fix(search, misses, gaps):
            result, misses = search.run()
            continue
        removal = trim(search, misses, gaps)
        if not removal:
            break
        trial = search.run()
        kept_all, kept_none = judge_trial(search, removal, trial[1])
        if kept_all:
            result, misses = trial
        elif not kept_none and not search.exhausted:
            result, misses = confirm(search)
        elif not kept_none:
            break
    return search.outcome()
