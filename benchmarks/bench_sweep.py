"""Sweep speed-up: 40 points × 10 replications of the textbook scenario, jobs=1 vs jobs=N.

    python benchmarks/bench_sweep.py [--jobs 2] [--replications 10]

Each run writes into a fresh temporary directory (nothing to resume); the two
``results.csv`` files must be byte-identical. Goal: ≥ 1.8× on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from ccsim.sweep import default_jobs, plan_sweep, run_sweep

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "textbook.toml"
GRID = ["groups.phones.agents=12..21", "channels.voice.aht=170s,180s,190s,200s"]


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(jobs: int, replications: int) -> tuple[float, float, bytes]:
    """Wall and CPU time (seconds, planning included) and results.csv of one fresh sweep."""
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        started, cpu = time.perf_counter(), _cpu()
        plan = plan_sweep(SCENARIO, GRID, replications=replications, seed=7)
        run_sweep(plan, jobs=jobs, out=tmp)
        elapsed = time.perf_counter() - started
        return elapsed, _cpu() - cpu, (Path(tmp) / "results.csv").read_bytes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=max(2, default_jobs()))
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args()
    points = len(plan_sweep(SCENARIO, GRID, replications=1).points)
    print(f"{points} points × {args.replications} replications of {SCENARIO.name}")
    print(f"load average before: {os.getloadavg()[0]:.2f} (other work on the machine slows jobs=N)")
    timed(1, 1)  # warm-up: first-call costs (imports, caches) are paid before either is timed
    runs: dict[int, list[tuple[float, float, bytes]]] = {1: [], args.jobs: []}
    for _ in range(args.repeat):  # alternate, so a burst of other load hits both alike
        for jobs in runs:
            runs[jobs].append(timed(jobs, args.replications))
    best = {jobs: min(results) for jobs, results in runs.items()}
    for jobs, (wall, cpu, _) in best.items():
        walls = ", ".join(f"{r[0]:.2f}" for r in runs[jobs])
        print(f"jobs={jobs}: {wall:6.2f} s wall (best of {walls}), {cpu:6.2f} s CPU")
    serial, parallel = best[1][0], best[args.jobs][0]
    print(f"speed-up: {serial / parallel:.2f}× on {args.jobs} jobs ({default_jobs()} cores)")
    if len({r[2] for results in runs.values() for r in results}) != 1:
        print("ERROR: results.csv differs between runs", file=sys.stderr)
        return 1
    print("results.csv identical in every run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
