"""Rosters: shift templates in the scenario, the MILP on hand-solvable cases, verification by
simulation, the files and the ``ccsim roster`` command."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ccsim import Roster, Scenario, ScenarioError, make_roster, simulate
from ccsim.cli import cli
from ccsim.staffing.roster import read_plan_agents, roster_misses

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
LUNCH = [{"length": "30min", "earliest": "3h", "latest": "5h"}]


def day_doc(n: int = 16, shifts: dict | None = None, volume=100, start: str = "08:00") -> dict:
    """A one-channel day of ``n`` half-hours from ``start``; voice 80% in 20 s."""
    return {
        "name": "day",
        "interval": "30min",
        "start": start,
        "channels": {
            "voice": {"volume": volume, "aht": "180s", "service_level": 0.8, "within": "20s"}
        },
        "groups": {"phones": {"skills": ["voice"], "agents": [10] * n}},
        "shifts": shifts or {},
    }


def every_half_hour(first: str, last: str) -> dict:
    return {"from": first, "to": last, "every": "30min"}


# --- the [shifts.NAME] section ---------------------------------------------------------------


def test_shift_templates_are_read_in_seconds_on_the_interval_grid():
    scenario = Scenario.from_dict(
        day_doc(
            shifts={
                "full": {
                    "length": "8h",
                    "starts": every_half_hour("08:00", "10:00"),
                    "breaks": LUNCH,
                    "cost": 25,
                    "max": 12,
                },
                "part": {"length": "4h", "starts": ["12:00", "16:00"], "groups": ["phones"]},
            }
        )
    )
    full, part = scenario.shifts["full"], scenario.shifts["part"]
    assert full.length == 8 * 3600
    assert full.starts == (8 * 3600, 8.5 * 3600, 9 * 3600, 9.5 * 3600, 10 * 3600)
    assert (full.breaks[0].length, full.breaks[0].earliest, full.breaks[0].latest) == (
        1800,
        3 * 3600,
        5 * 3600,
    )
    assert (full.cost, full.min_count, full.max_count, full.groups) == (25, 0, 12, ("phones",))
    # the lunch may start 3 h, 3 h 30, …, 5 h in: five placements of one 30-minute break
    assert full.placements(1800) == [(6,), (7,), (8,), (9,), (10,)]
    assert part.starts == (12 * 3600, 16 * 3600) and part.placements(1800) == [()]
    # no starts given: every half hour of the day
    default = Scenario.from_dict(day_doc(shifts={"x": {"length": "4h"}})).shifts["x"]
    assert len(default.starts) == 48 and default.starts[:2] == (0, 1800)


def test_a_scenario_without_shifts_has_an_empty_mapping():
    assert dict(Scenario.from_dict(day_doc()).shifts) == {}


BAD_SHIFTS = [
    ({"length": "7h50min"}, "shifts.early.length", "whole number of intervals (30min)"),
    ({}, "shifts.early.length", "required"),
    ({"length": "25h"}, "shifts.early.length", "at most 24h"),
    ({"length": "8h", "starts": ["08:15"]}, "shifts.early.starts[0]", "not an interval boundary"),
    ({"length": "8h", "starts": ["soon"]}, "shifts.early.starts[0]", "time of day"),
    ({"length": "8h", "starts": {"from": "08:00"}}, "shifts.early.starts.to", "required"),
    ({"length": "8h", "starts": 8}, "shifts.early.starts", "expected a list of times"),
    ({"length": "8h", "groups": ["phone"]}, "shifts.early.groups[0]", "did you mean 'phones'"),
    ({"length": "8h", "cost": 0}, "shifts.early.cost", "> 0"),
    ({"length": "8h", "min": 3, "max": 2}, "shifts.early.max", "≥ min (3)"),
    ({"length": "8h", "days_on": 5}, "shifts.early.days_on", "whole weeks"),
    ({"length": "8h", "days_off": "consecutive"}, "shifts.early.days_off", "only with days_on"),
    ({"length": "8h", "brakes": []}, "shifts.early.brakes", "did you mean 'breaks'"),
    (
        {"length": "8h", "breaks": [{"length": "30min", "earliest": "5h", "latest": "3h"}]},
        "shifts.early.breaks[0].latest",
        "≥ earliest",
    ),
    (
        {"length": "4h", "breaks": LUNCH},
        "shifts.early.breaks[0].latest",
        "ends after the shift",
    ),
    (
        {"length": "8h", "breaks": [{"length": "30min", "earliest": "3h"}]},
        "shifts.early.breaks[0].latest",
        "required",
    ),
    (
        {
            "length": "2h",
            "breaks": [
                {"length": "1h", "earliest": "30min", "latest": "30min"},
                {"length": "30min", "earliest": "1h", "latest": "1h"},
            ],
        },
        "shifts.early.breaks",
        "cannot all fit",
    ),
]


@pytest.mark.parametrize(
    ("spec", "key", "words"), BAD_SHIFTS, ids=[b[1] + b[2] for b in BAD_SHIFTS]
)
def test_a_bad_shift_template_is_named_by_its_key(spec, key, words):
    with pytest.raises(ScenarioError) as caught:
        Scenario.from_dict(day_doc(shifts={"early": spec}), source="bad.toml")
    lines = str(caught.value).splitlines()
    assert any(line.startswith(f"bad.toml: {key}: ") and words in line for line in lines), lines
    assert all(problem.key for problem in caught.value.problems)


def test_shift_keys_can_be_overridden_like_any_other():
    scenario = Scenario.from_dict(day_doc(shifts={"full": {"length": "8h"}}))
    assert scenario.with_overrides({"shifts.full.length": "6h"}).shifts["full"].length == 6 * 3600
    added = scenario.with_overrides({"shifts.part": {"length": "4h"}})
    assert set(added.shifts) == {"full", "part"}
    with pytest.raises(ScenarioError, match="did you mean 'length'"):
        scenario.with_overrides({"shifts.full.lenght": "6h"})


# --- the MILP on cases solved by hand ---------------------------------------------------------


def test_a_flat_requirement_of_10_for_8_hours_takes_exactly_10_eight_hour_shifts():
    scenario = Scenario.from_dict(
        day_doc(shifts={"day": {"length": "8h", "starts": every_half_hour("08:00", "12:00")}})
    )
    roster = make_roster(scenario, {"phones": [10] * 16})
    table = roster.shifts_table()
    assert list(table["count"]) == [10]
    assert (table["start"][0], table["end"][0], table["breaks"][0]) == ("08:00", "16:00", "")
    assert roster.paid_hours == 80.0 and roster.cost == 80.0
    assert roster.gap == 0.0 and roster.solution.lp_bound == pytest.approx(80.0)
    assert roster.summary()["overcover_pct"] == 0.0


def test_two_peaks_an_eight_hour_shift_cannot_join_take_two_shifts():
    """One agent 09:00–10:00 and one 18:00–19:00: no 8-hour shift spans both (10 h apart), so
    the optimum is two of them (16 paid hours); 4-hour shifts at 1.5× the hourly cost make
    it two of those instead (cost 12 < 16)."""
    need = np.zeros(24, dtype=int)
    need[[2, 3, 20, 21]] = 1  # 09:00, 09:30, 18:00, 18:30
    full = {"length": "8h", "starts": every_half_hour("08:00", "12:00")}
    only_full = Scenario.from_dict(day_doc(24, shifts={"full": full}))
    roster = make_roster(only_full, {"phones": need})
    assert roster.paid_hours == 16.0 and roster.solution.counts.sum() == 2
    assert np.all(roster.agents["phones"] >= need)
    part = {"length": "4h", "starts": every_half_hour("08:00", "16:00"), "cost": 1.5}
    both = Scenario.from_dict(day_doc(24, shifts={"full": full, "part": part}))
    cheaper = make_roster(both, {"phones": need})
    assert cheaper.cost == 12.0 and cheaper.paid_hours == 8.0
    assert set(cheaper.shifts_table()["shift"]) == {"part"}


def test_breaks_are_placed_so_no_interval_drops_below_the_requirement():
    """10 agents 08:00–16:00, every shift 08:00–16:00 with a 30-minute lunch in five possible
    places: n shifts keep n − ⌈n/5⌉ on the phones at best, so 13 shifts are needed (12 leave 9)."""
    lunch = {"length": "8h", "starts": ["08:00"], "breaks": LUNCH}
    scenario = Scenario.from_dict(day_doc(shifts={"day": lunch}))
    roster = make_roster(scenario, {"phones": [10] * 16})
    assert roster.solution.counts.sum() == 13
    assert np.all(roster.agents["phones"] >= 10)
    lunches = roster.shifts_table()["breaks"]
    assert len(set(lunches)) == 5  # spread over every allowed placement


def test_with_random_requirements_the_roster_covers_every_interval_and_beats_no_lp_bound():
    rng = np.random.default_rng(11)
    shifts = {
        "full": {"length": "8h", "starts": every_half_hour("08:00", "12:00"), "breaks": LUNCH},
        "part": {"length": "4h", "starts": every_half_hour("08:00", "16:00")},
    }
    scenario = Scenario.from_dict(day_doc(24, shifts=shifts))
    for _ in range(5):
        need = rng.integers(0, 30, size=24)
        roster = make_roster(scenario, {"phones": need})
        assert np.all(roster.agents["phones"] >= need)
        assert roster.cost >= roster.solution.lp_bound - 1e-6
        assert roster.gap <= 0.001
        # paid hours ≥ the agent-hours on the phones ≥ the agent-hours required
        assert roster.paid_hours >= scenario.agent_hours(roster.agents["phones"])
        assert scenario.agent_hours(roster.agents["phones"]) >= scenario.agent_hours(need)


def test_min_and_max_counts_bound_the_shifts_of_a_template_per_day():
    full = {"length": "8h", "starts": every_half_hour("08:00", "12:00"), "max": 4}
    part = {"length": "4h", "starts": every_half_hour("08:00", "16:00"), "min": 3}
    scenario = Scenario.from_dict(day_doc(shifts={"full": full, "part": part}))
    roster = make_roster(scenario, {"phones": [10] * 16})
    counts = roster.summary()["templates"]
    assert counts["full"]["shifts"] <= 4 and counts["part"]["shifts"] >= 3
    assert np.all(roster.agents["phones"] >= 10)
    assert roster.paid_hours == 80.0  # 4 full + 12 part (4 h) still cover exactly


def test_days_on_five_of_seven_needs_three_agents_for_two_a_day():
    """2 agents 09:00–17:00 every day of a week, 8-hour shifts, 5 days of 7: 14 shift-days
    need 3 agents (15 days worked) — each day at most one of them off — so 15 shifts."""
    n = 7 * 24
    need = np.tile([0] * 9 + [2] * 8 + [0] * 7, 7)
    for off in ("any", "consecutive"):
        doc = day_doc(n, start="00:00")
        doc["interval"] = "60min"
        doc["groups"]["phones"]["agents"] = [0] * n
        doc["shifts"] = {
            "week": {"length": "8h", "starts": ["09:00"], "days_on": 5, "days_off": off}
        }
        roster = make_roster(Scenario.from_dict(doc), {"phones": need})
        assert roster.solution.counts.sum() == 15, off
        assert roster.summary()["templates"]["week"]["agents_on_tours"] == 3
        assert np.all(roster.agents["phones"] >= need)
    free = Scenario.from_dict({**doc, "shifts": {"week": {"length": "8h", "starts": ["09:00"]}}})
    assert make_roster(free, {"phones": need}).solution.counts.sum() == 14


def test_an_interval_no_template_covers_is_named_with_its_group():
    shifts = {"morning": {"length": "4h", "starts": ["08:00"]}}
    scenario = Scenario.from_dict(day_doc(shifts=shifts))
    with pytest.raises(ValueError, match=r"no shift template covers group phones at 12:00"):
        make_roster(scenario, {"phones": [10] * 16})
    with pytest.raises(ValueError, match="no shift templates"):
        make_roster(Scenario.from_dict(day_doc()), {"phones": [10] * 16})


# --- files ------------------------------------------------------------------------------------


def agents_from_shifts_csv(path: Path, starts: list[str]) -> np.ndarray:
    """Agents on the phones per interval recomputed from shifts.csv alone (one-day labels)."""

    def minutes(text: str) -> int:
        hours, mins = text[-5:].split(":")
        return int(hours) * 60 + int(mins)

    grid = [minutes(s) for s in starts]
    on = np.zeros(len(grid), dtype=int)
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            begin, end = minutes(row["start"]), minutes(row["end"]) or 24 * 60
            off = [tuple(map(minutes, b.split("-"))) for b in row["breaks"].split(";") if b]
            for i, t in enumerate(grid):
                if begin <= t < end and not any(a <= t < b for a, b in off):
                    on[i] += int(row["count"])
    return on


def test_written_files_agree_with_each_other(tmp_path):
    shifts = {
        "full": {"length": "8h", "starts": every_half_hour("08:00", "12:00"), "breaks": LUNCH},
        "part": {"length": "4h", "starts": every_half_hour("08:00", "16:00")},
    }
    scenario = Scenario.from_dict(day_doc(24, shifts=shifts))
    need = np.array([5, 8, 12, 15, 18, 18, 16, 14, 12, 12, 14, 16] * 2)
    roster = make_roster(scenario, {"phones": need})
    roster.write(tmp_path)
    with open(tmp_path / "shifts.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["shift", "group", "start", "end", "breaks", "count"]
    with open(tmp_path / "coverage.csv", newline="") as handle:
        coverage = list(csv.DictReader(handle))
    assert list(coverage[0]) == [
        "group",
        "interval",
        "start",
        "required",
        "scheduled",
        "over",
        "under",
    ]
    scheduled = np.array([int(r["scheduled"]) for r in coverage])
    assert np.array_equal(
        agents_from_shifts_csv(tmp_path / "shifts.csv", scenario.starts), scheduled
    )
    assert np.array_equal([int(r["required"]) for r in coverage], need)
    summary = json.loads((tmp_path / "summary.json").read_text())
    hours = {"full": 8, "part": 4}
    assert summary["paid_hours"] == sum(hours[r["shift"]] * int(r["count"]) for r in rows)
    over = sum(int(r["over"]) for r in coverage) * 0.5
    assert summary["overcover_pct"] == pytest.approx(100 * over / (need.sum() * 0.5))
    assert summary["solver"]["gap"] <= 0.001 and summary["below_requirement"] == []


def test_a_written_plan_is_read_back_and_a_foreign_one_refused(tmp_path):
    from ccsim import plan_staffing

    scenario = Scenario.from_dict(day_doc(volume=[60, 80, 100, 120] * 4))
    plan = plan_staffing(scenario)
    plan.write(tmp_path)
    read = read_plan_agents(tmp_path, scenario)
    assert np.array_equal(read["phones"], plan.agents["phones"])
    other = Scenario.from_dict(day_doc(volume=[60, 80, 100, 120] * 4, start="09:00"))
    with pytest.raises(ValueError, match=r"groups.csv: line 2: start '08:00' is not the scenario"):
        read_plan_agents(tmp_path, other)
    with pytest.raises(ValueError, match="no groups.csv"):
        read_plan_agents(tmp_path / "nothing", scenario)


# --- verification by simulation ---------------------------------------------------------------


def verify_doc() -> dict:
    volume = [40, 60, 90, 120, 140, 150, 140, 120, 100, 90, 90, 100, 110, 100, 80, 60]
    doc = day_doc(
        shifts={
            "full": {"length": "8h", "starts": every_half_hour("08:00", "12:00"), "breaks": LUNCH},
            "part": {"length": "4h", "starts": every_half_hour("08:00", "12:00")},
        },
        volume=volume,
    )
    doc["channels"]["voice"]["patience"] = "120s"
    doc["groups"]["phones"]["agents"] = "auto"
    return doc


@pytest.fixture(scope="module")
def verified() -> tuple[Scenario, dict, Roster, Roster]:
    """A generous plan (the verified plan + 3 agents everywhere) rostered plainly and with
    verification: verification should find the slack and roster below the plan."""
    from ccsim import plan_staffing

    scenario = Scenario.from_dict(verify_doc())
    plan = plan_staffing(scenario, verify=True, replications=20, seed=5)
    generous = {"phones": plan.agents["phones"] + 3}
    plain = make_roster(scenario, generous)
    checked = make_roster(
        scenario, generous, verify=True, replications=20, seed=5, max_iterations=16
    )
    return scenario, generous, plain, checked


def test_a_verified_roster_meets_every_target_on_its_days_and_on_fresh_ones(verified):
    scenario, _, plain, roster = verified
    assert roster.verified and roster.unmet == [] and roster.iterations >= 2
    misses = roster_misses(scenario, roster.simulation)
    assert not any(m.any() for m in misses.values())
    assert roster.paid_hours < plain.paid_hours  # the slack of the generous plan is rostered away
    fresh = simulate(scenario, 100, 8642, agents=roster.agents)
    # no interval is significantly below the target on 100 other days (its 95% CI)
    assert np.all(fresh.intervals["service_level_hi"] >= 0.8)


def test_breaks_leave_an_interval_below_the_plan_only_where_simulation_shows_it_holds(verified):
    scenario, generous, plain, roster = verified
    assert plain.below_requirement() == []  # unverified: breaks never uncover an interval
    assert np.all(plain.agents["phones"] >= generous["phones"])
    below = roster.below_requirement()
    assert below, "the generous plan has slack: the verified roster should use it"
    table = roster.simulation.intervals
    for group, i, required, scheduled in below:
        assert scheduled < required == generous[group][i]
        assert table["service_level_lo"][i] >= 0.8  # met with the simulated confidence there
    assert "the targets hold by simulation" in roster.describe()
    listed = roster.summary()["below_requirement"]
    assert [(e["interval"], e["scheduled"]) for e in listed] == [(i, s) for _, i, _, s in below]


def test_verification_adds_coverage_where_a_too_small_plan_misses():
    scenario = Scenario.from_dict(verify_doc())
    from ccsim import plan_staffing

    short = np.maximum(plan_staffing(scenario).agents["phones"] - 4, 1)
    roster = make_roster(
        scenario, {"phones": short}, verify=True, replications=20, seed=5, max_iterations=16
    )
    assert roster.unmet == []
    assert np.any(roster.agents["phones"] > short + 2)
    assert np.any(roster.target["phones"] > short)  # the requirement was raised, and met


# --- the command --------------------------------------------------------------------------------


def write_scenario(tmp_path: Path, shifts: dict) -> Path:
    lines = [
        'name = "cli"',
        'interval = "30min"',
        'start = "08:00"',
        "[channels.voice]",
        "volume = 100",
        'aht = "180s"',
        "service_level = 0.8",
        'within = "20s"',
        "[groups.phones]",
        'skills = ["voice"]',
        "agents = [" + ", ".join(["10"] * 16) + "]",
    ]
    for name, body in shifts.items():
        lines.append(f"[shifts.{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in body.items()]
    path = tmp_path / "cli.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_roster_command_writes_the_files_and_the_figure(tmp_path):
    path = write_scenario(tmp_path, {"day": {"length": "8h", "starts": ["08:00"]}})
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["roster", str(path), "--out", str(out), "--plot"])
    assert result.exit_code == 0, result.output
    assert "roster of" in result.output and "LP bound" in result.output
    for name in ("shifts.csv", "coverage.csv", "summary.json", "roster.png"):
        assert (out / name).stat().st_size > 0
    again = CliRunner().invoke(cli, ["roster", str(path), "--out", str(out), "--json"])
    assert (
        json.loads(again.output)["paid_hours"]
        == json.loads((out / "summary.json").read_text())["paid_hours"]
    )


def test_roster_command_from_a_written_plan(tmp_path):
    path = write_scenario(tmp_path, {"day": {"length": "8h", "starts": ["08:00"]}})
    plan = tmp_path / "plan"
    assert CliRunner().invoke(cli, ["staff", str(path), "--out", str(plan)]).exit_code == 0
    result = CliRunner().invoke(
        cli, ["roster", str(path), "--from-plan", str(plan), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    with open(plan / "groups.csv", newline="") as handle:
        planned = max(int(r["agents"]) for r in csv.DictReader(handle))
    with open(tmp_path / "r" / "shifts.csv", newline="") as handle:
        assert [int(r["count"]) for r in csv.DictReader(handle)] == [planned]


@pytest.mark.parametrize(
    ("shifts", "extra", "words"),
    [
        (
            {"am": {"length": "4h", "starts": ["08:00"]}},
            [],
            "no shift template covers group phones at 12:00 (interval 8",
        ),
        ({}, [], "no shift templates"),
        ({"day": {"length": "8h"}}, ["--from-plan", "nowhere"], "no groups.csv in nowhere"),
        ({"day": {"length": "8h"}}, ["--gap", "150%"], "--gap must be a share"),
        ({"day": {"length": "8h"}}, ["--time-limit", "soon"], "--time-limit"),
        ({"day": {"length": "7h50min"}}, [], "shifts.day.length: must be a whole number"),
    ],
)
def test_roster_command_bad_input_exits_2_with_one_line(tmp_path, shifts, extra, words):
    path = write_scenario(tmp_path, shifts)
    result = CliRunner().invoke(cli, ["roster", str(path), "--out", str(tmp_path / "o"), *extra])
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_bundled_day_carries_shift_templates():
    from ccsim import load_scenario

    scenario = load_scenario(SCENARIOS / "omnichannel_day.toml")
    assert set(scenario.shifts) == {"full", "part"}
    roster = make_roster(scenario)
    assert np.all(roster.agents["phones"] >= roster.requirement["phones"])
    assert roster.gap <= 0.001


def test_roster_command_verifies_by_simulation(tmp_path):
    path = write_scenario(
        tmp_path,
        {
            "day": {"length": "8h", "starts": ["08:00"]},
            "part": {"length": "4h", "starts": ["08:00", "12:00"]},
        },
    )
    out = tmp_path / "v"
    result = CliRunner().invoke(
        cli,
        [
            "roster",
            str(path),
            "--verify",
            "--replications",
            "5",
            "--jobs",
            "1",
            "--seed",
            "3",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "simulation runs × 5 days" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["verified"] and summary["replications"] == 5 and summary["seed"] == 3
    assert summary["iterations"] >= 1


def test_a_day_scope_target_is_judged_over_the_day_not_per_interval():
    """voice 80% in 20 s over the day: one short-staffed interval in a well-staffed day is no
    miss (the per-interval rule would flag it); a short-staffed day misses in every open
    interval."""
    from ccsim.staffing.verify import interval_misses

    doc = day_doc(volume=100)
    doc["channels"]["voice"]["per"] = "day"
    scenario = Scenario.from_dict(doc)
    dip = np.full(16, 16)
    dip[5] = 9  # 10 Erlangs offered: 9 agents cannot keep up in that half-hour
    result = simulate(scenario, 20, 4, agents={"phones": dip})
    per_day = roster_misses(scenario, result)
    assert not per_day["voice"].any()
    assert interval_misses(scenario, result)["voice"][5]  # per interval, it would miss
    short = simulate(scenario, 20, 4, agents={"phones": np.full(16, 11)})
    assert roster_misses(scenario, short)["voice"].all()
