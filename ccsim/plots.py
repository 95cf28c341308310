"""matplotlib figures for planners: one function per figure, each returning a ``Figure``.

Figures are made outside pyplot's global state (a notebook shows the returned
figure; nothing needs closing); :func:`save_figure` writes one as a PNG
atomically, so a report directory never holds half a picture.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ccsim.durations import format_duration
from ccsim.results import atomic_path

__all__ = [
    "plot_backtest",
    "plot_groups",
    "plot_roster",
    "plot_simulation",
    "plot_staffing",
    "plot_sweep",
    "save_figure",
]


def _figure(nrows: int, ncols: int, figsize: tuple[float, float]) -> tuple[Figure, np.ndarray]:
    """A new figure and its grid of axes (2-d array), outside pyplot's global state."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _laid_out(nrows: int, ncols: int, figsize: tuple[float, float]) -> tuple[Figure, np.ndarray]:
    """Like :func:`_figure`, with matplotlib's constrained layout: room is made for the
    legends placed beside the panels (:func:`_legend_beside`)."""
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _legend_beside(ax, *others) -> None:
    """One legend for ``ax`` and its twin axes ``others``, beside the panel on the right
    (never over the bars or lines)."""
    handles, labels = ax.get_legend_handles_labels()
    for other in others:
        more = other.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    if handles:
        anchor = 1.02 + 0.1 * len(others)  # past the twin axes' tick labels
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(anchor, 1.0), fontsize=7.5,
                  frameon=False, borderaxespad=0.0)  # fmt: skip


def _step(ax, values: Any, **kwargs: Any) -> Any:
    """Per-interval values as steps over whole intervals (interval *i* spans *i* ± ½,
    under its bar)."""
    values = np.asarray(values, dtype=float)
    edges = np.arange(len(values) + 1) - 0.5
    return ax.step(edges, np.append(values, values[-1:]), where="post", **kwargs)


def _fill_steps(ax, lower: Any, upper: Any, where: Any, **kwargs: Any) -> None:
    """Shade between two per-interval step lines (:func:`_step`) where ``where`` holds."""
    edges = np.arange(len(lower) + 1) - 0.5
    ax.fill_between(edges, np.append(lower, lower[-1:]), np.append(upper, upper[-1:]),
                    where=np.append(where, where[-1:]), step="post", lw=0, **kwargs)  # fmt: skip


def _whole_agents(ax) -> None:
    """Agents are whole people: integer ticks only, from 0."""
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=3))
    ax.set_ylim(bottom=0)


def _day_name(label: str) -> str:
    """``"Mon\\n23 Nov"`` (two lines) for a day label ``"Mon 2026-11-23"``; ``"day 2"`` stays."""
    parts = label.split()
    if len(parts) == 2 and len(parts[1]) == 10:
        import datetime as dt

        day = dt.date.fromisoformat(parts[1])
        return f"{parts[0]}\n{day.day} {day.strftime('%b')}"
    return label


def _time_axis(ax, scenario: Any, labels: bool = True, max_labels: int = 12) -> None:
    """The x axis of a per-interval panel (interval *i* at x = *i*): times of day over one
    day; over several days a label per day by weekday (``Mon 23 Nov``, or ``day 2``) and
    a line between days."""
    n = scenario.n_intervals
    ax.set_xlim(-0.5, n - 0.5)
    days = scenario.day_index()
    if n == 0 or days[-1] == 0:
        positions, text = _tick_labels(list(scenario.starts), max_labels)
        ax.set_xticks(positions)
        tilt = len(positions) > 9
        ax.set_xticklabels(text if labels else [], rotation=45 if tilt else 0,
                           ha="right" if tilt else "center", fontsize=8)  # fmt: skip
        return
    firsts = np.flatnonzero(np.diff(np.concatenate([[-1], days])))
    ends = np.append(firsts[1:], n)
    names = [_day_name(label) for label in scenario.day_labels()]
    step = max(1, math.ceil(len(firsts) / max_labels))
    ax.set_xticks(firsts[1:] - 0.5)
    ax.set_xticklabels([])
    ax.set_xticks((firsts + ends - 1) / 2.0, minor=True)
    shown = [name if k % step == 0 and labels else "" for k, name in enumerate(names)]
    ax.set_xticklabels(shown, minor=True, fontsize=8)
    ax.tick_params(axis="x", which="minor", length=0)
    for boundary in firsts[1:]:
        ax.axvline(boundary - 0.5, color="#555555", lw=0.7, alpha=0.6, zorder=0.5)


def save_figure(fig: Figure, path: str | os.PathLike) -> Path:
    """Save ``fig`` as a PNG to ``path`` atomically (a temporary name, then renamed)."""
    path = Path(path)
    with atomic_path(path, suffix=".png") as tmp, warnings.catch_warnings():
        # a name in a script the font lacks (a CJK scenario name) is drawn as boxes, not
        # reported once per glyph
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from")
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
    return path


def _title(name: str, channel: Any) -> str:
    """``"voice — 80% in 20s"`` (or just the name when the channel has no target)."""
    if channel.sl_target is not None and channel.target_time is not None:
        return f"{name} — {channel.sl_target:.0%} in {format_duration(channel.target_time)}"
    if channel.target_time is not None:
        return f"{name} — answered within {format_duration(channel.target_time)}"
    return name


def _tick_labels(starts: list[str], max_labels: int = 16) -> tuple[np.ndarray, list[str]]:
    """Positions and labels of at most ``max_labels`` ticks; a date shared by all is dropped."""
    step = max(1, math.ceil(len(starts) / max_labels))
    positions = np.arange(0, len(starts), step)
    dates = {label.split(" ")[0] for label in starts if " " in label}
    if len(dates) == 1 and all(" " in label for label in starts):
        labels = [starts[i].split(" ", 1)[1] for i in positions]
    elif dates:
        labels = [starts[i][5:] if len(starts[i]) > 10 else starts[i] for i in positions]
    else:
        labels = [starts[i] for i in positions]
    return positions, labels


_BARS, _AGENTS, _ERLANG = "#cfcfcf", "#b03a2e", "#1f5fa8"
_SL, _ABANDON, _OCCUPANCY, _ASA = "#1f5fa8", "#7d3c98", "#2e8b57", "#d35400"


def plot_simulation(result: Any) -> Figure:
    """A simulation as a PNG: one row per channel. Left: offered contacts per interval
    (grey bars) and the agents able to answer them (all groups with the skill; right axis,
    whole agents). Right: the simulated KPIs per interval (:func:`_kpi_panel`): service
    level with its 95% band and its spread across days against the target, abandonment
    where customers abandon, occupancy and ASA where they have ceilings. Several days are
    labelled by weekday with a line between days."""
    scenario = result.scenario
    table = result.intervals
    names = list(scenario.channels)
    x = np.arange(scenario.n_intervals)
    staffing = np.asarray(result.staffing)
    fig, axes = _laid_out(len(names), 2, figsize=(15, 3.1 * max(1, len(names)) + 0.6))
    for row, name in enumerate(names):
        channel = scenario.channels[name]
        rows = table["channel"] == name
        ax = axes[row, 0]
        offered = np.asarray(table["offered"][rows], dtype=float)
        ax.bar(x, offered, width=0.85, color=_BARS, label="offered (mean per day)")
        _closed_hours(ax, scenario, name)
        ax.set_ylabel("contacts offered / interval")
        ax.set_ylim(0, max(1.0, float(np.nanmax(offered, initial=0)) * 1.1))
        right = ax.twinx()
        able = [k for k, g in enumerate(scenario.groups.values()) if name in g.skills]
        agents = staffing[able].sum(axis=0) if able else np.zeros(len(x))
        _step(right, agents, color=_AGENTS, lw=1.8,
                   label="agents able to answer (groups with the skill)")  # fmt: skip
        right.set_ylabel("agents")
        right.set_ylim(0, max(1.0, float(agents.max(initial=0))) * 1.15)
        _whole_agents(right)
        ax.set_title(f"{_title(name, channel)}: offered and agents", loc="left", fontsize=10)
        _legend_beside(ax, right)
        _kpi_panel(axes[row, 1], table, rows, scenario, name, simulated=True)
        axes[row, 1].set_title(f"{name}: simulated KPIs", loc="left", fontsize=10)
        for panel in axes[row]:
            _time_axis(panel, scenario, labels=row == len(names) - 1)
    fig.suptitle(
        f"{scenario.name}: simulated, {result.replications} replications (seed {result.seed})",
        fontsize=12,
    )
    return fig


# --- sweeps: service level against a swept parameter ----------------------------------------


_SWEEP_MAX_LINES = 12
_FIELD_NAMES = {
    "aht": "AHT",
    "within": "target time",
    "service_level": "service-level target",
    "asa": "ASA ceiling",
    "max_abandon": "abandonment ceiling",
    "max_occupancy": "occupancy ceiling",
    "volume_uncertainty": "day-to-day CV",
    "interval_uncertainty": "interval CV",
}


def _human_key(key: str) -> str:
    """A swept path as people say it: ``channels.voice.aht`` → ``voice AHT``,
    ``groups.phones.agents`` → ``phones agents``, ``shrinkage`` → ``shrinkage``."""
    parts = key.split(".")
    named = parts[0] in ("channels", "groups", "shifts") and len(parts) >= 3
    fields = parts[2:] if named else parts
    text = " ".join(_FIELD_NAMES.get(p, p.replace("_", " ")) for p in fields)
    return f"{parts[1]} {text}" if named else text


def _swept_number(value: Any) -> tuple[float, str] | None:
    """A swept value as a number and its unit (durations in seconds, shares), or None."""
    from ccsim.durations import parse_duration, parse_share

    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value), ""
    if isinstance(value, str):
        try:
            if value.strip().endswith("%"):
                return parse_share(value), "share"
            return parse_duration(value), "seconds"
        except ValueError:
            return None
    return None


def _sweep_axis(table: Any, params: list[str]) -> tuple[str | None, np.ndarray, str]:
    """The first swept parameter whose values are all numbers: its key, its values per row
    in the unit shown (minutes for whole minutes, % for shares) and that unit's label."""
    for key in params:
        numbers = [_swept_number(v) for v in table[key]]
        if not numbers or any(n is None for n in numbers):
            continue
        units = {n[1] for n in numbers}
        unit = units.pop() if len(units) == 1 else ""
        values = np.array([n[0] for n in numbers], dtype=float)
        if unit == "seconds" and np.all(values >= 60) and np.all(values % 60 == 0):
            return key, values / 60.0, "min"
        if unit == "share":
            return key, values * 100.0, "%"
        return key, values, "s" if unit == "seconds" else ""
    return None, np.arange(table.n_rows, dtype=float), ""


def _mark_cheapest(ax, table: Any, rows: np.ndarray, x_all: np.ndarray, target, starred) -> None:
    """A star on the cheapest point of one curve that meets the target, its agent-hours
    beside it (see :func:`_cheapest`)."""
    best = _cheapest(table, rows, target)
    if best is None:
        return
    y = table["service_level"][best] * 100
    label = None if starred else "cheapest point meeting the target"
    ax.plot(x_all[best], y, marker="*", ms=15, color="#f0a500", mec="black", ls="none",
            zorder=5, label=label)  # fmt: skip
    ax.annotate(f"{table['agent_hours'][best]:.0f} agent-h", (x_all[best], y), xytext=(7, 5),
                textcoords="offset points", fontsize=7.5)  # fmt: skip
    starred.append(True)


def _cheapest(table: Any, rows: np.ndarray, target: float | None) -> int | None:
    """The row among ``rows`` with the fewest agent-hours whose service level meets
    ``target`` (None: no target, no agent-hours, or every point costs the same)."""
    if target is None or "agent_hours" not in table:
        return None
    hours = np.asarray(table["agent_hours"][rows], dtype=float)
    level = np.asarray(table["service_level"][rows], dtype=float)
    meets = np.isfinite(hours) & (level >= target)
    if not meets.any() or np.nanmax(hours) == np.nanmin(hours):
        return None
    return int(rows[np.flatnonzero(meets)[np.argmin(hours[meets])]])


def plot_sweep(
    table: Any,
    params: list[str],
    *,
    targets: dict[str, float | None] | None = None,
    title: str | None = None,
    within: dict[str, float | None] | None = None,
) -> Figure:
    """Trade-off curves of a sweep (the ``results.csv`` table of :mod:`ccsim.sweep`).

    One panel per channel: service level in % (with its 95% band) against the first
    swept parameter whose values are all numbers, labelled as people say it ("voice
    AHT (s)"); one line per combination of the other swept parameters (at most 12);
    the channel's target (``targets``, a share; ``within``: its time, seconds) dashed;
    on each line, the cheapest point meeting it (fewest agent-hours) starred. When the
    points were simulated with seeds of their own, a note says the curves may cross by
    chance (``--common-random-numbers`` gives smooth curves).
    """
    x_key, x_all, unit = _sweep_axis(table, params)
    others = [k for k in params if k != x_key and len({str(v) for v in table[k]}) > 1]
    channel_of = [str(c) for c in table["channel"]]
    channels = list(dict.fromkeys(channel_of))
    fig, axes = _laid_out(len(channels), 1, figsize=(9.5, 3.5 * len(channels) + 0.6))
    for ax, channel in zip(axes[:, 0], channels, strict=True):
        rows = np.array([i for i, c in enumerate(channel_of) if c == channel], dtype=int)
        starred: list[bool] = []  # the legend names the star once
        labels = [", ".join(f"{_human_key(k)} {_shown(table[k][i])}" for k in others) for i in rows]
        for n, label in enumerate(dict.fromkeys(labels)):
            if n >= _SWEEP_MAX_LINES:
                break
            line_rows = rows[[lab == label for lab in labels]]
            line_rows = line_rows[np.argsort(x_all[line_rows], kind="stable")]
            x = x_all[line_rows]
            level = np.asarray(table["service_level"][line_rows], dtype=float) * 100
            (line,) = ax.plot(x, level, marker="o", ms=4, label=label or "service level")
            ax.fill_between(x, np.clip(table["service_level_lo"][line_rows], 0, 1) * 100,
                            np.clip(table["service_level_hi"][line_rows], 0, 1) * 100,
                            color=line.get_color(), alpha=0.15, linewidth=0)  # fmt: skip
            _mark_cheapest(ax, table, line_rows, x_all, (targets or {}).get(channel), starred)
        target = (targets or {}).get(channel)
        time = (within or {}).get(channel)
        if target is not None:
            ax.axhline(target * 100, color="black", ls="--", lw=1, label=f"target {target:.0%}")
        ax.set_title(channel, loc="left", fontsize=10)
        ax.set_ylabel("% answered" + (f" within {format_duration(time)}" if time else ""))
        ax.set_ylim(-2, 102)
        ax.set_xlabel(_human_key(x_key) + (f" ({unit})" if unit else "") if x_key else "point")
        ax.grid(alpha=0.3)
        _legend_beside(ax)
    if "seed" in table and len({str(s) for s in table["seed"]}) > 1:
        fig.supxlabel("each point is simulated on days of its own (its seed): curves may cross "
                      "by chance; --common-random-numbers plays the same days everywhere",
                      fontsize=8, color="#555555")  # fmt: skip
    if title:
        fig.suptitle(title, fontsize=12)
    return fig


def _shown(value: Any) -> str:
    """A swept value as written: strings bare, numbers short."""
    return f"{value:g}" if isinstance(value, float) else str(value)


# --- staffing plans: forecast, agents (Erlang vs verified), KPIs; agents per group ---------


def _closed_hours(ax, scenario, name: str) -> None:
    """Shade the intervals in which channel ``name`` is closed (grey bands)."""
    closed = ~scenario.open_mask(name)
    if not closed.any() or closed.all():
        return
    edges = np.flatnonzero(np.diff(np.concatenate([[0], closed.astype(int), [0]])))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        ax.axvspan(start - 0.5, stop - 0.5, color="#999999", alpha=0.12, lw=0)


def _day_fan(ax, x, table, rows, color: str) -> None:
    """The service level across days as a fan: the 10th–90th percentile band (%)."""
    if "service_level_p10" not in table:
        return
    p10 = table["service_level_p10"][rows] * 100
    p90 = table["service_level_p90"][rows] * 100
    if np.isfinite(p10).any() and np.nanmax(np.abs(p90 - p10), initial=0) > 0.05:
        ax.fill_between(x, p10, p90, color=color, alpha=0.1, label="days: 10th–90th percentile")


def _kpi_label(channel: Any) -> str:
    """The y label of a KPI panel: what its % lines are."""
    parts = []
    if channel.target_time is not None:
        parts.append(f"answered within {format_duration(channel.target_time)}")
    if channel.abandons or channel.max_abandon is not None:
        parts.append("abandoned")
    if channel.max_occupancy is not None:
        parts.append("occupancy")
    return "% " + ", ".join(parts) if parts else "%"


def _kpi_panel(ax, table: Any, rows: Any, scenario: Any, name: str, simulated: bool) -> None:
    """A channel's KPIs per interval, closed intervals blank. In %: the service level (its
    spread across days; its 95% band when simulated) against the target (dashed), the
    abandonment where customers abandon and the occupancy of its groups where it has a
    ceiling; in seconds on a second axis, the ASA where it has a ceiling. Each ceiling is
    dotted in its line's colour."""
    channel = scenario.channels[name]
    x = np.arange(scenario.n_intervals)
    open_ = channel.volume > 0

    def column(key: str) -> np.ndarray:
        return np.where(open_, np.asarray(table[key][rows], dtype=float), np.nan)

    kind = "simulated" if simulated else "Erlang"
    if channel.target_time is not None:
        masked = {k: column(k) for k in table if k.startswith("service_level")}
        _day_fan(ax, x, masked, slice(None), _SL)
        if simulated:
            ax.fill_between(x, masked["service_level_lo"] * 100, masked["service_level_hi"] * 100,
                            color=_SL, alpha=0.25, lw=0, label="95% CI")  # fmt: skip
        ax.plot(x, masked["service_level"] * 100, color=_SL, lw=1.5,
                marker="o" if len(x) <= 48 else None, ms=2.5,
                label=f"service level ({kind}, mean day)")  # fmt: skip
        if channel.sl_target is not None:
            ax.axhline(channel.sl_target * 100, color="black", ls="--", lw=1,
                       label=f"target {channel.sl_target:.0%}")  # fmt: skip
        if not simulated and channel.is_deferred(scenario.interval):
            ax.text(0.5, 0.5, "backlog plan: Erlang predicts no service level here;\n"
                    "--verify simulates it", transform=ax.transAxes, ha="center",
                    va="center", fontsize=8, color="#555555")  # fmt: skip
    _ceiling_line(ax, x, column, "abandon_rate", channel.max_abandon, _ABANDON, "abandoned",
                  channel.abandons)  # fmt: skip
    _ceiling_line(ax, x, column, "occupancy", channel.max_occupancy, _OCCUPANCY,
                  "occupancy (its groups)", False)  # fmt: skip
    ax.set_ylim(0, 105)
    ax.set_ylabel(_kpi_label(channel), fontsize=9)
    twins = []
    if channel.asa_max is not None:
        right = ax.twinx()
        asa = column("asa")
        right.plot(x, asa, color=_ASA, lw=1.2, label="ASA (right axis)")
        right.axhline(channel.asa_max, color=_ASA, ls=":", lw=1.2,
                      label=f"ASA ceiling {format_duration(channel.asa_max)}")  # fmt: skip
        top = max(2.0 * channel.asa_max, float(np.nanmax(asa, initial=0)) * 1.1)
        right.set_ylim(0, top)
        right.set_ylabel("ASA, seconds", fontsize=9)
        twins.append(right)
    _closed_hours(ax, scenario, name)
    ax.grid(axis="y", alpha=0.3)
    _legend_beside(ax, *twins)


def _ceiling_line(ax, x, column, key: str, ceiling, color: str, label: str, always: bool) -> None:
    """A KPI in % where it has a ceiling (or ``always``), the ceiling dotted."""
    if ceiling is None and not always:
        return
    ax.plot(x, column(key) * 100, color=color, lw=1.2, label=label)
    if ceiling is not None:
        ax.axhline(ceiling * 100, color=color, ls=":", lw=1.3, label=f"{label}: ceiling "
                   f"{ceiling:.0%}")  # fmt: skip


def _agents_panel(ax, plan: Any, name: str, recommended: dict, shared_with: str | None) -> None:
    """Forecast volume (grey bars) and agents (right axis, whole agents): the Erlang plan
    (dashed) and the verified plan (solid). A channel sharing its group with others shows
    what it needs alone (Erlang): its share of the group's plan is no plan of its own (the
    groups figure has the group's)."""
    sc = plan.scenario
    channel = sc.channels[name]
    x = np.arange(sc.n_intervals)
    ax.bar(x, channel.volume, color=_BARS, width=0.85, label="forecast volume")
    _closed_hours(ax, sc, name)
    ax.set_ylabel("contacts / interval")
    right = ax.twinx()
    backlog = " (backlog)" if channel.is_deferred(sc.interval) else ""
    if shared_with is not None:
        _step(right, plan.requirement[name], color=_ERLANG, ls="--", lw=1.5,
                   label=f"agents it needs alone (Erlang{backlog})")  # fmt: skip
        title = f"{_title(name, channel)}: forecast, need (group {shared_with})"
        top = plan.requirement[name].max(initial=0)
    else:
        label = "agents, Erlang plan" + backlog
        _step(right, plan.requirement[name], color=_ERLANG,
                   ls="--" if plan.verified else "-", lw=1.5, label=label)  # fmt: skip
        if plan.verified:
            _step(right, recommended[name], color=_AGENTS, lw=2,
                       label="agents, verified plan")  # fmt: skip
        title = f"{_title(name, channel)}: forecast and agents"
        top = max(plan.requirement[name].max(initial=0), recommended[name].max(initial=0))
    right.set_ylabel("agents")
    right.set_ylim(0, max(1.0, float(top)) * 1.15)
    _whole_agents(right)
    ax.set_title(title, loc="left", fontsize=10)
    _legend_beside(ax, right)


def plot_staffing(plan: Any) -> Figure:
    """A staffing plan as a PNG: the picture a planner puts in front of a manager.

    One row per channel. Left: forecast volume per interval (bars) and agents (right
    axis): the Erlang plan (dashed) and the verified plan (solid); a channel sharing its
    group with others shows what it needs alone (the group's plan is below). Right: its
    KPIs per interval (:func:`_kpi_panel`) — simulated with 95% bands for a verified
    plan, else Erlang's prediction — against its targets. Below, one panel per group —
    what gets rostered — as :func:`plot_groups` draws it (with today's roster against the
    plan). Several days are labelled by weekday with a line between days.
    """
    sc = plan.scenario
    names = list(sc.channels)
    recommended = plan.channel_agents()
    table = plan.intervals_table()
    homes = sc.home_groups(plan.planned)
    heights = (3.0 * len(names), 2.6 * len(plan.agents))
    fig = Figure(figsize=(15, sum(heights) + 1.0), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=heights)
    axes = top.subplots(len(names), 2, squeeze=False)
    _draw_groups(bottom, plan)
    for row, name in enumerate(names):
        home = homes[name]
        shared = home if home is not None and list(homes.values()).count(home) > 1 else None
        _agents_panel(axes[row, 0], plan, name, recommended, shared)
        _kpi_panel(axes[row, 1], table, table["channel"] == name, sc, name,
                   plan.simulation is not None)  # fmt: skip
        kind = "verified plan" if plan.simulation is not None else "plan (Erlang)"
        axes[row, 1].set_title(f"{name}: KPIs of the {kind}", loc="left", fontsize=10)
        for panel in axes[row]:
            _time_axis(panel, sc, labels=row == len(names) - 1)
    analytic, final = plan.agent_hours(plan.analytic_agents), plan.agent_hours()
    title = f"{sc.name}: staffing plan — {analytic:.0f} agent-hours by Erlang"
    if plan.days_met is not None:
        title += f" for {plan.days_met:.0%} of days"
    if plan.verified:
        title += f", {final:.0f} verified by simulation ({plan.replications} days per run)"
    fig.suptitle(title, fontsize=12)
    return fig


def plot_groups(plan: Any) -> Figure:
    """A staffing plan per agent group — what gets rostered — as a PNG.

    One panel per group: the plan's agents per interval (solid; the Erlang plan dashed
    when verification changed it), today's roster where the scenario writes one for a
    planned group (scheduled, with over and under shaded), and the group's simulated
    occupancy (right axis, %) when the plan was simulated. Whole agents on the axis;
    several days labelled by weekday with a line between days.
    """
    sc = plan.scenario
    fig = Figure(figsize=(13, 2.9 * len(plan.agents) + 0.8), layout="constrained")
    _draw_groups(fig, plan)
    fig.suptitle(f"{sc.name}: agents per group", fontsize=12)
    return fig


def _draw_groups(container: Any, plan: Any) -> None:
    """The group panels of :func:`plot_groups` in a figure or subfigure."""
    sc = plan.scenario
    names = list(plan.agents)
    occupancy = plan.group_occupancy()
    gaps = plan.over_under()
    x = np.arange(sc.n_intervals)
    axes = container.subplots(len(names), 1, squeeze=False)
    for k, name in enumerate(names):
        ax, staff = axes[k, 0], plan.agents[name]
        if plan.verified and not np.array_equal(plan.analytic_agents[name], staff):
            _step(ax, plan.analytic_agents[name], color=_ERLANG, ls="--", lw=1.3,
                    label="Erlang plan")  # fmt: skip
        kept = name not in plan.planned
        idle = not kept and name not in sc.home_groups(plan.planned).values()
        _step(ax, staff, color=_AGENTS, lw=2,
                label="as written (kept)" if kept else "required (this plan)")  # fmt: skip
        title = (f"{name} ({', '.join(sc.groups[name].skills)}): peak {int(staff.max(initial=0))} "
                 f"agents, {plan.agent_hours({name: staff}):.0f} agent-hours")  # fmt: skip
        title += " (no channel's home group: planned at 0)" if idle else ""
        top = float(staff.max(initial=0))
        if name in gaps:
            roster = sc.groups[name].agents
            top = max(top, float(roster.max(initial=0)))
            _step(ax, roster, color="black", lw=1.2, label="scheduled (roster)")
            over, under = roster > staff, roster < staff
            if over.any():
                _fill_steps(ax, staff, roster, over, color="#2e8b57", alpha=0.25, label="over")
            if under.any():
                _fill_steps(ax, staff, roster, under, color="#f0a500", alpha=0.6, label="under")
            short = int((gaps[name] < 0).sum())
            title += f"; scheduled: {short} interval{'s' if short != 1 else ''} under"
        ax.set_ylim(0, max(1.0, top) * 1.15)
        ax.set_ylabel("agents")
        _whole_agents(ax)
        twins = []
        if occupancy is not None:
            right = ax.twinx()
            right.plot(x, occupancy[0][k] * 100, color=_OCCUPANCY, lw=1, alpha=0.8,
                       label="occupancy, simulated (right axis)")  # fmt: skip
            right.set_ylim(0, 105)
            right.set_ylabel("occupancy %", fontsize=9)
            title += f"; occupancy {occupancy[1][k]:.0%}"
            twins.append(right)
        ax.set_title(title, loc="left", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        _time_axis(ax, sc, labels=True)
        _legend_beside(ax, *twins)


# --- rosters: requirement vs scheduled, and the shifts as bands -------------------------------


def plot_roster(roster: Any, max_bands: int = 40) -> Figure:
    """A roster as a PNG a team lead can read: per group, the plan's requirement and the
    agents the roster puts on the phones per interval (steps; shaded where the roster is
    above or below), and below it the shifts as a Gantt-style chart — one bar per start
    and break placement, breaks as gaps, the count of agents on it at its left. With more
    than ``max_bands`` kinds per group, shifts of a template and start are drawn as one bar
    (breaks not drawn)."""
    sc = roster.scenario
    bands = roster.bands()
    per_group = {g: [b for b in bands if b[1] == g] for g in roster.groups}
    for g, rows in per_group.items():
        if len(rows) > max_bands:
            merged: dict[tuple[str, int, int], int] = {}
            for name, _, start, end, _, count in rows:
                merged[(name, start, end)] = merged.get((name, start, end), 0) + count
            per_group[g] = [(n, g, s, e, [], c) for (n, s, e), c in merged.items()]
    heights = []
    for rows in per_group.values():
        heights += [2.6, 0.5 + 0.16 * max(len(rows), 3)]
    fig = Figure(figsize=(12, sum(heights) + 0.8))
    axes = fig.subplots(len(heights), 1, sharex=True, gridspec_kw={"height_ratios": heights})
    axes = np.atleast_1d(axes)
    x = np.arange(sc.n_intervals + 1)
    end = max([sc.n_intervals] + [b[3] for b in bands])
    agents = roster.agents
    for k, g in enumerate(roster.groups):
        ax, gantt = axes[2 * k], axes[2 * k + 1]
        need = np.append(roster.requirement[g], roster.requirement[g][-1])
        have = np.append(agents[g], agents[g][-1])
        ax.step(x, need, where="post", color="#1f5fa8", ls="--", lw=1.5, label="required (plan)")
        ax.step(x, have, where="post", color="#b03a2e", lw=2, label="on the phones (roster)")
        ax.fill_between(
            x,
            need,
            have,
            where=have >= need,
            step="post",
            color="#b03a2e",
            alpha=0.15,
            label="over",
        )
        ax.fill_between(
            x, need, have, where=have < need, step="post", color="#f0a500", alpha=0.5, label="under"
        )
        ax.set_ylabel("agents")
        ax.set_title(f"{g}: requirement and roster", loc="left", fontsize=10)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
        ax.grid(axis="y", alpha=0.3)
        _gantt(gantt, per_group[g], list(sc.shifts))
    positions, labels = _tick_labels([roster.label(i) for i in range(end)], 16)
    axes[-1].set_xticks(positions)
    axes[-1].set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    axes[-1].set_xlim(0, end)
    info = roster.summary()
    fig.suptitle(
        f"{sc.name}: roster — {info['paid_hours']:.0f} paid hours for "
        f"{info['required_hours']:.0f} required agent-hours (overcover "
        f"{info['overcover_pct']:.1f}%)" + (", verified by simulation" if roster.verified else ""),
        fontsize=12,
    )
    fig.tight_layout()
    return fig


def _gantt(ax, rows: list, templates: list[str]) -> None:
    """Shifts as horizontal bars (breaks as gaps), one row per kind, its count at its start."""
    colors = ["#1f5fa8", "#2e8b57", "#8e44ad", "#d35400", "#7f8c8d", "#b03a2e"]
    for y, (name, _, start, end, breaks, count) in enumerate(rows):
        color = colors[templates.index(name) % len(colors)]
        pieces, at = [], start
        for b0, b1 in breaks:
            pieces.append((at, b0 - at))
            at = b1
        pieces.append((at, end - at))
        ax.broken_barh(pieces, (y - 0.35, 0.7), facecolors=color)
        ax.text(start + 0.1, y, f"{count}×", ha="left", va="center", fontsize=7, color="white")
    for name in templates:
        if any(r[0] == name for r in rows):
            ax.bar(0, 0, color=colors[templates.index(name) % len(colors)], label=f"{name} shifts")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks([])
    ax.set_ylabel("shifts")
    if rows:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


# --- backtests: the service level of each real day against the target -----------------------


def plot_backtest(backtest: Any) -> Figure:
    """A backtest (:func:`ccsim.staffing.backtest.backtest_plan`) as a PNG: per channel, the
    service level over each real day in date order against the target (dashed), the days
    that missed it marked in red, the 95% interval of a simulated day as an error bar,
    and the day's offered contacts as light bars behind (right axis)."""
    sc, days = backtest.scenario, backtest.days
    names = list(backtest.methods)
    summary = backtest.channels()
    fig, axes = _figure(len(names), 1, figsize=(11, 3.2 * len(names) + 0.6))
    for row, name in enumerate(names):
        ax, channel, entry = axes[row, 0], sc.channels[name], summary[name]
        rows = days["channel"] == name
        dates = list(days["date"][rows])
        x = np.arange(len(dates))
        level, met = days["service_level"][rows] * 100, days["met"][rows]
        behind = ax.twinx()
        behind.bar(x, days["offered"][rows], color="#c9d6e8", width=0.8, label="offered")
        behind.set_ylabel("contacts / day")
        behind.set_ylim(0, max(1.0, float(np.max(days["offered"][rows], initial=0))) * 1.8)
        ax.set_zorder(behind.get_zorder() + 1)
        ax.patch.set_visible(False)
        lo, hi = days["service_level_lo"][rows] * 100, days["service_level_hi"][rows] * 100
        if np.isfinite(lo).any():
            ax.errorbar(x, level, yerr=[level - lo, hi - level], fmt="none", ecolor="#7f8c8d",
                        lw=1, capsize=2, label="95% CI (simulated day)")  # fmt: skip
        ax.plot(x, level, color="#1f5fa8", marker="o", ms=4, lw=1, label="service level")
        missed = met == 0
        ax.plot(x[missed], level[missed], "o", color="#b03a2e", ms=7, label="missed")
        if channel.sl_target is not None:
            ax.axhline(channel.sl_target * 100, color="black", ls="--", lw=1, label="target")
        ax.set_ylim(0, 105)
        ax.set_ylabel("% answered in time, over the day")
        title = f"{_title(name, channel)}, over each real day"
        if "days_met" in entry and entry["days"]:
            title += (
                f": met on {entry['days_met_count']} of {entry['days']} "
                f"({entry['days_met']:.0%}, 95% CI {entry['days_met_lo']:.0%}–"
                f"{entry['days_met_hi']:.0%})"
            )
        ax.set_title(title, loc="left", fontsize=10)
        handles, texts = ax.get_legend_handles_labels()
        more = behind.get_legend_handles_labels()
        ax.legend(handles + more[0], texts + more[1], loc="lower left", fontsize=8,
                  frameon=False, ncols=5)  # fmt: skip
        ax.grid(axis="y", alpha=0.3)
        positions, labels = _tick_labels(dates, max_labels=20)
        ax.set_xticks(positions)
        ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    how = "simulated" if backtest.simulated else "exact Erlang C"
    fig.suptitle(
        f"{sc.name}: the plan ({backtest.agent_hours():.0f} agent-hours a day) on "
        f"{len(set(days['date'].tolist()))} real days ({how})",
        fontsize=12,
    )
    fig.tight_layout()
    return fig
