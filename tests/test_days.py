"""Plans for a share of days (ccsim.staffing.days): per-day targets, days_met, the band."""

from __future__ import annotations

import numpy as np
import pytest

from ccsim.scenario import Scenario, ScenarioError
from ccsim.sim import simulate
from ccsim.sim.metrics import day_band
from ccsim.staffing import plan_staffing
from ccsim.staffing.days import DayVariation, busyness_quantile, busyness_share, days_met_share

VOLUME = [60, 90, 120, 150, 150, 120, 90, 60]
QUIET_EDGES = [8, 15, 120, 150, 150, 120, 15, 8]  # per-interval targets are dear at the edges


def scenario(per: str, cv: float = 0.2, volume=VOLUME) -> Scenario:
    voice = {"volume": volume, "aht": 180, "service_level": 0.8, "within": 20, "per": per}
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


def test_per_day_plan_share_of_days_agrees_with_a_fresh_simulation():
    sc = scenario("day")
    plan = plan_staffing(sc, days_met=0.9, verify=True, replications=200, seed=4)
    verified = plan.day_band()["voice"]
    assert verified["source"] == "simulation" and verified["days"] == 200
    assert verified["days_met_hi"] >= 0.9  # the verification confirms the share of days
    # 400 fresh days with another seed: the two simulated shares differ by no more than
    # chance allows (two-proportion normal interval at 99%).
    fresh = day_band(simulate(sc, 400, seed=31, agents=plan.agents).days, sc)["voice"]
    p1, p2 = verified["days_met"], fresh["days_met"]
    spread = np.sqrt(p1 * (1 - p1) / 200 + p2 * (1 - p2) / 400)
    assert abs(p1 - p2) <= 2.576 * spread
    # the Erlang prediction is conservative: simulated days start empty and do better
    predicted = plan_staffing(sc, days_met=0.9).day_band()["voice"]["days_met"]
    assert 0.9 <= predicted <= fresh["days_met_hi"]


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


def test_a_per_day_plan_is_cheaper_than_scaling_the_profile_up():
    sc = scenario("day", volume=QUIET_EDGES)
    plan = plan_staffing(sc, days_met=0.9)
    variation = DayVariation.of(sc)
    channel = sc.channels["voice"]
    assert days_met_share(channel, plan.agents["phones"], sc.interval, variation) >= 0.9
    # the uniform uplift: the smallest multiple (5% steps) of the profile whose Erlang plan
    # per interval meets the day's target on as many of the same synthetic days
    per_interval = scenario("interval", volume=QUIET_EDGES)
    for step in range(41):
        scaled = per_interval.with_overrides(
            {"channels.voice.volume": [v * (1 + 0.05 * step) for v in QUIET_EDGES]}
        )
        uplift = plan_staffing(scaled).agents["phones"]
        if days_met_share(channel, uplift, sc.interval, variation) >= 0.9:
            break
    assert plan.agent_hours() < sc.agent_hours(uplift)
    assert plan_staffing(sc).agent_hours() < plan.agent_hours()  # the busy days cost more


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


def test_the_band_counts_each_target_over_the_day():
    sc = Scenario.from_dict(
        {
            "interval": "30min",
            "volume_uncertainty": 0.2,
            "channels": {
                "voice": {
                    "volume": VOLUME,
                    "aht": 180,
                    "service_level": 0.8,
                    "within": 20,
                    "patience": 120,
                    "max_abandon": 0.04,
                    "asa": 15,
                },  # fmt: skip
            },
            "groups": {"phones": {"skills": ["voice"], "agents": [11, 15, 19, 23, 23, 19, 15, 11]}},
        }
    )
    result = simulate(sc, 60, seed=8)
    band = day_band(result.days, sc)["voice"]
    days = result.days
    level, abandon, asa = days["service_level"], days["abandon_rate"], days["asa"]
    met = (level >= 0.8) & (abandon <= 0.04) & (asa <= 15)
    assert band["days_met"] == pytest.approx(np.mean(level >= 0.8))
    assert band["days_met_abandon"] == pytest.approx(np.mean(abandon <= 0.04))
    assert band["days_met_asa"] == pytest.approx(np.mean(asa <= 15))
    assert band["days_met_all"] == pytest.approx(np.mean(met))
    assert band["days_met_all"] <= min(band["days_met"], band["days_met_abandon"])
    # the daily figures add up from the intervals: offered over the day is the sum
    assert days["offered"].sum() == pytest.approx(result.intervals["offered"].sum() * 60)
