"""The staffing planner: agents per channel and interval that meet the targets.

:func:`plan_staffing` gives the analytic answer at once and, with
``verify=True``, corrects it by simulation until every interval meets its
targets.

The analytic requirement per channel × interval
-----------------------------------------------
- **Live channels** (customers wait on the line or in the chat window): the
  fewest agents meeting every target of the channel (service level, ASA,
  abandonment, occupancy ceiling) by Erlang C, or by Erlang A when the
  channel has a patience (customers abandon).
- **Concurrency k** (chat): an approximation — an agent is treated as k
  independent servers ("slots"), each chat taking ``aht × (1 + slowdown·(k−1))``
  (the handle time of a chat held alongside k−1 others); the slots are sized by
  Erlang C/A and agents = ⌈slots ÷ k⌉. It is optimistic when chats are few
  per agent and ignores that an agent's chats finish at different times;
  verification corrects it.
- **Deferred channels** (no patience and a target time of at least one
  interval: email, social): not Erlang C with a 4-hour wait, but a backlog
  recursion. The work arriving in interval i (volume × AHT, agent-seconds)
  must be done within its target window, the ``⌊target_time ÷ interval⌋``
  intervals from i on, clipped to the horizon and to the intervals in which
  the center is open (some channel has volume: no one is planned for the
  night, and the work of the last hours is planned before closing).
  Spreading each interval's work evenly over its window gives the capacity
  every interval needs; the cumulative capacity then always covers the work
  whose deadline has passed (earliest deadline first is first come first
  served here), so the backlog clears in time.
  Agents = ⌈capacity ÷ (interval × occupancy ceiling)⌉.

From channels to groups
-----------------------
A plan staffs every group (with ``keep_fixed``, only the ``agents = "auto"``
groups; the others keep the agents written in the scenario). Each channel's
requirement goes to its *home group*: the first planned group of its
``route_to`` list, or else the first planned group (in file order) that has the
skill. A group's staffing is the sum of the requirements of its home
channels, less what unplanned groups dedicated to the channel (one skill)
already staff — a multi-skill group shares agents between them, and the sum
is conservative (pooling needs fewer); verification takes the slack out.
A planned group that is no channel's home (e.g. an overflow pool) is planned
at 0: use ``keep_fixed`` to keep its roster.

Simulation-verified correction
------------------------------
With ``verify=True`` the plan is simulated and corrected until every open
interval meets its targets with the simulated confidence — in the spirit of
the iterative staffing algorithm of Feldman, Mandelbaum, Massey & Whitt (2008),
with common random numbers across iterations; see :mod:`ccsim.verify`.
Intervals that cannot be met are reported in ``plan.unmet``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ccsim import __version__, erlang
from ccsim.durations import format_duration
from ccsim.results import Table, to_jsonable, write_json
from ccsim.scenario import Channel, Scenario

__all__ = [
    "StaffingPlan",
    "channel_requirement",
    "plan_staffing",
    "home_groups",
    "is_deferred",
    "planned_groups",
]


def is_deferred(channel: Channel, interval: float) -> bool:
    """True for a deferred channel: no abandonment and a target time ≥ one interval (seconds)."""
    return (
        not channel.abandons and channel.target_time is not None and channel.target_time >= interval
    )


def _live_requirement(channel: Channel, interval: float) -> np.ndarray:
    """Agents per interval for a live channel by Erlang C (or A with patience)."""
    k = channel.concurrency
    aht = channel.aht * (1.0 + channel.concurrency_slowdown * (k - 1))
    volume = channel.volume
    open_ = volume > 0
    slots = np.zeros(volume.shape, dtype=np.int64)
    if not np.any(open_):
        return slots
    traffic = volume[open_] * aht[open_] / interval
    targets = {
        "target_time": channel.target_time,
        "service_level": channel.service_level,
        "asa": channel.asa,
        "max_occupancy": channel.max_occupancy,
    }
    if channel.abandons:
        targets["patience"] = channel.patience[open_]
        targets["max_abandon"] = channel.max_abandon
    if channel.service_level is None:
        targets["target_time"] = None
    if not channel.has_target:
        # No target at all: the fewest agents that keep the queue stable.
        slots[open_] = np.floor(traffic).astype(np.int64) + 1
    else:
        slots[open_] = np.asarray(
            erlang.required_agents(traffic, aht[open_], **targets), dtype=np.int64
        )
    return -(-slots // k)  # ceil(slots / k)


def _deferred_requirement(
    channel: Channel, interval: float, open_: np.ndarray | None = None
) -> np.ndarray:
    """Agents per interval for a deferred channel by the backlog recursion (see module doc).

    ``open_`` marks the intervals in which the center works (default: all);
    work is only planned into open intervals of its window.
    """
    work = channel.volume * channel.aht / channel.concurrency  # agent-seconds per interval
    n = len(work)
    open_ = np.ones(n, dtype=bool) if open_ is None else np.asarray(open_, dtype=bool)
    window = max(1, int(min(channel.target_time // interval, n)))
    capacity = np.zeros(n)
    for i in np.flatnonzero(work > 0):
        span = np.arange(i, min(i + window, n))
        span = span[open_[span]] if open_[span].any() else span[:1]
        capacity[span] += work[i] / len(span)
    ceiling = channel.max_occupancy if channel.max_occupancy is not None else 1.0
    agents = np.ceil(capacity / (interval * ceiling) - 1e-9)
    if agents.max(initial=0.0) > erlang.MAX_TRAFFIC:
        raise ValueError(
            f"volume × aht needs {agents.max():.3g} agents in one interval, more than "
            f"{erlang.MAX_TRAFFIC:.0e} (a typo?)"
        )
    return np.maximum(agents, 0).astype(np.int64)


def channel_requirement(
    channel: Channel, interval: float, open_: np.ndarray | None = None
) -> np.ndarray:
    """Analytic agents per interval (int array) meeting every target of ``channel``.

    ``interval`` is the interval length in seconds. Live channels by Erlang C/A
    (with the concurrency approximation), deferred channels by the backlog
    recursion, planned into the ``open_`` intervals only (default: all); see the
    module documentation.
    """
    try:
        if is_deferred(channel, interval):
            return _deferred_requirement(channel, interval, open_)
        return _live_requirement(channel, interval)
    except ValueError as exc:  # e.g. a volume typo beyond what Erlang counts exactly
        raise ValueError(f"channels.{channel.name}: {exc}") from None


def open_intervals(scenario: Scenario) -> np.ndarray:
    """Boolean per interval: the center is open (some channel has volume in it)."""
    return np.any([c.volume > 0 for c in scenario.channels.values()], axis=0)


def planned_groups(scenario: Scenario, keep_fixed: bool = False) -> tuple[str, ...]:
    """The groups a plan staffs: every group, or with ``keep_fixed`` only the ``"auto"`` ones."""
    return tuple(name for name, group in scenario.groups.items() if group.auto or not keep_fixed)


def home_groups(scenario: Scenario, planned: tuple[str, ...]) -> dict[str, str | None]:
    """Channel → the planned group that carries its requirement (None if none serves it).

    The first planned group of the channel's ``route_to``, else the first
    planned group in file order that has the skill.
    """
    homes: dict[str, str | None] = {}
    for name, channel in scenario.channels.items():
        candidates = list(channel.route_to or ()) + scenario.groups_for(name)
        homes[name] = next(
            (g for g in candidates if g in planned and name in scenario.groups[g].skills), None
        )
    return homes


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

    def agent_hours(self, agents: dict[str, np.ndarray] | None = None) -> float:
        """Total agent-hours of a group staffing (default: the final plan)."""
        agents = self.agents if agents is None else agents
        hours = self.scenario.interval / 3600.0
        return float(sum(int(a.sum()) for a in agents.values()) * hours)

    def channel_agents(self) -> dict[str, np.ndarray]:
        """Channel → recommended agents per interval.

        A channel served by one dedicated group gets exactly that group's
        staffing; channels sharing a group split it in proportion to their
        analytic requirement (largest remainder, so the shares add up to the
        group's agents). Agents of unplanned (``--keep-fixed``) groups dedicated
        to a channel count for it; a channel no planned group serves shows those
        agents, or its requirement when it has no dedicated fixed group.
        """
        homes = home_groups(self.scenario, self.planned)
        fixed = fixed_dedicated(self.scenario, self.planned)
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
                predicted_kpis(channel, recommended[name], sc.interval)
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
        hours = sc.interval / 3600.0
        shrink = 1.0 / (1.0 - sc.shrinkage)
        recommended = self.channel_agents()
        channels = {
            name: {
                "agent_hours_erlang": float(self.requirement[name].sum() * hours),
                "agent_hours": float(recommended[name].sum() * hours),
                "fte_hours": float(recommended[name].sum() * hours * shrink),
                "peak_agents": int(recommended[name].max(initial=0)),
            }
            for name in sc.channels
        }
        if self.simulation is not None:
            for row in self.simulation.channels.rows():
                channels[row.pop("channel")].update(row)
        return to_jsonable(
            {
                "ccsim_version": __version__,
                "scenario": dict(sc.spec) or {"name": sc.name},
                "name": sc.name,
                "seed": self.seed,
                "replications": self.replications,
                "verified": self.verified,
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
                        "agent_hours_analytic": float(self.analytic_agents[name].sum() * hours),
                        "agent_hours": float(staff.sum() * hours),
                        "fte_hours": float(staff.sum() * hours * shrink),
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
        hours = sc.interval / 3600.0
        recommended = self.channel_agents()
        title = "verified by simulation" if self.verified else "Erlang (analytic)"
        lines = [f"{sc.name} — staffing plan, {title}", ""]
        header = f"{'channel':<14}{'target':<30}{'peak agents':>12}{'agent-h Erlang':>16}"
        header += f"{'agent-h plan':>14}"
        header += f"{'sim SL (min interval)' if self.verified else 'Erlang SL (min interval)':>26}"
        lines.append(header)
        sim = self.simulation.channels if self.simulation is not None else None
        predicted = self.intervals_table() if sim is None else None
        for name, channel in sc.channels.items():
            row = (
                f"{name:<14}{_target_text(channel):<30}{int(recommended[name].max(initial=0)):>12}"
            )
            row += f"{self.requirement[name].sum() * hours:>16.1f}"
            row += f"{recommended[name].sum() * hours:>14.1f}"
            if sim is not None:
                rows = self.simulation.intervals["channel"] == name
                per = self.simulation.intervals["service_level"][rows][channel.volume > 0]
                total = sim["service_level"][list(sim["channel"]).index(name)]
                low = f"{np.nanmin(per):.1%}" if per.size and np.isfinite(per).any() else "-"
                row += f"{f'{total:.1%} ({low})':>26}" if np.isfinite(total) else f"{'-':>26}"
            else:
                rows = predicted["channel"] == name
                per = predicted["service_level"][rows][channel.volume > 0]
                if per.size and np.isfinite(per).all():
                    row += f"{np.min(per):>26.1%}"
                else:
                    row += f"{'backlog plan' if is_deferred(channel, sc.interval) else '-':>26}"
            lines.append(row)
        lines += [
            "",
            f"{'group':<14}{'skills':<30}{'peak agents':>12}{'peak FTE':>10}{'agent-h':>10}",
        ]
        homes = home_groups(sc, self.planned)
        for name, staff in self.agents.items():
            skills = ", ".join(sc.groups[name].skills)
            peak = int(staff.max(initial=0))
            note = ""
            if name not in self.planned:
                note = "  (kept as written)"
            elif name not in homes.values():
                note = "  (no channel's home group: planned at 0; --keep-fixed keeps its roster)"
            lines.append(
                f"{name:<14}{skills:<30}{peak:>12}"
                f"{erlang.fte(float(peak), sc.shrinkage):>10.1f}{staff.sum() * hours:>10.1f}{note}"
            )
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

    def write(self, out_dir: str | Path, *, plot: bool = False) -> list[Path]:
        """Write intervals.csv, groups.csv, summary.json (and staffing.png) atomically."""
        out = Path(out_dir)
        written = [
            self.intervals_table().write_csv(out / "intervals.csv"),
            self.groups_table().write_csv(out / "groups.csv"),
        ]
        written.append(write_json(out / "summary.json", self.summary()))
        if plot:
            from ccsim.plots import plot_staffing

            written.append(plot_staffing(self, out / "staffing.png"))
        return written


def _target_text(channel: Channel) -> str:
    """Short text of a channel's targets: ``80% in 20s``, ``ASA 30s, ab ≤5%``, ``—``."""
    parts = []
    if channel.service_level is not None and channel.target_time is not None:
        parts.append(f"{channel.service_level:.0%} in {format_duration(channel.target_time)}")
    if channel.asa is not None:
        parts.append(f"ASA {format_duration(channel.asa)}")
    if channel.max_abandon is not None:
        parts.append(f"ab ≤{channel.max_abandon:.0%}")
    if channel.max_occupancy is not None:
        parts.append(f"occ ≤{channel.max_occupancy:.0%}")
    return ", ".join(parts) or "—"


def predicted_kpis(channel: Channel, agents: np.ndarray, interval: float) -> dict[str, np.ndarray]:
    """Erlang C/A prediction of the ``intervals.csv`` KPIs at ``agents`` per interval.

    Counts are expected values per interval; ``asa`` is the mean wait of
    answered contacts (seconds); occupancy is the busy share of the agents.
    Concurrency k is read as k slots per agent with the stretched handle time
    (as in the requirement). Deferred channels and closed intervals give NaN
    rates; the confidence-interval columns are NaN (nothing was sampled).
    """
    n = len(channel.volume)
    nan = np.full(n, np.nan)
    volume = channel.volume.astype(float)
    out = {
        "offered": volume,
        "answered": nan.copy(),
        "abandoned": nan.copy(),
        "unanswered": np.zeros(n),
        "answered_within": nan.copy(),
        "service_level": nan.copy(),
        "service_level_lo": nan.copy(),
        "service_level_hi": nan.copy(),
        "asa": nan.copy(),
        "abandon_rate": nan.copy(),
        "occupancy": nan.copy(),
    }
    k = channel.concurrency
    aht = channel.aht * (1.0 + channel.concurrency_slowdown * (k - 1))
    ok = (volume > 0) & (agents > 0)
    if is_deferred(channel, interval) or not ok.any():
        out["unanswered"] = nan.copy()
        return out
    slots = agents[ok] * k
    traffic = volume[ok] * aht[ok] / interval
    target = channel.target_time if channel.target_time is not None else 0.0
    if channel.abandons:
        measures = erlang.erlang_a(
            volume[ok] / interval, aht[ok], channel.patience[ok], slots, target
        )
        level, abandon, wait = measures.service_level, measures.p_abandon, measures.asa
        busy = measures.occupancy
    else:
        level = erlang.service_level(traffic, slots, aht[ok], target)
        abandon = np.zeros(ok.sum())
        wait = erlang.asa(traffic, slots, aht[ok])
        busy = erlang.occupancy(traffic, slots)
    out["abandoned"][ok] = volume[ok] * abandon
    out["answered"][ok] = volume[ok] - out["abandoned"][ok]
    out["abandon_rate"][ok] = abandon
    out["asa"][ok] = wait
    out["occupancy"][ok] = busy
    if channel.target_time is not None:
        out["service_level"][ok] = level
        out["answered_within"][ok] = volume[ok] * level
    return out


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


def analytic_plan(
    scenario: Scenario, planned: tuple[str, ...]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(channel requirement, group staffing) of the analytic plan; see the module doc."""
    requirement = {
        name: channel_requirement(channel, scenario.interval, open_intervals(scenario))
        for name, channel in scenario.channels.items()
    }
    homes = home_groups(scenario, planned)
    fixed = fixed_dedicated(scenario, planned)
    agents: dict[str, np.ndarray] = {}
    for name, group in scenario.groups.items():
        if name in planned:
            staff = np.zeros(scenario.n_intervals, dtype=np.int64)
            for channel, home in homes.items():
                if home == name:
                    # what fixed groups dedicated to the channel already answer is not planned again
                    staff = staff + np.maximum(requirement[channel] - fixed[channel], 0)
            agents[name] = staff
        else:
            agents[name] = np.asarray(group.agents, dtype=np.int64).copy()
    return requirement, agents


def fixed_dedicated(scenario: Scenario, planned: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Channel → agents per interval of the unplanned groups whose only skill it is."""
    out = {name: np.zeros(scenario.n_intervals, dtype=np.int64) for name in scenario.channels}
    for name, group in scenario.groups.items():
        if name not in planned and len(group.skills) == 1 and group.agents is not None:
            out[group.skills[0]] = out[group.skills[0]] + group.agents
    return out


def plan_staffing(
    scenario: Scenario,
    *,
    verify: bool = False,
    keep_fixed: bool = False,
    replications: int = 40,
    seed: int | None = None,
    max_iterations: int = 60,
    progress: Callable[[str], None] | None = None,
    jobs: int | None = 1,
) -> StaffingPlan:
    """Plan agents per group and interval for ``scenario``.

    Parameters
    ----------
    scenario : the scenario to plan.
    verify : correct the analytic plan by simulation (see the module doc).
    keep_fixed : plan only the ``agents = "auto"`` groups and keep the others'
        staffing as written; by default every group is planned (the agents in
        the file are then just the current roster, ignored by the plan).
    replications : simulated days per verification run (≥ 2: its confidence intervals).
    seed : seed of the verification (default: the scenario's); every iteration reuses it.
    max_iterations : cap on simulation runs in the verification.
    progress : called with a short status line after each simulation run.
    jobs : worker processes for the verification's replications (the plan is the
        same for any number).

    Returns
    -------
    StaffingPlan
    """
    planned = planned_groups(scenario, keep_fixed)
    requirement, analytic = analytic_plan(scenario, planned)
    plan = StaffingPlan(
        planned=planned,
        scenario=scenario,
        requirement=requirement,
        analytic_agents={k: v.copy() for k, v in analytic.items()},
        agents={k: v.copy() for k, v in analytic.items()},
    )
    if verify:
        from ccsim.verify import verify_plan

        if int(replications) != replications or replications < 2:
            raise ValueError(
                "verification needs replications ≥ 2 (its confidence intervals), "
                f"got {replications!r}"
            )
        if int(max_iterations) != max_iterations or max_iterations < 1:
            raise ValueError(f"max_iterations must be a whole number ≥ 1, got {max_iterations!r}")

        plan.seed = scenario.seed if seed is None else seed
        plan.replications = replications
        verify_plan(
            plan,
            replications=replications,
            seed=plan.seed,
            max_iterations=max_iterations,
            progress=progress,
            jobs=jobs,
        )
    return plan
