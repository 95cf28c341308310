"""Issue 14: what a planner looks for first and what a manager reads.

Scheduled vs required (today's roster against the plan), what-ifs and units (--scale,
shrinkage per group and interval, contract hours, per-day totals, Erlang B lines),
per-group figures, and the small things (unit slips, datetimes, warm-up in human units,
verification progress). The figures have their own file, tests/test_figures.py.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ccsim import Scenario, erlang, load_scenario, plan_staffing, simulate
from ccsim.cli import cli

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
BANK = str(SCENARIOS / "multiskill_bank.toml")
TEXTBOOK = str(SCENARIOS / "textbook.toml")
WEEK = str(SCENARIOS / "forecast_week.toml")
OMNI = str(SCENARIOS / "omnichannel_day.toml")


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def small(tmp_path: Path, extra: str = "", groups: str = "") -> Path:
    """A small bank: 4 half-hour intervals of voice, one group (with ``groups`` lines)."""
    path = tmp_path / "small.toml"
    path.write_text(
        f'name = "small"\ninterval = "30min"\nstart = "09:00"\nshrinkage = 0.3\n{extra}\n'
        '[channels.voice]\nvolume = [60, 100, 140, 80]\naht = "180s"\n'
        'service_level = 0.8\nwithin = "20s"\n'
        f'[groups.phones]\nskills = ["voice"]\nagents = [9, 12, 14, 12]\n{groups}\n',
        encoding="utf-8",
    )
    return path


# --- scheduled vs required -------------------------------------------------------------------


def test_staff_with_a_roster_writes_and_prints_scheduled_vs_required(tmp_path):
    out = tmp_path / "plan"
    result = run("staff", BANK, "--out", str(out))
    assert result.exit_code == 0, result.output
    header = (out / "groups.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "group,interval,start,agents,fte,scheduled,over_under"  # appended only
    scenario = load_scenario(BANK)
    rows = rows_of(out / "groups.csv")
    assert len(rows) == 3 * scenario.n_intervals
    for row in rows:
        written = scenario.groups[row["group"]].agents[int(row["interval"])]
        assert float(row["scheduled"]) == written
        assert float(row["over_under"]) == written - int(row["agents"])
    english = [r for r in rows if r["group"] == "english"]
    assert english[0]["start"] == "09:00" and english[0]["over_under"] == "-2"  # 15 vs 17
    assert "scheduled vs required" in result.output
    assert "english: scheduled/required" in result.output and "15/17 (-2)" in result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    gap = summary["groups"]["french"]["scheduled"]
    assert gap["intervals_under"] == 16 and gap["worst"]["over_under"] == -3


def test_auto_and_kept_groups_have_no_over_under(tmp_path):
    out = tmp_path / "plan"
    result = run("staff", OMNI, "--keep-fixed", "--out", str(out))
    assert result.exit_code == 0, result.output
    scenario = load_scenario(OMNI)
    for row in rows_of(out / "groups.csv"):
        assert row["over_under"] == ""  # kept as written, or "auto": nothing to compare
        written = scenario.groups[row["group"]].agents
        assert row["scheduled"] == ("" if written is None else f"{written[int(row['interval'])]}")
    assert "scheduled vs required" not in result.output


def test_the_plan_figure_draws_scheduled_vs_required(tmp_path):
    from ccsim.plots import plot_groups

    plan = plan_staffing(load_scenario(BANK))
    fig = plot_groups(plan)
    english = fig.axes[0]
    labels = english.get_legend_handles_labels()[1]
    assert "scheduled (roster)" in labels and "under" in labels and "over" not in labels
    assert "16 intervals under" in english.get_title(loc="left")
    result = run("staff", BANK, "--out", str(tmp_path / "p"), "--plot")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p" / "staffing.png").stat().st_size > 10_000


# --- what-ifs and units ----------------------------------------------------------------------


def test_scale_and_star_set_multiply_the_volume():
    base = json.loads(run("staff", TEXTBOOK, "--json").output)
    scaled = run("staff", TEXTBOOK, "--scale", "channels.voice.volume=1.1", "--json")
    starred = run("staff", TEXTBOOK, "--set", "channels.voice.volume=*1.1", "--json")
    written = run("staff", TEXTBOOK, "--set", "channels.voice.volume=110", "--json")
    for result in (scaled, starred, written):
        assert result.exit_code == 0, result.output
    hours = [json.loads(r.output)["agent_hours"]["final"] for r in (scaled, starred, written)]
    assert hours[0] == hours[1] == hours[2] > base["agent_hours"]["final"]


def test_scale_reads_a_csv_column_and_keeps_its_labels():
    week = load_scenario(WEEK)
    busier = week.scaled({"channels.voice.volume": 1.1, "channels.chat.aht": 0.5})
    assert busier.starts == week.starts
    assert np.allclose(busier.channels["voice"].volume, week.channels["voice"].volume * 1.1)
    assert np.allclose(busier.channels["chat"].aht, 240.0)
    assert busier.channels["email"].volume.sum() == week.channels["email"].volume.sum()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--scale", "channels.voice.volume"],
            "--scale channels.voice.volume: expected KEY=FACTOR",
        ),
        (["--scale", "channels.voice.volume=lots"], "expected a factor such as 1.1 or 110%"),
        (["--scale", "channels.voice.patience=2"], "channels.voice.patience: nothing to scale"),
        (["--set", "channels.voice.volume=*-1"], "the factor must be ≥ 0"),
    ],
)
def test_bad_scales_are_named(args, message):
    result = run("staff", TEXTBOOK, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_shrinkage_per_group_and_per_interval(tmp_path):
    path = small(tmp_path, groups="shrinkage = [0.2, 0.2, 0.4, 0.5]")
    out = tmp_path / "plan"
    result = run("staff", str(path), "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = rows_of(out / "groups.csv")
    for row, shrink in zip(rows, [0.2, 0.2, 0.4, 0.5], strict=True):
        assert float(row["fte"]) == pytest.approx(int(row["agents"]) / (1 - shrink), abs=0.005)
    channel = rows_of(out / "intervals.csv")
    assert [float(r["fte"]) for r in channel] == [float(r["fte"]) for r in rows]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    agents = np.array([int(r["agents"]) for r in rows])
    expected = float((agents / (1 - np.array([0.2, 0.2, 0.4, 0.5]))).sum() * 0.5)
    assert summary["fte_hours"]["final"] == pytest.approx(expected)
    assert "shrinkage phones 20%–50%" in result.output


def test_a_group_shrinkage_of_its_own_beats_the_scenarios(tmp_path):
    scenario = load_scenario(small(tmp_path, groups='shrinkage = "10%"'))
    plan = plan_staffing(scenario)
    fte = plan.groups_table()["fte"]
    assert np.allclose(fte, np.round(plan.agents["phones"] / 0.9, 2))


@pytest.mark.parametrize(
    ("line", "key"),
    [
        (
            "shrinkage = [0.2, 1.0, 0.3, 0.3]",
            "groups.phones.shrinkage[1]: expected a share in [0, 1)",
        ),
        ("shrinkage = [0.2, 0.3]", "groups.phones.shrinkage: expected 4 values"),
        ("shrinkage = 'most'", "groups.phones.shrinkage: expected a share in [0, 1)"),
    ],
)
def test_bad_group_shrinkage_is_named(tmp_path, line, key):
    result = run("validate", str(small(tmp_path, groups=line)))
    assert result.exit_code == 2
    assert key in result.output


def test_contract_hours_count_people(tmp_path):
    path = small(tmp_path, extra="contract_hours = 37.5")
    result = run("staff", str(path), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    fte_hours = summary["fte_hours"]["final"]
    assert summary["contracts"]["final"] == pytest.approx(fte_hours * 7 / 37.5)  # one day
    assert summary["groups"]["phones"]["contracts"] == pytest.approx(fte_hours * 7 / 37.5)
    text = run("staff", str(path)).output
    assert "FTE on 37.5 h/week contracts" in text and "FTE (37.5 h/wk)" in text
    bad = run("validate", str(small(tmp_path, extra="contract_hours = 200")))
    assert (
        bad.exit_code == 2 and "contract_hours: expected hours per week in (0, 168]" in bad.output
    )


def test_week_contracts_are_its_fte_hours_over_the_contract():
    week = load_scenario(WEEK).with_overrides({"contract_hours": 40})
    plan = plan_staffing(week)
    summary = plan.summary()
    assert summary["contracts"]["final"] == pytest.approx(summary["fte_hours"]["final"] / 40)


def test_per_day_totals_of_a_week():
    plan = plan_staffing(load_scenario(WEEK))
    days = plan.summary()["days"]
    assert [d["day"] for d in days][:2] == ["Mon 2026-11-23", "Tue 2026-11-24"]
    assert len(days) == 7
    assert sum(d["agent_hours"] for d in days) == pytest.approx(plan.agent_hours())
    assert days[6]["peak_agents"] < days[0]["peak_agents"]  # a quiet Sunday
    text = plan.describe()
    assert "Sun 2026-11-29" in text and "peak agents" in text
    assert plan_staffing(load_scenario(TEXTBOOK)).summary()["days"] == []


def test_erlang_b_blocking_for_lines_and_lines_for_blocking():
    args = ["erlang", "--volume", "100", "--aht", "180s", "--interval", "30min"]
    one = run(*args, "--lines", "18", "--json")
    assert one.exit_code == 0, one.output
    data = json.loads(one.output)
    assert data["lines"] == 18
    assert data["blocking"] == pytest.approx(erlang.erlang_b(10.0, 18), rel=1e-12)
    assert data["lost"] == pytest.approx(100 * erlang.erlang_b(10.0, 18), rel=1e-12)
    need = run(*args, "--blocking", "1%")
    assert need.exit_code == 0, need.output
    assert "recommended: 18 lines (blocking 0.7% ≤ 1.0%)" in need.output  # the Erlang B table
    table = run(*args, "--lines", "15..19", "--blocking", "1%", "--json")
    assert [r["lines"] for r in json.loads(table.output)] == [15, 16, 17, 18, 19]


def test_required_lines_is_the_least_meeting_the_target():
    traffic = np.array([0.0, 0.5, 10.0, 37.3, 400.0])
    lines = erlang.required_lines(traffic, 0.02)
    assert lines[0] == 0
    assert np.all(erlang.erlang_b(traffic[1:], lines[1:]) <= 0.02)
    assert np.all(erlang.erlang_b(traffic[1:], lines[1:] - 1) > 0.02)


@pytest.mark.parametrize(
    "extra",
    [["--service-level", "80%", "--within", "20s"], ["--patience", "2min"], ["--agents", "5"]],
)
def test_erlang_b_refuses_options_it_cannot_honour(extra):
    result = run("erlang", "--volume", "100", "--aht", "180s", "--lines", "18", *extra)
    assert result.exit_code == 2
    assert "--lines/--blocking size lines by Erlang B" in result.output
    assert extra[0] in result.output


# --- per-group occupancy and agents ----------------------------------------------------------


def test_simulate_reports_group_occupancy_and_says_channels_show_it():
    result = run("simulate", OMNI, "--replications", "2", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "occupancy (its groups)" in result.output
    lines = result.output.splitlines()
    digital = next(line for line in lines if line.startswith("digital "))
    shown = digital.split()[-1]
    for channel in ("chat", "email", "social"):
        row = next(line for line in lines if line.startswith(f"{channel} "))
        assert row.split()[-1] == shown  # the group's figure, as the note says
    assert "a channel's occupancy is that of the groups able to serve it" in result.output


def test_group_occupancy_is_busy_over_staffed_time():
    from ccsim.sim.metrics import group_occupancy

    scenario = load_scenario(BANK)
    result = simulate(scenario, 3, 5)
    per_interval, total = group_occupancy(result.tallies)
    busy = np.stack([t.busy for t in result.tallies])
    staffed = np.stack([t.staffed for t in result.tallies])
    assert total == pytest.approx((busy.sum(axis=2) / staffed.sum(axis=2)).mean(axis=0))
    assert per_interval[0, 3] == pytest.approx((busy[:, 0, 3] / staffed[:, 0, 3]).mean())
    # a channel served by one group shows that group's figure; one served by two, the pool's
    for channel, group in (("voice_en", 0), ("voice_fr", 1)):
        shown = result.intervals["occupancy"][result.intervals["channel"] == channel]
        assert shown[3] != pytest.approx(per_interval[group, 3])  # english + bilingual pooled
    textbook = simulate(load_scenario(TEXTBOOK), 3, 5, agents={"phones": 14})
    alone = group_occupancy(textbook.tallies)[0][0]
    assert np.allclose(textbook.intervals["occupancy"], alone)


def test_the_plan_says_which_figures_are_the_groups():
    result = run("staff", OMNI)
    assert result.exit_code == 0, result.output
    assert "chat, email, social: agents are a share of group digital's plan" in result.output


# --- small things ----------------------------------------------------------------------------


def test_a_bare_aht_of_4_warns_naming_the_key(tmp_path):
    path = tmp_path / "slip.toml"
    path.write_text(
        'interval = "30min"\n[channels.voice]\nvolume = 50\naht = 4\n'
        'service_level = 0.8\nwithin = "20s"\n[groups.g]\nskills = ["voice"]\nagents = 5\n',
        encoding="utf-8",
    )
    result = run("validate", str(path))
    assert result.exit_code == 0
    assert "channels.voice.aht: 4 s — did you mean 4min?" in result.output
    staffed = run("staff", str(path))
    assert "warning: slip.toml: channels.voice.aht: 4 s — did you mean 4min?" in staffed.output
    unit = path.read_text(encoding="utf-8").replace("aht = 4", 'aht = "4s"')
    path.write_text(unit, encoding="utf-8")
    assert "did you mean" not in run("validate", str(path)).output  # a unit says it is meant


def test_erlang_warns_on_bare_small_durations():
    result = run("erlang", "--volume", "100", "--interval", "20", "--aht", "4",
                 "--service-level", "80%", "--within", "20s")  # fmt: skip
    assert result.exit_code == 0
    assert "warning: --interval 20: 20 s — did you mean 20min?" in result.output
    assert "warning: --aht 4: 4 s — did you mean 4min?" in result.output


def test_to_pandas_gives_dated_starts_as_datetimes():
    pd = pytest.importorskip("pandas")
    week = plan_staffing(load_scenario(WEEK)).groups_table().to_pandas()
    assert pd.api.types.is_datetime64_any_dtype(week["start"])
    assert week["start"].iloc[1] == pd.Timestamp("2026-11-23 00:15")
    day = plan_staffing(load_scenario(TEXTBOOK)).groups_table().to_pandas()
    assert not pd.api.types.is_datetime64_any_dtype(day["start"])  # times of day stay text


def test_the_warmup_error_speaks_in_human_units():
    result = run("simulate", TEXTBOOK, "--warmup", "20h", "--replications", "2")
    assert result.exit_code == 2
    assert "shorter than the horizon (8h, 16 intervals of 30min), got 20h" in result.output


def test_verify_progress_says_of_at_most_and_the_plan_kept_last():
    result = run("staff", TEXTBOOK, "--verify", "--replications", "6", "--jobs", "1")
    assert result.exit_code == 0, result.output
    progress = [line.strip() for line in result.output.splitlines() if line.startswith("  ")]
    assert progress[0].startswith("run 1 of at most 60:")
    assert progress[-1].startswith("kept: ") and "of " in progress[-1]
    assert "may keep a slightly different plan" in result.output


def test_a_cjk_name_draws_without_glyph_warnings(tmp_path):
    from ccsim.plots import plot_staffing, save_figure

    scenario = Scenario.from_dict(
        {
            "name": "東京コールセンター",
            "interval": "30min",
            "channels": {
                "voice": {"volume": [50, 80], "aht": "3min", "service_level": 0.8, "within": "20s"}
            },
            "groups": {"電話": {"skills": ["voice"], "agents": "auto"}},
        }  # fmt: skip
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save_figure(plot_staffing(plan_staffing(scenario)), tmp_path / "tokyo.png")
    assert (tmp_path / "tokyo.png").stat().st_size > 5_000


def test_scenario_warnings_stay_off_json_stdout(tmp_path):
    path = small(tmp_path)
    text = path.read_text(encoding="utf-8").replace('aht = "180s"', "aht = 3")
    path.write_text(text, encoding="utf-8")
    result = run("staff", str(path), "--json")
    assert result.exit_code == 0
    json.load(io.StringIO(result.output))  # nothing but the JSON
