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
    args = parser.parse_args()
    points = len(plan_sweep(SCENARIO, GRID, replications=1).points)
    print(f"{points} points × {args.replications} replications of {SCENARIO.name}")
    print(f"load average before: {os.getloadavg()[0]:.2f} (other work on the machine slows jobs=N)")
    serial, serial_cpu, serial_csv = timed(1, args.replications)
    print(
        f"jobs=1: {serial:6.2f} s wall, {serial_cpu:6.2f} s CPU ({serial / points:.3f} s a point)"
    )
    parallel, parallel_cpu, parallel_csv = timed(args.jobs, args.replications)
    print(f"jobs={args.jobs}: {parallel:6.2f} s wall, {parallel_cpu:6.2f} s CPU")
    print(f"speed-up: {serial / parallel:.2f}× on {args.jobs} jobs ({default_jobs()} cores)")
    if serial_csv != parallel_csv:
        print("ERROR: results.csv differs between jobs=1 and jobs=N", file=sys.stderr)
        return 1
    print("results.csv identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
