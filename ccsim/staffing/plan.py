"""The staffing plan: per channel × interval requirement and per group × interval agents.

The requirement behind a plan is computed in :mod:`ccsim.staffing.requirement`
and its simulation-verified correction in :mod:`ccsim.staffing.verify`;
:func:`ccsim.staffing.plan_staffing` puts them together. This module holds the
:class:`StaffingPlan` — its tables, summary, text and files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ccsim import __version__, erlang
from ccsim.durations import format_duration
from ccsim.results import Table, text_table, to_jsonable, write_json
from ccsim.scenario import Channel, Scenario
from ccsim.sim.metrics import day_band
from ccsim.staffing.days import DayVariation, days_met_share, synthetic_day_levels
from ccsim.staffing.requirement import predicted_kpis

__all__ = ["StaffingPlan"]


@dataclass
class StaffingPlan:
    """A staffing plan: per channel × interval requirement and per group × interval agents.

    Attributes
    ----------
    scenario : the scenario planned.
    requirement : channel → analytic agents per interval (Erlang / backlog recursion).
    analytic_agents : group → agents per interval of the analytic plan.
    agents : group → agents per interval of the final plan (verified when ``verified``).
    planned : the groups this plan staffs (the others keep the scenario's agents).
    verified : True when corrected by simulation.
    simulation : the simulation of the final plan (None unless verified).
    unmet : ``(channel, interval)`` pairs whose targets could not be met.
    iterations : simulation runs used by the verification.
    """

    scenario: Scenario
    requirement: dict[str, np.ndarray]
    analytic_agents: dict[str, np.ndarray]
    agents: dict[str, np.ndarray]
    planned: tuple[str, ...] = ()
    verified: bool = False
    simulation: object | None = None
    unmet: list[tuple[str, int]] = field(default_factory=list)
    iterations: int = 0
    seed: int | None = None
    replications: int | None = None
    days_met: float | None = None
    busyness_factor: float = 1.0

    def day_band(self) -> dict[str, dict[str, float]]:
        """Per channel with a service-level target: the share of days meeting it and the
        daily service level's 10th/50th/90th percentiles across days.

        Simulated when verified (the share with its 95% Wilson interval); otherwise the
        Erlang prediction on days drawn from the scenario's day-to-day variation
        (:class:`~ccsim.staffing.days.DayVariation`; a model, no interval).
        """
        sc = self.scenario
        if self.simulation is not None:
            return {
                name: {**band, "source": "simulation"}
                for name, band in day_band(self.simulation.days, sc).items()
            }
        variation, recommended = DayVariation.of(sc), self.channel_agents()
        band = {}
        for name, channel in sc.channels.items():
            if channel.sl_target is None or channel.is_deferred(sc.interval):
                continue
            agents = recommended[name]
            daily = synthetic_day_levels(channel, agents, sc.interval, variation).min(axis=1)
            entry = {
                "source": "erlang",
                "days_met": days_met_share(channel, agents, sc.interval, variation),
            }
            for q in (10, 50, 90):
                entry[f"service_level_p{q}"] = float(np.percentile(daily, q))
            band[name] = entry
        return band

    def agent_hours(self, agents: dict[str, np.ndarray] | None = None) -> float:
        """Total agent-hours of a group staffing (default: the final plan)."""
        return self.scenario.agent_hours(self.agents if agents is None else agents)

    def channel_agents(self) -> dict[str, np.ndarray]:
        """Channel → recommended agents per interval.

        A channel served by one dedicated group gets exactly that group's
        staffing; channels sharing a group split it in proportion to their
        analytic requirement (largest remainder, so the shares add up to the
        group's agents). Agents of unplanned (``--keep-fixed``) groups dedicated
        to a channel count for it; a channel no planned group serves shows those
        agents, or its requirement when it has no dedicated fixed group.
        """
        homes = self.scenario.home_groups(self.planned)
        fixed = self.scenario.fixed_dedicated(self.planned)
        result = {name: req.copy() for name, req in self.requirement.items()}
        for name in result:
            if homes[name] is None and fixed[name].any():
                result[name] = fixed[name].copy()  # the roster as written, not the need
        for group, staff in self.agents.items():
            members = [c for c, home in homes.items() if home == group]
            if not members:
                continue
            reqs = np.array([self.requirement[c] for c in members], dtype=float)
            for c, share in zip(members, _split(staff, reqs), strict=True):
                result[c] = share + fixed[c]
        return result

    def groups_table(self) -> Table:
        """One row per group × interval: ``group, interval, start, agents, fte``."""
        sc = self.scenario
        names, idx, starts, agents = [], [], [], []
        for name, staff in self.agents.items():
            names += [name] * sc.n_intervals
            idx += list(range(sc.n_intervals))
            starts += list(sc.starts)
            agents += [int(a) for a in staff]
        agents_arr = np.array(agents, dtype=np.int64)
        return Table(
            {
                "group": np.array(names, dtype=object),
                "interval": np.array(idx, dtype=np.int64),
                "start": np.array(starts, dtype=object),
                "agents": agents_arr,
                "fte": np.round(erlang.fte(agents_arr.astype(float), sc.shrinkage), 2),
            }
        )

    def intervals_table(self) -> Table:
        """One row per channel × interval: the KPI columns, then ``traffic, agents_erlang,
        agents, fte`` (the column order of ``intervals.csv``, see the design's Outputs).

        When verified, the KPIs are those simulated for the final plan, with their
        95% confidence intervals. Otherwise they are the Erlang C/A prediction at
        the channel's recommended agents (counts are expected values; no
        confidence interval: ``_lo``/``_hi`` are empty) and empty for deferred
        channels, which Erlang does not describe.
        """
        sc = self.scenario
        recommended = self.channel_agents()
        if self.simulation is not None:
            base = self.simulation.intervals
            columns = {name: base[name] for name in base.columns}
        else:
            predicted = [
                predicted_kpis(
                    channel, recommended[name], sc.interval, DayVariation.of(sc).factor_cv
                )
                for name, channel in sc.channels.items()
            ]
            columns = {
                "channel": np.repeat(np.array(list(sc.channels), dtype=object), sc.n_intervals),
                "interval": np.tile(np.arange(sc.n_intervals, dtype=np.int64), len(sc.channels)),
                "start": np.tile(np.array(sc.starts, dtype=object), len(sc.channels)),
            }
            for key in predicted[0]:
                columns[key] = np.concatenate([p[key] for p in predicted])
        traffic = np.concatenate([c.traffic(sc.interval) for c in sc.channels.values()])
        erl = np.concatenate([self.requirement[c] for c in sc.channels])
        final = np.concatenate([recommended[c] for c in sc.channels])
        columns["traffic"] = np.round(traffic, 4)
        columns["agents_erlang"] = erl
        columns["agents"] = final
        columns["fte"] = np.round(erlang.fte(final.astype(float), sc.shrinkage), 2)
        return Table(columns)

    def summary(self) -> dict:
        """The plan in plain data (what ``summary.json`` holds, JSON-ready).

        Like a simulation's summary (``ccsim_version``, ``scenario`` echoed,
        ``name``, ``seed``, ``replications``, ``channels``), plus agent-hours and
        FTE-hours of the analytic and final plans, per channel and per group,
        and the intervals whose targets could not be met. When verified, each
        channel also carries the simulated totals of the final plan (offered,
        answered, abandoned, unanswered, service level with its 95% CI, ASA,
        abandonment, occupancy).
        """
        sc = self.scenario
        shrink = 1.0 / (1.0 - sc.shrinkage)
        recommended = self.channel_agents()
        channels = {
            name: {
                "agent_hours_erlang": sc.agent_hours(self.requirement[name]),
                "agent_hours": sc.agent_hours(recommended[name]),
                "fte_hours": sc.agent_hours(recommended[name]) * shrink,
                "peak_agents": int(recommended[name].max(initial=0)),
            }
            for name in sc.channels
        }
        if self.simulation is not None:
            for row in self.simulation.channels.rows():
                channels[row.pop("channel")].update(row)
        for name, band in self.day_band().items():
            channels[name]["days"] = band
        return to_jsonable(
            {
                "ccsim_version": __version__,
                "scenario": dict(sc.spec) or {"name": sc.name},
                "name": sc.name,
                "seed": self.seed,
                "replications": self.replications,
                "verified": self.verified,
                "days_met_target": self.days_met,
                "busyness_factor": self.busyness_factor,
                "iterations": self.iterations,
                "interval_seconds": sc.interval,
                "shrinkage": sc.shrinkage,
                "agent_hours": {
                    "analytic": self.agent_hours(self.analytic_agents),
                    "final": self.agent_hours(),
                },
                "fte_hours": {
                    "analytic": self.agent_hours(self.analytic_agents) * shrink,
                    "final": self.agent_hours() * shrink,
                },
                "channels": channels,
                "groups": {
                    name: {
                        "agent_hours_analytic": sc.agent_hours(self.analytic_agents[name]),
                        "agent_hours": sc.agent_hours(staff),
                        "fte_hours": sc.agent_hours(staff) * shrink,
                        "peak_agents": int(staff.max(initial=0)),
                        "peak_fte": float(erlang.fte(float(staff.max(initial=0)), sc.shrinkage)),
                    }
                    for name, staff in self.agents.items()
                },
                "unmet": [
                    {"channel": c, "interval": i, "start": sc.starts[i]} for c, i in self.unmet
                ],
            }
        )

    def describe(self) -> str:
        """A per-channel and per-group table for people."""
        sc = self.scenario
        title = "verified by simulation" if self.verified else "Erlang (analytic)"
        if self.days_met is not None:
            title += (
                f", for {self.days_met:.0%} of days (busyness factor {self.busyness_factor:.3f})"
            )
        lines = [f"{sc.name} — staffing plan, {title}", ""]
        lines += text_table(self._channel_rows(), "llrrrr")
        lines.append("")
        lines += text_table(self._group_rows(), "llrrrl")
        lines += self._night_lines()
        band = self.day_band()
        if band:
            lines.append("")
            lines += text_table(self._band_rows(band), "lrrrr")
        analytic, final = self.agent_hours(self.analytic_agents), self.agent_hours()
        lines.append("")
        lines.append(
            f"agent-hours: Erlang plan {analytic:.1f}, this plan {final:.1f}"
            f" ({final - analytic:+.1f}); shrinkage {sc.shrinkage:.0%}"
        )
        if self.verified:
            lines.append(f"verification: {self.iterations} simulation runs")
            if self.unmet:
                where = ", ".join(f"{c} {sc.starts[i]}" for c, i in self.unmet[:8])
                more = " …" if len(self.unmet) > 8 else ""
                lines.append(
                    f"cannot meet the targets in {len(self.unmet)} intervals: {where}{more}"
                )
            else:
                lines.append("every open interval meets its targets in simulation")
        return "\n".join(lines)

    def _channel_rows(self) -> list[list[str]]:
        """Rows of the per-channel table of :meth:`describe` (header first)."""
        sc = self.scenario
        recommended = self.channel_agents()
        level = "sim SL (min interval)" if self.verified else "Erlang SL (min interval)"
        rows = [["channel", "target", "peak agents", "agent-h Erlang", "agent-h plan", level]]
        table = self.simulation.intervals if self.simulation is not None else self.intervals_table()
        totals = self.simulation.channels if self.simulation is not None else None
        for name, channel in sc.channels.items():
            per = table["service_level"][table["channel"] == name][channel.volume > 0]
            if totals is not None:
                total = totals["service_level"][list(totals["channel"]).index(name)]
                low = f"{np.nanmin(per):.1%}" if per.size and np.isfinite(per).any() else "-"
                shown = f"{total:.1%} ({low})" if np.isfinite(total) else "-"
            elif per.size and np.isfinite(per).all():
                shown = f"{np.min(per):.1%}"
            else:
                shown = "backlog plan" if channel.is_deferred(sc.interval) else "-"
            rows.append(
                [
                    name,
                    _target_text(channel),
                    str(int(recommended[name].max(initial=0))),
                    f"{sc.agent_hours(self.requirement[name]):.1f}",
                    f"{sc.agent_hours(recommended[name]):.1f}",
                    shown,
                ]
            )
        return rows

    def _night_lines(self) -> list[str]:
        """How many contacts cross the night (simulated plans of channels on the open clock)."""
        if self.simulation is None or "carried_out" not in self.simulation.channels:
            return []
        table = self.simulation.channels
        parts = [
            f"{name} {table['carried_out'][i]:.1f} at the close ({table['carried_in'][i]:.1f} "
            "at the open)"
            for i, name in enumerate(table["channel"])
            if table["carried_out"][i] > 0 or table["carried_in"][i] > 0
        ]
        return ["", "carried over the night (per day): " + "; ".join(parts)] if parts else []

    def _band_rows(self, band: dict[str, dict[str, float]]) -> list[list[str]]:
        """Rows of the across-days table of :meth:`describe` (header first)."""
        sc = self.scenario
        source = "simulated days"
        if self.simulation is None:
            source = f"Erlang on 1000 drawn days, CV {sc.volume_uncertainty:.2f} per day"
            if sc.interval_uncertainty:
                source += f", {sc.interval_uncertainty:.2f} per interval"
        rows = [[f"across days ({source})", "days met", "SL P10", "SL P50", "SL P90"]]
        for name, entry in band.items():
            met = entry.get("days_met", float("nan"))
            shown = f"{met:.0%}" if np.isfinite(met) else "-"
            if "days_met_lo" in entry:
                shown += f" ({entry['days_met_lo']:.0%}–{entry['days_met_hi']:.0%})"
            per = sc.channels[name].sl_per
            cells = [f"{entry[f'service_level_{q}']:.1%}" for q in ("p10", "p50", "p90")]
            rows.append([f"{name} (per {per})", shown, *cells])
        return rows

    def _group_rows(self) -> list[list[str]]:
        """Rows of the per-group table of :meth:`describe` (header first)."""
        sc = self.scenario
        homes = sc.home_groups(self.planned)
        rows = [["group", "skills", "peak agents", "peak FTE", "agent-h", ""]]
        for name, staff in self.agents.items():
            peak = int(staff.max(initial=0))
            note = ""
            if name not in self.planned:
                note = "(kept as written)"
            elif name not in homes.values():
                note = "(no channel's home group: planned at 0; --keep-fixed keeps its roster)"
            rows.append(
                [
                    name,
                    ", ".join(sc.groups[name].skills),
                    str(peak),
                    f"{erlang.fte(float(peak), sc.shrinkage):.1f}",
                    f"{sc.agent_hours(staff):.1f}",
                    note,
                ]
            )
        return rows

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write intervals.csv, groups.csv and summary.json atomically; return the paths
        (figures: :func:`ccsim.plots.plot_staffing`)."""
        out = Path(out_dir)
        written = [
            self.intervals_table().write_csv(out / "intervals.csv"),
            self.groups_table().write_csv(out / "groups.csv"),
        ]
        written.append(write_json(out / "summary.json", self.summary()))
        return written


def _target_text(channel: Channel) -> str:
    """Short text of a channel's targets: ``80% in 20s``, ``ASA 30s, ab ≤5%``, ``—``."""
    parts = []
    if channel.sl_target is not None and channel.target_time is not None:
        parts.append(f"{channel.sl_target:.0%} in {format_duration(channel.target_time)}")
    if channel.asa_max is not None:
        parts.append(f"ASA {format_duration(channel.asa_max)}")
    if channel.max_abandon is not None:
        parts.append(f"ab ≤{channel.max_abandon:.0%}")
    if channel.max_occupancy is not None:
        parts.append(f"occ ≤{channel.max_occupancy:.0%}")
    return ", ".join(parts) or "—"


def _split(total: np.ndarray, weights: np.ndarray) -> list[np.ndarray]:
    """Split integer ``total`` per interval among rows of ``weights`` (largest remainder)."""
    n_members, n = weights.shape
    out = np.zeros((n_members, n), dtype=np.int64)
    for j in range(n):
        w = weights[:, j]
        if total[j] <= 0:
            continue
        share = (
            total[j] * (w / w.sum()) if w.sum() > 0 else np.full(n_members, total[j] / n_members)
        )
        base = np.floor(share).astype(np.int64)
        rest = int(total[j] - base.sum())
        order = np.argsort(-(share - base), kind="stable")
        base[order[:rest]] += 1
        out[:, j] = base
    return list(out)
