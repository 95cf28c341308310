"""Batch sweeps: a grid of scenario variants, run on every core or a Dask cluster, resumably.

A sweep is the product of a few *axes* — a dotted scenario path and its values,
e.g. ``channels.voice.aht`` over ``160s, 180s, 200s`` and ``groups.phones.agents``
over ``12..18``. Each *point* of the product is the scenario with those
overrides (:meth:`ccsim.scenario.Scenario.with_overrides`), simulated with
``replications`` replications. Every point is validated before anything runs.

A point whose overrides change the number of intervals or their length (so
the horizon) is refused like an invalid one: a sweep compares variants of one
day, never a shorter or longer one.

Reproducibility: by default a point's seed derives from the base seed and the
point's canonical parameters only (:func:`point_seed`): independent noise per
point. With ``common_random_numbers=True`` (``--common-random-numbers``) every
point uses the base seed itself, so points see the same arrivals, handle times
and patiences and differ only by their parameters — the right choice for
trade-off curves (with independent seeds 2 agents can show a higher service
level than 3). Either way a point's numbers never depend on the number of jobs,
the executor, the order in which points finish, or on a resumption.

The store (``out=DIR``)::

    DIR/sweep.json          the manifest, written first: store format, scenario (path,
                            sha256 of the document and its CSV files), grid, replications,
                            seed, common_random_numbers, mode, ccsim version. A rerun with
                            other arguments, or into a store of another format, is refused.
    DIR/points/<id>.json    one file per finished point, written atomically by the parent
                            process the moment the point finishes, with the SHA-256 of its
                            key, seed and rows. Read back, a file is used only if it checks
                            (its point, one row per channel, numbers, the checksum); any
                            other is computed again.
    DIR/points.log          one appended line per computed point: time, id, point, seconds;
                            rebuilt from the valid point files when a run starts (a kill
                            between a point file and its line leaves no gap).
    DIR/results.csv         rebuilt from the point files in grid order when all are done,
                            so it is byte-identical however the run went.
    DIR/.lock               held (POSIX lock) while a sweep runs: a second concurrent
                            run into the same directory is refused.

A rerun with the same arguments computes only the points without a file; an
interrupted sweep (Ctrl-C, SIGKILL, a lost worker) loses at most the points
that were in flight.

``results.csv`` has one row per point × channel: ``point`` (0-based index in
grid order), the swept parameters (columns named by their dotted paths),
``channel``, the simulated totals ``offered, answered, abandoned, unanswered,
answered_within, service_level, service_level_lo, service_level_hi, asa,
abandon_rate, occupancy`` (as in ``ccsim simulate``: means per replication,
``offered = answered + abandoned + unanswered`` where ``unanswered`` are the
contacts still waiting at the end of the horizon, e.g. an email backlog),
``agent_hours`` and ``seed`` (the point's).
``agent_hours`` is the staffed time of the groups that can serve the channel:
Σ over those groups and all intervals of agents × interval length in hours
(a multi-skill group counts fully for each of its channels). A group with
``agents = "auto"`` is simulated with the analytic plan (``ccsim.staffing.resolve_agents``).

With ``staff=True`` (``--staff``) each point is first planned by
``ccsim.staffing.plan_staffing(point, verify=False)`` (Erlang C/A, every group
planned) and the plan's agents are simulated; ``agent_hours`` is then the
plan's — the cost of meeting the targets at that point.

This module holds the public entry points; the pieces live in
:mod:`ccsim.sweep.grid` (axes, values, point identity and seeds),
:mod:`ccsim.sweep.point` (the work of one point, in a worker),
:mod:`ccsim.sweep.store` (the resumable store) and :mod:`ccsim.sweep.executors`
(this process, a process pool, Dask); :mod:`ccsim.sweep.errors` has the errors.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ccsim import __version__
from ccsim._pools import default_jobs
from ccsim.durations import check_count, format_duration
from ccsim.results import Table, interrupts_deferred, text_table
from ccsim.scenario import Scenario, ScenarioError, load_scenario
from ccsim.sim.replications import size_problems
from ccsim.sweep.errors import PointError, RunError, SweepError, SweepInterrupted
from ccsim.sweep.executors import EXECUTORS, execute
from ccsim.sweep.grid import (
    MAX_POINTS,
    Axis,
    Point,
    canonical_key,
    grid_axes,
    parse_scalar,
    parse_set,
    parse_values,
    point_id,
    point_seed,
    read_grid_file,
    show_value,
)
from ccsim.sweep.point import KPI_COLUMNS, bundle_scenario, rebuild_scenario
from ccsim.sweep.store import STORE_FORMAT, SweepStore, point_record, results_table

__all__ = [
    "Axis",
    "Point",
    "SweepError",
    "PointError",
    "RunError",
    "SweepInterrupted",
    "SweepPlan",
    "KPI_COLUMNS",
    "parse_set",
    "parse_values",
    "parse_scalar",
    "read_grid_file",
    "grid_axes",
    "canonical_key",
    "point_id",
    "point_seed",
    "plan_sweep",
    "run_sweep",
    "sweep_scenario",
    "summary_text",
]

# --- the plan: scenario + grid, validated ---------------------------------------------------


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: the scenario document to ship, the axes, the points, the settings."""

    scenario: Scenario
    axes: tuple[Axis, ...]
    points: tuple[Point, ...]
    replications: int
    seed: int
    mode: str
    bundle: Mapping[str, Any]
    spec_sha256: str
    common_random_numbers: bool = False

    def manifest(self) -> dict[str, Any]:
        """What ``DIR/sweep.json`` holds; the identity fields must match on a rerun."""
        return {
            "format": STORE_FORMAT,
            "ccsim_version": __version__,
            "scenario": {
                "name": self.scenario.name,
                "path": str(self.scenario.source) if self.scenario.source else None,
                "sha256": self.spec_sha256,
            },
            "grid": [[axis.key, list(axis.values)] for axis in self.axes],
            "replications": self.replications,
            "seed": self.seed,
            "common_random_numbers": self.common_random_numbers,
            "mode": self.mode,
            "points": len(self.points),
        }


def plan_sweep(
    scenario: Scenario | str | os.PathLike,
    grid: Mapping[str, Any] | Sequence[Axis | str],
    *,
    replications: int = 10,
    seed: int | None = None,
    mode: str = "simulate",
    common_random_numbers: bool = False,
) -> SweepPlan:
    """Build the points of a grid and validate every one before anything runs.

    Each point's seed is :func:`point_seed` of ``seed`` and its parameters, or
    ``seed`` itself with ``common_random_numbers``. Raises :class:`ScenarioError`
    for a bad scenario file, and :class:`SweepError` for a bad grid or invalid
    points, one line per problem naming the axis, the point and the scenario
    path, e.g. ``--set channels.voice.aht=abc: point 3 (channels.voice.aht=abc):
    channels.voice.aht: expected a duration …``. A point whose overrides change
    the number of intervals or the interval length is such a problem.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    try:
        replications = check_count("replications", replications, 1)
        seed = check_count("seed", scenario.seed if seed is None else seed, 0)
    except ValueError as exc:
        raise SweepError(str(exc)) from None
    if mode not in ("simulate", "staff"):
        raise SweepError(f"mode must be 'simulate' or 'staff', got {mode!r}")
    if not isinstance(common_random_numbers, bool):
        raise SweepError(
            f"common_random_numbers must be True or False, got {common_random_numbers!r}"
        )
    axes = tuple(grid_axes(grid))
    for axis in axes:
        if axis.key == "seed":
            raise SweepError(
                f"{axis.origin}: a sweep does not use the scenario's seed; "
                "give the base seed with --seed (each point derives its own)"
            )
    count = math.prod(len(axis.values) for axis in axes)
    if count > MAX_POINTS:
        raise SweepError(f"the grid has {count} points, more than {MAX_POINTS}")
    bundle, digest = bundle_scenario(scenario)
    base = rebuild_scenario(bundle, digest)
    points: list[Point] = []
    problems: dict[tuple[str, str], list[Point]] = {}
    single: dict[tuple[str, str], bool] = {}  # (axis, value) → does it alone change the horizon
    for index, values in enumerate(itertools.product(*(axis.values for axis in axes))):
        overrides = {axis.key: value for axis, value in zip(axes, values, strict=True)}
        key = canonical_key(overrides)
        this_seed = seed if common_random_numbers else point_seed(seed, key)
        point = Point(index, overrides, key, point_id(key), this_seed)
        points.append(point)
        for origin, message in _point_problems(base, axes, overrides, single):
            problems.setdefault((origin, message), []).append(point)
    if problems:
        raise SweepError("\n".join(_problem_lines(problems)))
    if len({p.id for p in points}) != len(points):
        raise SweepError("the grid repeats a point: a value appears twice on one axis")
    return SweepPlan(
        scenario,
        axes,
        tuple(points),
        replications,
        seed,
        mode,
        bundle,
        digest,
        common_random_numbers,
    )


def _point_problems(
    base: Scenario, axes: Sequence[Axis], overrides: Mapping[str, Any], single: dict
) -> list[tuple[str, str]]:
    """(origin, message) of every problem of one point: an invalid variant, a change of the
    intervals, or a replication too large. ``single`` caches which lone values change the
    horizon."""
    try:
        variant = base.with_overrides(overrides)  # workers rebuild it from plain data
    except ScenarioError as exc:
        return [
            (
                _origin_of(problem.key, axes, overrides),
                f"{problem.key}: {problem.message}" if problem.key else problem.message,
            )
            for problem in exc.problems
        ]
    found = []
    change = _horizon_change(base, variant)
    if change:
        culprits = [a for a in axes if _changes_horizon(base, a.key, overrides[a.key], single)]
        if len(culprits) == 1:
            found.append(
                (_axis_origin(culprits[0], overrides[culprits[0].key]), f"this override {change}")
            )
        else:
            found.append(("", f"these overrides {change}"))
    for message in size_problems(variant):
        found.append((_origin_of(message.partition(": ")[0], axes, overrides), message))
    return found


def _horizon_change(base: Scenario, variant: Scenario) -> str:
    """``"changes the horizon from 16 to 1 intervals"`` (or the interval length); "" if none."""
    if variant.n_intervals != base.n_intervals:
        return (
            f"changes the horizon from {base.n_intervals} to {variant.n_intervals} intervals; "
            "a sweep compares variants of the same intervals"
        )
    if variant.interval != base.interval:
        return (
            f"changes the interval from {format_duration(base.interval)} to "
            f"{format_duration(variant.interval)} (the horizon from "
            f"{format_duration(base.horizon)} to {format_duration(variant.horizon)}); "
            "a sweep compares variants of the same intervals"
        )
    return ""


def _changes_horizon(base: Scenario, key: str, value: Any, cache: dict) -> bool:
    """Whether overriding ``key`` alone with ``value`` changes the intervals (cached)."""
    slot = (key, canonical_key({key: value}))
    if slot not in cache:
        try:
            cache[slot] = bool(_horizon_change(base, base.with_overrides({key: value})))
        except ScenarioError:
            cache[slot] = False
    return cache[slot]


def _axis_origin(axis: Axis, value: Any) -> str:
    """Where ``value`` of ``axis`` was given: ``--set key=value`` or ``file: grid.key=value``."""
    if axis.origin.startswith("--set "):
        return f"--set {axis.key}={show_value(value)}"
    return f"{axis.origin}={show_value(value)}"


def _origin_of(path: str, axes: Sequence[Axis], overrides: Mapping[str, Any]) -> str:
    """Where the value at ``path`` (a dotted key) was given: ``--set key=value``,
    ``file: grid.key=…``; "" when no axis sets it."""
    for axis in axes:
        if path == axis.key or path.startswith(axis.key + ".") or axis.key.startswith(path + "."):
            return _axis_origin(axis, overrides[axis.key])
    return ""


def _problem_lines(problems: Mapping[tuple[str, str], list[Point]]) -> list[str]:
    lines = []
    for (origin, message), points in problems.items():
        first = points[0]
        n = len(points) - 1
        more = f" (and {n} more point{'s' if n > 1 else ''})" if n else ""
        prefix = f"{origin}: " if origin else ""
        lines.append(f"{prefix}point {first.index} ({first.label()}){more}: {message}")
    return lines


# --- running --------------------------------------------------------------------------------


def run_sweep(
    plan: SweepPlan,
    *,
    jobs: int | None = None,
    executor: str = "processes",
    scheduler: Any = None,
    out: str | os.PathLike | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Table, dict[str, int]]:
    """Run the points of ``plan`` not yet in ``out``; return the results and counts.

    The counts are ``{"points", "computed", "skipped"}``. ``progress(done, total)``
    is called once at the start and after each point. On Ctrl-C pending points
    are cancelled, finished ones kept, and :class:`SweepInterrupted` raised.
    :class:`SweepError` when ``out`` cannot be used (one line: not a directory,
    permission, …); :class:`RunError` (:class:`PointError` for a point that raised)
    when the run fails — a file that cannot be written (no space), a Dask cluster
    that does not start — with the finished points kept.
    """
    if executor not in EXECUTORS:
        raise SweepError(f"executor must be 'processes' or 'dask', got {executor!r}")
    jobs = default_jobs() if jobs is None else int(jobs)
    if jobs < 1:
        raise SweepError(f"jobs must be ≥ 1, got {jobs}")
    store = SweepStore(out) if out is not None else None
    records: dict[str, dict] = {}
    if store is not None:
        store.open(plan.manifest())
        try:
            records = store.finished(plan.points, list(plan.scenario.channels))
        except BaseException:
            store.close()
            raise
    todo = [p for p in plan.points if p.id not in records]
    skipped = len(records)
    total = len(plan.points)
    if progress:
        progress(len(records), total)

    def on_done(point: Point, result: Mapping[str, Any]) -> None:
        if result["id"] != point.id:  # pragma: no cover - a bug, never silently mixed
            raise RuntimeError(f"result for {result['id']} returned for point {point.id}")
        record = point_record(point, result)
        with interrupts_deferred():  # the file, the journal line and the count go together
            if store is not None:
                store.save(record)
            records[point.id] = record
        if progress:
            progress(len(records), total)

    try:
        execute(plan, todo, on_done, executor=executor, jobs=jobs, scheduler=scheduler)
        table = results_table(plan, records)
        if store is not None:
            store.write_results(table)
    except KeyboardInterrupt:
        raise SweepInterrupted(len(records), total, store.dir if store else None) from None
    finally:
        if store is not None:
            store.close()
    return table, {"points": total, "computed": len(records) - skipped, "skipped": skipped}


def sweep_scenario(
    scenario: Scenario | str | os.PathLike,
    grid: Mapping[str, Any] | Sequence[Axis | str],
    *,
    replications: int = 10,
    seed: int | None = None,
    jobs: int | None = None,
    executor: str = "processes",
    scheduler: Any = None,
    out: str | os.PathLike | None = None,
    progress: Callable[[int, int], None] | None = None,
    staff: bool = False,
    common_random_numbers: bool = False,
) -> Table:
    """Simulate every point of a grid of scenario variants; one row per point × channel.

    Parameters
    ----------
    scenario : a :class:`~ccsim.scenario.Scenario` or the path of a scenario file.
    grid : dotted scenario path → values: a list, a range string (``"12..18"``,
        ``"160s..200s/20s"``, ``"160s,180s"``) or one value; or ``"key=values"`` strings.
    replications : simulated replications per point.
    seed : base seed (default: the scenario's); each point's seed derives from it
        and the point's parameters only (unless ``common_random_numbers``).
    jobs : worker processes (default: all cores; 1 runs in this process).
    executor : ``"processes"`` or ``"dask"`` (a ``LocalCluster`` of ``jobs`` worker
        processes, or the cluster at ``scheduler``: an address such as
        ``"tcp://host:8786"``, a ``distributed`` cluster, or a ``Client``).
    out : a directory for the resumable store (None: keep nothing on disk).
    progress : ``progress(done, total)`` after each point.
    staff : plan each point first (``ccsim.staffing.plan_staffing(point, verify=False)``)
        and simulate the planned agents; ``agent_hours`` is then the plan's.
    common_random_numbers : every point simulated with the base seed itself, so
        points differ only by their parameters (smooth trade-off curves); recorded
        in the manifest.

    Returns
    -------
    Table with ``point``, the swept paths, ``channel``, the KPIs, ``agent_hours``, ``seed``.
    """
    mode = "staff" if staff else "simulate"
    plan = plan_sweep(
        scenario,
        grid,
        replications=replications,
        seed=seed,
        mode=mode,
        common_random_numbers=common_random_numbers,
    )
    table, _ = run_sweep(
        plan, jobs=jobs, executor=executor, scheduler=scheduler, out=out, progress=progress
    )
    return table


def summary_text(table: Table, params: Sequence[str], max_rows: int = 40) -> str:
    """A plain-text table of the main KPIs per point and channel, for people."""
    kpis = ["service_level", "asa", "abandon_rate", "occupancy", "agent_hours"]
    names = ["point", *params, "channel", *kpis]
    cells = [names]
    for row in itertools.islice(table.rows(), max_rows):
        cells.append([_cell(name, row[name]) for name in names])
    text = "\n".join(text_table(cells, "r"))
    if table.n_rows > max_rows:
        text += f"\n… {table.n_rows - max_rows} more rows in results.csv"
    return text


_PERCENTS = ("service_level", "abandon_rate", "occupancy")


def _cell(name: str, value: Any) -> str:
    """One cell of :func:`summary_text`: a percentage, seconds or a number; blank for nan."""
    if value != value:  # nan
        return ""
    if name in _PERCENTS:
        return f"{100 * value:.1f}%"
    if name == "asa":
        return f"{value:.1f}s"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
