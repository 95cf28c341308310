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
   target adds agents to the channel's home group in that interval — 1 the
   first time, doubling while the same interval keeps missing (a steep peak
   with long handle times may need several more agents right after it).
2. **Trim**: take one agent out of every interval with slack at once,
   simulate, and put it back where that interval now misses, or where the
   next interval — not trimmed itself — misses (work outlasts its interval,
   so a removal can hurt the following one); an interval whose removal was
   put back is not tried again. Repeat until no
   removal holds.
3. **Confirm**: the final plan is simulated once more; a miss there sends the
   search back to step 1.

Every run uses the same seed, so arrivals, handle times and patience are the
same in each iteration (common random numbers): a change in the plan is judged
on the same days, and the search converges instead of chasing noise.
An interval "meets" its service-level target when the lower limit of the
simulated 95% confidence interval reaches it (so a fresh simulation is unlikely
to find a shortfall), and its ASA, abandonment and occupancy ceilings when the
mean over the replications does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ccsim.staffing import StaffingPlan, channel_requirement, home_groups, is_deferred

__all__ = ["interval_misses", "verify_plan"]


def interval_misses(scenario, intervals) -> dict[str, np.ndarray]:
    """Channel → boolean array: the open intervals whose simulated KPIs miss a target.

    ``intervals`` is a simulation's per channel × interval table; an interval
    is open when the channel has volume in it.
    """
    misses: dict[str, np.ndarray] = {}
    channel_col = intervals["channel"]
    for name, channel in scenario.channels.items():
        rows = channel_col == name
        miss = np.zeros(scenario.n_intervals, dtype=bool)
        if channel.service_level is not None:
            # Met "with the simulated confidence": the lower 95% limit reaches the target
            # (the mean, when a single replication gives no interval).
            level = intervals["service_level_lo"][rows]
            level = np.where(np.isnan(level), intervals["service_level"][rows], level)
            miss |= level < channel.service_level - 1e-12
        if channel.asa is not None:
            miss |= intervals["asa"][rows] > channel.asa
        if channel.max_abandon is not None:
            miss |= intervals["abandon_rate"][rows] > channel.max_abandon
        if channel.max_occupancy is not None:
            miss |= intervals["occupancy"][rows] > channel.max_occupancy
        misses[name] = miss & (channel.volume > 0)
    return misses


def load_ratio(scenario, contacts) -> dict[str, np.ndarray]:
    """Channel → per interval: work performed in the interval ÷ work of contacts arriving in it.

    ``contacts`` are a simulation's per-contact records (all replications).
    1 where nothing arrived.
    """
    from ccsim.sim.metrics import busy_time

    n_c, n_i, length = len(scenario.channels), scenario.n_intervals, scenario.interval
    served = contacts["outcome"] == 0
    start = contacts["answer_time"][served]
    handle = contacts["handle_time"][served]
    channel = contacts["channel"][served].astype(np.int64)
    performed = busy_time(start, start + handle, np.ones(len(start)), channel, n_c, n_i, length, 0)
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


def verify_plan(
    plan: StaffingPlan,
    *,
    replications: int,
    seed: int,
    max_iterations: int = 30,
    progress: Callable[[str], None] | None = None,
) -> StaffingPlan:
    """Correct ``plan.agents`` in place by simulation; see the module doc. Returns ``plan``."""
    from ccsim.sim import simulate

    scenario = plan.scenario
    homes = home_groups(scenario, plan.planned)
    auto = list(plan.planned)
    n = scenario.n_intervals
    cap = {g: 4 * plan.analytic_agents[g] + 20 for g in auto}
    step = {g: np.ones(n, dtype=np.int64) for g in auto}
    frozen = {g: np.zeros(n, dtype=bool) for g in auto}  # removals that did not hold
    say = progress or (lambda line: None)
    runs = 0

    def run() -> tuple[object, dict[str, np.ndarray]]:
        nonlocal runs
        runs += 1
        result = simulate(scenario, replications=replications, seed=seed, agents=plan.agents)
        misses = interval_misses(scenario, result.intervals)
        total = sum(int(m.sum()) for m in misses.values())
        say(f"run {runs}: {plan.agent_hours():.1f} agent-hours, {total} interval misses")
        return result, misses

    result, misses = run()
    # 0. Load correction: size live channels again at the load they really put on agents.
    live = [
        c
        for c, ch in scenario.channels.items()
        if homes[c] and not is_deferred(ch, scenario.interval)
    ]
    for _ in range(3):
        if not live or runs >= max_iterations:
            break
        ratio = load_ratio(scenario, result.contacts)
        previous = {g: plan.agents[g].copy() for g in auto}
        for g in auto:
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
            plan.agents[home] += need
        if all(np.array_equal(previous[g], plan.agents[g]) for g in auto):
            break
        result, misses = run()
    simulated = True  # whether `result` is the simulation of the current plan
    while runs < max_iterations:
        # 1. Fix every miss in the home group of the missing channel.
        fixable = False
        group_miss = _group_misses(scenario, misses)
        for g in auto:
            step[g][~group_miss[g]] = 1
        for channel, miss in misses.items():
            group = homes[channel]
            if group is None or not miss.any():
                continue
            room = miss & (plan.agents[group] < cap[group])
            if room.any():
                fixable = True
                plan.agents[group][room] += step[group][room]
                step[group][room] *= 2
        if fixable:
            result, misses = run()
            continue
        # 2. Trim: one agent out of every interval with slack at once.
        group_miss = _group_misses(scenario, misses)
        trial = {}
        for g in auto:
            slack = (plan.agents[g] > 0) & ~frozen[g] & ~group_miss[g]
            if slack.any():
                trial[g] = slack
                plan.agents[g][slack] -= 1
        if not trial or runs >= max_iterations:
            for g, tried in trial.items():
                plan.agents[g][tried] += 1
            break
        trial_result, trial_misses = run()
        after = _group_misses(scenario, trial_misses)
        kept_all = True
        for g, tried in trial.items():
            # Blame a miss on the removal in its own interval, else on the one just before
            # (work outlasts its interval); the others held.
            next_missed_untried = np.concatenate([after[g][1:] & ~tried[1:], [False]])
            put_back = tried & (after[g] | next_missed_untried)
            plan.agents[g][put_back] += 1
            frozen[g][put_back] = True
            kept_all &= not put_back.any()
        if kept_all:
            result, misses = trial_result, trial_misses
            continue
        simulated = False
        if runs >= max_iterations:
            break
        # 3. Confirm the plan with the removals that held.
        result, misses = run()
        simulated = True
    if not simulated:
        result, misses = run()
    plan.simulation = result
    plan.verified = True
    plan.iterations = runs
    plan.unmet = [
        (channel, int(i)) for channel, miss in misses.items() for i in np.flatnonzero(miss)
    ]
    return plan
