"""Rosters from verified plans: ccsim's MILP (HiGHS) against pyworkforce's CP-SAT model.

Week: the verified plan of ``scenarios/forecast_week.toml`` (672 intervals of 15 min, two
groups) rostered twice — (a) 8-hour shifts starting every 30 minutes with a 30-minute break
3–5 h in, (b) 4-, 6- and 8-hour shifts (the 6-hour shift with a 30-minute break 2–4 h in, the
4-hour shift without). Each run prints ccsim's paid hours, overcover, optimality gap and solve
time, and, in the same run, pyworkforce ``MinRequiredResources`` on the same requirement and
the same shifts. pyworkforce takes one pattern of covered periods per shift within a day and
one group at a time: every break placement is passed as a shift pattern of its own (so the
shift sets are identical), shifts start so that they end by midnight (pyworkforce cannot run a
shift into the next day; ccsim is given the same starts), and it is solved per group (ccsim
solves both groups in one program; its time is compared with pyworkforce's total).

Day: the verified roster of ``scenarios/omnichannel_day.toml`` (its own [shifts] templates),
simulated again on 100 fresh days with a new seed; its paid hours next to the plan's
agent-hours.

    python benchmarks/bench_roster.py [--from-plan DIR] [--pyworkforce-limit 120]
                                      [--skip-week] [--skip-day]

``--from-plan DIR`` reuses a verified week plan written by
``ccsim staff scenarios/forecast_week.toml --verify --out DIR`` (verifying takes ~2 min on
2 cores). pyworkforce is optional (``pip install pyworkforce``); without it the pyworkforce
columns say so.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from ccsim import load_scenario, make_roster, plan_staffing, simulate
from ccsim.staffing.roster import read_plan_agents, roster_misses

ROOT = Path(__file__).resolve().parent.parent
WEEK = ROOT / "scenarios" / "forecast_week.toml"
DAY = ROOT / "scenarios" / "omnichannel_day.toml"
LUNCH_3_5 = [{"length": "30min", "earliest": "3h", "latest": "5h"}]
LUNCH_2_4 = [{"length": "30min", "earliest": "2h", "latest": "4h"}]


def _starts(last: str) -> dict:
    return {"from": "00:00", "to": last, "every": "30min"}


SHIFT_SETS = {
    "8h shifts, 30-min break 3–5 h in": {
        "full": {"length": "8h", "starts": _starts("16:00"), "breaks": LUNCH_3_5},
    },
    "4/6/8h shifts (breaks in the 6 h and 8 h ones)": {
        "full": {"length": "8h", "starts": _starts("16:00"), "breaks": LUNCH_3_5},
        "six": {"length": "6h", "starts": _starts("18:00"), "breaks": LUNCH_2_4},
        "four": {"length": "4h", "starts": _starts("20:00")},
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-plan", help="a verified week plan directory (groups.csv)")
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument(
        "--pyworkforce-limit",
        type=float,
        default=120.0,
        help="pyworkforce's max_search_time per group, seconds",
    )
    parser.add_argument("--skip-week", action="store_true")
    parser.add_argument("--skip-day", action="store_true")
    args = parser.parse_args()
    jobs = os.cpu_count() or 1
    print(f"load average before: {os.getloadavg()[0]:.2f}; {jobs} cores")
    if not args.skip_week:
        week(args, jobs)
    if not args.skip_day:
        day(args.replications, jobs)


def week(args, jobs: int) -> None:
    """Both shift sets on the verified week plan, ccsim and pyworkforce side by side."""
    scenario = load_scenario(WEEK)
    if args.from_plan:
        agents = read_plan_agents(args.from_plan, scenario)
        print(f"week plan: read from {args.from_plan}")
    else:
        began = time.perf_counter()
        plan = plan_staffing(
            scenario, verify=True, replications=args.replications, seed=2026, jobs=jobs
        )
        agents = plan.agents
        print(
            f"week plan: verified in {time.perf_counter() - began:.0f} s, "
            f"unmet intervals: {len(plan.unmet)}"
        )
    print(
        f"  {scenario.agent_hours(agents):.1f} agent-hours to cover, "
        f"{scenario.n_intervals} intervals × {len(agents)} groups"
    )
    try:
        import pyworkforce  # noqa: F401

        have_pwf = True
    except ImportError:
        have_pwf = False
        print("  pyworkforce is not installed (pip install pyworkforce): ccsim's figures only")
    for title, shifts in SHIFT_SETS.items():
        print(f"\n{title}")
        rostered = scenario.with_overrides({"shifts": shifts})
        began = time.perf_counter()
        roster = make_roster(rostered, agents, gap=0.0)
        ours = time.perf_counter() - began
        info = roster.summary()
        print(
            f"  ccsim (HiGHS MILP):      paid hours {info['paid_hours']:8.1f}, overcover "
            f"{info['overcover_pct']:5.1f}%, gap {100 * roster.gap:.2f}% "
            f"(LP bound {info['solver']['lp_bound']:.1f}), {ours:6.2f} s, "
            f"{info['solver']['shift_columns']} shift columns"
        )
        print(f"  goal gap ≤ 1%: {'met' if roster.gap <= 0.01 else 'missed'}")
        if not have_pwf:
            continue
        theirs = pyworkforce_roster(rostered, agents, args.pyworkforce_limit)
        print(
            f"  pyworkforce (CP-SAT):    paid hours {theirs['paid_hours']:8.1f}, status "
            f"{'/'.join(sorted(set(theirs['status'])))}, {theirs['seconds']:6.2f} s "
            f"({theirs['patterns']} shift patterns per day, per group)"
        )
        cheaper = info["paid_hours"] <= theirs["paid_hours"] + 1e-9
        faster = ours <= theirs["seconds"]
        print(
            f"  ccsim paid hours ≤ pyworkforce's: {cheaper}; ccsim time ≤ pyworkforce's: "
            f"{faster} ({theirs['seconds'] / max(ours, 1e-9):.0f}× faster)"
        )


def pyworkforce_roster(scenario, agents, limit: float) -> dict:
    """pyworkforce ``MinRequiredResources`` on the same requirement and shifts, per group:
    every (start, break placement) of a template is one shift pattern within a day."""
    from pyworkforce.scheduling import MinRequiredResources

    per_day = round(86400 / scenario.interval)
    n_days = scenario.n_intervals // per_day
    patterns, hours = {}, {}
    for name, shift in scenario.shifts.items():
        span = round(shift.length / scenario.interval)
        for start_s in shift.starts:
            start = round(start_s / scenario.interval)
            for way in shift.placements(scenario.interval):
                on = np.zeros(per_day, dtype=int)
                on[start : start + span] = 1
                for b, brk in zip(way, shift.breaks, strict=True):
                    on[start + b : start + b + round(brk.length / scenario.interval)] = 0
                key = f"{name}@{start}/{'-'.join(map(str, way))}"
                patterns[key] = on.tolist()
                hours[key] = int(round(shift.paid_hours))
    total, seconds, status = 0.0, 0.0, []
    for need in agents.values():
        required = np.asarray(need).reshape(n_days, per_day).astype(int).tolist()
        peak = int(np.max(need))
        began = time.perf_counter()
        solver = MinRequiredResources(
            num_days=n_days,
            periods=per_day,
            shifts_coverage=patterns,
            required_resources=required,
            max_period_concurrency=max(1, 3 * peak),
            max_shift_concurrency=max(1, peak),
            cost_dict=hours,
            max_search_time=float(limit),
            num_search_workers=2,
        )
        solution = solver.solve()
        seconds += time.perf_counter() - began
        status.append(solution["status"])
        if solution["status"] not in ("OPTIMAL", "FEASIBLE"):
            return {
                "paid_hours": float("nan"),
                "seconds": seconds,
                "status": status,
                "patterns": len(patterns),
            }
        total += sum(r["resources"] * hours[r["shift"]] for r in solution["resources_shifts"])
    return {"paid_hours": total, "seconds": seconds, "status": status, "patterns": len(patterns)}


def day(replications: int, jobs: int) -> None:
    """The verified omnichannel roster, judged again on 100 fresh days."""
    scenario = load_scenario(DAY)
    print(f"\n{scenario.name}: verified plan, then verified roster ({replications} days a run)")
    began = time.perf_counter()
    plan = plan_staffing(scenario, verify=True, replications=replications, seed=7, jobs=jobs)
    roster = make_roster(
        scenario, plan.agents, verify=True, replications=replications, seed=7, jobs=jobs
    )
    info = roster.summary()
    print(
        f"  {time.perf_counter() - began:.0f} s; plan {plan.agent_hours():.1f} agent-hours "
        f"({info['plan_fte_hours']:.1f} FTE-hours at {scenario.shrinkage:.0%} shrinkage); "
        f"roster {info['paid_hours']:.1f} paid hours, {info['scheduled_hours']:.1f} agent-hours "
        f"on the phones, overcover {info['overcover_pct']:.1f}%; "
        f"{roster.iterations} simulation runs, unmet {len(roster.unmet)}"
    )
    below = roster.below_requirement()
    print(f"  below the plan in {len(below)} group × intervals (the targets hold by simulation)")
    fresh = simulate(scenario, 100, 24680, agents=roster.agents, jobs=jobs)
    strict = roster_misses(scenario, fresh)
    significant, mean_short = 0, 0
    for name, channel in scenario.channels.items():
        rows = fresh.intervals["channel"] == name
        open_ = channel.volume > 0
        if channel.sl_target is not None:
            hi = fresh.intervals["service_level_hi"][rows][open_]
            level = fresh.intervals["service_level"][rows][open_]
            significant += int(np.sum(hi < channel.sl_target))
            mean_short += int(np.sum(level < channel.sl_target))
        for kpi, ceiling in (
            ("asa", channel.asa_max),
            ("abandon_rate", channel.max_abandon),
            ("occupancy", channel.max_occupancy),
        ):
            if ceiling is not None:
                significant += int(np.sum(fresh.limits[f"{kpi}_lo"][rows][open_] > ceiling))
    print(
        f"  fresh simulation (seed 24680, 100 days): intervals significantly below a target "
        f"(95% CI entirely on the wrong side): {significant}; mean service level below "
        f"target: {mean_short}; strict (lower 95% limit below target): "
        f"{sum(int(m.sum()) for m in strict.values())}"
    )
    print(f"  goal: every target met on fresh days: {'met' if significant == 0 else 'missed'}")


if __name__ == "__main__":
    main()
