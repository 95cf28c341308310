"""The verification's phases, each alone (ccsim.staffing.verify): fix, trim, judge, and the
search as a whole returning a new plan."""

from __future__ import annotations

import numpy as np

from ccsim.scenario import Scenario
from ccsim.staffing import plan_staffing
from ccsim.staffing.verify import Search, fix, judge_trial, trim, verify_plan

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


def search_of(plan):
    return Search.start(plan, replications=2, seed=1, max_iterations=5)


def test_fix_adds_the_erlang_gap_or_doubles_where_it_cannot_estimate():
    plan = small_plan()
    search = search_of(plan)
    start = search.agents["phones"].copy()
    misses = {"voice": np.array([True, False, True, False])}
    gaps = {"voice": np.array([3.0, np.nan, np.nan, np.nan])}
    assert fix(search, misses, gaps)
    assert (search.agents["phones"] - start).tolist() == [3, 0, 1, 0]
    assert fix(search, misses, gaps)  # still missing where unknown: twice as many
    assert (search.agents["phones"] - start).tolist() == [6, 0, 3, 0]
    assert not fix(search, {"voice": np.zeros(N, dtype=bool)}, gaps)
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
    assert trim(search, {"voice": np.zeros(N, dtype=bool)}, gaps) == {}


def test_a_removal_that_misses_goes_back_and_is_frozen_once_tried_alone():
    search = search_of(small_plan())
    start = search.agents["phones"].copy()
    gaps = {"voice": np.full(N, -2.0)}
    no_miss = {"voice": np.zeros(N, dtype=bool)}
    removal = trim(search, no_miss, gaps)
    miss_at_1 = {"voice": np.array([False, True, False, False])}
    assert judge_trial(search, removal, miss_at_1) == (False, True)  # none held
    assert search.agents["phones"].tolist() == start.tolist()  # every removal sent back
    assert search.isolated["phones"] and not search.frozen["phones"].any()
    assert search.strikes["phones"].tolist() == [1, 0, 1, 1]  # interval 1 was blamed
    removal = trim(search, no_miss, gaps)  # now one agent per blame window
    tried = removal["phones"] > 0
    assert removal["phones"].max() == 1 and tried.sum() < N
    judge_trial(search, removal, {"voice": tried})
    assert search.frozen["phones"][tried].all()


def test_a_removal_that_holds_is_kept():
    search = search_of(small_plan())
    start = search.agents["phones"].copy()
    removal = trim(search, {"voice": np.zeros(N, dtype=bool)}, {"voice": np.full(N, -2.0)})
    assert judge_trial(search, removal, {"voice": np.zeros(N, dtype=bool)}) == (True, False)
    assert (start - search.agents["phones"]).tolist() == [1, 1, 1, 1]


def test_verify_plan_returns_a_new_plan_and_leaves_the_given_one():
    plan = small_plan()
    before = plan.agents["phones"].copy()
    verified = verify_plan(plan, replications=3, seed=2, max_iterations=3)
    assert verified is not plan and verified.verified and not plan.verified
    assert plan.agents["phones"].tolist() == before.tolist() and plan.simulation is None
    assert verified.iterations <= 3 and verified.simulation is not None
    assert (verified.seed, verified.replications) == (2, 3)
