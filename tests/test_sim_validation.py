"""The simulation against the analytic engine where both are exact, and its invariants.

Tolerances are the simulation's own 95% confidence intervals (Student t across
replications), widened by a Bonferroni factor for the ``N_COMPARISONS``
KPI-against-formula checks in this file: the family of checks holds at 95%
together, not each one alone. Run lengths are chosen so the service-level CI
is about ±0.01; a one-hour warm-up removes the empty-start bias.
"""

from __future__ import annotations

import glob
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.special import stdtrit

import ccsim
from ccsim import erlang
from ccsim.scenario import Scenario, load_scenario

SCENARIOS = sorted(glob.glob(str(Path(__file__).resolve().parent.parent / "scenarios" / "*.toml")))

REPLICATIONS = 20
N_COMPARISONS = 16  # every `assert_within_ci` call below
WIDEN = stdtrit(REPLICATIONS - 1, 1 - 0.05 / (2 * N_COMPARISONS)) / stdtrit(REPLICATIONS - 1, 0.975)
HALF_HOUR = 1800.0
WARMUP = 3600.0


def steady(
    channels: dict,
    groups: dict,
    n_intervals: int = 48,
    seed: int = 1,
    **extra,
) -> Scenario:
    """A scenario with constant volume and staffing over ``n_intervals`` half-hours."""
    for channel in channels.values():
        if np.ndim(channel["volume"]) == 0:
            channel["volume"] = [channel["volume"]] * n_intervals
    for group in groups.values():
        if np.ndim(group["agents"]) == 0:
            group["agents"] = [group["agents"]] * n_intervals
    doc = {
        "name": "steady",
        "interval": "30min",
        "start": "00:00",
        "seed": seed,
        "channels": channels,
        "groups": groups,
        **extra,
    }
    return Scenario.from_dict(doc)


def assert_within_ci(row, name: str, exact: float) -> None:
    mean, lo, hi = row[name], row[f"{name}_lo"], row[f"{name}_hi"]
    half = (hi - lo) / 2
    assert math.isfinite(half) and half > 0
    assert abs(mean - exact) <= WIDEN * half, (
        f"{name}: simulated {mean:.4f} ± {half:.4f} (×{WIDEN:.2f}), exact {exact:.4f}"
    )


def totals(result, channel: str) -> dict:
    rows = [r for r in result.channels.rows() if r["channel"] == channel]
    assert len(rows) == 1
    return rows[0]


def test_mmn_matches_erlang_c():
    # 100 calls per 30 min, AHT 180 s: 10 Erlangs on 13 agents (load 0.77), two days
    scenario = steady(
        {"voice": {"volume": 100, "aht": "180s", "service_level": 0.8, "within": "20s"}},
        {"phones": {"skills": ["voice"], "agents": 13}},
        n_intervals=96,
    )
    result = ccsim.simulate(scenario, REPLICATIONS, seed=11, warmup=WARMUP)
    row = totals(result, "voice")
    traffic = 100 * 180 / HALF_HOUR
    assert row["service_level_hi"] - row["service_level_lo"] < 0.025
    assert_within_ci(row, "service_level", erlang.service_level(traffic, 13, 180.0, 20.0))
    assert_within_ci(row, "asa", erlang.asa(traffic, 13, 180.0))
    assert_within_ci(row, "occupancy", traffic / 13)
    assert row["abandoned"] == 0
    # without abandonment the three service-level definitions coincide (up to the unanswered)
    assert row["service_level_excl_short_abandons"] == pytest.approx(row["service_level"])
    assert row["service_level_answered"] == pytest.approx(row["service_level"], abs=1e-3)


def test_mmn_plus_m_matches_erlang_a():
    # 10 Erlangs on 11 agents, exponential patience of mean 120 s: real abandonment
    scenario = steady(
        {
            "voice": {
                "volume": 100,
                "aht": "180s",
                "patience": "120s",
                "service_level": 0.8,
                "within": "20s",
            }
        },
        {"phones": {"skills": ["voice"], "agents": 11}},
    )
    result = ccsim.simulate(scenario, REPLICATIONS, seed=12, warmup=WARMUP)
    row = totals(result, "voice")
    exact = erlang.erlang_a(100 / HALF_HOUR, 180.0, 120.0, 11, 20.0)
    assert row["service_level_hi"] - row["service_level_lo"] < 0.025
    assert_within_ci(row, "service_level", exact.service_level)
    assert_within_ci(row, "asa", exact.asa)
    assert_within_ci(row, "abandon_rate", exact.p_abandon)
    assert_within_ci(row, "occupancy", exact.occupancy)


def test_two_single_skill_groups_are_two_independent_erlang_c_queues():
    scenario = steady(
        {
            "voice_en": {"volume": 100, "aht": "180s", "service_level": 0.8, "within": "20s"},
            "voice_fr": {"volume": 40, "aht": "225s", "service_level": 0.8, "within": "20s"},
        },
        {
            "english": {"skills": ["voice_en"], "agents": 13},
            "french": {"skills": ["voice_fr"], "agents": 7},
        },
    )
    result = ccsim.simulate(scenario, REPLICATIONS, seed=13, warmup=WARMUP, contacts=True)
    for channel, volume, aht, agents in (("voice_en", 100, 180.0, 13), ("voice_fr", 40, 225.0, 7)):
        row = totals(result, channel)
        traffic = volume * aht / HALF_HOUR
        assert_within_ci(row, "service_level", erlang.service_level(traffic, agents, aht, 20.0))
        assert_within_ci(row, "asa", erlang.asa(traffic, agents, aht))
    served = result.contacts
    channel, group = served["channel"], served["group"]
    answered = served["outcome"] == 0
    assert np.all(group[answered] == channel[answered])  # no agent crosses its skill


def test_chat_slots_without_slowdown_are_servers():
    # 4 agents × 3 chats, no slowdown: every free slot serves a waiting chat, so M/M/12
    # (160 chats per 30 min × 90 s = 8 Erlangs)
    scenario = steady(
        {
            "chat": {
                "volume": 160,
                "aht": "90s",
                "concurrency": 3,
                "service_level": 0.8,
                "within": "20s",
            }
        },
        {"digital": {"skills": ["chat"], "agents": 4}},
    )
    result = ccsim.simulate(scenario, REPLICATIONS, seed=14, warmup=WARMUP)
    row = totals(result, "chat")
    traffic = 160 * 90 / HALF_HOUR
    assert_within_ci(row, "service_level", erlang.service_level(traffic, 12, 90.0, 20.0))
    assert_within_ci(row, "asa", erlang.asa(traffic, 12, 90.0))
    # busy time counts handle ÷ concurrency: occupancy is traffic ÷ (agents × concurrency)
    assert_within_ci(row, "occupancy", traffic / 12)


def test_chat_with_concurrency_one_is_voice():
    def one(name: str, concurrency: int) -> ccsim.SimulationResult:
        channel = {
            "volume": 100,
            "aht": "180s",
            "patience": "2min",
            "within": "20s",
            "service_level": 0.8,
        }
        if concurrency:
            channel["concurrency"] = concurrency
        scenario = steady(
            {name: channel}, {"agents": {"skills": [name], "agents": 11}}, n_intervals=8
        )
        return ccsim.simulate(scenario, 3, seed=5)

    voice, chat = one("voice", 0), one("chat", 1)
    for column in voice.intervals.columns:
        if column != "channel":
            np.testing.assert_array_equal(voice.intervals[column], chat.intervals[column])


def conserved(result) -> None:
    table = result.intervals
    np.testing.assert_allclose(
        table["offered"], table["answered"] + table["abandoned"] + table["unanswered"]
    )
    contacts = result.contacts
    outcome = contacts["outcome"]
    assert np.all(np.isfinite(contacts["answer_time"]) == (outcome == 0))
    assert np.all(np.isfinite(contacts["abandon_time"]) == (outcome == 1))
    assert np.all((contacts["group"] >= 0) == (outcome == 0))
    assert np.all(contacts["wait"] >= 0)
    for r in range(result.replications):
        mine = contacts["replication"] == r
        assert np.all(np.diff(contacts["arrival"][mine]) >= 0)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: Path(p).stem)
def test_conservation_on_bundled_scenarios(path):
    scenario = load_scenario(path)
    plan = {name: 25 for name, group in scenario.groups.items() if group.auto}
    conserved(ccsim.simulate(scenario, 2, agents=plan, contacts=True))


def test_conservation_with_chat_email_and_staffing_drops():
    scenario = steady(
        {
            "voice": {
                "volume": [60, 120, 40, 0],
                "aht": "240s",
                "patience": "90s",
                "within": "20s",
                "service_level": 0.8,
            },
            "chat": {
                "volume": [30, 60, 30, 0],
                "aht": "6min",
                "patience": "4min",
                "concurrency": 3,
                "concurrency_slowdown": 0.2,
                "within": "1min",
                "service_level": 0.8,
            },
            "email": {
                "volume": [40, 40, 40, 0],
                "aht": "8min",
                "within": "4h",
                "service_level": 0.9,
                "clock": "wall",  # left waiting at the end: unanswered, not carried over
            },
        },
        {
            "phones": {"skills": ["voice"], "agents": [8, 14, 3, 0]},
            "digital": {"skills": ["chat", "email"], "agents": [6, 2, 0, 4]},
            "blended": {"skills": ["voice", "chat", "email"], "agents": [2, 4, 1, 0]},
        },
        n_intervals=4,
        routing={"dequeue": "longest_waiting"},
        volume_uncertainty=0.2,
    )
    result = ccsim.simulate(scenario, 4, seed=3, contacts=True)
    conserved(result)
    assert result.intervals["unanswered"].sum() > 0  # email left at the end, and voice


def test_same_seed_same_bytes_different_seed_differs(tmp_path):
    assert SCENARIOS, "the bundled scenarios are part of the repository"
    scenario = load_scenario(SCENARIOS[0])
    plan = {name: 25 for name, group in scenario.groups.items() if group.auto}
    ccsim.simulate(scenario, 3, seed=9, agents=plan).write(tmp_path / "a")
    ccsim.simulate(scenario, 3, seed=9, agents=plan).write(tmp_path / "b")
    ccsim.simulate(scenario, 3, seed=10, agents=plan).write(tmp_path / "c")
    a = (tmp_path / "a" / "intervals.csv").read_bytes()
    assert a == (tmp_path / "b" / "intervals.csv").read_bytes()
    assert a != (tmp_path / "c" / "intervals.csv").read_bytes()


def test_replication_does_not_depend_on_how_many_ran():
    scenario = steady(
        {
            "voice": {
                "volume": 100,
                "aht": "180s",
                "patience": "2min",
                "within": "20s",
                "service_level": 0.8,
            }
        },
        {"phones": {"skills": ["voice"], "agents": 11}},
        n_intervals=4,
    )
    three = ccsim.simulate(scenario, 3, seed=4, contacts=True).contacts
    five = ccsim.simulate(scenario, 5, seed=4, contacts=True).contacts
    mine = five["replication"] < 3
    for column in three.columns:
        np.testing.assert_array_equal(three[column], five[column][mine])


def test_worker_processes_give_the_same_bytes(tmp_path):
    """Replications played in 2 worker processes: the same records and KPIs as in one."""
    scenario = ccsim.load_scenario("scenarios/omnichannel_day.toml")
    one = ccsim.simulate(scenario, 6, seed=5, jobs=1, contacts=True)
    two = ccsim.simulate(scenario, 6, seed=5, jobs=2, contacts=True)
    assert one.intervals.to_csv() == two.intervals.to_csv()
    for name in one.contacts.columns:
        np.testing.assert_array_equal(one.contacts[name], two.contacts[name])


def test_scenarios_pickle_for_worker_processes():
    import pickle

    scenario = ccsim.load_scenario("scenarios/multiskill_bank.toml")
    copy = pickle.loads(pickle.dumps(scenario))
    assert list(copy.channels) == list(scenario.channels)
    assert copy.groups["bilingual"].skills == scenario.groups["bilingual"].skills
    np.testing.assert_array_equal(
        copy.channels["voice_en"].volume, scenario.channels["voice_en"].volume
    )
    with pytest.raises(TypeError):
        copy.channels["x"] = None  # still a read-only view
