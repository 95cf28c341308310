"""Loading scenarios: from TOML, CSV and dicts; labels, overrides, summaries, bundled files."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ccsim.cli import cli
from ccsim.distributions import Deterministic, Empirical, Exponential, Gamma, LogNormal
from ccsim.scenario import Scenario, ScenarioError, load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
BUNDLED = ["textbook", "omnichannel_day", "multiskill_bank", "forecast_week", "bank_sunday"]


def small_doc(**top):
    doc = {
        "interval": "30min",
        "start": "08:00",
        "channels": {
            "voice": {
                "volume": [100, 120, 90],
                "aht": "3min",
                "service_level": "80%",
                "within": "20s",
                "patience": ["2min", 150, "3min"],
            },
            "chat": {
                "volume": 30,
                "aht": 480,
                "concurrency": 3,
                "concurrency_slowdown": 0.1,
                "handle_time": {"dist": "gamma", "cv": 0.6},
            },
        },
        "groups": {
            "phones": {"skills": ["voice"], "agents": [14, 16, 12]},
            "digital": {"skills": ["chat", "voice"], "agents": "auto"},
        },
    }
    doc.update(top)
    return doc


def test_from_dict_builds_arrays_in_seconds():
    scenario = Scenario.from_dict(small_doc())
    assert scenario.n_intervals == 3
    assert scenario.interval == 1800.0
    assert scenario.starts == ("08:00", "08:30", "09:00")
    voice, chat = scenario.channels["voice"], scenario.channels["chat"]
    np.testing.assert_array_equal(voice.volume, [100, 120, 90])
    np.testing.assert_array_equal(voice.aht, [180, 180, 180])
    np.testing.assert_array_equal(voice.patience, [120, 150, 180])
    assert voice.sl_target == 0.8 and voice.target_time == 20.0
    assert isinstance(voice.handle_time, Exponential)
    np.testing.assert_array_equal(chat.volume, [30, 30, 30])
    assert chat.patience is None and not chat.abandons
    assert chat.concurrency == 3 and chat.concurrency_slowdown == 0.1
    assert isinstance(chat.handle_time, Gamma) and chat.handle_time.cv == 0.6
    assert scenario.groups["phones"].agents.dtype == np.int64
    assert scenario.groups["digital"].agents is None and scenario.groups["digital"].auto
    assert scenario.groups_for("voice") == ["phones", "digital"]
    assert scenario.name == "scenario" and scenario.source is None
    assert scenario.seed == 0 and scenario.shrinkage == 0 and scenario.dequeue == "priority"


def test_spec_round_trips_through_json_and_from_dict():
    scenario = Scenario.from_dict(small_doc(seed=3, shrinkage="30%"))
    again = Scenario.from_dict(json.loads(json.dumps(scenario.spec)))
    assert again.spec == scenario.spec
    assert again.shrinkage == pytest.approx(0.3) and again.seed == 3
    for name, channel in scenario.channels.items():
        np.testing.assert_array_equal(again.channels[name].volume, channel.volume)
        np.testing.assert_array_equal(again.channels[name].aht, channel.aht)


def test_from_dict_does_not_keep_a_reference_to_the_input():
    doc = small_doc()
    scenario = Scenario.from_dict(doc)
    doc["channels"]["voice"]["aht"] = 999
    assert scenario.spec["channels"]["voice"]["aht"] == "3min"


def test_numpy_arrays_and_numbers_are_lists_and_numbers():
    doc = small_doc(seed=np.int64(3), shrinkage=np.float64(0.25))
    voice = doc["channels"]["voice"]
    voice["volume"] = np.array([100, 120, 90])
    voice["patience"] = np.array([120.0, 150.0, 180.0])
    voice["within"] = np.int64(20)
    doc["channels"]["chat"]["concurrency"] = np.int32(3)
    doc["groups"]["phones"]["agents"] = np.array([14, 16, 12])
    doc["groups"]["digital"]["skills"] = np.array(["chat", "voice"])
    scenario = Scenario.from_dict(doc)
    expected = Scenario.from_dict(small_doc(seed=3, shrinkage=0.25))
    assert scenario.spec == json.loads(json.dumps(scenario.spec))  # plain Python, JSON-ready
    assert scenario.seed == 3 and scenario.shrinkage == 0.25
    assert scenario.channels["chat"].concurrency == 3
    assert scenario.groups["digital"].skills == ("chat", "voice")
    for name, channel in expected.channels.items():
        np.testing.assert_array_equal(scenario.channels[name].volume, channel.volume)
        np.testing.assert_array_equal(scenario.channels[name].patience, channel.patience)
    np.testing.assert_array_equal(scenario.groups["phones"].agents, [14, 16, 12])

    changed = scenario.with_overrides(
        {"groups.phones.agents": np.array([10, 11, 12]), "channels.voice.aht": np.float64(200)}
    )
    np.testing.assert_array_equal(changed.groups["phones"].agents, [10, 11, 12])
    np.testing.assert_array_equal(changed.channels["voice"].aht, [200, 200, 200])
    assert changed.spec["groups"]["phones"]["agents"] == [10, 11, 12]
    # still checked like lists: a wrong element is named
    with pytest.raises(ScenarioError, match=r"groups\.phones\.agents\[1\]: .*whole number"):
        scenario.with_overrides({"groups.phones.agents": np.array([10, 11.5, 12])})


def test_overrides_apply_to_a_copy_and_revalidate():
    scenario = Scenario.from_dict(small_doc(), source="s.toml", base_dir=".")
    changed = scenario.with_overrides(
        {
            "channels.voice.aht": 200,
            "groups.phones.agents": 15,
            "channels.voice.volume.1": 130,
            "channels.voice.patience": None,
            "routing.dequeue": "longest_waiting",
            "shrinkage": 0.35,
        }
    )
    np.testing.assert_array_equal(changed.channels["voice"].aht, [200, 200, 200])
    np.testing.assert_array_equal(changed.groups["phones"].agents, [15, 15, 15])
    np.testing.assert_array_equal(changed.channels["voice"].volume, [100, 130, 90])
    assert changed.channels["voice"].patience is None
    assert changed.dequeue == "longest_waiting" and changed.shrinkage == 0.35
    assert changed.source == scenario.source and changed.base_dir == scenario.base_dir
    # the original is untouched
    np.testing.assert_array_equal(scenario.channels["voice"].aht, [180, 180, 180])
    assert scenario.spec["channels"]["voice"]["aht"] == "3min"


def test_overrides_keep_csv_paths_relative_to_the_file():
    scenario = load_scenario(SCENARIOS / "forecast_week.toml")
    changed = scenario.with_overrides({"channels.voice.aht": "4min"})
    assert changed.n_intervals == 672
    np.testing.assert_array_equal(
        changed.channels["voice"].volume, scenario.channels["voice"].volume
    )


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("channels.voice.volume", 100, lambda s: s.channels["voice"].volume),
        ("groups.phones.agents", 20, lambda s: s.groups["phones"].agents),
        ("channels.voice.aht", "200s", lambda s: s.channels["voice"].aht),
    ],
)
def test_a_scalar_override_keeps_the_number_of_intervals(key, value, field):
    textbook = load_scenario(SCENARIOS / "textbook.toml")  # volume: the only list, 16 values
    changed = textbook.with_overrides({key: value})
    assert changed.n_intervals == 16 and changed.starts == textbook.starts
    expected = 200 if value == "200s" else value
    np.testing.assert_array_equal(field(changed), [expected] * 16)
    # the echoed document says the same thing on its own
    assert Scenario.from_dict(changed.spec).n_intervals == 16


def test_scalar_overrides_of_every_list_keep_the_number_of_intervals():
    textbook = load_scenario(SCENARIOS / "textbook.toml")
    changed = textbook.with_overrides(
        {"channels.voice.volume": np.int64(90), "channels.voice.aht": 200.0}
    )
    assert changed.n_intervals == 16
    np.testing.assert_array_equal(changed.channels["voice"].volume, [90] * 16)
    assert changed.spec["channels"]["voice"]["volume"] == [90] * 16
    # a list elsewhere still gives the length: the scalar stays as written
    assert (
        textbook.with_overrides({"channels.voice.aht": 200}).spec["channels"]["voice"]["aht"] == 200
    )


def test_patience_mean_override_keeps_the_number_of_intervals():
    doc = small_doc()
    doc["channels"]["voice"].update(
        volume=100, patience={"dist": "lognormal", "mean": [60, 70, 80], "cv": 1.1}
    )
    doc["groups"]["phones"]["agents"] = 14
    scenario = Scenario.from_dict(doc)
    assert scenario.n_intervals == 3
    changed = scenario.with_overrides({"channels.voice.patience.mean": "2min"})
    assert changed.n_intervals == 3
    np.testing.assert_array_equal(changed.channels["voice"].patience, [120] * 3)
    assert isinstance(changed.channels["voice"].patience_dist, LogNormal)
    changed = scenario.with_overrides({"channels.voice.patience": 90})
    np.testing.assert_array_equal(changed.channels["voice"].patience, [90] * 3)


def test_auto_override_stays_auto():
    textbook = load_scenario(SCENARIOS / "textbook.toml")
    changed = textbook.with_overrides({"groups.phones.agents": "auto"})
    assert changed.groups["phones"].auto and changed.n_intervals == 16
    assert changed.spec["groups"]["phones"]["agents"] == "auto"


def test_override_with_a_list_of_the_wrong_length_is_named():
    textbook = load_scenario(SCENARIOS / "textbook.toml")
    with pytest.raises(ScenarioError) as info:
        textbook.with_overrides({"groups.phones.agents": [14, 15, 16]})
    assert [str(p) for p in info.value.problems] == [
        "textbook.toml: groups.phones.agents: expected 16 values (one per interval, "
        "like channels.voice.volume), got 3"
    ]
    scenario = Scenario.from_dict(small_doc())
    with pytest.raises(ScenarioError) as info:
        scenario.with_overrides({"channels.voice.volume": [100, 120]})
    assert [str(p) for p in info.value.problems] == [
        "<scenario>: channels.voice.volume: expected 3 values (one per interval, "
        "like channels.voice.patience, groups.phones.agents), got 2"
    ]


def test_invalid_scalar_override_is_named_once():
    textbook = load_scenario(SCENARIOS / "textbook.toml")
    with pytest.raises(ScenarioError) as info:
        textbook.with_overrides({"channels.voice.volume": "lots"})
    assert [str(p) for p in info.value.problems] == [
        "textbook.toml: channels.voice.volume: expected a number ≥ 0 (contacts offered), got 'lots'"
    ]


def test_labels_with_a_date_roll_over_midnight():
    scenario = Scenario.from_dict(
        small_doc(start="2026-11-23 23:00", interval="60min"), source="x.toml"
    )
    assert scenario.starts == ("2026-11-23 23:00", "2026-11-24 00:00", "2026-11-24 01:00")


def test_labels_without_a_date_wrap_at_24h():
    scenario = Scenario.from_dict(small_doc(start="23:30"))
    assert scenario.starts == ("23:30", "00:00", "00:30")


def test_toml_datetime_start_is_accepted(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        'interval = "15min"\nstart = 2026-11-23T08:00:00\n'
        "[channels.voice]\nvolume = [1, 2]\naht = 60\n"
        '[groups.g]\nskills = ["voice"]\nagents = 1\n'
    )
    scenario = load_scenario(path)
    assert scenario.starts == ("2026-11-23 08:00", "2026-11-23 08:15")
    assert scenario.spec["start"] == "2026-11-23 08:00"  # JSON-ready
    assert scenario.name == "s"  # default: the file stem


def test_csv_fields_and_labels_from_the_start_column(tmp_path):
    (tmp_path / "f.csv").write_text(
        "start,voice,aht,agents\nMon 08:00,10,3min,2\nMon 08:30,12,200,3\nMon 09:00,0,180,0\n"
    )
    (tmp_path / "samples.csv").write_text("seconds\n100\n200\n\n300\n")
    path = tmp_path / "s.toml"
    path.write_text(
        'interval = "30min"\n'  # (a start of its own must agree with the CSV's labels)
        '[channels.voice]\nvolume = { csv = "f.csv", column = "voice" }\n'
        'aht = { csv = "f.csv", column = "aht" }\n'
        'handle_time = { dist = "empirical", csv = "samples.csv", column = "seconds" }\n'
        'patience = { dist = "lognormal", mean = [60, 70, 80], cv = 1.1 }\n'
        '[groups.g]\nskills = ["voice"]\nagents = { csv = "f.csv", column = "agents" }\n'
    )
    scenario = load_scenario(path)
    assert scenario.starts == ("Mon 08:00", "Mon 08:30", "Mon 09:00")
    voice = scenario.channels["voice"]
    np.testing.assert_array_equal(voice.volume, [10, 12, 0])
    np.testing.assert_array_equal(voice.aht, [180, 200, 180])
    assert isinstance(voice.handle_time, Empirical) and voice.handle_time.values == (100, 200, 300)
    assert isinstance(voice.patience_dist, LogNormal)
    np.testing.assert_array_equal(voice.patience, [60, 70, 80])
    np.testing.assert_array_equal(scenario.groups["g"].agents, [2, 3, 0])
    assert scenario.base_dir == tmp_path


def test_handle_time_shapes():
    doc = small_doc()
    doc["channels"]["voice"]["handle_time"] = "deterministic"
    doc["channels"]["chat"]["handle_time"] = {"dist": "lognormal", "cv": 0.9}
    scenario = Scenario.from_dict(doc)
    assert isinstance(scenario.channels["voice"].handle_time, Deterministic)
    assert scenario.channels["chat"].handle_time == LogNormal(0.9)


def test_single_interval_when_nothing_is_a_list():
    doc = small_doc()
    doc["channels"]["voice"].update(volume=10, patience="2min")
    doc["groups"]["phones"]["agents"] = 3
    assert Scenario.from_dict(doc).n_intervals == 1


def test_warnings_for_legal_but_odd_things():
    doc = small_doc()
    doc["groups"]["phones"]["agents"] = 0
    doc["channels"]["voice"]["route_to"] = ["phones"]
    doc["groups"]["digital"]["agents"] = [0, 0, 0]
    scenario = Scenario.from_dict(doc)
    assert "<scenario>: groups.phones.agents: 0 agents in every interval" in scenario.warnings
    assert any(
        w.startswith("<scenario>: channels.voice.volume: contacts arrive")
        for w in scenario.warnings
    )
    assert any(  # small_doc's chat has volume but no target
        w.startswith("<scenario>: channels.chat: no target (service_level with within")
        for w in scenario.warnings
    )


def test_summary_is_json_ready():
    summary = Scenario.from_dict(small_doc()).summary()
    json.dumps(summary)
    voice = summary["channels"][0]
    assert voice["total_volume"] == 310
    assert voice["peak_start"] == "08:30" and voice["peak_traffic"] == pytest.approx(12.0)
    assert summary["groups"][1]["agents"] == "auto"
    assert summary["groups"][0]["agents"] == {"min": 12, "max": 16}


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenarios_load(name):
    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    assert scenario.n_intervals >= 1 and scenario.channels and scenario.groups
    assert not scenario.warnings
    for group in scenario.groups.values():
        assert group.agents is not None  # explicit: `ccsim simulate` runs without a plan


@pytest.mark.parametrize("name", BUNDLED)
def test_validate_command_prints_the_summary(name):
    path = str(SCENARIOS / f"{name}.toml")
    result = CliRunner().invoke(cli, ["validate", path])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ok: {path}\n")
    assert "intervals: " in result.output and "channels:" in result.output
    assert "groups:" in result.output and "peak traffic" in result.output
    result = CliRunner().invoke(cli, ["validate", "--json", path])
    assert result.exit_code == 0
    assert json.loads(result.output)["ok"] is True


def test_bundled_key_figures():
    textbook = load_scenario(SCENARIOS / "textbook.toml")
    assert textbook.n_intervals == 16
    assert textbook.channels["voice"].traffic(textbook.interval)[0] == pytest.approx(10.0)
    day = load_scenario(SCENARIOS / "omnichannel_day.toml")
    assert day.n_intervals == 24 and day.starts[0] == "2026-11-23 08:00"
    assert day.starts[-1] == "2026-11-23 19:30"
    assert day.groups["digital"].skills == ("chat", "social", "email")
    week = load_scenario(SCENARIOS / "forecast_week.toml")
    assert week.n_intervals == 672 and week.starts[0] == "2026-11-23 00:00"
    assert week.starts[-1] == "2026-11-29 23:45"
    bank = load_scenario(SCENARIOS / "bank_sunday.toml")
    assert 0.15 < bank.volume_uncertainty < 0.25


def test_validate_command_lists_every_problem(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('interval = "7min"\n[channels.voice]\nvolume = -1\naht = 60\n')
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("Error: bad.toml: interval: must divide a day")
    assert lines[1].startswith("Error: bad.toml: channels.voice.volume: expected a number ≥ 0")
    assert lines[2].startswith("Error: bad.toml: channels.voice: no group has 'voice'")


def test_validate_command_missing_file(tmp_path):
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_a_week_of_15_minute_intervals_loads_quickly():
    started = time.perf_counter()
    scenario = load_scenario(SCENARIOS / "forecast_week.toml")
    elapsed = time.perf_counter() - started
    print(f"forecast_week.toml: {scenario.n_intervals} intervals × 4 channels in {elapsed:.4f} s")
    assert scenario.n_intervals == 672 and len(scenario.channels) == 4


def test_scenario_error_is_a_value_error():
    with pytest.raises(ValueError):
        Scenario.from_dict({})
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict({})
    assert (
        str(info.value.problems[0])
        == '<scenario>: interval: required: the length of a planning interval, e.g. "30min"'
    )
