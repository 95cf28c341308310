"""Time loading and validating forecast_week.toml (672 × 15-minute intervals, 4 channels, CSV).

python benchmarks/bench_scenario.py
"""

from __future__ import annotations

import time
from pathlib import Path

from ccsim.scenario import load_scenario

PATH = Path(__file__).resolve().parent.parent / "scenarios" / "forecast_week.toml"


def main(repeats: int = 20) -> None:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        scenario = load_scenario(PATH)
        times.append(time.perf_counter() - started)
    print(
        f"{PATH.name}: {scenario.n_intervals} intervals × {len(scenario.channels)} channels, "
        f"{len(scenario.groups)} groups; load + validate: best {min(times) * 1e3:.1f} ms, "
        f"median {sorted(times)[len(times) // 2] * 1e3:.1f} ms over {repeats} runs"
    )


if __name__ == "__main__":
    main()
