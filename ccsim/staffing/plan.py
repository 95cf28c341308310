"""The staffing plan: per channel × interval requirement and per group × interval agents.

The requirement behind a plan is computed in :mod:`ccsim.staffing.requirement`
and its simulation-verified correction in :mod:`ccsim.staffing.verify`;
:func:`ccsim.staffing.plan_staffing` puts them together. This module holds the
:class:`StaffingPlan` — its tables, summary, text and files.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ccsim import __version__, erlang
from ccsim.durations import format_duration
from ccsim.results import Table, text_table, to_jsonable, write_json
from ccsim.scenario import Channel, Scenario
from ccsim.sim.metrics import day_band, group_occupancy
from ccsim.staffing.days import DayVariation, days_met_share, synthetic_day_levels
from ccsim.staffing.requirement import predicted_kpis

__all__ = ["StaffingPlan", "read_plan_agents"]


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
            if (
                channel.sl_target is None
                or channel.is_deferred(sc.interval)
                or not channel.open.any()
            ):
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

    def scheduled(self) -> dict[str, np.ndarray]:
        """Group → today's roster: the agents per interval the scenario writes for it (the
        groups with agents written; ``"auto"`` groups have none)."""
        return {
            name: group.agents
            for name, group in self.scenario.groups.items()
            if group.agents is not None
        }

    def over_under(self) -> dict[str, np.ndarray]:
        """Planned group with a roster → scheduled − required agents per interval: positive
        where today's roster is above the plan, negative where it is short."""
        return {
            name: staff.astype(np.int64) - self.agents[name]
            for name, staff in self.scheduled().items()
            if name in self.planned
        }

    def groups_table(self) -> Table:
        """One row per group × interval: ``group, interval, start, agents, fte, scheduled,
        over_under`` — the plan (FTE with the group's shrinkage), today's roster where the
        scenario writes one and scheduled − required for the planned groups (else empty)."""
        sc = self.scenario
        n = sc.n_intervals
        scheduled, gaps, blank = self.scheduled(), self.over_under(), np.full(n, np.nan)
        names = list(self.agents)
        agents = np.concatenate([np.asarray(self.agents[g], dtype=np.int64) for g in names])
        fte = np.concatenate(
            [erlang.fte(self.agents[g].astype(float), sc.group_shrinkage(g)) for g in names]
        )
        return Table(
            {
                "group": np.repeat(np.array(names, dtype=object), n),
                "interval": np.tile(np.arange(n, dtype=np.int64), len(names)),
                "start": np.tile(np.array(sc.starts, dtype=object), len(names)),
                "agents": agents,
                "fte": np.round(fte, 2),
                "scheduled": np.concatenate([scheduled.get(g, blank) for g in names]).astype(float),
                "over_under": np.concatenate([gaps.get(g, blank) for g in names]).astype(float),
            }
        )

    def channel_shrinkage(self) -> dict[str, np.ndarray]:
        """Channel → shrinkage per interval of the group that carries it (its home group,
        else the first group with the skill): what its FTE are counted with."""
        sc = self.scenario
        homes = sc.home_groups(self.planned)
        out = {}
        for name in sc.channels:
            group = homes[name] or next(iter(sc.groups_for(name)), None)
            out[name] = (
                sc.group_shrinkage(group) if group else np.full(sc.n_intervals, sc.shrinkage)
            )
        return out

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
        shrink = self.channel_shrinkage()
        shrinkage = np.concatenate([shrink[c] for c in sc.channels])
        columns["fte"] = np.round(erlang.fte(final.astype(float), shrinkage), 2)
        return Table(columns)

    def summary(self) -> dict:
        """The plan in plain data (what ``summary.json`` holds, JSON-ready).

        Like a simulation's summary (``ccsim_version``, ``scenario`` echoed,
        ``name``, ``seed``, ``replications``, ``channels``), plus agent-hours and
        FTE-hours of the analytic and final plans (FTE with each group's shrinkage),
        per channel and per group, people on ``contract_hours`` when the scenario gives
        them (``contracts``), per day for a horizon of several days (``days``), today's
        roster against the plan per group (``groups.NAME.scheduled``), and the intervals
        whose targets could not be met. When verified, each channel also carries the
        simulated totals of the final plan (offered, answered, abandoned, unanswered,
        service level with its 95% CI, ASA, abandonment, occupancy — of the groups able
        to serve it) and each group its simulated occupancy.
        """
        sc = self.scenario
        recommended = self.channel_agents()
        shrink = self.channel_shrinkage()
        channels = {
            name: {
                "agent_hours_erlang": sc.agent_hours(self.requirement[name]),
                "agent_hours": sc.agent_hours(recommended[name]),
                "fte_hours": sc.agent_hours(recommended[name] / (1.0 - shrink[name])),
                "peak_agents": int(recommended[name].max(initial=0)),
            }
            for name in sc.channels
        }
        if self.simulation is not None:
            for row in self.simulation.channels.rows():
                channels[row.pop("channel")].update(row)
        for name, band in self.day_band().items():
            channels[name]["days"] = band
        fte = {"analytic": sc.fte_hours(self.analytic_agents), "final": sc.fte_hours(self.agents)}
        return to_jsonable(
            {
                "ccsim_version": __version__,
                **sc.echo(),
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
                "fte_hours": fte,
                "contract_hours": sc.contract_hours,
                "contracts": {k: sc.contracts(v) for k, v in fte.items()},
                "channels": channels,
                "groups": self._group_summary(),
                "days": self.day_totals() if len(sc.day_labels()) > 1 else [],
                "unmet": [
                    {"channel": c, "interval": i, "start": sc.starts[i]} for c, i in self.unmet
                ],
            }
        )

    def _group_summary(self) -> dict[str, dict]:
        """``summary()["groups"]``: per group its hours, peaks, FTE (its own shrinkage),
        people on contract, simulated occupancy and today's roster against the plan."""
        sc = self.scenario
        occupancy = self.group_occupancy()
        gaps = self.over_under()
        out = {}
        for name, staff in self.agents.items():
            shrink = sc.group_shrinkage(name)
            peak = int(np.argmax(staff)) if staff.size else 0
            fte_hours = sc.fte_hours({name: staff})
            entry = {
                "agent_hours_analytic": sc.agent_hours(self.analytic_agents[name]),
                "agent_hours": sc.agent_hours(staff),
                "fte_hours": fte_hours,
                "peak_agents": int(staff.max(initial=0)),
                "peak_fte": float(erlang.fte(float(staff.max(initial=0)), shrink[peak])),
                "shrinkage": float(shrink.mean()) if shrink.size else sc.shrinkage,
                "contracts": sc.contracts(fte_hours),
            }
            if occupancy is not None:
                entry["occupancy"] = float(occupancy[1][list(sc.groups).index(name)])
            if name in gaps:
                entry["scheduled"] = _gap_summary(sc, sc.groups[name].agents, gaps[name])
            out[name] = entry
        return out

    def group_occupancy(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Simulated occupancy per group × interval and per group (groups in scenario
        order; :func:`ccsim.sim.metrics.group_occupancy`), or None when not simulated."""
        if self.simulation is None or not getattr(self.simulation, "tallies", None):
            return None
        return group_occupancy(self.simulation.tallies)

    def day_totals(self) -> list[dict]:
        """Per day of the horizon: its label, contacts offered per channel, agent-hours and
        FTE-hours of the plan, its peak agents, and people on contract for that day's
        FTE-hours (× 7 as if every day of a week were like it) when given."""
        sc = self.scenario
        index, labels = sc.day_index(), sc.day_labels()
        out = []
        for day, label in enumerate(labels):
            here = index == day
            agents = {g: np.where(here, staff, 0) for g, staff in self.agents.items()}
            total = np.sum([a for a in agents.values()], axis=0)
            fte_hours = sc.fte_hours(agents)
            out.append(
                {
                    "day": label,
                    "offered": {n: float(c.volume[here].sum()) for n, c in sc.channels.items()},
                    "agent_hours": sc.agent_hours(agents),
                    "fte_hours": fte_hours,
                    "peak_agents": int(total.max(initial=0)),
                    "contracts": None
                    if sc.contract_hours is None
                    else fte_hours * 7.0 / sc.contract_hours,
                }
            )
        return out

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
        lines += self._shared_lines()
        lines.append("")
        group_rows = self._group_rows()
        lines += text_table(group_rows, "llrrr" + "r" * (len(group_rows[0]) - 6) + "l")
        lines += self._roster_lines()
        lines += self._day_lines()
        lines += self._night_lines()
        band = self.day_band()
        if band:
            lines.append("")
            lines += text_table(self._band_rows(band), "lrrrr")
        analytic, final = self.agent_hours(self.analytic_agents), self.agent_hours()
        lines.append("")
        lines.append(
            f"agent-hours: Erlang plan {analytic:.1f}, this plan {final:.1f}"
            f" ({final - analytic:+.1f}); shrinkage {self._shrinkage_text()}"
        )
        fte_hours = sc.fte_hours(self.agents)
        people = sc.contracts(fte_hours)
        lines.append(
            f"FTE-hours: {fte_hours:.1f}"
            + ("" if people is None else f" = {people:.1f} FTE on {sc.contract_hours:g} h/week "
               "contracts (the horizon's days repeated to a week)")
        )  # fmt: skip
        if self.verified:
            lines.append(
                f"verification: {self.iterations} simulation runs; the plan kept was simulated "
                f"on {self.replications} days (seed {self.seed}) — other days (another --seed "
                "or --replications) may keep a slightly different plan that meets them too"
            )
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
        """Rows of the per-group table of :meth:`describe` (header first): the group's
        agents, FTE (its shrinkage), people on contract and simulated occupancy."""
        sc = self.scenario
        homes = sc.home_groups(self.planned)
        occupancy = self.group_occupancy()
        head = ["group", "skills", "peak agents", "peak FTE", "agent-h"]
        head += [f"FTE ({sc.contract_hours:g} h/wk)"] if sc.contract_hours is not None else []
        head += ["occupancy (sim)"] if occupancy is not None else []
        rows = [head + [""]]
        for k, (name, staff) in enumerate(self.agents.items()):
            peak = int(np.argmax(staff)) if staff.size else 0
            note = ""
            if name not in self.planned:
                note = "(kept as written)"
            elif name not in homes.values():
                note = "(no channel's home group: planned at 0; --keep-fixed keeps its roster)"
            row = [
                name,
                ", ".join(sc.groups[name].skills),
                str(int(staff.max(initial=0))),
                f"{erlang.fte(float(staff.max(initial=0)), sc.group_shrinkage(name)[peak]):.1f}",
                f"{sc.agent_hours(staff):.1f}",
            ]
            if sc.contract_hours is not None:
                row.append(f"{sc.contracts(sc.fte_hours({name: staff})):.1f}")
            if occupancy is not None:
                row.append(f"{occupancy[1][k]:.1%}" if np.isfinite(occupancy[1][k]) else "-")
            rows.append(row + [note])
        return rows

    def _shrinkage_text(self) -> str:
        """``30%``, or per group when groups have their own: ``phones 30%, digital 25–35%``."""
        sc = self.scenario
        if all(g.shrinkage is None for g in sc.groups.values()):
            return f"{sc.shrinkage:.0%}"
        parts = []
        for name in sc.groups:
            shrink = sc.group_shrinkage(name)
            low, high = float(shrink.min(initial=1.0)), float(shrink.max(initial=0.0))
            parts.append(f"{name} {low:.0%}" + (f"–{high:.0%}" if high > low else ""))
        return ", ".join(parts)

    def _shared_lines(self) -> list[str]:
        """A note under the channel table for groups that carry several channels."""
        homes = self.scenario.home_groups(self.planned)
        lines = []
        for group in dict.fromkeys(g for g in homes.values() if g is not None):
            members = [c for c, home in homes.items() if home == group]
            if len(members) > 1:
                lines.append(
                    f"{', '.join(members)}: agents are a share of group {group}'s plan (split "
                    "by each one's need; roster the group's figure below); occupancy is the group's"
                )
        return lines

    def _roster_lines(self) -> list[str]:
        """Today's roster (the agents the scenario writes) against this plan, per group, and
        per interval when the horizon has at most 48 intervals."""
        sc, gaps = self.scenario, self.over_under()
        if not gaps:
            return []
        rows = [["scheduled vs required", "scheduled agent-h", "required agent-h",
                 "under: intervals (agent-h)", "over: intervals (agent-h)", "worst"]]  # fmt: skip
        for name, gap in gaps.items():
            info = _gap_summary(sc, sc.groups[name].agents, gap)
            worst = info["worst"]
            rows.append([
                name, f"{info['agent_hours']:.1f}", f"{sc.agent_hours(self.agents[name]):.1f}",
                f"{info['intervals_under']} ({info['agent_hours_under']:.1f})",
                f"{info['intervals_over']} ({info['agent_hours_over']:.1f})",
                f"{worst['over_under']:+d} at {worst['start']}" if worst["over_under"] < 0 else "-",
            ])  # fmt: skip
        lines = ["", *text_table(rows, "lrrrrl")]
        if sc.n_intervals <= 48:
            table = [["interval", *(f"{g}: scheduled/required" for g in gaps)]]
            for i, start in enumerate(sc.starts):
                table.append([start] + [
                    f"{sc.groups[g].agents[i]}/{self.agents[g][i]} ({gaps[g][i]:+d})" for g in gaps
                ])  # fmt: skip
            lines += ["", *text_table(table, "l")]
        return lines

    def _day_lines(self) -> list[str]:
        """Per-day totals of a horizon of several days."""
        sc = self.scenario
        if len(sc.day_labels()) < 2:
            return []
        extra = sc.contract_hours is not None
        head = ["day", "contacts", "agent-h", "FTE-h", "peak agents"]
        rows = [head + ([f"FTE ({sc.contract_hours:g} h/wk)"] if extra else [])]
        for day in self.day_totals():
            row = [day["day"], f"{sum(day['offered'].values()):,.0f}", f"{day['agent_hours']:.1f}",
                   f"{day['fte_hours']:.1f}", str(day["peak_agents"])]  # fmt: skip
            rows.append(row + ([f"{day['contracts']:.1f}"] if extra else []))
        return ["", *text_table(rows, "l")]

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


def _gap_summary(scenario: Scenario, scheduled: np.ndarray, gap: np.ndarray) -> dict:
    """Today's roster of one group against the plan: agent-hours scheduled, the intervals
    and agent-hours under and over, the worst shortfall."""
    hours = scenario.interval / 3600.0
    worst = int(np.argmin(gap)) if gap.size else 0
    return {
        "agent_hours": scenario.agent_hours(scheduled),
        "intervals_under": int((gap < 0).sum()),
        "intervals_over": int((gap > 0).sum()),
        "agent_hours_under": float(-gap[gap < 0].sum() * hours),
        "agent_hours_over": float(gap[gap > 0].sum() * hours),
        "worst": {"start": scenario.starts[worst], "over_under": int(gap[worst])}
        if gap.size
        else None,
    }


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


def read_plan_agents(plan_dir: str | Path, scenario: Scenario) -> dict[str, np.ndarray]:
    """Group → agents per interval from a plan written by ``ccsim staff --out DIR``
    (``DIR/groups.csv``: ``group, interval, start, agents, fte``), checked against the
    scenario (its groups, intervals and their labels). ValueError naming the file and
    line on a mismatch."""
    path = Path(plan_dir) / "groups.csv"
    n = scenario.n_intervals
    out: dict[str, np.ndarray] = {}
    seen: dict[str, np.ndarray] = {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = {"group", "interval", "agents"} - set(reader.fieldnames or [])
            if missing:
                raise ValueError(
                    f"{path}: no column {', '.join(sorted(missing))} "
                    "(expected group, interval, start, agents, fte)"
                )
            for row in reader:
                where = f"{path}: line {reader.line_num}"
                group, index, agents = _plan_row(row, where, scenario)
                out.setdefault(group, np.zeros(n, dtype=np.int64))[index] = agents
                seen.setdefault(group, np.zeros(n, dtype=bool))[index] = True
    except FileNotFoundError:
        raise ValueError(
            f"no groups.csv in {plan_dir} (write one with ccsim staff SCENARIO --out DIR)"
        ) from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: cannot be read: {exc}") from None
    for group, got in seen.items():
        if not got.all():
            first = int(np.flatnonzero(~got)[0])
            raise ValueError(
                f"{path}: group {group} has no row for interval {first} ({scenario.starts[first]})"
            )
    if not out:
        raise ValueError(f"{path}: no rows")
    return out


def _plan_row(row: Mapping[str, str], where: str, scenario: Scenario) -> tuple[str, int, int]:
    """One row of a plan's groups.csv: (group, interval index, agents)."""
    group = (row.get("group") or "").strip()
    if group not in scenario.groups:
        raise ValueError(
            f"{where}: group {group!r} is not in the scenario "
            f"(groups: {', '.join(scenario.groups)})"
        )
    try:
        index = int(row["interval"])
        agents = float(row["agents"])
    except (TypeError, ValueError):
        raise ValueError(f"{where}: interval and agents must be numbers") from None
    if not 0 <= index < scenario.n_intervals:
        raise ValueError(
            f"{where}: interval {index} is outside the scenario's "
            f"{scenario.n_intervals} intervals (a plan of another scenario?)"
        )
    start = (row.get("start") or "").strip()
    if start and start != scenario.starts[index]:
        raise ValueError(
            f"{where}: start {start!r} is not the scenario's interval {index} "
            f"({scenario.starts[index]!r}): a plan of another scenario?"
        )
    if not (math.isfinite(agents) and agents >= 0 and agents == int(agents)):
        raise ValueError(f"{where}: agents must be a whole number ≥ 0, got {row['agents']!r}")
    return group, index, int(agents)
