"""Open hours, target clocks, work carried over the night, and the rest of a day from a state."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

import ccsim
from ccsim.cli import cli
from ccsim.scenario import Scenario
from ccsim.sim.carry import play_day
from ccsim.sim.metrics import ANSWERED, clock_wait
from ccsim.sim.state import state_at
from ccsim.staffing import plan_staffing

HOUR = 3600.0


def day(email: dict | None = None, agents=None, n: int = 24) -> Scenario:
    """08:00–20:00 in half hours: email only, target 90% in 4 h (a deferred channel)."""
    channel = {"volume": [10] * n, "aht": "6min", "service_level": 0.9, "within": "4h"}
    channel.update(email or {})
    return Scenario.from_dict(
        {
            "interval": "30min",
            "start": "08:00",
            "channels": {"email": channel},
            "groups": {"digital": {"skills": ["email"], "agents": agents or [2] * n}},
        }
    )


@pytest.mark.parametrize(("after_opening", "within"), [(3 * HOUR, True), (4.5 * HOUR, False)])
def test_an_email_30_min_before_closing_is_due_in_open_hours(after_opening, within):
    sc = day()
    # carried over the night: it waited 30 open minutes before the close (its age), and is
    # answered `after_opening` into the next day
    records = {
        "channel": np.array([0]),
        "arrival": np.array([-0.5 * HOUR]),
        "wait": np.array([after_opening + 0.5 * HOUR]),
    }
    waited = clock_wait(records, sc)[0]
    assert waited == pytest.approx(after_opening + 0.5 * HOUR)
    assert bool(waited <= 4 * HOUR) == within
    # the open clock stops outside the hours: 19:30 → 20:00 is 30 min, the night is closed
    arrival = 11.5 * HOUR
    assert sc.open_time("email", [12 * HOUR])[0] - sc.open_time("email", [arrival])[0] == 1800


def test_hours_close_the_clock_inside_the_horizon():
    sc = day({"hours": "08:00-12:00, 14:00-20:00"})
    # 11:00 → 15:00 wall is 2 h open (11–12 and 14–15)
    start, end = 3 * HOUR, 7 * HOUR
    assert sc.open_time("email", [end])[0] - sc.open_time("email", [start])[0] == 2 * HOUR
    assert sc.open_mask("email").sum() == 20


def test_email_left_at_the_close_is_answered_next_morning_in_open_hours():
    # email arrives only in the last hour; agents work only the first hour
    volume = [0] * 22 + [15, 15]
    agents = [4, 4] + [0] * 22
    open_clock = ccsim.simulate(day({"volume": volume}, agents), 20, seed=3)
    wall = ccsim.simulate(day({"volume": volume, "clock": "wall"}, agents), 20, seed=3)
    level = open_clock.channels["service_level"][0]
    assert level > 0.9  # answered in the first open hour: well within 4 open hours
    assert wall.channels["service_level"][0] == 0  # by the wall clock: unanswered
    assert open_clock.channels["carried_in"][0] > 0


def test_a_one_day_scenario_is_in_a_steady_state():
    """The backlog at the open equals the one at the close, within the simulated CI (the
    open's backlog comes from independent days before: the two are independent draws)."""
    volume = [10] * 20 + [30] * 4  # a busy last two hours leaves email for the morning
    sc = day({"volume": volume}, [3] * 24)
    carried_in, carried_out = [], []
    for replication in range(150):
        records, out = play_day(sc, np.array([[3] * 24]), seed=5, replication=replication)
        carried_in.append(int((records["arrival"] < 0).sum()))
        carried_out.append(float(out[0]))
    difference = np.array(carried_out) - np.array(carried_in)
    assert np.mean(carried_in) > 5  # there is a backlog to carry
    half = stats.t.ppf(0.995, len(difference) - 1) * difference.std(ddof=1) / np.sqrt(150)
    assert abs(difference.mean()) <= max(half, 1e-9)


def test_the_plan_does_not_pile_email_before_the_close():
    sc = day({"volume": [20] * 24}, None)
    plan = plan_staffing(Scenario.from_dict({**sc.spec, "groups": {"digital": {
        "skills": ["email"], "agents": "auto"}}}))  # fmt: skip
    email = plan.requirement["email"]
    assert email[-2:].max() <= 1.5 * np.median(email)


def small_center() -> Scenario:
    return Scenario.from_dict(
        {
            "interval": "30min",
            "start": "08:00",
            "seed": 4,
            "channels": {
                "voice": {
                    "volume": [80] * 12,
                    "aht": "3min",
                    "service_level": 0.8,
                    "within": "20s",
                    "patience": "2min",
                },  # fmt: skip
            },
            "groups": {"phones": {"skills": ["voice"], "agents": [9] * 12}},
        }
    )


def rest_of_day_level(records, start: float) -> float:
    """Service level of the contacts arriving at or after ``start`` (20 s target)."""
    rows = records["arrival"] >= start
    answered = records["outcome"][rows] == ANSWERED
    return float((answered & (records["wait"][rows] <= 20)).sum() / max(rows.sum(), 1))


def test_the_rest_of_a_day_from_its_state_behaves_like_the_day():
    sc = small_center()
    at = 3 * HOUR  # 11:00
    whole = ccsim.simulate(sc, 30, seed=11, contacts=True)
    uninterrupted, resumed = [], []
    for r in range(30):
        rows = whole.contacts["replication"] == r
        day_records = {k: np.asarray(v)[rows] for k, v in whole.contacts.items()}
        uninterrupted.append(rest_of_day_level(day_records, at))
        waiting, agents = state_at(whole, r, at)
        rest = sc.from_state("11:00", waiting, agents)
        again = ccsim.simulate(rest, 1, seed=100 + r, contacts=True)
        resumed.append(rest_of_day_level(dict(again.contacts), 0.0))
    # the two samples of 30 days: means equal within a 99% Welch interval
    assert stats.ttest_ind(uninterrupted, resumed, equal_var=False).pvalue > 0.01


def test_a_long_queue_raises_the_replan():
    sc = Scenario.from_dict({**small_center().spec, "groups": {"phones": {
        "skills": ["voice"], "agents": "auto"}}})  # fmt: skip
    empty = plan_staffing(sc.from_state("11:00"))
    queued = plan_staffing(sc.from_state("11:00", [("voice", 60.0)] * 40))
    assert queued.agents["phones"][0] > empty.agents["phones"][0]


def test_state_file_errors_name_file_line_and_column(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        'interval = "30min"\nstart = "08:00"\n[channels.voice]\nvolume = [10, 10]\naht = 60\n'
        '[groups.phones]\nskills = ["voice"]\nagents = [2, 2]\n'
    )
    state = tmp_path / "now.csv"
    state.write_text("kind,name,value\nwaiting,voice,2min\nwaiting,vioce,1min\nagents,phones,x\n")
    result = CliRunner().invoke(
        cli, ["simulate", str(scenario), "--state", str(state), "--from", "08:30"]
    )
    assert result.exit_code == 2, result.output
    assert "now.csv: line 3: column 'name': no channel 'vioce'" in result.output
    assert "now.csv: line 4: column 'value': expected a whole number" in result.output
    state.write_text("kind,name,value\nwaiting,voice,2min\nagents,phones,3\n")
    result = CliRunner().invoke(
        cli,
        [
            "simulate",
            str(scenario),
            "--state",
            str(state),
            "--from",
            "08:30",
            "--replications",
            "2",
        ],  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["simulate", str(scenario), "--state", str(state)])
    assert result.exit_code == 2 and "--state and --from go together" in result.output
