"""Backtests: real days replayed against a written plan — by hand with ccsim.erlang, the
simulated path against a direct simulation and Erlang A, the files, the figure, the errors."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.figure import Figure

from ccsim import erlang
from ccsim.cli import cli
from ccsim.history import read_history, synthetic_history
from ccsim.plots import plot_backtest
from ccsim.scenario import Scenario
from ccsim.sim import simulate
from ccsim.sim.metrics import wilson_interval
from ccsim.staffing import backtest_plan, plan_staffing
from ccsim.staffing.backtest import day_seed

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
INTERVAL = 1800.0
AHT, WITHIN, TARGET = 180.0, 20.0, 0.8
PLAN_STARTS = [f"{8 + i // 2:02d}:{30 * (i % 2):02d}" for i in range(16)]  # 08:00–15:30
DAY_STARTS = [f"{7 + i // 2:02d}:{30 * (i % 2):02d}" for i in range(20)]  # 07:00–16:30
COLUMNS = [
    "date",
    "weekday",
    "channel",
    "offered",
    "outside",
    "answered_within",
    "service_level",
    "service_level_lo",
    "service_level_hi",
    "target",
    "met",
    "method",
]


def doc(**voice) -> dict:
    """A one-channel scenario document, 16 intervals from 08:00, agents = 14 everywhere."""
    return {
        "name": "flat",
        "interval": "30min",
        "start": "08:00",
        "seed": 11,
        "channels": {
            "voice": {
                "volume": [100] * 16,
                "aht": "180s",
                "service_level": "80%",
                "within": "20s",
                **voice,
            }
        },
        "groups": {"phones": {"skills": ["voice"], "agents": 14}},
    }


def write_plan(path: Path, document: dict, agents: dict[str, list[int]] | None = None) -> Path:
    """A plan directory as ``ccsim staff --out`` writes it: groups.csv and summary.json."""
    scenario = Scenario.from_dict(document)
    agents = agents or {g: list(grp.agents) for g, grp in scenario.groups.items()}
    path.mkdir(parents=True, exist_ok=True)
    lines = ["group,interval,start,agents,fte"]
    for group, values in agents.items():
        lines += [f"{group},{i},{scenario.starts[i]},{a},{a}" for i, a in enumerate(values)]
    (path / "groups.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (path / "summary.json").write_text(json.dumps({"scenario": document}), encoding="utf-8")
    return path


def day_history(tmp_path: Path, days: int = 12, cv: float = 0.15, seed: int = 3) -> Path:
    """Sundays of a flat day 08:00–15:30 at 100 calls per interval, with a few calls at
    07:30 and 16:00 (outside the plan), drawn by synthetic_history."""
    profile = [0.0, 4.0] + [100.0] * 16 + [3.0, 0.0]
    path = tmp_path / "history.csv"
    path.write_text(synthetic_history(profile, DAY_STARTS, days=days, cv=cv, seed=seed))
    return path


def expected_levels(history: Path, agents: int = 14) -> tuple[np.ndarray, np.ndarray]:
    """Each day's offered total and its service level by hand: Σ c·SL(c) ÷ Σ c, SL the Erlang C
    service level of the interval's count as the offered load; calls outside 08:00–16:00 miss."""
    counts = np.asarray(read_history(history, ["voice"]).counts["voice"])
    inside = counts[:, 2:18]
    levels = erlang.service_level(inside * AHT / INTERVAL, agents, AHT, WITHIN)
    return counts.sum(axis=1), (inside * levels).sum(axis=1) / counts.sum(axis=1)


def test_a_flat_plan_on_synthetic_days_matches_erlang_c_by_hand(tmp_path):
    plan = write_plan(tmp_path / "plan", doc())
    history = day_history(tmp_path)
    result = backtest_plan(plan, history)
    offered, level = expected_levels(history)
    days = result.days
    assert days.columns == COLUMNS
    assert list(days["method"]) == ["erlang_c"] * 12
    np.testing.assert_array_equal(days["offered"], offered)
    np.testing.assert_allclose(days["service_level"], level, rtol=1e-12)
    counts = np.asarray(read_history(history, ["voice"]).counts["voice"])
    np.testing.assert_array_equal(days["outside"], counts[:, [1, 18]].sum(axis=1))
    assert days["outside"].sum() > 0  # the calls at 07:30 and 16:00 were there, and missed
    met = level >= TARGET
    np.testing.assert_array_equal(days["met"], met.astype(float))
    assert 0 < met.sum() < 12  # the case tells met from missed days
    entry = result.channels()["voice"]
    assert entry["days_met_count"] == met.sum() and entry["days"] == 12
    assert (entry["days_met_lo"], entry["days_met_hi"]) == wilson_interval(int(met.sum()), 12)
    assert entry["service_level_p50"] == pytest.approx(np.percentile(level, 50))
    assert result.agent_hours() == 14 * 16 * 0.5
    assert list(days["date"]) == sorted(days["date"])


def test_a_finer_history_is_summed_into_the_plan_intervals(tmp_path):
    plan = write_plan(tmp_path / "plan", doc())
    coarse = day_history(tmp_path, days=4)
    rows = list(csv.DictReader(coarse.open()))
    lines = ["date,start,voice"]
    for row in rows:  # each 30-minute count split over two 15-minute rows
        hour, minute = map(int, row["start"].split(":"))
        n = int(row["voice"])
        lines.append(f"{row['date']},{hour:02d}:{minute:02d},{n // 2}")
        lines.append(f"{row['date']},{hour:02d}:{minute + 15:02d},{n - n // 2}")
    fine = tmp_path / "fine.csv"
    fine.write_text("\n".join(lines) + "\n")
    a, b = backtest_plan(plan, coarse).days, backtest_plan(plan, fine).days
    np.testing.assert_allclose(a["service_level"], b["service_level"], rtol=1e-12)


def test_dated_interval_labels_are_matched_by_time_of_day(tmp_path):
    dated = doc()
    dated["start"] = "2026-11-23 08:00"
    history = day_history(tmp_path, days=3)
    a = backtest_plan(write_plan(tmp_path / "a", doc()), history).days
    b = backtest_plan(write_plan(tmp_path / "b", dated), history).days
    np.testing.assert_array_equal(a["service_level"], b["service_level"])
    assert np.all(b["service_level"] > 0)


def test_days_can_be_selected_and_excluded(tmp_path):
    plan = write_plan(tmp_path / "plan", doc())
    history = day_history(tmp_path)
    every = backtest_plan(plan, history)
    dates = list(every.days["date"])
    some = backtest_plan(
        plan, history, date_from=dates[2], date_to=dates[8], exclude=[dates[5]], weekdays=["Sun"]
    )
    assert list(some.days["date"]) == dates[2:5] + dates[6:9]
    assert some.summary()["dates"]["excluded"] == [dates[5]]
    with pytest.raises(ValueError, match="2020-01-01"):
        backtest_plan(plan, history, exclude=["2020-01-01"])
    with pytest.raises(ValueError, match="no day is Mon"):
        backtest_plan(plan, history, weekdays=["Mon"])


def bank_doc() -> dict:
    """The flat day with abandonment (exponential patience of 3 min): simulated."""
    return doc(patience="3min")


def test_abandonment_is_simulated_with_the_plan_agents_and_a_seed_per_date(tmp_path):
    plan = write_plan(tmp_path / "plan", bank_doc())
    history = day_history(tmp_path, days=6)
    result = backtest_plan(plan, history, replications=4, seed=5)
    days = result.days
    assert list(days["method"]) == ["simulation"] * 6
    assert result.methods["voice"] == ("simulation", "customers abandon")
    assert "simulated (customers abandon): 4 replications per day" in result.describe()
    # day 3 by a direct simulation of the scenario with that day's counts as its volumes
    counts = np.asarray(read_history(history, ["voice"]).counts["voice"])
    document = copy.deepcopy(bank_doc())
    document["channels"]["voice"]["volume"] = counts[3, 2:18].tolist()
    direct = simulate(Scenario.from_dict(document), 4, day_seed(5, days["date"][3]))
    per_rep = direct.days["service_level"][direct.days["channel"] == "voice"]
    inside_share = counts[3, 2:18].sum() / counts[3].sum()
    assert days["service_level"][3] == pytest.approx(per_rep.mean() * inside_share, rel=1e-12)
    # the same day gives the same numbers when replayed with other days around it
    alone = backtest_plan(plan, history, replications=4, seed=5, date_from=days["date"][3])
    assert alone.days["service_level"][0] == days["service_level"][3]
    assert summary_keys(result.summary()) and result.summary()["replications"] == 4


def summary_keys(summary: dict) -> bool:
    return {"plan", "history", "dates", "agent_hours", "channels", "days", "seed"} <= set(summary)


def test_a_simulated_day_agrees_with_erlang_a_within_its_interval(tmp_path):
    """A flat day of 16 intervals at 100 calls: the simulated service level over the day is
    the Erlang A steady state up to the day's confidence interval and a small start-up
    effect (the day starts with nobody waiting): tolerance CI half-width + 1 point."""
    plan = write_plan(tmp_path / "plan", bank_doc())
    path = tmp_path / "flat.csv"
    path.write_text(synthetic_history([100.0] * 16, PLAN_STARTS, days=3, cv=0.0, seed=1))
    result = backtest_plan(plan, path, replications=30, seed=2)
    counts = np.asarray(read_history(path, ["voice"]).counts["voice"])
    model = erlang.erlang_a(counts / INTERVAL, AHT, 180.0, 14, WITHIN).service_level
    expected = (counts * model).sum(axis=1) / counts.sum(axis=1)
    days = result.days
    half = (days["service_level_hi"] - days["service_level_lo"]) / 2
    assert np.all(half > 0) and np.all(half < 0.03)
    assert np.all(np.abs(days["service_level"] - expected) <= half + 0.01)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"handle_time": "deterministic"}, "deterministic handle times"),
        ({"concurrency": 2}, "concurrency 2"),
        ({"within": "2h", "aht": "7min"}, "a backlog"),
    ],
)
def test_what_erlang_c_does_not_describe_is_simulated(tmp_path, change, why):
    plan = write_plan(tmp_path / "plan", doc(**change))
    result = backtest_plan(plan, day_history(tmp_path, days=2), replications=2)
    method, reason = result.methods["voice"]
    assert method == "simulation" and reason.startswith(why)


def test_a_group_serving_two_channels_is_simulated(tmp_path):
    document = doc()
    document["channels"]["chat"] = {"volume": 10, "aht": "300s", "concurrency": 2}
    document["groups"]["phones"]["skills"] = ["voice", "chat"]
    plan = write_plan(tmp_path / "plan", document)
    history = tmp_path / "h.csv"
    history.write_text(
        "date,start,voice,chat\n"
        + "".join(f"2026-03-01,{s},100,10\n" for s in PLAN_STARTS)
        + "".join(f"2026-03-08,{s},90,12\n" for s in PLAN_STARTS)
    )
    result = backtest_plan(plan, history, replications=2)
    assert result.methods == {"voice": ("simulation", "group phones serves other channels too")}
    assert list(result.days["channel"]) == ["voice", "voice"]  # chat has no target time


def test_plot_backtest_returns_a_figure_with_a_panel_per_channel(tmp_path):
    plan = write_plan(tmp_path / "plan", doc())
    fig = plot_backtest(backtest_plan(plan, day_history(tmp_path)))
    assert isinstance(fig, Figure)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert sum("met on" in t for t in titles) == 1


# --- the command --------------------------------------------------------------------------


def run(*args: str):
    return CliRunner().invoke(cli, ["backtest", *args])


def test_backtest_command_on_a_plan_written_by_staff(tmp_path):
    plan = tmp_path / "plan"
    staffed = CliRunner().invoke(
        cli, ["staff", str(SCENARIOS / "textbook.toml"), "--out", str(plan)]
    )
    assert staffed.exit_code == 0, staffed.output
    history = day_history(tmp_path)
    out = tmp_path / "out"
    result = run(str(plan), "--history", str(history), "--weekday", "Sun", "--out", str(out),
                 "--plot")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "exact Erlang C per interval" in result.output
    assert "wrote" in result.output and (out / "backtest.png").stat().st_size > 0
    with open(out / "backtest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == COLUMNS and len(rows) == 12
    agents = plan_staffing(Scenario.from_dict(json.loads((plan / "summary.json").read_text())
                                              ["scenario"])).agents["phones"]  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    assert summary["agent_hours"] == pytest.approx(agents.sum() * 0.5)
    again = run(str(plan), "--history", str(history), "--json")
    assert again.exit_code == 0
    assert json.loads(again.output)["channels"] == summary["channels"]


def test_the_echoed_scenario_with_a_relative_csv_needs_scenario(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "volume.csv").write_text("voice\n" + "100\n" * 16)
    document = doc(volume={"csv": "volume.csv", "column": "voice"})
    (source / "s.toml").write_text(
        'name = "flat"\ninterval = "30min"\nstart = "08:00"\nseed = 11\n'
        '[channels.voice]\nvolume = { csv = "volume.csv", column = "voice" }\naht = "180s"\n'
        'service_level = "80%"\nwithin = "20s"\n[groups.phones]\nskills = ["voice"]\nagents = 14\n'
    )
    plan = tmp_path / "plan"
    write_plan(plan, doc())
    (plan / "summary.json").write_text(json.dumps({"scenario": document}))
    history = day_history(tmp_path, days=2)
    failed = run(str(plan), "--history", str(history))
    assert failed.exit_code == 2
    assert "cannot be rebuilt" in failed.output and "--scenario" in failed.output
    assert str(plan / "summary.json") in failed.output and "Traceback" not in failed.output
    fixed = run(str(plan), "--history", str(history), "--scenario", str(source / "s.toml"))
    assert fixed.exit_code == 0, fixed.output


def bad_history(tmp_path: Path) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text("date,start,calls\n2026-03-01,08:00,12\n")
    return path


def broken_plan(tmp_path: Path, what: str) -> Path:
    """A plan directory with one thing wrong."""
    if what == "missing":
        return tmp_path / "nowhere"
    plan = write_plan(tmp_path / "plan", doc())
    if what == "empty":
        for path in plan.iterdir():
            path.unlink()
    elif what == "no groups.csv":
        (plan / "groups.csv").unlink()
    elif what == "bad json":
        (plan / "summary.json").write_text("{")
    elif what == "other scenario":
        (plan / "groups.csv").write_text("group,interval,start,agents\nphones,0,09:00,14\n")
    elif what == "bad agents":
        (plan / "groups.csv").write_text("group,interval,start,agents\nphones,0,08:00,many\n")
    return plan


@pytest.mark.parametrize(
    ("what", "message"),
    [
        ("missing", "nowhere: no such directory"),
        ("empty", "plan/groups.csv: no such file"),
        ("no groups.csv", "plan/groups.csv: no such file"),
        ("bad json", "plan/summary.json: cannot be read as JSON"),
        ("other scenario", "groups.csv: line 2: start '09:00' is not the scenario's interval 0"),
        ("bad agents", "groups.csv: line 2: interval and agents must be numbers"),
    ],
)
def test_a_bad_plan_directory_is_one_line_naming_the_file(tmp_path, what, message):
    plan = broken_plan(tmp_path, what)
    result = run(str(plan), "--history", str(day_history(tmp_path, days=2)))
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1


def test_history_problems_name_the_file(tmp_path):
    plan = write_plan(tmp_path / "plan", doc())
    missing = run(str(plan), "--history", str(tmp_path / "none.csv"))
    assert missing.exit_code == 2 and "none.csv" in missing.output
    bad = bad_history(tmp_path)
    no_column = run(str(plan), "--history", str(bad))
    assert no_column.exit_code == 2
    assert "bad.csv" in no_column.output and "'voice'" in no_column.output
    unknown = run(str(plan), "--history", str(bad), "--column", "chat=calls")
    assert unknown.exit_code == 2 and "no channel 'chat'" in unknown.output
    mapped = run(str(plan), "--history", str(bad), "--column", "voice=calls")
    assert mapped.exit_code == 2 and "interval cannot be inferred" in mapped.output
    for result in (missing, no_column, unknown, mapped):
        assert "Traceback" not in result.output


def test_histories_and_plans_that_do_not_fit_are_refused(tmp_path):
    plan = write_plan(tmp_path / "plan", doc())
    hourly = tmp_path / "hourly.csv"
    hourly.write_text("date,start,voice\n2026-03-01,08:00,200\n2026-03-01,09:00,200\n")
    coarse = run(str(plan), "--history", str(hourly))
    assert coarse.exit_code == 2 and "hourly.csv: its 1h intervals" in coarse.output
    late = doc()
    late["start"] = "20:00"
    late_plan = write_plan(tmp_path / "late", late)
    midnight = run(str(late_plan), "--history", str(day_history(tmp_path, days=2)))
    assert midnight.exit_code == 2 and "past midnight" in midnight.output
    assert run(str(plan), "--history", str(hourly), "--plot").exit_code == 2  # needs --out
