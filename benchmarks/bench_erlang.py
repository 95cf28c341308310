"""Benchmark: staff a year of 15-minute intervals × 4 channels with ``ccsim.erlang``.

Run: ``python benchmarks/bench_erlang.py``. Prints the seconds for 140,160 interval
problems (volumes 50–2000 per interval from a seeded RNG, AHT 240 s, 80% in 20 s), and, if
``pyworkforce`` is importable (it is not a dependency), the per-interval time of its
``ErlangC`` on a sample, the speed ratio measured in this run, and whether both agree on the
agent counts. Goals: the year in ≤ 0.2 s, and ≥ 100× faster per interval than pyworkforce.
Then the same year with abandonment (Erlang A, mean patience 120 s; goal < 2 s), against the
former per-element search on a 300-interval sample (time per interval and agreement).
"""

from __future__ import annotations

import math
import time

import numpy as np

from ccsim import erlang

INTERVAL = 900.0  # seconds
AHT = 240.0  # seconds
TARGET_TIME = 20.0  # seconds
SERVICE_LEVEL = 0.80
N_INTERVALS = 365 * 96 * 4  # a year of 15-minute intervals × 4 channels = 140,160
SAMPLE = 500
PATIENCE = 120.0  # seconds, mean patience for the Erlang A line
SAMPLE_A = 300  # intervals staffed with the former per-element Erlang A search


def best_of(repeats: int, func):
    """Return (best wall time in seconds, last result) of ``func()`` over ``repeats`` runs."""
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    rng = np.random.default_rng(20261123)
    volumes = rng.uniform(50, 2000, N_INTERVALS)
    load = erlang.traffic(volumes, AHT, INTERVAL)

    def staff_year():
        return erlang.required_agents(
            load, AHT, target_time=TARGET_TIME, sl_target=SERVICE_LEVEL
        )

    staff_year()  # warm up imports and caches
    seconds, agents = best_of(5, staff_year)
    per_ccsim = seconds / N_INTERVALS
    print(f"ccsim: {N_INTERVALS:,} intervals (traffic {load.min():.1f}–{load.max():.1f} Erlangs)")
    print(f"ccsim: staffed the year in {seconds:.3f} s (best of 5) = {per_ccsim * 1e6:.2f} µs each")
    print(f"ccsim: goal ≤ 0.2 s: {'met' if seconds <= 0.2 else 'NOT met'}")

    try:
        from pyworkforce.queuing import ErlangC
    except ImportError:
        print(
            "pyworkforce: not importable — comparison skipped (pip install pyworkforce to run it)"
        )
    else:
        sample = rng.choice(N_INTERVALS, SAMPLE, replace=False)

        def staff_sample():
            return [
                ErlangC(
                    transactions=float(volumes[i]), aht=AHT, asa=TARGET_TIME, interval=INTERVAL
                ).required_positions(service_level=SERVICE_LEVEL, max_occupancy=1.0)[
                    "raw_positions"
                ]
                for i in sample
            ]

        pw_seconds, pw_agents = best_of(1, staff_sample)
        per_pw = pw_seconds / SAMPLE
        same = np.array_equal(np.asarray(pw_agents), agents[sample])
        print(f"pyworkforce: {SAMPLE} intervals in {pw_seconds:.3f} s = {per_pw * 1e6:.1f} µs each")
        print(f"speed-up per interval: {per_pw / per_ccsim:,.0f}× (goal ≥ 100×)")
        print(f"same agent counts on the {SAMPLE}-interval sample: {same}")

    # Erlang A: the same year with abandonment (mean patience 120 s), 80% answered in 20 s
    def staff_year_a():
        return erlang.required_agents(
            load, AHT, target_time=TARGET_TIME, sl_target=SERVICE_LEVEL, patience=PATIENCE
        )

    seconds_a, agents_a = best_of(3, staff_year_a)
    per_a = seconds_a / N_INTERVALS
    print(
        f"ccsim Erlang A (patience {PATIENCE:.0f} s): staffed the year in {seconds_a:.3f} s "
        f"(best of 3) = {per_a * 1e6:.2f} µs each"
    )
    print(f"ccsim Erlang A: goal < 2 s: {'met' if seconds_a < 2.0 else 'NOT met'}")
    sample_a = rng.choice(N_INTERVALS, SAMPLE_A, replace=False)
    args = np.broadcast_arrays(
        load[sample_a], AHT, TARGET_TIME, SERVICE_LEVEL, np.nan, np.nan, PATIENCE, np.nan
    )
    ref_seconds, ref_agents = best_of(
        1, lambda: erlang._required_a_reference(*(np.array(v, dtype=float) for v in args))
    )
    per_ref = ref_seconds / SAMPLE_A
    print(
        f"former per-element search: {SAMPLE_A} intervals in {ref_seconds:.3f} s = "
        f"{per_ref * 1e6:.0f} µs each (the year ≈ {per_ref * N_INTERVALS:.0f} s); "
        f"speed-up {per_ref / per_a:,.0f}×; same agent counts: "
        f"{np.array_equal(ref_agents, agents_a[sample_a])}"
    )

    big = 9500.0
    c = erlang.erlang_c(big, 50_000)
    sl = erlang.service_level(big, 50_000, AHT, TARGET_TIME)
    wait = erlang.asa(big, 50_000, AHT)
    finite = all(math.isfinite(v) for v in (c, sl, wait))
    print(f"9,500 Erlangs, 50,000 agents: P(wait)={c:.3g}, SL={sl:.6f}, ASA={wait:.3g} s")
    print(f"  finite: {finite}")
    need = erlang.required_agents(big, AHT, target_time=TARGET_TIME, sl_target=SERVICE_LEVEL)
    print(
        f"9,500 Erlangs, 80% in 20 s: {need} agents "
        f"(SL {erlang.service_level(big, need, AHT, TARGET_TIME):.4f}; "
        f"{need - 1} give {erlang.service_level(big, need - 1, AHT, TARGET_TIME):.4f})"
    )


if __name__ == "__main__":
    main()
