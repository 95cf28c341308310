"""matplotlib figures for planners: one function per figure, each returning a ``Figure``.

Figures are made outside pyplot's global state (a notebook shows the returned
figure; nothing needs closing); :func:`save_figure` writes one as a PNG
atomically, so a report directory never holds half a picture.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ccsim.durations import format_duration
from ccsim.results import atomic_path

__all__ = [
    "plot_backtest",
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


def save_figure(fig: Figure, path: str | os.PathLike) -> Path:
    """Save ``fig`` as a PNG to ``path`` atomically (a temporary name, then renamed)."""
    path = Path(path)
    with atomic_path(path, suffix=".png") as tmp:
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


def plot_simulation(result: Any) -> Figure:
    """Offered volume and simulated service level per channel and interval, as a PNG.

    One panel per channel: bars of offered contacts per interval (left axis,
    labelled by interval start), the simulated service level with its 95%
    confidence band and the target as a dashed line (right axis, %), and the
    abandonment rate as a dotted line when customers of the channel abandon.
    """
    scenario = result.scenario
    table = result.intervals
    names = list(scenario.channels)
    starts = list(scenario.starts)
    x = np.arange(len(starts))
    fig = Figure(figsize=(12, 3.2 * max(1, len(names))))
    axes = fig.subplots(len(names), 1, squeeze=False, sharex=True)
    for ax, name in zip(axes[:, 0], names, strict=True):
        channel = scenario.channels[name]
        rows = table["channel"] == name
        offered = table["offered"][rows]
        ax.bar(x, offered, width=0.8, color="#c9d6e8", label="offered (mean per day)")
        _closed_hours(ax, scenario, name)
        ax.set_ylabel("contacts offered")
        ax.set_ylim(0, max(1.0, float(np.nanmax(offered, initial=0)) * 1.15))
        right = ax.twinx()
        if channel.target_time is not None:
            sl = table["service_level"][rows] * 100
            lo = table["service_level_lo"][rows] * 100
            hi = table["service_level_hi"][rows] * 100
            _day_fan(right, x, table, rows, "#1f5fa8")
            right.fill_between(x, lo, hi, color="#1f5fa8", alpha=0.2, label="95% CI", step=None)
            right.plot(x, sl, color="#1f5fa8", marker="o", ms=3, label="service level")
            if channel.sl_target is not None:
                right.axhline(channel.sl_target * 100, color="#b03a2e", ls="--", label="target")
        if channel.abandons:
            right.plot(
                x, table["abandon_rate"][rows] * 100, color="#7d3c98", ls=":", label="abandoned"
            )
        right.set_ylim(0, 105)
        right.set_ylabel("%")
        ax.set_title(_title(name, channel), loc="left", fontsize=11)
        handles = ax.get_legend_handles_labels()
        more = right.get_legend_handles_labels()
        right.legend(
            handles[0] + more[0],
            handles[1] + more[1],
            loc="upper left",
            bbox_to_anchor=(1.07, 1.0),
            fontsize=8,
            frameon=False,
        )
        ax.grid(axis="y", alpha=0.3)
    positions, labels = _tick_labels(starts)
    last = axes[-1, 0]
    last.set_xticks(positions)
    last.set_xticklabels(labels, rotation=45, ha="right")
    last.set_xlabel("interval start")
    fig.suptitle(
        f"{scenario.name}: simulated, {result.replications} replications (seed {result.seed})",
        fontsize=12,
    )
    fig.tight_layout()
    return fig


# --- sweeps: service level against a swept parameter ----------------------------------------


_SWEEP_MAX_LINES = 12


def _swept_number(value: Any) -> tuple[float, str] | None:
    """A swept value as a number and its unit (durations in seconds, shares), or None."""
    from ccsim.durations import parse_duration, parse_share

    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value), ""
    if isinstance(value, str):
        try:
            if value.strip().endswith("%"):
                return parse_share(value), "share"
            return parse_duration(value), "seconds"
        except ValueError:
            return None
    return None


def plot_sweep(
    table: Any,
    params: list[str],
    *,
    targets: dict[str, float | None] | None = None,
    title: str | None = None,
) -> Figure:
    """Trade-off curves of a sweep (the ``results.csv`` table of :mod:`ccsim.sweep`).

    One panel per channel: service level (with its 95% band) against the first
    swept parameter whose values are all numbers (durations in seconds); one
    line per combination of the other swept parameters (at most 12); the
    channel's target from ``targets`` as a dashed line.
    """
    x_key, x_all, unit = None, np.arange(table.n_rows, dtype=float), ""
    for key in params:
        numbers = [_swept_number(v) for v in table[key]]
        if numbers and all(n is not None for n in numbers):
            units = {n[1] for n in numbers}
            x_key, unit = key, (units.pop() if len(units) == 1 else "")
            x_all = np.array([n[0] for n in numbers], dtype=float)
            break
    others = [k for k in params if k != x_key and len({str(v) for v in table[k]}) > 1]
    channel_of = [str(c) for c in table["channel"]]
    channels = list(dict.fromkeys(channel_of))
    fig, axes = _figure(len(channels), 1, figsize=(7.5, 3.4 * len(channels)))
    for ax, channel in zip(axes[:, 0], channels, strict=True):
        rows = np.array([i for i, c in enumerate(channel_of) if c == channel], dtype=int)
        labels = [", ".join(f"{k}={table[k][i]}" for k in others) for i in rows]
        for n, label in enumerate(dict.fromkeys(labels)):
            if n >= _SWEEP_MAX_LINES:
                break
            line_rows = rows[[lab == label for lab in labels]]
            line_rows = line_rows[np.argsort(x_all[line_rows], kind="stable")]
            x = x_all[line_rows]
            (line,) = ax.plot(x, table["service_level"][line_rows], marker="o", label=label or None)
            ax.fill_between(
                x,
                np.clip(table["service_level_lo"][line_rows], 0, 1),
                np.clip(table["service_level_hi"][line_rows], 0, 1),
                color=line.get_color(),
                alpha=0.15,
                linewidth=0,
            )
        target = (targets or {}).get(channel)
        if target is not None:
            ax.axhline(target, color="black", linestyle="--", linewidth=1, label="target")
        ax.set_title(channel)
        ax.set_ylabel("service level")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(f"{x_key or 'point'}" + (f" ({unit})" if unit else ""))
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


# --- staffing plans: forecast, agents (Erlang vs verified), simulated service level ----------


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


def _service_level_panel(
    ax2, table, name: str, channel, x, positions, labels, simulated: bool
) -> None:
    """A plan's service level per interval (simulated, or predicted by Erlang), its spread
    across days (10th–90th percentile), its 95% band when simulated, and the target."""
    rows = table["channel"] == name
    open_ = channel.volume > 0
    level = np.where(open_, table["service_level"][rows], np.nan) * 100
    masked = {k: np.where(open_, table[k][rows], np.nan) for k in table if k.startswith("service")}
    _day_fan(ax2, x, masked, slice(None), "#b03a2e")
    if simulated:
        lo, hi = masked["service_level_lo"] * 100, masked["service_level_hi"] * 100
        ax2.fill_between(x, lo, hi, color="#b03a2e", alpha=0.25, label="95% CI")
    what = "simulated service level" if simulated else "Erlang service level"
    ax2.plot(x, level, color="#b03a2e", marker="o", ms=3, label=f"{what} (mean day)")
    if channel.sl_target is not None:
        ax2.axhline(channel.sl_target * 100, color="black", ls="--", lw=1, label="target")
    ax2.set_ylim(0, 105)
    ax2.set_ylabel("% answered in time")
    plan_kind = "verified plan" if simulated else "plan"
    ax2.set_title(f"{name}: service level of the {plan_kind}", loc="left", fontsize=10)
    ax2.legend(loc="lower left", fontsize=8, frameon=False)
    ax2.grid(axis="y", alpha=0.3)
    ax2.set_xticks(positions)
    ax2.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)


def plot_staffing(plan: Any) -> Figure:
    """A staffing plan as a PNG: the picture a planner puts in front of a manager.

    One row per channel. Left: forecast volume per interval (bars) with the
    agents of the Erlang plan (dashed) and of the verified plan (solid) on the
    right axis. Right (channels with a service-level target): the service level
    per interval — simulated with its 95% confidence band for a verified plan,
    else Erlang's prediction — with its spread across days (10th–90th
    percentile, a fan) and the target as a dashed line.
    """
    sc = plan.scenario
    names = list(sc.channels)
    recommended = plan.channel_agents()
    table = plan.intervals_table()
    has_level = any(c.target_time is not None for c in sc.channels.values())
    ncols = 2 if has_level else 1
    fig, axes = _figure(len(names), ncols, figsize=(7.5 * ncols, 2.9 * len(names) + 0.6))
    x = np.arange(sc.n_intervals)
    positions, labels = _tick_labels(list(sc.starts), max_labels=12)
    homes = sc.home_groups(plan.planned)
    for row, name in enumerate(names):
        channel = sc.channels[name]
        shared = homes[name] is not None and list(homes.values()).count(homes[name]) > 1
        ax = axes[row, 0]
        ax.bar(x, channel.volume, color="#c9d6e8", width=0.85, label="forecast volume")
        _closed_hours(ax, sc, name)
        ax.set_ylabel("contacts / interval")
        ax.set_title(f"{_title(name, channel)}: forecast and agents", loc="left", fontsize=10)
        right = ax.twinx()
        erlang_label = "agents, Erlang plan" + (
            " (backlog)" if channel.is_deferred(sc.interval) else ""
        )
        right.step(
            x,
            plan.requirement[name],
            where="mid",
            color="#1f5fa8",
            ls="--",
            lw=1.5,
            label=erlang_label,
        )
        if plan.verified:
            right.step(
                x,
                recommended[name],
                where="mid",
                color="#b03a2e",
                lw=2,
                label="agents, verified plan" + (f" (share of {homes[name]})" if shared else ""),
            )
        right.set_ylabel("agents")
        right.set_ylim(
            0,
            max(
                1.0,
                float(max(plan.requirement[name].max(initial=0), recommended[name].max(initial=0))),
            )
            * 1.25,
        )
        handles = ax.get_legend_handles_labels()
        more = right.get_legend_handles_labels()
        right.legend(
            handles[0] + more[0], handles[1] + more[1], loc="upper left", fontsize=8, frameon=False
        )
        ax.set_xticks(positions)
        ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
        if has_level:
            simulated = plan.simulation is not None
            _service_level_panel(
                axes[row, 1], table, name, channel, x, positions, labels, simulated
            )
    analytic, final = plan.agent_hours(plan.analytic_agents), plan.agent_hours()
    title = f"{sc.name}: staffing plan — {analytic:.0f} agent-hours by Erlang"
    if plan.days_met is not None:
        title += f" for {plan.days_met:.0%} of days"
    if plan.verified:
        title += f", {final:.0f} verified by simulation ({plan.replications} days per run)"
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


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
