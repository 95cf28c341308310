"""Issue 14: figures a manager reads.

Legends beside the panels (never on the bars), whole agents on agent axes, every
target drawn where it is one (service level, ASA, abandonment, occupancy), week axes
by weekday with lines between days, simulation.png with distinct colours and named
axes, sweep.png in % with human labels and the cheapest point meeting the target.
Each test reads the returned matplotlib Figure (drawn with Agg).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba

from ccsim import Scenario, load_scenario, plan_staffing, simulate
from ccsim.plots import plot_groups, plot_simulation, plot_staffing, plot_sweep
from ccsim.results import Table

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def drawn(fig):
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig


def targets_everywhere() -> Scenario:
    """One voice channel with every kind of target."""
    return Scenario.from_dict(
        {
            "name": "targets",
            "interval": "30min",
            "start": "09:00",
            "channels": {
                "voice": {
                    "volume": [60, 90, 120, 90, 60],
                    "aht": "3min",
                    "patience": "2min",
                    "service_level": 0.8,
                    "within": "20s",
                    "asa": "15s",
                    "max_abandon": 0.04,
                    "max_occupancy": 0.85,
                }
            },
            "groups": {"phones": {"skills": ["voice"], "agents": "auto"}},
        }
    )


@pytest.fixture(scope="module")
def bank_plan():
    return plan_staffing(load_scenario(SCENARIOS / "multiskill_bank.toml"))


@pytest.fixture(scope="module")
def bank_simulation():
    return simulate(load_scenario(SCENARIOS / "multiskill_bank.toml"), 4, 3)


def test_legends_sit_beside_the_panels(bank_plan, bank_simulation):
    for fig in (plot_staffing(bank_plan), plot_simulation(bank_simulation)):
        drawn(fig)
        legends = [(ax, ax.get_legend()) for ax in fig.axes if ax.get_legend() is not None]
        assert legends
        for ax, legend in legends:
            assert legend.get_window_extent().x0 >= ax.get_window_extent().x1  # right of it


def test_agent_axes_have_whole_ticks(bank_plan, bank_simulation):
    for fig in (plot_staffing(bank_plan), plot_groups(bank_plan), plot_simulation(bank_simulation)):
        drawn(fig)
        agent_axes = [ax for ax in fig.axes if ax.get_ylabel() == "agents"]
        assert agent_axes
        for ax in agent_axes:
            ticks = ax.get_yticks()
            assert np.all(ticks == np.round(ticks)), ticks


@pytest.mark.parametrize("kind", ["plan", "simulation"])
def test_every_target_is_drawn_where_it_is_one(kind):
    scenario = targets_everywhere()
    if kind == "plan":
        fig = plot_staffing(plan_staffing(scenario))
    else:
        fig = plot_simulation(simulate(scenario, 3, 1, agents={"phones": 12}))
    labels = {label for ax in fig.axes for label in ax.get_legend_handles_labels()[1]}
    for wanted in (
        "target 80%",
        "abandoned",
        "abandoned: ceiling 4%",
        "occupancy (its groups)",
        "occupancy (its groups): ceiling 85%",
        "ASA (right axis)",
        "ASA ceiling 15s",
    ):
        assert wanted in labels
    assert any(ax.get_ylabel() == "ASA, seconds" for ax in fig.axes)


def test_no_ceiling_no_line(bank_plan):
    labels = {
        lab for ax in plot_staffing(bank_plan).axes for lab in ax.get_legend_handles_labels()[1]
    }
    assert not any(label.startswith(("ASA", "occupancy")) for label in labels)


def test_week_axes_are_labelled_by_weekday_with_day_lines():
    plan = plan_staffing(load_scenario(SCENARIOS / "forecast_week.toml"))
    fig = drawn(plot_groups(plan))
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_xticklabels(minor=True)]
    assert names == [f"{d}\n{n} Nov" for d, n in zip(
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], range(23, 30), strict=True)]  # fmt: skip
    assert all(t.get_text() == "" for t in ax.get_xticklabels())  # no "11-23 14:00"
    boundaries = [line for line in ax.get_lines() if list(line.get_xdata()) in (
        [b - 0.5, b - 0.5] for b in range(96, 672, 96))]  # fmt: skip
    assert len(boundaries) == 6


def test_a_single_day_is_labelled_by_time():
    scenario = targets_everywhere()
    fig = drawn(plot_staffing(plan_staffing(scenario)))
    labels = [t.get_text() for t in fig.axes[-1].get_xticklabels()]
    assert labels[:2] == ["09:00", "09:30"]


def test_simulation_figure_colours_and_axes(bank_simulation):
    fig = drawn(plot_simulation(bank_simulation))
    left, kpis = fig.axes[0], fig.axes[1]
    bars = to_rgba(left.patches[0].get_facecolor())
    band = next(c for c in kpis.collections if c.get_label() == "95% CI")
    assert bars[:3] != tuple(band.get_facecolor()[0][:3])  # not the same pale blue
    assert left.get_ylabel() == "contacts offered / interval"
    agents = [ax for ax in fig.axes if ax.get_ylabel() == "agents"]
    assert len(agents) == 2 and agents[0].get_lines()  # agents drawn per channel
    assert kpis.get_ylabel().startswith("% answered within 20s")
    assert all(label != "target" for label in left.get_legend_handles_labels()[1])


def sweep_table(seeds: list[int]) -> Table:
    agents = [12, 13, 14, 15, 12, 13, 14, 15]
    aht = ["160s"] * 4 + ["200s"] * 4
    level = [0.83, 0.91, 0.95, 0.97, 0.40, 0.62, 0.76, 0.86]
    return Table(
        {
            "point": np.arange(8),
            "groups.phones.agents": np.array(agents),
            "channels.voice.aht": np.array(aht, dtype=object),
            "channel": np.array(["voice"] * 8, dtype=object),
            "service_level": np.array(level),
            "service_level_lo": np.array(level) - 0.03,
            "service_level_hi": np.array(level) + 0.03,
            "agent_hours": np.array(agents, dtype=float) * 8,
            "seed": np.array(seeds),
        }
    )


def test_sweep_in_percent_with_human_labels_and_the_cheapest_point():
    params = ["groups.phones.agents", "channels.voice.aht"]
    fig = drawn(plot_sweep(sweep_table([1] * 8), params, targets={"voice": 0.8},
                           within={"voice": 20.0}))  # fmt: skip
    ax = fig.axes[0]
    assert ax.get_xlabel() == "phones agents"
    assert ax.get_ylabel() == "% answered within 20s"
    assert ax.get_ylim()[1] > 100
    labels = ax.get_legend_handles_labels()[1]
    assert "voice AHT 160s" in labels and "voice AHT 200s" in labels
    stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
    assert sorted((float(s.get_xdata()[0]), float(s.get_ydata()[0])) for s in stars) == [
        (12.0, pytest.approx(83.0)),
        (15.0, pytest.approx(86.0)),
    ]
    assert fig._supxlabel is None  # common random numbers: nothing to warn about


def test_sweep_says_when_curves_may_cross_by_chance():
    fig = plot_sweep(sweep_table(list(range(8))), ["groups.phones.agents", "channels.voice.aht"])
    assert "--common-random-numbers" in fig._supxlabel.get_text()


def test_a_shared_channel_shows_its_need_not_a_zigzag_share():
    plan = plan_staffing(load_scenario(SCENARIOS / "omnichannel_day.toml"))
    fig = plot_staffing(plan)
    chat = next(ax for ax in fig.axes if ax.get_title(loc="left").startswith("chat"))
    twin = next(ax for ax in fig.axes if ax is not chat and ax.get_shared_x_axes().joined(ax, chat)
                and ax.get_ylabel() == "agents")  # fmt: skip
    labels = twin.get_legend_handles_labels()[1]
    assert labels == ["agents it needs alone (Erlang)"]
    groups = [ax.get_title(loc="left") for ax in fig.axes if "peak" in ax.get_title(loc="left")]
    assert any(title.startswith("digital (chat, social, email)") for title in groups)
