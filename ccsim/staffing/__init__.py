"""The staffing planner: agents per channel and interval that meet the targets.

:func:`plan_staffing` gives the analytic answer at once and, with
``verify=True``, corrects it by simulation until every interval meets its
targets. The package reads downwards only:

- :mod:`ccsim.staffing.requirement` — the analytic requirement per channel ×
  interval (Erlang C/A, the concurrency approximation, the backlog recursion of
  deferred channels) and the analytic plan per group;
- :mod:`ccsim.staffing.plan` — the :class:`StaffingPlan`: tables, summary, text, files;
- :mod:`ccsim.staffing.verify` — the simulation-verified correction, a search
  in named phases (load correction, fix, trim, confirm);
- :mod:`ccsim.staffing.backtest` — :func:`backtest_plan`: the real days of a history
  replayed against a written plan;
- this module — :func:`plan_staffing`, and :func:`resolve_agents`, the one
  place where ``agents = "auto"`` groups get their analytic plan before a
  simulation.

Simulation-verified correction
------------------------------
With ``verify=True`` the plan is simulated and corrected until every open
interval meets its targets with the simulated confidence — in the spirit of
the iterative staffing algorithm of Feldman, Mandelbaum, Massey & Whitt (2008),
with common random numbers across iterations; see :mod:`ccsim.staffing.verify`.
Intervals that cannot be met are reported in ``plan.unmet``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from ccsim._pools import dask_client
from ccsim.durations import check_count
from ccsim.scenario import Scenario
from ccsim.sim import simulate
from ccsim.staffing.backtest import Backtest, backtest_plan
from ccsim.staffing.days import DayVariation, busyness_quantile
from ccsim.staffing.plan import StaffingPlan
from ccsim.staffing.requirement import (
    analytic_plan,
    channel_requirement,
    planned_groups,
    predicted_kpis,
)
from ccsim.staffing.verify import verify_plan

__all__ = [
    "Backtest",
    "StaffingPlan",
    "analytic_plan",
    "backtest_plan",
    "channel_requirement",
    "plan_staffing",
    "planned_groups",
    "predicted_kpis",
    "resolve_agents",
    "verify_plan",
]


def resolve_agents(scenario: Scenario, agents: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The staffing to simulate: ``agents`` given, else the scenario's, and for every
    ``agents = "auto"`` group not given the analytic plan.

    The analytic plan is :func:`plan_staffing` with ``keep_fixed=True`` (Erlang
    per channel and interval, the explicit groups kept as written). Returns
    group → agents (a number or per-interval array), ready for
    :func:`ccsim.sim.simulate`'s ``agents``.
    """
    given = dict(agents or {})
    missing = [g for g, group in scenario.groups.items() if group.auto and g not in given]
    if missing:
        analytic = plan_staffing(scenario, keep_fixed=True).agents
        given.update({g: analytic[g] for g in missing})
    return given


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
    days_met: float | None = None,
    executor: str = "processes",
    scheduler: Any = None,
) -> StaffingPlan:
    """Plan agents per group and interval for ``scenario``.

    Parameters
    ----------
    scenario : the scenario to plan.
    verify : correct the analytic plan by simulation (see :mod:`ccsim.staffing.verify`).
    keep_fixed : plan only the ``agents = "auto"`` groups and keep the others'
        staffing as written; by default every group is planned (the agents in
        the file are then just the current roster, ignored by the plan).
    replications : most simulated days per verification run (≥ 2: its confidence
        intervals); a run plays fewer when every decision is clear with fewer.
    seed : seed of the verification (default: the scenario's); every iteration reuses it.
    max_iterations : cap on simulation runs in the verification.
    progress : called with a short status line after each simulation run.
    jobs : worker processes for the verification's replications (the plan is the
        same for any number).
    executor, scheduler : where the replications run: ``"processes"`` (a process pool
        of ``jobs`` workers) or ``"dask"`` (``scheduler``: a ``Client``, a cluster or
        an address such as ``"tcp://host:8786"``; None: a ``LocalCluster`` of ``jobs``
        workers for the verification). The plan is the same on either.
    days_met : share of days on which every service-level target must hold under the
        scenario's day-to-day variation (default: the scenario's ``days_met``; None:
        plan the average day). See :mod:`ccsim.staffing.days`. With ``verify``, the
        plan is simulated on ``replications`` days and the share of days confirmed
        with its 95% interval; where a per-day target falls clearly short, the plan
        is sized for a busier day and simulated again (up to four times).

    Returns
    -------
    StaffingPlan
    """
    days_met = scenario.days_met if days_met is None else _share("days_met", days_met)
    plan = _analytic(scenario, keep_fixed, days_met, days_met)
    if not verify:
        return plan
    replications = check_count(
        "replications", replications, 2, why=" (verification needs its confidence intervals)"
    )
    max_iterations = check_count("max_iterations", max_iterations, 1)
    if days_met is not None:
        where = {"jobs": jobs, "executor": executor, "scheduler": scheduler}
        return _confirm_days(plan, keep_fixed, replications, seed, progress, where)
    return verify_plan(
        plan,
        replications=replications,
        seed=scenario.seed if seed is None else seed,
        max_iterations=max_iterations,
        progress=progress,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
    )


def _share(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ValueError(f"{name} must be a share in (0, 1) such as 0.9, got {value!r}")
    return float(value)


def _analytic(
    scenario: Scenario, keep_fixed: bool, days_met: float | None, design: float | None
) -> StaffingPlan:
    """The analytic plan for a share ``design`` of days (None: the average day)."""
    variation = DayVariation.of(scenario)
    factor = 1.0 if design is None else busyness_quantile(variation.factor_cv, design)
    planned = planned_groups(scenario, keep_fixed)
    requirement, analytic = analytic_plan(scenario, planned, design)
    return StaffingPlan(
        planned=planned,
        scenario=scenario,
        requirement=requirement,
        analytic_agents={k: v.copy() for k, v in analytic.items()},
        agents={k: v.copy() for k, v in analytic.items()},
        days_met=days_met,
        busyness_factor=factor,
    )


def _confirm_days(
    plan: StaffingPlan,
    keep_fixed: bool,
    replications: int,
    seed: int | None,
    progress: Callable[[str], None] | None,
    where: dict[str, Any],
) -> StaffingPlan:
    """Simulate a days-met plan on ``replications`` days with the scenario's day-to-day
    variation; size for a busier day while a per-day target's share of days is clearly
    short (the upper 95% limit below ``days_met``). ``where``: the executor keywords of
    :func:`ccsim.sim.simulate` (one Dask cluster serves every run)."""
    if where["executor"] == "dask" and not hasattr(where["scheduler"], "submit"):
        with dask_client(where["jobs"] or 1, where["scheduler"]) as client:
            where = {**where, "scheduler": client}
            return _confirm_days(plan, keep_fixed, replications, seed, progress, where)
    sc, target = plan.scenario, plan.days_met
    seed = sc.seed if seed is None else seed
    say = progress or (lambda line: None)
    design = target
    for run in range(1, 6):
        result = simulate(sc, replications, seed, agents=plan.agents, **where)
        plan = dataclasses.replace(
            plan,
            simulation=result,
            verified=True,
            iterations=run,
            seed=seed,
            replications=replications,
        )
        band = plan.day_band()
        short = [
            name
            for name, entry in band.items()
            if sc.channels[name].sl_per == "day" and entry.get("days_met_hi", 1.0) < target
        ]
        shares = ", ".join(f"{n} {e.get('days_met', float('nan')):.0%}" for n, e in band.items())
        say(f"run {run}: {plan.agent_hours():.1f} agent-hours, days met: {shares}")
        if not short or run == 5:
            plan.unmet = [(name, -1) for name in short]
            return plan
        design = design + (1.0 - design) / 2
        busier = _analytic(sc, keep_fixed, target, design)
        plan = dataclasses.replace(busier, analytic_agents=plan.analytic_agents)
    return plan
