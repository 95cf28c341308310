"""The staffing planner on the bundled omnichannel day: analytic plan, then verified.

Prints the time of the analytic plan, of the verification with 1 and with all
worker processes (the plans must be identical), the agent-hours of both plans
and the simulation runs used. Goal: the verified plan in under two minutes.
With ``--lean``, also removes one agent from each group × interval of the
verified plan in turn, simulates the same days, and counts the removals after
which every target is still met (a lean plan has few; about a minute more).

    python benchmarks/bench_staffing.py [--replications 40] [--seed 7] [--lean]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from ccsim import load_scenario, plan_staffing, simulate
from ccsim.staffing.verify import interval_misses

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "omnichannel_day.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lean", action="store_true", help="also try every single removal")
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO)
    cores = os.cpu_count() or 1
    print(f"{scenario.name}: {scenario.n_intervals} intervals, {len(scenario.channels)} channels")
    print(f"load average before: {os.getloadavg()[0]:.2f}")

    start = time.perf_counter()
    analytic = plan_staffing(scenario)
    print(
        f"analytic plan: {1000 * (time.perf_counter() - start):.1f} ms, "
        f"{analytic.agent_hours():.1f} agent-hours"
    )

    plans = {}
    for jobs in sorted({1, cores}):
        start = time.perf_counter()
        plan = plan_staffing(
            scenario, verify=True, replications=args.replications, seed=args.seed, jobs=jobs
        )
        seconds = time.perf_counter() - start
        plans[jobs] = (plan, seconds)
        print(
            f"verified, jobs={jobs}: {seconds:.1f} s, {plan.iterations} simulation runs of up "
            f"to {args.replications} days, {plan.agent_hours():.1f} agent-hours, "
            f"unmet intervals: {len(plan.unmet)}"
        )
    if len(plans) == 2:
        (one, t1), (many, tn) = plans[1], plans[cores]
        same = all((one.agents[g] == many.agents[g]).all() for g in one.agents)
        print(f"speed-up with {cores} jobs: {t1 / tn:.2f}×; identical plans: {same}")
    best = min(seconds for _, seconds in plans.values())
    print(f"goal: verified plan in under 120 s: {'met' if best < 120 else 'missed'} ({best:.1f} s)")
    if args.lean:
        lean_check(scenario, plans[cores][0], args.replications, args.seed, cores)


def lean_check(scenario, plan, replications: int, seed: int, jobs: int) -> None:
    """Print how many single-agent removals from the verified plan still meet every target."""
    held, tried = [], 0
    for group, agents in plan.agents.items():
        for i in map(int, agents.nonzero()[0]):
            trial = {g: a.copy() for g, a in plan.agents.items()}
            trial[group][i] -= 1
            tried += 1
            result = simulate(scenario, replications, seed, agents=trial, jobs=jobs)
            if not any(m.any() for m in interval_misses(scenario, result).values()):
                held.append(f"{group} {scenario.starts[i]}")
    hours = len(held) * scenario.interval / 3600
    print(
        f"lean check: {len(held)} of {tried} single removals still meet every target "
        f"({hours:.1f} of {plan.agent_hours():.1f} agent-hours): {', '.join(held) or 'none'}"
    )


if __name__ == "__main__":
    main()
