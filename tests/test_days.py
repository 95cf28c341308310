"""Plans for a share of days (ccsim.staffing.days): per-day targets, days_met, the band."""

from __future__ import annotations

import numpy as np
import pytest

from ccsim.scenario import Scenario, ScenarioError
from ccsim.sim import simulate
from ccsim.sim.metrics import day_band
from ccsim.staffing import plan_staffing
from ccsim.staffing.days import busyness_quantile, busyness_share

VOLUME = [60, 90, 120, 150, 150, 120, 90, 60]


def scenario(per: str, cv: float = 0.2) -> Scenario:
    voice = {"volume": VOLUME, "aht": 180, "service_level": 0.8, "within": 20, "per": per}
    return Scenario.from_dict(
        {
            "interval": "30min",
            "volume_uncertainty": cv,
            "channels": {"voice": voice},
            "groups": {"phones": {"skills": ["voice"], "agents": "auto"}},
        }
    )


def test_busyness_quantile_and_share_are_inverse():
    factor = busyness_quantile(0.2, 0.9)
    assert factor > 1
    assert busyness_share(0.2, factor) == pytest.approx(0.9, abs=1e-9)
    assert busyness_quantile(0.0, 0.9) == 1.0


def test_per_day_plan_meets_its_share_of_days_in_a_fresh_simulation():
    sc = scenario("day")
    plan = plan_staffing(sc, days_met=0.9)
    predicted = plan.day_band()["voice"]["days_met"]
    assert predicted >= 0.9
    # 400 fresh days (another seed than any planning): the Wilson 95% interval of the
    # simulated share of days must hold the Erlang prediction.
    band = day_band(simulate(sc, 400, seed=31, agents=plan.agents).days, sc)["voice"]
    assert band["days"] == 400
    assert band["days_met_lo"] <= predicted <= band["days_met_hi"]


def test_per_interval_plan_holds_every_interval_on_the_quantile_day():
    sc = scenario("interval")
    plan = plan_staffing(sc, days_met=0.9)
    assert plan.day_band()["voice"]["days_met"] >= 0.9
    busy = sc.with_overrides(
        {
            "volume_uncertainty": 0,
            "channels.voice.volume": (np.array(VOLUME) * plan.busyness_factor).tolist(),
        }
    )
    result = simulate(busy, 200, seed=32, agents=plan.agents)
    # each interval's mean service level on the design day: not significantly below target
    assert np.all(result.intervals["service_level_hi"] >= 0.8)


def test_a_per_day_target_needs_fewer_agent_hours_than_per_interval():
    day = plan_staffing(scenario("day"), days_met=0.9)
    interval = plan_staffing(scenario("interval"), days_met=0.9)
    assert day.agent_hours() < interval.agent_hours()
    average = plan_staffing(scenario("day"))
    assert average.agent_hours() < day.agent_hours()  # the busy day costs more


def test_verified_days_met_plan_reports_the_simulated_share(tmp_path):
    plan = plan_staffing(scenario("day"), days_met=0.9, verify=True, replications=60, seed=4)
    band = plan.day_band()["voice"]
    assert band["source"] == "simulation" and band["days"] == 60
    assert band["days_met_lo"] <= band["days_met"] <= band["days_met_hi"]
    summary = plan.summary()
    assert summary["days_met_target"] == 0.9
    assert set(summary["channels"]["voice"]["days"]) >= {"service_level_p10", "days_met"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"channels.voice.per": "week"}, 'channels.voice.per: expected "interval" or "day"'),
        ({"days_met": 1.5}, "days_met: expected a share in (0, 1)"),
    ],
)
def test_bad_per_or_days_met_is_named(change, message):
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)")):
        scenario("day").with_overrides(change)
