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

import numpy as np

from ccsim import erlang
from ccsim.staffing import (
    StaffingPlan,
    channel_requirement,
    fixed_dedicated,
    home_groups,
    is_deferred,
)

__all__ = ["effective_traffic", "erlang_gaps", "interval_misses", "load_ratio", "verify_plan"]


def interval_misses(scenario, result) -> dict[str, np.ndarray]:
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

        if channel.service_level is not None:
            level = bound("service_level", "lo")
            miss |= ~(level >= channel.service_level - 1e-12)  # NaN: a miss
        for kpi, ceiling in (
            ("asa", channel.asa),
            ("abandon_rate", channel.max_abandon),
            ("occupancy", channel.max_occupancy),
        ):
            if ceiling is not None:
                miss |= ~(bound(kpi, "hi") <= ceiling)
        # Nothing offered in any replication (a tiny forecast): no customer to fail.
        offered = intervals["offered"][rows] > 0
        misses[name] = miss & (channel.volume > 0) & offered
    return misses


def load_ratio(scenario, contacts) -> dict[str, np.ndarray]:
    """Channel → per interval: work performed in the interval ÷ work of contacts arriving in it.

    ``contacts`` are a simulation's per-contact records (all replications); work
    done after the horizon counts in the last interval. 1 where nothing arrived.
    """
    from ccsim.sim.metrics import busy_time

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
        if homes[name] is None or ch.service_level is None or is_deferred(ch, sc.interval):
            continue
        rows = intervals["channel"] == name
        level = intervals["service_level_lo"][rows]
        level = np.where(np.isnan(level), intervals["service_level"][rows], level)
        k = ch.concurrency
        aht = ch.aht * (1.0 + ch.concurrency_slowdown * (k - 1))
        slots = shares[name] * k
        ok = (slots > 0) & (ch.volume > 0) & np.isfinite(level)
        if not ok.any():
            continue
        traffic = effective_traffic(level[ok], slots[ok], aht[ok], ch.target_time)
        need = erlang.required_agents(
            traffic, aht[ok], target_time=ch.target_time, service_level=ch.service_level
        )
        gap[ok] = np.ceil(np.asarray(need) / k) - shares[name][ok]
    return gaps


def _reach(scenario, name: str) -> int:
    """How many intervals back a removal can cause a miss of channel ``name``."""
    channel = scenario.channels[name]
    if is_deferred(channel, scenario.interval):
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


def verify_plan(
    plan: StaffingPlan,
    *,
    replications: int,
    seed: int,
    max_iterations: int = 60,
    progress: Callable[[str], None] | None = None,
    jobs: int | None = 1,
) -> StaffingPlan:
    """Correct ``plan.agents`` in place by simulation; see the module doc. Returns ``plan``.

    ``jobs`` worker processes play the replications of each run (same numbers for any).
    """
    from ccsim.sim import simulate

    scenario = plan.scenario
    homes = home_groups(scenario, plan.planned)
    fixed = fixed_dedicated(scenario, plan.planned)
    groups = list(plan.planned)
    n = scenario.n_intervals
    cap = {g: 4 * plan.analytic_agents[g] + 20 for g in groups}
    # Never trimmed away: a live channel's one agent wherever it has volume (a quiet
    # simulated day proves nothing), and the analytic agents (a stable queue) of a
    # channel without targets, which cannot miss.
    floor = {g: np.zeros(n, dtype=np.int64) for g in groups}
    for name, channel in scenario.channels.items():
        g = homes[name]
        if g is None:
            continue
        if not channel.has_target:
            floor[g] += np.maximum(plan.requirement[name] - fixed[name], 0)
        elif not is_deferred(channel, scenario.interval):
            one = ((channel.volume > 0) & (fixed[name] == 0)).astype(np.int64)
            floor[g] = np.maximum(floor[g], one)
    doubling = {g: np.ones(n, dtype=np.int64) for g in groups}  # where Erlang cannot estimate
    frozen = {g: np.zeros(n, dtype=bool) for g in groups}  # a lone removal of one did not hold
    strikes = {g: np.zeros(n, dtype=np.int64) for g in groups}
    isolated = dict.fromkeys(groups, False)  # trimming one interval per blame window
    spacing = {g: 1 + max(_reach(scenario, c) for c in scenario.groups[g].skills) for g in groups}
    phase = dict.fromkeys(groups, -1)
    say = progress or (lambda line: None)
    runs = 0
    best: dict = {}

    def run() -> tuple[object, dict[str, np.ndarray]]:
        nonlocal runs
        runs += 1
        result = simulate(
            scenario, replications=replications, seed=seed, agents=plan.agents, jobs=jobs
        )
        misses = interval_misses(scenario, result)
        total = sum(int(m.sum()) for m in misses.values())
        say(f"run {runs}: {plan.agent_hours():.1f} agent-hours, {total} interval misses")
        key = (total, plan.agent_hours())
        if not best or key < best["key"]:
            best.update(key=key, agents={g: a.copy() for g, a in plan.agents.items()})
            best.update(result=result, misses=misses)
        return result, misses

    result, misses = run()
    # 0. Load correction: size live channels again at the load they really put on agents.
    live = [
        c
        for c, ch in scenario.channels.items()
        if homes[c] and not is_deferred(ch, scenario.interval)
    ]
    for _ in range(2):
        if not live or runs >= max_iterations:
            break
        ratio = load_ratio(scenario, result.contacts)
        previous = {g: plan.agents[g].copy() for g in groups}
        for g in groups:
            plan.agents[g][:] = 0
        for name, channel in scenario.channels.items():
            home = homes[name]
            if home is None:
                continue
            if name in live:
                scaled = dataclasses.replace(channel, volume=channel.volume * ratio[name])
                need = channel_requirement(scaled, scenario.interval)
            else:
                need = plan.requirement[name]
            plan.agents[home] += np.maximum(need - fixed[name], 0)
        for g in groups:
            np.maximum(plan.agents[g], floor[g], out=plan.agents[g])
        if all(np.array_equal(previous[g], plan.agents[g]) for g in groups):
            break
        result, misses = run()
    while runs < max_iterations:
        gaps = erlang_gaps(plan, result.intervals, homes)
        # 1. Fix every miss in the home group of the missing channel.
        add = {g: np.zeros(n, dtype=np.int64) for g in groups}
        for channel, miss in misses.items():
            g = homes[channel]
            if g is None or not miss.any():
                continue
            gap = gaps[channel]
            estimate = np.where(np.isfinite(gap), np.maximum(np.nan_to_num(gap), 1), doubling[g])
            add[g] += np.where(miss, estimate, 0).astype(np.int64)
        fixable = False
        for g in groups:
            room = (add[g] > 0) & (plan.agents[g] < cap[g])
            doubling[g] = np.where(room, doubling[g] * 2, 1)
            if room.any():
                fixable = True
                plan.agents[g][room] = np.minimum(plan.agents[g] + add[g], cap[g])[room]
        if fixable:
            result, misses = run()
            continue
        # 2. Trim: take agents out of every interval with slack at once (half the Erlang
        #    estimate of the slack, at least one). Once a removal did not hold, the group
        #    tries one agent at a time in intervals far enough apart that a miss can
        #    only be blamed on one of them (a rotating phase covers every interval).
        group_miss = _group_misses(scenario, misses)
        removal = {}
        for g in groups:
            slack = (plan.agents[g] > floor[g]) & ~frozen[g] & ~group_miss[g]
            if not slack.any():
                continue
            if isolated[g]:
                for _ in range(spacing[g]):
                    phase[g] = (phase[g] + 1) % spacing[g]
                    pick = slack & (np.arange(n) % spacing[g] == phase[g])
                    if pick.any():
                        break
                amount = pick.astype(np.int64)
            else:
                spare = np.full(n, 1 << 30, dtype=np.int64)
                for channel, home in homes.items():
                    if home == g:
                        gap = gaps[channel]
                        ok = np.isfinite(gap) & (gap < 0)
                        half = np.where(ok, np.floor(-np.nan_to_num(gap) / 2), 1)
                        spare = np.minimum(spare, np.maximum(half.astype(np.int64), 1))
                amount = np.where(slack, np.minimum(spare, plan.agents[g] - floor[g]), 0)
            removal[g] = amount
            plan.agents[g] -= amount
        if not removal or runs >= max_iterations:
            for g, amount in removal.items():
                plan.agents[g] += amount
            break
        trial_result, trial_misses = run()
        after = _group_misses(scenario, trial_misses)
        kept_all, kept_none = True, True
        for g, amount in removal.items():
            tried = amount > 0
            if not after[g].any():
                kept_none = False
                continue
            # A miss anywhere in the group's channels: every removal of the group goes back.
            # The blamed ones are tight once tried alone; the others get a strike, and two
            # strikes make an interval tight too (so the search always ends).
            blamed = tried & _blamed(scenario, g, tried, trial_misses)
            plan.agents[g][tried] += amount[tried]
            if isolated[g]:
                frozen[g] |= blamed
            strikes[g][tried & ~blamed] += 1
            frozen[g] |= strikes[g] >= 2
            isolated[g] = True
            kept_all = False
        if kept_all:
            result, misses = trial_result, trial_misses
            continue
        if kept_none:  # back to the plan simulated before the trial: nothing to confirm
            continue
        # 3. Confirm the plan with the removals that held (the loop fixes what it shows).
        if runs >= max_iterations:
            break
        result, misses = run()
    # The leanest plan that met the most targets among those simulated.
    for g in groups:
        plan.agents[g][:] = best["agents"][g]
    plan.simulation = best["result"]
    plan.verified = True
    plan.iterations = runs
    plan.unmet = [
        (channel, int(i)) for channel, miss in best["misses"].items() for i in np.flatnonzero(miss)
    ]
    return plan
