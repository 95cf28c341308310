"""The verification's phases, each alone (ccsim.staffing.verify): fix, trim, judge, the days a
run needs, and the search as a whole returning a new plan."""

from __future__ import annotations

import json
import re
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from ccsim.cli import cli
from ccsim.results import Table
from ccsim.scenario import Scenario
from ccsim.sim import simulate
from ccsim.staffing import plan_staffing
from ccsim.staffing.verify import (
    Search,
    _work_ratio,
    days_needed,
    fix,
    judge_trial,
    load_ratio,
    trim,
    verify_plan,
)

N = 4


def small_plan():
    scenario = Scenario.from_dict(
        {
            "interval": "30min",
            "channels": {
                "voice": {"volume": [100] * N, "aht": 180, "service_level": 0.8, "within": 20}
            },
            "groups": {"phones": {"skills": ["voice"], "agents": "auto"}},
        }
    )
    return plan_staffing(scenario)


def two_groups_plan():
    """Two channels; "front" is the home of a, "back" of b and also serves a (second skill)."""
    scenario = Scenario.from_dict(
        {
            "interval": "30min",
            "channels": {
                name: {"volume": [100] * N, "aht": 180, "service_level": 0.8, "within": 20}
                for name in ("a", "b")
            },
            "groups": {
                "front": {"skills": ["a"], "agents": "auto"},
                "back": {"skills": ["b", "a"], "agents": "auto"},
            },
        }
    )
    return plan_staffing(scenario)


def search_of(plan):
    return Search.start(plan, replications=2, seed=1, max_iterations=5)


def none():
    return {"voice": np.zeros(N, dtype=bool)}


def test_fix_adds_the_erlang_gap_or_a_growing_step_where_it_cannot_estimate():
    plan = small_plan()
    search = search_of(plan)
    start = search.agents["phones"].copy()
    misses = {"voice": np.array([True, False, True, False])}
    gaps = {"voice": np.array([3.0, np.nan, np.nan, np.nan])}
    assert fix(search, misses, gaps)
    assert (search.agents["phones"] - start).tolist() == [3, 0, 1, 0]
    # the agents that missed are known to be too few; elsewhere one below the floor
    assert search.fail["phones"].tolist() == [start[0], 0, start[2], 0]
    assert fix(search, misses, gaps)  # still missing where unknown: one more
    assert (search.agents["phones"] - start).tolist() == [6, 0, 3, 0]
    assert fix(search, misses, gaps)
    assert (search.agents["phones"] - start).tolist() == [9, 0, 6, 0]
    assert not fix(search, none(), gaps)
    assert plan.agents["phones"].tolist() == start.tolist()  # the plan given is never changed


def test_fix_stops_at_the_cap():
    search = search_of(small_plan())
    search.cap["phones"] = search.agents["phones"].copy()
    assert not fix(search, {"voice": np.ones(N, dtype=bool)}, {"voice": np.full(N, 5.0)})


def test_trim_takes_half_the_slack_and_keeps_the_floor_and_the_misses():
    search = search_of(small_plan())
    start = search.agents["phones"].copy()
    gaps = {"voice": np.array([-6.0, -1.0, np.nan, -40.0])}
    misses = {"voice": np.array([False, False, False, True])}
    removal = trim(search, misses, gaps)
    assert removal["phones"].tolist() == [3, 1, 1, 0]
    assert (start - search.agents["phones"]).tolist() == [3, 1, 1, 0]
    search.floor["phones"] = search.agents["phones"].copy()
    assert trim(search, none(), gaps) == {}


def test_trim_bisects_between_the_agents_known_to_miss_and_the_current_ones():
    search = search_of(small_plan())
    start = search.agents["phones"].copy()  # 14 agents for 10 Erlangs
    slack = {"voice": np.full(N, -40.0)}  # Erlang thinks 40 could go: bisection limits it
    search.fail["phones"][:] = start - 5
    removal = trim(search, none(), slack)
    assert removal["phones"].tolist() == [2] * N  # half the room of 4 above fail + 1
    verdict = judge_trial(search, removal, {"voice": np.array([True, False, False, False])})
    assert not verdict.kept_all and not verdict.kept_none
    assert search.agents["phones"].tolist() == [start[0], *(start[1:] - 2)]
    assert search.fail["phones"][0] == start[0] - 2  # the trial count missed: too few
    removal = trim(search, none(), slack)
    assert removal["phones"].tolist() == [1, 1, 1, 1]
    judge_trial(search, removal, {"voice": np.array([True, True, False, False])})
    # interval 0 has no room left (fail is one below it): it is done; 2 and 3 go on
    assert trim(search, none(), slack)["phones"].tolist() == [0, 0, 1, 1]


def test_a_miss_is_blamed_on_the_nearest_removal_home_group_first():
    search = Search.start(two_groups_plan(), replications=2, seed=1, max_iterations=5)
    start = {g: search.agents[g].copy() for g in ("front", "back")}
    removal = {"front": np.array([0, 1, 0, 1]), "back": np.array([1, 1, 0, 0])}
    for g, amount in removal.items():
        search.agents[g] -= amount
    misses = {
        "a": np.array([True, True, True, False]),  # 0: back only; 1: front first; 2: front at 1
        "b": np.array([False, False, False, True]),  # 3: nothing of back's near it
    }
    verdict = judge_trial(search, removal, misses)
    assert verdict.unexplained["a"].tolist() == [False, False, False, False]
    assert verdict.unexplained["b"].tolist() == [False, False, False, True]
    assert (start["front"] - search.agents["front"]).tolist() == [0, 0, 0, 1]  # 1 went back
    assert (start["back"] - search.agents["back"]).tolist() == [0, 1, 0, 0]  # 0 went back


def test_a_deferred_miss_blames_every_removal_in_its_target_window():
    scenario = Scenario.from_dict(
        {
            "interval": "30min",
            "start": "08:00",
            "channels": {
                "email": {"volume": [40] * 6, "aht": "6min", "service_level": 0.9, "within": "1h"}
            },
            "groups": {"back": {"skills": ["email"], "agents": "auto"}},
        }
    )
    search = Search.start(plan_staffing(scenario), replications=2, seed=1, max_iterations=5)
    start = search.agents["back"].copy()
    removal = {"back": np.array([1, 1, 1, 1, 1, 0])}
    search.agents["back"] -= removal["back"]
    miss = np.array([False, False, False, True, False, False])
    verdict = judge_trial(search, removal, {"email": miss})
    # a 1-hour window is two intervals back: removals 1, 2 and 3 go back, 0 and 4 hold
    assert (start - search.agents["back"]).tolist() == [1, 0, 0, 0, 1, 0]
    assert not verdict.unexplained["email"].any()


def table_result(mean, lo, n, offered=10.0):
    """A stand-in simulation result: one channel, one interval, a service level mean and
    lower 95% limit after ``n`` days."""
    intervals = Table(
        {
            "channel": np.array(["voice"], dtype=object),
            "offered": np.array([offered]),
            "service_level": np.array([mean]),
            "service_level_lo": np.array([lo]),
        }
    )
    return SimpleNamespace(replications=n, intervals=intervals, limits=Table({}))


def test_days_needed_plays_on_only_while_more_days_can_settle_a_decision():
    scenario = Scenario.from_dict(
        {
            "interval": "30min",
            "channels": {
                "voice": {"volume": [100], "aht": 180, "service_level": 0.8, "within": 20}
            },
            "groups": {"phones": {"skills": ["voice"], "agents": 14}},
        }
    )
    assert days_needed(scenario, table_result(0.90, 0.85, 4), 40) == 4  # clearly met
    assert days_needed(scenario, table_result(0.70, 0.65, 4), 40) == 4  # clearly missed
    unclear = days_needed(scenario, table_result(0.85, 0.78, 4), 40)
    assert 4 < unclear <= 10  # the half-width 0.07 must shrink below the distance 0.05
    assert days_needed(scenario, table_result(0.85, 0.78, 4), 5) == 4  # not within 5 days
    assert days_needed(scenario, table_result(0.80, 0.70, 4), 40) == 4  # on the target
    assert days_needed(scenario, table_result(0.85, np.nan, 4), 40) == 8  # no interval yet
    assert days_needed(scenario, table_result(0.85, 0.78, 4, offered=0.0), 40) == 4
    # a few cells may stay unclear: forgiven ones (a trial's), or those dear to settle
    near = {"voice": np.array([True])}
    assert days_needed(scenario, table_result(0.85, 0.78, 4), 40, 1, near) == 4
    assert days_needed(scenario, table_result(0.85, 0.78, 4), 40, 1) == unclear  # cheap
    assert days_needed(scenario, table_result(0.82, 0.78, 4), 40) > 8
    assert days_needed(scenario, table_result(0.82, 0.78, 4), 40, 1) == 4  # dear: spared


def test_extended_plays_the_same_days_as_one_longer_simulation():
    plan = small_plan()
    short = simulate(plan.scenario, 3, seed=8, agents=plan.agents)
    longer = short.extended(6)
    once = simulate(plan.scenario, 6, seed=8, agents=plan.agents)
    assert longer.replications == 6
    assert longer.intervals.to_csv() == once.intervals.to_csv()
    assert longer.limits.to_csv() == once.limits.to_csv()


def test_records_are_kept_only_when_asked_and_the_tallies_give_the_same_load_ratio():
    plan = small_plan()
    lean = simulate(plan.scenario, 3, seed=8, agents=plan.agents)
    with pytest.raises(ValueError, match=r"simulate\(\.\.\., contacts=True\)"):
        _ = lean.contacts
    full = simulate(plan.scenario, 3, seed=8, agents=plan.agents, contacts=True)
    assert full.intervals.to_csv() == lean.intervals.to_csv()
    from_records = load_ratio(plan.scenario, full.contacts)["voice"]
    from_tallies = _work_ratio(plan.scenario, *lean.work)["voice"]
    np.testing.assert_allclose(from_tallies, from_records, rtol=1e-12)
    assert not np.allclose(from_tallies, 1.0)  # work does cross interval boundaries


def test_verify_plan_returns_a_new_plan_and_says_where_it_is():
    plan = small_plan()
    before = plan.agents["phones"].copy()
    lines = []
    verified = verify_plan(plan, replications=3, seed=2, max_iterations=3, progress=lines.append)
    assert verified is not plan and verified.verified and not plan.verified
    assert plan.agents["phones"].tolist() == before.tolist() and plan.simulation is None
    assert verified.iterations <= 3 and verified.simulation is not None
    assert verified.seed == 2 and 2 <= verified.replications <= 3
    assert len(lines) == verified.iterations + 1  # a line per run, and what it cost
    assert re.fullmatch(
        r"done: \d+ runs, \d+ days simulated in \d+ s; .* skipped \d+% of them", lines[-1]
    )
    pattern = (
        r"run 1 of at most 3: \d+ cells missing, [\d.]+ agent-hours, [23] days, est\. \d+ s left"
    )
    assert re.fullmatch(pattern, lines[0]), lines[0]


def test_processes_and_a_dask_local_cluster_give_identical_numbers():
    distributed = pytest.importorskip("dask.distributed")
    plan = two_groups_plan()
    scenario = plan.scenario
    here = simulate(scenario, 5, seed=3, agents=plan.agents, jobs=2)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        there = simulate(scenario, 5, seed=3, agents=plan.agents, executor="dask", scheduler=client)
        assert there.intervals.to_csv() == here.intervals.to_csv()
        assert there.days.to_csv() == here.days.to_csv()
        options = dict(verify=True, replications=6, seed=4, max_iterations=6)
        on_dask = plan_staffing(scenario, executor="dask", scheduler=client, **options)
        # the command line: --scheduler ADDRESS gives the numbers of the process pool
        args = ["staff", "scenarios/multiskill_bank.toml", "--verify", "--replications", "4"]
        args += ["--seed", "3", "--json"]
        remote = CliRunner().invoke(cli, [*args, "--scheduler", cluster.scheduler_address])
        local = CliRunner().invoke(cli, [*args, "--jobs", "2"])
        assert remote.exit_code == 0, remote.output
        assert json.loads(remote.stdout) == json.loads(local.stdout)
    in_processes = plan_staffing(scenario, jobs=2, **options)
    assert on_dask.iterations == in_processes.iterations
    for group in scenario.groups:
        assert on_dask.agents[group].tolist() == in_processes.agents[group].tolist()
    assert on_dask.simulation.intervals.to_csv() == in_processes.simulation.intervals.to_csv()


def test_the_dask_executor_without_dask_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    result = CliRunner().invoke(
        cli, ["simulate", "scenarios/textbook.toml", "--replications", "2", "--executor", "dask"]
    )
    assert result.exit_code == 2
    assert "the dask executor needs dask.distributed: pip install 'ccsim[dask]'" in result.output
