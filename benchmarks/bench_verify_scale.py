"""Benchmark: a verified plan for a large center — ``ccsim staff --verify`` on one day of it.

The center is ``make_large_center.py``'s: 12 channels, 20 groups of 2–3 skills (12 planned,
8 flex groups with a fixed roster: ``--keep-fixed``), ~1,700 agents on average, AHT 300 s,
patience 300 s, 48 half-hour intervals, ≈ 460,000 contacts a day.

Prints, for the command run as a child process with ``--jobs`` workers (default 2):

- wall time, simulation runs, days simulated (over all runs) and the share of them a
  restart from a saved state could have skipped (see :mod:`ccsim.staffing.verify`);
- peak memory: the proportional set size (PSS: shared pages split between the processes
  sharing them) summed over the command and its worker processes, sampled every 0.1 s
  from ``/proc`` (RSS where PSS cannot be read) — what the machine has to provide;
- agent-hours of the verified plan next to the analytic plan's;
- a fresh simulation of the verified plan (another seed, ``--fresh`` days): the cells that
  miss a target significantly (the service level's upper 95% limit below the target),
  and those whose mean alone is below it.

Goals: ≤ 5 minutes and ≤ 1.5 GB with 2 jobs; no cell missing on the fresh simulation.
``--forecast-week`` also times ``staff --verify`` of ``scenarios/forecast_week.toml``
(goal ≤ 60 s) and simulates its plan afresh the same way.

    python benchmarks/bench_verify_scale.py [--jobs 2] [--replications 40] [--seed 7]
        [--fresh 20] [--scale 1.0] [--forecast-week]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_large_center import large_center  # noqa: E402

from ccsim import load_scenario, simulate  # noqa: E402

GOAL_SECONDS, GOAL_MB = 300.0, 1536.0


def _memory_mb(pid: int) -> float:
    """PSS (else RSS) of one process, MB; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc/*/stat)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += parents.get(p, [])
    return found


def run_measured(command: list[str]) -> tuple[float, float, str, list[str]]:
    """Run ``command``: (wall seconds, peak MB of its process tree, stdout, stderr lines)
    — stderr (the progress lines) is echoed as it comes."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, lines = [0.0], []

    def sample() -> None:
        while child.poll() is None:
            peak[0] = max(peak[0], sum(_memory_mb(p) for p in _tree(child.pid)))
            time.sleep(0.1)

    def echo() -> None:
        for line in child.stderr:
            lines.append(line.rstrip())
            print(f"    {line.rstrip()}", flush=True)

    threads = [threading.Thread(target=f, daemon=True) for f in (sample, echo)]
    for t in threads:
        t.start()
    out = child.stdout.read()
    child.wait()
    for t in threads:
        t.join(timeout=5)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n" + "\n".join(lines))
    return seconds, peak[0], out, lines


def fresh_check(scenario_path: Path, plan_dir: Path, seed: int, days: int, jobs: int) -> str:
    """Simulate the plan in ``plan_dir/groups.csv`` on ``days`` fresh days: a line saying how
    many open cells miss a target significantly, and how many only in the mean."""
    scenario = load_scenario(scenario_path)
    agents: dict[str, list[int]] = {}
    with open(plan_dir / "groups.csv", newline="") as f:
        for row in csv.DictReader(f):
            agents.setdefault(row["group"], []).append(int(row["agents"]))
    result = simulate(scenario, days, seed, agents=agents, jobs=jobs)
    table, limits = result.intervals, result.limits
    significant = in_mean = cells = 0
    for name, channel in scenario.channels.items():
        rows = table["channel"] == name
        open_ = (channel.volume > 0) & (table["offered"][rows] > 0)
        cells += int(open_.sum())
        bad = np.zeros(open_.shape, dtype=bool)
        mean_bad = np.zeros(open_.shape, dtype=bool)
        if channel.sl_target is not None:
            bad |= table["service_level_hi"][rows] < channel.sl_target
            mean_bad |= table["service_level"][rows] < channel.sl_target
        for kpi, ceiling in (
            ("asa", channel.asa_max),
            ("abandon_rate", channel.max_abandon),
            ("occupancy", channel.max_occupancy),
        ):
            if ceiling is not None:
                bad |= limits[f"{kpi}_lo"][rows] > ceiling
                mean_bad |= table[kpi][rows] > ceiling
        significant += int((bad & open_).sum())
        in_mean += int((mean_bad & open_).sum())
    return (
        f"fresh simulation (seed {seed}, {days} days): {significant} of {cells} open cells "
        f"miss a target significantly, {in_mean} in the mean only"
    )


def verify(scenario_path: Path, args, extra: list[str], out: Path) -> dict:
    """Time ``ccsim staff --verify`` on ``scenario_path``; print and return its figures."""
    command = [
        sys.executable,
        "-m",
        "ccsim",
        "staff",
        str(scenario_path),
        "--verify",
        "--jobs",
        str(args.jobs),
        "--replications",
        str(args.replications),
        "--seed",
        str(args.seed),
        "--out",
        str(out),
        "--json",
        *extra,
    ]
    print(f"  $ ccsim staff {scenario_path.name} {' '.join(command[5:])}")
    print(f"  load average before: {os.getloadavg()[0]:.2f}")
    seconds, peak, stdout, lines = run_measured(command)
    summary = json.loads(stdout)
    days = sum(int(m.group(1)) for line in lines if (m := re.search(r", (\d+) days, ", line)))
    skip = next((line for line in lines if "saved state" in line), "")
    hours = summary["agent_hours"]
    figures = {
        "seconds": seconds,
        "peak_mb": peak,
        "runs": summary["iterations"],
        "days": days,
        "analytic": hours["analytic"],
        "final": hours["final"],
        "unmet": len(summary["unmet"]),
    }
    print(
        f"  wall time {seconds:.0f} s, {figures['runs']} simulation runs, {days} days "
        f"simulated, peak memory {peak:.0f} MB (PSS of the command and its workers)"
    )
    if skip:
        print(f"  {skip.strip()}")
    print(
        f"  agent-hours: analytic {hours['analytic']:.1f}, verified {hours['final']:.1f} "
        f"({hours['final'] / hours['analytic'] - 1:+.1%}); unmet cells: {figures['unmet']}"
    )
    print(f"  load average after: {os.getloadavg()[0]:.2f}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fresh", type=int, default=20, help="days of the fresh simulation")
    parser.add_argument("--scale", type=float, default=1.0, help="volumes × this (quick: 0.25)")
    parser.add_argument("--forecast-week", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large_center.toml"
        path.write_text(large_center(args.scale), encoding="utf-8")
        scenario = load_scenario(path)
        contacts = sum(float(c.volume.sum()) for c in scenario.channels.values())
        print(
            f"{scenario.name}: {scenario.n_intervals} intervals, {len(scenario.channels)} "
            f"channels, {len(scenario.groups)} groups, {contacts:,.0f} contacts a day"
        )
        figures = verify(path, args, ["--keep-fixed"], Path(tmp) / "plan")
        ok = figures["seconds"] <= GOAL_SECONDS and figures["peak_mb"] <= GOAL_MB
        print(f"  goals (≤ {GOAL_SECONDS:.0f} s, ≤ {GOAL_MB:.0f} MB): {'met' if ok else 'NOT met'}")
        print("  " + fresh_check(path, Path(tmp) / "plan", args.seed + 1000, args.fresh, args.jobs))
        if args.forecast_week:
            week = HERE.parent / "scenarios" / "forecast_week.toml"
            print(f"\n{week.name}:")
            figures = verify(week, args, [], Path(tmp) / "week")
            print(f"  goal ≤ 60 s: {'met' if figures['seconds'] <= 60 else 'NOT met'}")
            print("  " + fresh_check(week, Path(tmp) / "week", args.seed + 1000, 100, args.jobs))


if __name__ == "__main__":
    main()
