"""Benchmark: simulate one M/M/100+M queue with ccsim, a textbook SimPy model and Ciw.

Run: ``python benchmarks/bench_sim.py`` (``--quick`` for a smaller run). One queue, 100
agents, AHT 240 s (exponential), load 0.9 (0.375 arrivals per second), exponential patience
of mean 120 s; the horizon is chosen so that ≈200,000 contacts arrive; one replication each.

Prints contacts simulated per second of wall time for

- **ccsim** — ``ccsim.simulate`` on a one-channel ``Scenario`` (callbacks on SimPy's event
  loop). The time is the whole public call: generating the arrivals, the event loop, and
  building the per-contact records and the KPIs;
- **textbook SimPy** — written here: an arrival process that starts a generator process per
  customer, which requests a ``simpy.Resource(capacity=100)`` with patience as
  ``yield req | env.timeout(patience)`` and service as ``env.timeout``; waits go to a list;
- **Ciw** — ``ciw.create_network`` with a reneging-time distribution. Ciw is not a ccsim
  dependency (``pip install ciw`` to include it); skipped when it is not importable,

the ratios ccsim/textbook and ccsim/Ciw (goals ≥ 3× and ≥ 8×), and each model's service
level (answered within 20 s ÷ offered) and abandonment (abandoned ÷ offered) with a 95%
batch-means confidence interval, next to the exact Erlang A values: all three simulate the
same system. (The few contacts still in the system when Ciw stops have no Ciw record and are
left out of its shares; the textbook model counts those still waiting as not answered.)

Then the peak memory of ccsim simulating 1,000,000 contacts (goal < 150 MB), measured as
the peak resident set size of a child process (``subprocess`` +
``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``, with Linux's ``VmHWM`` printed by the
child as a cross-check), not with ``tracemalloc``: RSS is what the machine has to provide —
it includes what ``tracemalloc`` does not see (the interpreter, the code of numpy/scipy and
their own allocations, allocator fragmentation) — and measuring it does not slow the run
down. RSS includes the interpreter and the imports, so a child that only imports ccsim and
builds the scenario is measured too, and both figures are printed. Each child is started by
a tiny launcher process (see ``_LAUNCHER``) so that the benchmark's own RSS does not leak
into the child's ``ru_maxrss``. ``--quick``: 20,000 contacts, memory at 200,000.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time

import numpy as np
import simpy

from ccsim import erlang, simulate
from ccsim.scenario import Scenario

AGENTS = 100
AHT = 240.0  # seconds
LOAD = 0.9
RATE = LOAD * AGENTS / AHT  # arrivals per second (0.375)
PATIENCE = 120.0  # seconds, mean of an exponential
TARGET_TIME = 20.0  # seconds
INTERVAL = 3600.0  # seconds: one-hour intervals of constant volume
BATCHES = 20  # batch means for the confidence intervals
SEED = 20261123


def scenario_for(contacts: int) -> Scenario:
    """One voice channel with constant volume over enough one-hour intervals for
    ≈ ``contacts`` arrivals, one group of ``AGENTS`` agents."""
    intervals = max(1, round(contacts / (RATE * INTERVAL)))
    return Scenario.from_dict(
        {
            "name": f"M/M/{AGENTS}+M at load {LOAD}",
            "interval": f"{INTERVAL:g}s",
            "start": "2026-01-05 00:00",
            "seed": SEED,
            "channels": {
                "voice": {
                    "volume": [RATE * INTERVAL] * intervals,
                    "aht": AHT,
                    "handle_time": "exponential",
                    "patience": PATIENCE,
                    "service_level": 0.8,
                    "within": f"{TARGET_TIME:g}s",
                }
            },
            "groups": {"agents": {"skills": ["voice"], "agents": AGENTS}},
        }
    )


# --- the three models: each returns (seconds, arrival times, waits, answered flags) ----------
# wait: seconds until answer or abandonment; NaN for a contact still waiting at the end


def run_ccsim(scenario: Scenario, seed: int):
    start = time.perf_counter()
    result = simulate(scenario, replications=1, seed=seed, contacts=True)
    seconds = time.perf_counter() - start
    contacts = result.contacts
    answered = contacts["outcome"] == 0
    wait = np.where(contacts["outcome"] == 2, np.nan, contacts["wait"])
    return seconds, contacts["arrival"], wait, answered


def run_textbook(horizon: float, seed: int):
    """The textbook SimPy model: a process per customer and a ``Resource``."""
    rng = random.Random(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    arrivals: list[float] = []
    waits: list[float] = []
    answered: list[bool] = []

    def customer(index: int, patience: float, handle: float):
        arrived = env.now
        with agents.request() as request:
            outcome = yield request | env.timeout(patience)
            waits[index] = env.now - arrived
            if request in outcome:
                answered[index] = True
                yield env.timeout(handle)

    def source():
        while True:
            yield env.timeout(rng.expovariate(RATE))
            if env.now >= horizon:
                return
            arrivals.append(env.now)
            waits.append(float("nan"))
            answered.append(False)
            patience = rng.expovariate(1.0 / PATIENCE)
            handle = rng.expovariate(1.0 / AHT)
            env.process(customer(len(arrivals) - 1, patience, handle))

    start = time.perf_counter()
    env.process(source())
    env.run(until=horizon)
    seconds = time.perf_counter() - start
    return seconds, np.array(arrivals), np.array(waits), np.array(answered)


def run_ciw(horizon: float, seed: int):
    """Ciw's M/M/100 with exponential reneging; None when Ciw is not importable."""
    try:
        import ciw
    except ImportError:
        return None
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=RATE)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / AHT)],
        number_of_servers=[AGENTS],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1.0 / PATIENCE)],
    )
    start = time.perf_counter()
    ciw.seed(seed)  # Ciw draws from the global random module
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(horizon)
    seconds = time.perf_counter() - start
    records = sorted(sim.get_all_records(), key=lambda r: r.arrival_date)
    arrivals = np.array([r.arrival_date for r in records])
    waits = np.array([r.waiting_time for r in records])
    answered = np.array([r.record_type == "service" for r in records])
    return seconds, arrivals, waits, answered


# --- KPIs ------------------------------------------------------------------------------------


def shares(arrival, wait, answered, horizon: float) -> dict[str, tuple[float, float]]:
    """Service level and abandonment, each as (value, 95% half-width by batch means)."""
    from scipy import stats  # here, not at the top: the memory children must not import it

    within = answered & (wait <= TARGET_TIME)
    abandoned = ~answered & np.isfinite(wait)
    batch = np.minimum((arrival / horizon * BATCHES).astype(int), BATCHES - 1)
    offered = np.bincount(batch, minlength=BATCHES)
    t = stats.t.ppf(0.975, BATCHES - 1)
    out = {}
    for name, hit in (("service level", within), ("abandoned", abandoned)):
        per_batch = np.bincount(batch, weights=hit, minlength=BATCHES) / offered
        out[name] = (hit.mean(), t * per_batch.std(ddof=1) / np.sqrt(BATCHES))
    return out


# --- memory in a child process -----------------------------------------------------------------


def child(what: str, contacts: int) -> None:
    """Body of a memory child: build the scenario, and simulate it if ``what`` is "ccsim";
    print the contacts simulated and the kernel's high-water mark of this process."""
    scenario = scenario_for(contacts)
    simulated = 0
    if what == "ccsim":
        simulated = simulate(scenario, replications=1, seed=SEED, contacts=True).contacts.n_rows
    hwm = "nan"
    try:  # Linux: the peak RSS of this process image only (a cross-check)
        with open("/proc/self/status") as status:
            hwm = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        pass
    print(simulated, hwm)


# A fork()ed child starts with its parent's resident pages, and Linux carries that high-water
# mark across exec() into the child's ru_maxrss: a child of this (by then large) benchmark
# process would report at least the benchmark's own RSS. So the child is started by a tiny
# launcher — a fresh interpreter of ≈10 MB — which reports RUSAGE_CHILDREN for that one child.
_LAUNCHER = """
import resource, subprocess, sys
out = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, out.strip())
"""


def peak_rss_mb(what: str, contacts: int) -> tuple[float, float, int]:
    """(peak RSS by ru_maxrss, peak RSS by VmHWM, contacts simulated) of a child running
    :func:`child`; RSS in MB (2**20 bytes)."""
    command = [sys.executable, __file__, "--child", what, "--contacts", str(contacts)]
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *command], check=True, capture_output=True, text=True
    )
    maxrss_kib, simulated, hwm_kib = done.stdout.split()
    return int(maxrss_kib) / 1024, float(hwm_kib) / 1024, int(simulated)


# --- report --------------------------------------------------------------------------------------


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 contacts; memory at 200,000")
    parser.add_argument("--child", choices=("import", "ccsim"), help=argparse.SUPPRESS)
    parser.add_argument("--contacts", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.contacts)
        return

    contacts = 20_000 if args.quick else 200_000
    memory_contacts = 200_000 if args.quick else 1_000_000
    scenario = scenario_for(contacts)
    horizon = scenario.horizon
    exact = erlang.erlang_a(RATE, AHT, PATIENCE, AGENTS, TARGET_TIME)
    print(
        f"M/M/{AGENTS}+M: {RATE:.3f} arrivals/s (load {LOAD}), AHT {AHT:g} s, "
        f"patience {PATIENCE:g} s (exponential), horizon {horizon:,.0f} s "
        f"(≈{RATE * horizon:,.0f} contacts), one replication"
    )
    print(
        f"Erlang A (exact): service level {exact.service_level:.4f} in {TARGET_TIME:g} s, "
        f"abandoned {exact.p_abandon:.4f}"
    )

    simulate(scenario_for(1000), replications=1, seed=1)  # warm up imports and caches
    rows = [("ccsim", run_ccsim(scenario, SEED)), ("textbook SimPy", run_textbook(horizon, SEED))]
    ciw_run = run_ciw(horizon, SEED)
    if ciw_run is not None:
        rows.append(("Ciw", ciw_run))

    speed = {}
    print(
        f"\n{'model':<15} {'contacts':>9} {'seconds':>8} {'contacts/s':>11}  "
        f"{'service level ± 95%':>20}  {'abandoned ± 95%':>17}"
    )
    for name, (seconds, arrival, wait, answered) in rows:
        speed[name] = len(arrival) / seconds
        kpi = shares(arrival, wait, answered, horizon)
        sl, sl_hw = kpi["service level"]
        ab, ab_hw = kpi["abandoned"]
        print(
            f"{name:<15} {len(arrival):>9,} {seconds:>8.2f} {speed[name]:>11,.0f}  "
            f"{sl:>12.4f} ± {sl_hw:.4f}  {ab:>9.4f} ± {ab_hw:.4f}"
        )
    print(
        f"{'Erlang A':<15} {'':>9} {'':>8} {'':>11}  {exact.service_level:>12.4f}"
        f"{'':>9}  {exact.p_abandon:>9.4f}"
    )

    ratio = speed["ccsim"] / speed["textbook SimPy"]
    print(f"\nccsim / textbook SimPy: {ratio:.1f}× (goal ≥ 3×: {_met(ratio >= 3)})")
    if "Ciw" in speed:
        ratio = speed["ccsim"] / speed["Ciw"]
        print(f"ccsim / Ciw:            {ratio:.1f}× (goal ≥ 8×: {_met(ratio >= 8)})")
    else:
        print("ciw not installed: skipped")

    baseline, baseline_hwm, _ = peak_rss_mb("import", memory_contacts)
    peak, peak_hwm, simulated = peak_rss_mb("ccsim", memory_contacts)
    print(
        f"\npeak RSS of a child process (ru_maxrss by RUSAGE_CHILDREN; VmHWM as a cross-check):\n"
        f"  imports + scenario only:            {baseline:6.1f} MB (VmHWM {baseline_hwm:.1f} MB)\n"
        f"  ccsim.simulate, {simulated:,} contacts: {peak:6.1f} MB (VmHWM {peak_hwm:.1f} MB); "
        f"goal < 150 MB: {_met(peak < 150)}; {peak - baseline:.1f} MB above the baseline"
    )


if __name__ == "__main__":
    main()
