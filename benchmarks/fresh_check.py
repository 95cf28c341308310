"""Simulate a written plan on fresh days and say, per channel, whether it meets its targets.

    python benchmarks/fresh_check.py SCENARIO PLAN_DIR [--seed 24680] [--replications 100]

PLAN_DIR is what ``ccsim staff SCENARIO --out DIR`` wrote. Prints per channel the service
level over the horizon and the open intervals whose simulated service level is
significantly below the target (upper 95% limit under it) or whose mean is under it.
"""

from __future__ import annotations

import argparse

import numpy as np

import ccsim
from ccsim.staffing.plan import read_plan_agents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("plan_dir")
    parser.add_argument("--seed", type=int, default=24680)
    parser.add_argument("--replications", type=int, default=100)
    args = parser.parse_args()
    scenario = ccsim.load_scenario(args.scenario)
    agents = read_plan_agents(args.plan_dir, scenario)
    result = ccsim.simulate(
        scenario, args.replications, seed=args.seed, agents=agents, jobs=ccsim._pools.default_jobs()
    )
    table = result.intervals
    print(f"{scenario.name}: {args.replications} fresh days, seed {args.seed}")
    for i, (name, channel) in enumerate(scenario.channels.items()):
        if channel.sl_target is None:
            continue
        rows = (table["channel"] == name) & (table["offered"] > 0)
        below = int(np.sum(table["service_level_hi"][rows] < channel.sl_target))
        under = int(np.sum(table["service_level"][rows] < channel.sl_target))
        total = result.channels["service_level"][i]
        print(
            f"  {name:<8} service level {total:.1%} (target {channel.sl_target:.0%}); "
            f"intervals significantly below: {below}, mean below: {under} of {int(rows.sum())}"
        )


if __name__ == "__main__":
    main()
