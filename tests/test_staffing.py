"""The staffing planner: analytic requirement, group assignment, and the simulation-verified plan.

Statistical checks compare a simulated service level with its target through
the simulation's own 95% confidence interval: a plan "meets" an interval when
the target is not above the upper confidence limit, and "misses" it when the
upper limit is below the target (the shortfall is significant).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from click.testing import CliRunner

from ccsim import erlang
from ccsim.cli import cli
from ccsim.scenario import Scenario
from ccsim.sim import simulate
from ccsim.staffing import channel_requirement, plan_staffing
from ccsim.staffing.verify import interval_misses


def one_channel(volume, aht, *, patience=None, within="20s", sl=0.8, interval="30min", seed=3):
    channel = {"volume": list(volume), "aht": aht, "service_level": sl, "within": within}
    if patience is not None:
        channel["patience"] = patience
    return Scenario.from_dict(
        {
            "name": "one channel",
            "interval": interval,
            "start": "08:00",
            "seed": seed,
            "channels": {"voice": channel},
            "groups": {"phones": {"skills": ["voice"], "agents": "auto"}},
        }
    )


def erlang_c_agents(scenario: Scenario) -> np.ndarray:
    """Erlang C per interval, ignoring abandonment: the classic (SIPP) plan."""
    ch = scenario.channels["voice"]
    traffic = ch.traffic(scenario.interval)
    agents = erlang.required_agents(
        traffic, ch.aht, target_time=ch.target_time, sl_target=ch.sl_target
    )
    return np.where(ch.volume > 0, agents, 0).astype(np.int64)


def test_a_volume_typo_is_named_not_a_hang():
    """1e300 calls an interval: the scenario refuses it by key before any arithmetic; a
    channel built by hand (no scenario file) still meets the planner's own guard, which
    says which channel."""
    with pytest.raises(ValueError, match=r"channels\.voice\.volume\[1\]: expected a number ≥ 0 "
                       r"\(contacts offered\) and at most 10,000,000, got 1e\+300"):  # fmt: skip
        one_channel([100, 1e300], "180s")
    live = one_channel([100, 100], "180s").channels["voice"]
    live = dataclasses.replace(live, volume=np.array([100, 1e300]))
    with pytest.raises(ValueError, match=r"channels\.voice: traffic must be ≤ 1e\+12 Erlangs"):
        channel_requirement(live, 1800.0)
    email = one_channel([100, 100], "5min", within="4h", sl=0.9).channels["voice"]
    email = dataclasses.replace(email, volume=np.array([100, 1e300]))
    with pytest.raises(ValueError, match=r"channels\.voice: volume × aht needs \S+e\+29\d agents"):
        channel_requirement(email, 1800.0)


def test_a_target_window_far_beyond_the_horizon_plans_the_work_anyway():
    """within = a year (the longest a scenario takes; "whenever"): the work is spread over
    the rest of the day."""
    scenario = one_channel([120, 0, 0, 0], "5min", within="365d", sl=0.9)
    requirement = channel_requirement(scenario.channels["voice"], scenario.interval)
    assert requirement.tolist() == [5, 5, 5, 5]  # 120 × 5 min = 10 agent-hours over 2 h


# A steep peak with 10-minute calls: the load on agents peaks after the arrivals do.
PEAK_DAY = [20, 20, 20, 20, 140, 140, 20, 20, 20, 20, 20, 20]


def test_a_channel_without_targets_keeps_a_stable_queue_after_verification():
    """Nothing can miss, so trimming alone would take every agent away."""
    doc = {
        "interval": "30min",
        "channels": {"voice": {"volume": [100, 300], "aht": "3min"}},
        "groups": {"phones": {"skills": ["voice"], "agents": "auto"}},
    }
    plan = plan_staffing(Scenario.from_dict(doc), verify=True, replications=10, seed=1)
    traffic = plan.scenario.channels["voice"].traffic(plan.scenario.interval)
    assert (plan.agents["phones"] > traffic).all()
    assert plan.agents["phones"].tolist() == plan.requirement["voice"].tolist() == [11, 31]


def test_a_quiet_simulated_interval_keeps_its_one_agent():
    """0.01 calls an interval: the simulated days see nobody; the plan still answers one."""
    scenario = one_channel([0.01, 0.02, 5], "3min")
    plan = plan_staffing(scenario, verify=True, replications=10, seed=1)
    assert plan.agents["phones"][:2].tolist() == [1, 1]
    assert plan.unmet == []  # an interval nobody called in has nothing to miss


def test_load_ratio_counts_work_after_the_horizon_in_the_last_interval():
    from ccsim.staffing.verify import load_ratio

    scenario = one_channel([1, 1], "3min")
    contacts = {  # answered at once: the second one's call runs 10 min past the end
        "outcome": np.array([0, 0]),
        "answer_time": np.array([600.0, 3000.0]),
        "handle_time": np.array([300.0, 1200.0]),
        "channel": np.array([0, 0]),
        "interval": np.array([0, 1]),
    }
    assert load_ratio(scenario, contacts)["voice"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"replications": 1}, "replications must be a whole number ≥ 2"),
        ({"replications": 2.5}, "replications must be a whole number ≥ 2"),
        ({"max_iterations": 0}, "max_iterations must be a whole number ≥ 1"),
    ],
)
def test_verification_arguments_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plan_staffing(one_channel([100] * 2, "180s"), verify=True, **kwargs)


def test_requirement_textbook_is_erlang_c():
    scenario = one_channel([100] * 4, "180s")
    assert channel_requirement(scenario.channels["voice"], scenario.interval).tolist() == [14] * 4


def test_verified_plan_meets_every_interval_where_erlang_c_misses_after_the_peak():
    scenario = one_channel(PEAK_DAY, "10min")
    plan = plan_staffing(scenario, verify=True, replications=40, seed=11)
    assert plan.unmet == []
    sipp = erlang_c_agents(scenario)
    assert plan.analytic_agents["phones"].tolist() == sipp.tolist()

    # Simulate both plans again on fresh days (another seed, many replications).
    fresh = dict(replications=200, seed=2024)
    verified = simulate(scenario, agents=plan.agents, **fresh).intervals
    classic = simulate(scenario, agents={"phones": sipp}, **fresh).intervals
    open_ = scenario.channels["voice"].volume > 0
    assert np.all(verified["service_level_hi"][open_] >= 0.8)
    # Erlang C misses, significantly, in the interval right after the peak ...
    after_peak = 6
    assert classic["service_level_hi"][after_peak] < 0.8
    # ... and the verified plan added agents there.
    assert plan.agents["phones"][after_peak] > sipp[after_peak]


def test_with_abandonment_the_verified_plan_needs_fewer_agent_hours_than_erlang_c():
    scenario = one_channel([60, 90, 120, 120, 90, 60], "240s", patience="60s")
    plan = plan_staffing(scenario, verify=True, replications=30, seed=5)
    assert plan.unmet == []
    classic_hours = erlang_c_agents(scenario).sum() * scenario.interval / 3600
    assert plan.agent_hours() < classic_hours


def test_steady_channel_verified_plan_equals_erlang_c_within_one_agent():
    scenario = one_channel([100] * 8, "180s")
    plan = plan_staffing(scenario, verify=True, replications=40, seed=9)
    sipp = erlang_c_agents(scenario)
    # The first interval starts empty (no one waiting): it may need one agent less.
    assert np.all(np.abs(plan.agents["phones"] - sipp) <= 1)


def test_verified_plan_is_lean():
    """Removing one agent from an interval makes it, or the next, miss (on the same days) —
    or the plan is within 3% of the agent-hours of a plan for which that holds."""
    scenario = one_channel([30, 60, 90, 60, 30], "5min")
    reps, seed = 30, 17
    plan = plan_staffing(scenario, verify=True, replications=reps, seed=seed)
    assert plan.unmet == []

    def misses(staff):
        result = simulate(scenario, replications=reps, seed=seed, agents={"phones": staff})
        return interval_misses(scenario, result)["voice"]

    # Greedy descent to a plan where no single removal holds: each step takes one agent
    # out of an interval whenever every interval still meets its targets.
    lean = plan.agents["phones"].copy()
    improved = True
    while improved:
        improved = False
        for i in np.flatnonzero(lean > 0):
            fewer = lean.copy()
            fewer[i] -= 1
            if not misses(fewer).any():
                lean, improved = fewer, True
    for i in np.flatnonzero(lean > 0):
        fewer = lean.copy()
        fewer[i] -= 1
        miss = misses(fewer)
        assert miss[i] or (i + 1 < len(miss) and miss[i + 1])
    assert plan.agents["phones"].sum() <= 1.03 * lean.sum()


def test_deferred_channel_clears_its_backlog_within_the_target():
    scenario = Scenario.from_dict(
        {
            "interval": "30min",
            "start": "08:00",
            "channels": {
                "email": {
                    "volume": [60, 60, 0, 0, 0, 0, 0, 0],
                    "aht": "6min",
                    "service_level": 0.9,
                    "within": "2h",
                }
            },
            "groups": {"back": {"skills": ["email"], "agents": "auto"}},
        }
    )
    req = channel_requirement(scenario.channels["email"], scenario.interval)
    # 2 h window = 4 intervals: each interval's 6 agent-hours... spread over 4 intervals.
    work = 60 * 360 / 4 / 1800  # agents per interval for one interval's work
    assert req.tolist() == [
        int(np.ceil(work)),
        int(np.ceil(2 * work)),
        int(np.ceil(2 * work)),
        int(np.ceil(2 * work)),
        int(np.ceil(work)),
        0,
        0,
        0,
    ]
    # The fluid recursion ignores randomness; verification tops it up where needed, and the
    # plan holds on fresh days.
    plan = plan_staffing(scenario, verify=True, replications=20, seed=1)
    assert plan.unmet == []
    assert_holds_on_fresh_days(scenario, plan)


def test_shared_group_sums_its_channels_and_splits_back():
    scenario = Scenario.from_dict(
        {
            "interval": "30min",
            "start": "08:00",
            "channels": {
                "voice": {"volume": 100, "aht": "180s", "service_level": 0.8, "within": "20s"},
                "chat": {
                    "volume": 60,
                    "aht": "300s",
                    "concurrency": 2,
                    "service_level": 0.8,
                    "within": "60s",
                },
            },
            "groups": {"all": {"skills": ["voice", "chat"], "agents": "auto"}},
        }
    )
    plan = plan_staffing(scenario)
    voice, chat = plan.requirement["voice"], plan.requirement["chat"]
    assert voice.tolist() == [14]
    slots = erlang.required_agents(60 * 300 / 1800, 300, target_time=60, sl_target=0.8)
    assert chat.tolist() == [int(np.ceil(slots / 2))]
    assert plan.agents["all"].tolist() == [14 + chat[0]]
    split = plan.channel_agents()
    assert split["voice"] + split["chat"] == plan.agents["all"]


def test_fixed_groups_are_kept(tmp_path):
    scenario = Scenario.from_dict(
        {
            "interval": "30min",
            "start": "08:00",
            "channels": {
                "voice": {"volume": 100, "aht": "180s", "service_level": 0.8, "within": "20s"}
            },
            "groups": {"phones": {"skills": ["voice"], "agents": 12}},
        }
    )
    kept = plan_staffing(scenario, keep_fixed=True)
    assert kept.agents["phones"].tolist() == [12]
    assert kept.requirement["voice"].tolist() == [14]
    # By default every group is planned: the 12 in the file are just the current roster.
    assert plan_staffing(scenario).agents["phones"].tolist() == [14]


def test_cli_staff_writes_the_plan(tmp_path):
    out = tmp_path / "plan"
    result = CliRunner().invoke(
        cli,
        [
            "staff",
            "scenarios/textbook.toml",
            "--verify",
            "--replications",
            "10",
            "--out",
            str(out),
            "--plot",
        ],
    )
    assert result.exit_code == 0, result.output
    header = (out / "intervals.csv").read_text().splitlines()[0].split(",")
    assert header == [
        "channel",
        "interval",
        "start",
        "offered",
        "answered",
        "abandoned",
        "unanswered",
        "answered_within",
        "service_level",
        "service_level_lo",
        "service_level_hi",
        "service_level_p10",
        "service_level_p90",
        "asa",
        "abandon_rate",
        "occupancy",
        "traffic",
        "agents_erlang",
        "agents",
        "fte",
    ]
    groups = (out / "groups.csv").read_text().splitlines()
    assert groups[0] == "group,interval,start,agents,fte,scheduled,over_under"  # appended
    summary = json.loads((out / "summary.json").read_text())
    assert summary["verified"] is True
    assert summary["agent_hours"]["final"] > 0
    assert (out / "staffing.png").stat().st_size > 10_000


def test_cli_staff_analytic_json_and_bad_file(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(cli, ["staff", "scenarios/textbook.toml", "--json"])
    assert ok.exit_code == 0, ok.output
    summary = json.loads(ok.output)
    assert summary["verified"] is False
    bad = tmp_path / "bad.toml"
    bad.write_text('interval = "30min"\n[channels.voice]\nvolume = -1\n')
    failed = runner.invoke(cli, ["staff", str(bad)])
    assert failed.exit_code == 2
    assert "bad.toml" in failed.output and "channels.voice" in failed.output


@pytest.mark.parametrize("name", ["textbook", "omnichannel_day", "multiskill_bank"])
def test_plan_tables_agree_with_each_other(name, tmp_path):
    """groups.csv, intervals.csv and summary.json tell the same plan."""
    from ccsim.scenario import load_scenario

    scenario = load_scenario(f"scenarios/{name}.toml")
    plan = plan_staffing(scenario)
    plan.write(tmp_path)
    hours = scenario.interval / 3600
    groups = plan.groups_table()
    summary = json.loads((tmp_path / "summary.json").read_text())
    for group, staff in plan.agents.items():
        rows = groups["group"] == group
        assert groups["agents"][rows].tolist() == staff.tolist()
        assert summary["groups"][group]["agent_hours"] == pytest.approx(staff.sum() * hours)
    table = plan.intervals_table()
    recommended = plan.channel_agents()
    for channel in scenario.channels:
        rows = table["channel"] == channel
        assert table["agents"][rows].tolist() == recommended[channel].tolist()
        assert table["agents_erlang"][rows].tolist() == plan.requirement[channel].tolist()
    # every planned agent is some channel's: channel agents add up to the planned groups'
    planned = sum(plan.agents[g].sum() for g in plan.planned)
    assert sum(recommended[c].sum() for c in scenario.channels) == planned
    assert summary["agent_hours"]["final"] == pytest.approx(planned * hours)


def test_omnichannel_day_verified_plan_meets_every_interval():
    """The bundled four-channel day: voice, chat ×3, email 4 h, social 1 h, a shared group."""
    from ccsim.scenario import load_scenario

    scenario = load_scenario("scenarios/omnichannel_day.toml")
    plan = plan_staffing(scenario, verify=True, replications=20, seed=7, jobs=2)
    assert plan.unmet == []
    assert_holds_on_fresh_days(scenario, plan, replications=100)
    # Erlang A (callers abandon) asks less of voice than the classic Erlang C plan would.
    voice = scenario.channels["voice"]
    classic = erlang.required_agents(
        voice.traffic(scenario.interval), voice.aht, target_time=20, sl_target=0.8
    )
    assert plan.requirement["voice"].sum() < classic.sum()


def assert_holds_on_fresh_days(scenario, plan, replications: int = 200, seed: int = 97531):
    """Simulated again on other days, no open interval misses a target significantly: the
    service level's upper 95% limit reaches the target, the ceilings' lower limits stay under."""
    result = simulate(scenario, agents=plan.agents, replications=replications, seed=seed, jobs=2)
    table, limits = result.intervals, result.limits
    for name, channel in scenario.channels.items():
        rows = table["channel"] == name
        open_ = channel.volume > 0
        if channel.sl_target is not None:
            assert np.all(table["service_level_hi"][rows][open_] >= channel.sl_target), name
        for kpi, ceiling in (
            ("asa", channel.asa_max),
            ("abandon_rate", channel.max_abandon),
            ("occupancy", channel.max_occupancy),
        ):
            if ceiling is not None:
                assert np.all(limits[f"{kpi}_lo"][rows][open_] <= ceiling), (name, kpi)


def test_ceilings_are_verified_with_confidence():
    """ASA-only and abandonment-only channels: the verified plan holds on fresh days."""
    scenario = Scenario.from_dict(
        {
            "interval": "30min",
            "start": "08:00",
            "seed": 5,
            "channels": {
                "voice": {"volume": [60, 120, 160, 120, 60], "aht": "4min", "asa": "15s"},
                "callback": {
                    "volume": [40, 80, 80, 40, 20],
                    "aht": "3min",
                    "patience": "60s",
                    "max_abandon": "5%",
                },
            },
            "groups": {
                "phones": {"skills": ["voice"], "agents": "auto"},
                "back": {"skills": ["callback"], "agents": "auto"},
            },
        }
    )
    plan = plan_staffing(scenario, verify=True, replications=30, seed=5)
    assert plan.unmet == []
    assert_holds_on_fresh_days(scenario, plan)


def test_a_full_occupancy_ceiling_never_plans_an_empty_floor():
    """max_occupancy 100% alone: the queue must still be stable, and nobody answering is a miss."""
    scenario = Scenario.from_dict(
        {
            "interval": "30min",
            "start": "08:00",
            "channels": {"voice": {"volume": 100, "aht": "3min", "max_occupancy": "100%"}},
            "groups": {"phones": {"skills": ["voice"], "agents": "auto"}},
        }
    )
    plan = plan_staffing(scenario, verify=True, replications=10, seed=1)
    assert plan.requirement["voice"].tolist() == [11]  # 10 Erlangs: stable from 11 agents
    assert plan.agents["phones"].min() >= 1
    empty = simulate(scenario, agents={"phones": 0}, replications=4, seed=1)
    assert interval_misses(scenario, empty)["voice"].all()


def test_keep_fixed_counts_the_fixed_dedicated_roster():
    scenario = Scenario.from_dict(
        {
            "interval": "30min",
            "start": "08:00",
            "channels": {
                "voice": {"volume": 200, "aht": "3min", "service_level": 0.8, "within": "20s"}
            },
            "groups": {
                "phones": {"skills": ["voice"], "agents": 10},
                "blend": {"skills": ["voice"], "agents": "auto"},
            },
        }
    )
    need = plan_staffing(scenario).requirement["voice"][0]
    kept = plan_staffing(scenario, keep_fixed=True)
    assert kept.agents["phones"].tolist() == [10]
    assert kept.agents["blend"].tolist() == [need - 10]  # the 10 fixed agents count
    assert kept.channel_agents()["voice"].tolist() == [need]
    only_fixed = scenario.with_overrides(
        {"groups.blend.skills": ["voice"], "groups.blend.agents": 0}
    )
    short = plan_staffing(only_fixed, keep_fixed=True)
    table = short.intervals_table()
    assert table["agents"].tolist() == [10]  # the roster as written, not the need
    assert table["service_level"][0] < 0.8  # and its predicted shortfall shows


def test_deferred_work_is_not_planned_into_closed_hours():
    scenario = Scenario.from_dict(
        {
            "interval": "1h",
            "start": "17:00",
            "channels": {
                "voice": {
                    "volume": [50, 50, 50, 0, 0, 0],
                    "aht": "3min",
                    "service_level": 0.8,
                    "within": "20s",
                },
                "email": {
                    "volume": [20, 20, 20, 0, 0, 0],
                    "aht": "6min",
                    "service_level": 0.9,
                    "within": "4h",
                },
            },
            "groups": {
                "phones": {"skills": ["voice"], "agents": "auto"},
                "back": {"skills": ["email"], "agents": "auto"},
            },
        }
    )
    need = plan_staffing(scenario).requirement["email"]
    assert need[3:].tolist() == [0, 0, 0]  # closed from 20:00
    # all of the day's email work (3 × 2 agent-hours) is planned before closing
    assert need[:3].sum() >= 6


def test_analytic_plan_table_has_the_contract_columns_with_erlang_predictions():
    from ccsim.sim.metrics import INTERVAL_COLUMNS

    scenario = one_channel([100] * 3, "180s")
    table = plan_staffing(scenario).intervals_table()
    staff_columns = ["traffic", "agents_erlang", "agents", "fte"]
    assert table.columns == [*INTERVAL_COLUMNS, *staff_columns]
    assert table["agents"].tolist() == [14, 14, 14]
    np.testing.assert_allclose(table["service_level"], erlang.service_level(10.0, 14, 180, 20))
    np.testing.assert_allclose(table["asa"], erlang.asa(10.0, 14, 180))
    assert np.isnan(table["service_level_lo"]).all()  # a prediction: nothing was sampled
    with_patience = one_channel([100] * 3, "180s", patience="120s")
    table = plan_staffing(with_patience).intervals_table()
    exact = erlang.erlang_a(100 / 1800, 180, 120, table["agents"][0], 20)
    assert table["abandon_rate"][0] == pytest.approx(exact.p_abandon)
    assert table["answered"][0] + table["abandoned"][0] == pytest.approx(100)


def test_verified_plan_does_not_depend_on_worker_processes():
    scenario = one_channel([40, 80, 120, 80, 40], "6min", patience="90s")
    one = plan_staffing(scenario, verify=True, replications=12, seed=4, jobs=1)
    two = plan_staffing(scenario, verify=True, replications=12, seed=4, jobs=2)
    assert one.agents["phones"].tolist() == two.agents["phones"].tolist()
    assert one.intervals_table().to_csv() == two.intervals_table().to_csv()


def test_summary_json_matches_the_simulation_summary_keys(tmp_path):
    scenario = one_channel([100] * 4, "180s")
    plan = plan_staffing(scenario, verify=True, replications=8, seed=2)
    plan.write(tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    simulated = simulate(scenario, agents=plan.agents, replications=8, seed=2).summary()
    for key in ("ccsim_version", "scenario", "name", "seed", "replications"):
        assert summary[key] == simulated[key]
    voice = summary["channels"]["voice"]
    assert voice["offered"] == pytest.approx(
        voice["answered"] + voice["abandoned"] + voice["unanswered"]
    )
    assert voice["service_level"] == simulated["channels"]["voice"]["service_level"]
    assert summary["agent_hours"]["final"] == pytest.approx(plan.agent_hours())
