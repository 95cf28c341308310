"""``simulate``: replications of a scenario, their records, and KPIs with confidence intervals.

The engine itself is :class:`~ccsim.sim.model.ContactCenter` (one replication);
this module plays replications (here or in worker processes), checks the
staffing it is given, and wraps the KPIs in a :class:`SimulationResult`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ccsim._pools import EXECUTORS, dask_client, forget_pool, kept_pool
from ccsim.durations import check_count, format_duration, parse_duration
from ccsim.results import Table, interrupts_deferred, text_table, to_jsonable, write_json
from ccsim.scenario import Problem, Scenario, ScenarioError
from ccsim.scenario.limits import (  # noqa: F401  (MAX_*: the simulator's size limits)
    MAX_AGENTS,
    MAX_CONTACTS,
    busiest,
    channel_problems,
    staffing_problems,
)
from ccsim.sim.carry import play_day
from ccsim.sim.metrics import Tally, day_band, group_occupancy, summarize, tally

__all__ = ["simulate", "SimulationResult", "resolve_staffing"]


def resolve_staffing(scenario: Scenario, agents: Mapping[str, Any] | None = None) -> np.ndarray:
    """Agents per group × interval (int array, groups in scenario order).

    ``agents`` maps a group name to a number or a per-interval array and
    overrides the scenario's staffing for that group. A group whose staffing
    is ``"auto"`` must be given here: the simulator takes concrete staffing
    (:func:`ccsim.staffing.resolve_agents` gives ``"auto"`` groups their
    analytic plan).
    """
    agents = dict(agents or {})
    unknown = sorted(set(agents) - set(scenario.groups))
    if unknown:
        raise ValueError(
            f"agents given for unknown group(s) {', '.join(unknown)}; "
            f"groups: {', '.join(scenario.groups) or '(none)'}"
        )
    n = scenario.n_intervals
    rows = []
    for name, group in scenario.groups.items():
        plan = agents.get(name, group.agents)
        if plan is None:
            raise ValueError(
                f'group {name!r} has agents = "auto": give its agents (agents={{{name!r}: …}}), '
                "e.g. the analytic plan of ccsim.staffing.resolve_agents(scenario)"
            )
        try:
            values = np.asarray(plan, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                f"agents for group {name!r} must be a number or one per interval, got {plan!r}"
            ) from None
        if values.ndim == 0:
            values = np.full(n, float(values))
        if values.shape != (n,):
            raise ValueError(
                f"agents for group {name!r}: expected {n} intervals, got {values.size}"
            )
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"agents for group {name!r} must be finite and ≥ 0")
        if np.any(values != np.round(values)):
            raise ValueError(f"agents for group {name!r} must be whole numbers")
        rows.append(values.astype(np.int64))
    return np.array(rows, dtype=np.int64).reshape(len(rows), n)


def _size_problems(scenario: Scenario, staffing: np.ndarray | None) -> list[Problem]:
    """The scenario layer's limits (:mod:`ccsim.scenario.limits`) on ``scenario`` and on
    ``staffing``, as problems naming the file and key."""
    where = scenario.source.name if scenario.source is not None else "<scenario>"
    busy = busiest(scenario.volume_uncertainty, getattr(scenario, "interval_uncertainty", 0.0))
    found = channel_problems(scenario.channels, scenario.interval, list(scenario.starts), busy)
    problems = [Problem(where, key, message) for key, message in found]
    if staffing is None:
        staffing = [g.agents for g in scenario.groups.values() if g.agents is not None]
        names = [name for name, g in scenario.groups.items() if g.agents is not None]
    else:
        names = list(scenario.groups)
    return problems + staffing_problems(where, names, staffing)


def size_problems(scenario: Scenario, staffing: np.ndarray | None = None) -> list[str]:
    """Why one replication of ``scenario`` is too large for memory or time (a typo, mostly),
    as ``key: message`` lines; the limits are the scenario layer's (``MAX_CONTACTS``
    contacts per channel, ``MAX_AGENTS`` agents per group and interval, …).

    ``staffing`` is agents per group × interval; without it the groups' own
    staffing is checked (``"auto"`` groups are not). Empty when it fits.
    """
    return [f"{p.key}: {p.message}" for p in _size_problems(scenario, staffing)]


def _check_size(scenario: Scenario, staffing: np.ndarray) -> None:
    """Refuse, before any work, a replication too large (see :func:`size_problems`):
    :class:`ScenarioError` naming the file and key of each problem."""
    problems = _size_problems(scenario, staffing)
    if problems:
        raise ScenarioError(problems)


def _warmup_seconds(scenario: Scenario, warmup: float | str) -> float:
    seconds = parse_duration(warmup) if isinstance(warmup, str) else float(warmup)
    if not (math.isfinite(seconds) and 0 <= seconds < scenario.horizon):
        got = format_duration(seconds) if math.isfinite(seconds) and seconds >= 0 else repr(warmup)
        raise ValueError(
            f"warmup must be ≥ 0 and shorter than the horizon ({format_duration(scenario.horizon)}"
            f", {scenario.n_intervals} intervals of {format_duration(scenario.interval)}), "
            f"got {got}"
        )
    return seconds


@dataclass(eq=False)
class SimulationResult:
    """KPIs of ``replications`` simulated days of ``scenario`` under ``seed``.

    ``intervals`` — one row per channel × interval (the ``intervals.csv``
    columns); ``channels`` — per-channel totals over the horizon (same KPIs,
    plus the alternative service-level definitions and more intervals);
    ``limits`` — per channel × interval, the 95% limits of ASA, abandonment
    and occupancy (``intervals`` gives their means only, as the contract says);
    ``days`` — one row per channel × simulated day: the service level over the day;
    ``contacts`` — every contact's record, all replications (kept only when asked for:
    ``simulate(..., contacts=True)``); ``tallies`` — each replication's sums per
    channel × interval (:class:`~ccsim.sim.metrics.Tally`, what every KPI is computed
    from); ``staffing`` — agents per group × interval that was played; ``warmup``
    seconds excluded. :meth:`extended` adds replications (the same days first).
    """

    scenario: Scenario
    seed: int
    replications: int
    warmup: float
    staffing: np.ndarray
    intervals: Table
    channels: Table
    limits: Table
    days: Table
    tallies: list[Tally] = field(default_factory=list, repr=False)
    _records: list[dict[str, np.ndarray]] | None = field(default=None, repr=False)
    _contacts: Table | None = field(default=None, repr=False)

    @property
    def channel_names(self) -> list[str]:
        """Channel names; ``contacts["channel"]`` holds indexes into this list."""
        return list(self.scenario.channels)

    @property
    def group_names(self) -> list[str]:
        """Group names; ``contacts["group"]`` holds indexes into this list (−1: none)."""
        return list(self.scenario.groups)

    @property
    def contacts(self) -> Table:
        """The per-contact records of all replications (one row per contact); kept only
        when asked for (``simulate(..., contacts=True)``): a large center's records take
        gigabytes, its tallies kilobytes."""
        if self._records is None:
            raise ValueError(
                "the per-contact records were not kept: simulate(..., contacts=True) keeps "
                "them (ccsim simulate --contacts)"
            )
        if self._contacts is None:
            if len(self._records) == 1:
                self._contacts = Table(self._records[0])
            else:
                self._contacts = Table.concat(Table(r) for r in self._records)
        return self._contacts

    @property
    def work(self) -> tuple[np.ndarray, np.ndarray]:
        """Per channel × interval over all replications, seconds of handle time: the work
        performed in each interval and the work of the contacts arriving in it
        (:func:`~ccsim.sim.metrics.channel_work`)."""
        performed = np.sum([t.performed for t in self.tallies], axis=0)
        arrived = np.sum([t.arrived_work for t in self.tallies], axis=0)
        return performed, arrived

    def extended(
        self,
        replications: int,
        *,
        jobs: int | None = 1,
        executor: str = "processes",
        scheduler: Any = None,
        progress: Callable[[int], Any] | None = None,
    ) -> SimulationResult:
        """This result with its replications played on to ``replications`` in all, as a new
        result: the same as ``simulate`` with that many (replication *r* is the same day
        either way), at the cost of the new ones only. Records are kept when they were."""
        replications = check_count("replications", replications, self.replications)
        keep = self._records is not None
        records, tallies = _run(
            self.scenario,
            self.staffing,
            self.seed,
            self.warmup,
            range(self.replications, replications),
            keep,
            _runner(jobs, executor, scheduler),
            progress,
        )
        return _result(
            self.scenario,
            self.seed,
            self.warmup,
            self.staffing,
            self.tallies + tallies,
            (self._records + records) if keep else None,
        )

    def to_pandas(self):
        """The ``intervals`` table as a ``pandas.DataFrame``."""
        return self.intervals.to_pandas()

    def summary(self) -> dict[str, Any]:
        """Per-channel totals, the scenario echoed, seed, replications, version (JSON-ready)."""
        from ccsim import __version__

        totals = {row.pop("channel"): row for row in self.channels.rows()}
        for name, band in day_band(self.days, self.scenario).items():
            totals[name]["days"] = band
        return to_jsonable(
            {
                "ccsim_version": __version__,
                **self.scenario.echo(),
                "seed": self.seed,
                "replications": self.replications,
                "warmup": self.warmup,
                "channels": totals,
            }
        )

    def describe(self) -> str:
        """A per-channel table for people: volumes, service level with its CI vs target, ASA,
        abandonment, occupancy."""
        header = (
            "channel",
            "offered",
            "answered",
            "abandoned",
            "service level (95% CI)",
            "target",
            "ASA",
            "abandoned %",
            "occupancy (its groups)",
        )
        rows = [header]
        for row in self.channels.rows():
            channel = self.scenario.channels[row["channel"]]
            if channel.target_time is None:
                sl, target = "–", "–"
            else:
                sl = _pct(row["service_level"])
                if math.isfinite(row["service_level_lo"]):
                    lo, hi = _pct(row["service_level_lo"]), _pct(row["service_level_hi"])
                    sl += f" ({lo}–{hi})"
                share = "" if channel.sl_target is None else f"{channel.sl_target:.0%} "
                target = f"{share}in {format_duration(channel.target_time)}"
            rows.append(
                (
                    row["channel"],
                    f"{row['offered']:.1f}",
                    f"{row['answered']:.1f}",
                    f"{row['abandoned']:.1f}",
                    sl,
                    target,
                    _wait(row["asa"]),
                    _pct(row["abandon_rate"]),
                    _pct(row["occupancy"]),
                )
            )
        lines = [
            f"{self.scenario.name}: {self.replications} replication(s), seed {self.seed}"
            + (f", warm-up {format_duration(self.warmup)}" if self.warmup else ""),
            *text_table(rows),
        ]
        lines += self._group_lines()
        lines += self._band_lines()
        lines.append("counts are means per replication; unanswered = still waiting at the end")
        return "\n".join(lines)

    def _group_lines(self) -> list[str]:
        """Per agent group: its skills, agents played (peak, agent-hours) and occupancy — the
        figure each of its channels shows as theirs."""
        _, total = group_occupancy(self.tallies) if self.tallies else (None, None)
        rows = [["group", "skills", "peak agents", "agent-h", "occupancy"]]
        for k, (name, group) in enumerate(self.scenario.groups.items()):
            staff = self.staffing[k]
            occ = _pct(float(total[k])) if total is not None else "–"
            rows.append([name, ", ".join(group.skills), str(int(staff.max(initial=0))),
                         f"{self.scenario.agent_hours(staff):.1f}", occ])  # fmt: skip
        note = "a channel's occupancy is that of the groups able to serve it (shared when they are)"
        return ["", *text_table(rows, "llrrr"), note]

    def _band_lines(self) -> list[str]:
        """Across simulated days (two or more): the share meeting each service-level target
        with its 95% interval, and the daily service level's percentiles."""
        band = day_band(self.days, self.scenario)
        if not band or self.replications < 2:
            return []
        rows = [["across days", "days", "all targets met (95% CI)", "SL P10", "SL P50", "SL P90"]]
        for name, entry in band.items():
            met, key = "–", "days_met_all" if "days_met_all" in entry else "days_met"
            if key in entry and np.isfinite(entry[key]):
                met = f"{entry[key]:.0%} ({entry[key + '_lo']:.0%}–{entry[key + '_hi']:.0%})"
            levels = [_pct(entry[f"service_level_p{q}"]) for q in (10, 50, 90)]
            rows.append([name, str(entry["days"]), met, *levels])
        return ["", *text_table(rows)]

    def contacts_table(self) -> Table:
        """The contacts with channel and group names instead of indexes (for CSV)."""
        contacts = self.contacts
        columns = dict(contacts)
        columns["channel"] = np.array(self.channel_names, dtype=object)[contacts["channel"]]
        groups = np.array([*self.group_names, ""], dtype=object)
        columns["group"] = groups[contacts["group"]]  # −1 → "" (the last entry)
        return Table(columns)

    def write(self, out_dir: str | Path, *, contacts: bool = False) -> list[Path]:
        """Write ``intervals.csv``, ``summary.json`` (and ``contacts.csv``) into ``out_dir``
        (created if needed), each atomically; return the paths (figures:
        :func:`ccsim.plots.plot_simulation`)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [self.intervals.write_csv(out / "intervals.csv")]
        paths.append(write_json(out / "summary.json", self.summary()))
        if contacts:
            paths.append(self.contacts_table().write_csv(out / "contacts.csv", "{:.10g}"))
        return paths


def _pct(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.1%}"


def _wait(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "–"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 60:.1f}min" if seconds >= 120 else f"{seconds:.1f}s"


def _play(
    scenario: Scenario,
    staffing: np.ndarray,
    seed: int,
    warm: float,
    reps: Sequence[int],
    keep: bool = False,
) -> list[tuple[dict[str, np.ndarray] | None, Tally]]:
    """Play replications ``reps``: their tallies, in order, with their records when
    ``keep`` (else the records are dropped here, in the worker: only sums travel)."""
    out = []
    for r in reps:
        rec, carried = play_day(scenario, staffing, seed, r)
        out.append((rec if keep else None, tally(rec, scenario, staffing, warm, carried)))
        del rec
    return out


@dataclass(frozen=True)
class _Runner:
    """Where replications are played: ``jobs`` workers of ``executor`` (see :func:`simulate`)."""

    jobs: int
    executor: str
    scheduler: Any


def _runner(jobs: int | None, executor: str, scheduler: Any) -> _Runner:
    jobs = check_count("jobs", 1 if jobs is None else jobs, 1)
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if scheduler is not None and executor != "dask":
        raise ValueError('a Dask scheduler needs executor="dask"')
    return _Runner(jobs, executor, scheduler)


def _chunks(reps: range, workers: int) -> list[range]:
    """``reps`` in consecutive chunks, two per worker (balances the load)."""
    size = max(1, -(-len(reps) // (2 * workers)))
    return [range(i, min(i + size, reps.stop)) for i in range(reps.start, reps.stop, size)]


def _batches(scenario, staffing, seed, warm, reps: range, keep: bool, runner: _Runner):
    """Yield the played replications ``reps`` in index order, a batch at a time."""
    if runner.executor == "dask":
        with dask_client(runner.jobs, runner.scheduler) as client:
            yield from _dask_batches(client, scenario, staffing, seed, warm, reps, keep)
        return
    jobs = runner.jobs
    if jobs == 1 or len(reps) == 1:
        for r in reps:
            yield _play(scenario, staffing, seed, warm, [r], keep)
        return
    pool = kept_pool(jobs)
    futures = []
    try:
        with interrupts_deferred():  # a Ctrl-C during the workers' fork would be swallowed
            for chunk in _chunks(reps, jobs):
                futures.append(
                    pool.submit(_play, scenario, staffing, seed, warm, list(chunk), keep)
                )
        for future in futures:
            yield future.result()
    except BaseException:
        # Interrupted (even mid-submit, while the pool starts its workers) or failed:
        # stop the workers now rather than let them finish.
        forget_pool(jobs, pool, futures)
        raise


def _dask_batches(client, scenario, staffing, seed, warm, reps: range, keep: bool):
    """Yield the replications ``reps`` played on a Dask cluster, in index order (the
    workers import ccsim: install it where they run)."""
    import uuid

    workers = max(1, sum(client.nthreads().values()))
    run = uuid.uuid4().hex[:12]  # keys unique to this call: never another call's results
    [shared] = client.scatter([scenario], broadcast=True, hash=False)
    futures = []
    try:
        for chunk in _chunks(reps, workers):
            futures.append(
                client.submit(
                    _play,
                    shared,
                    staffing,
                    seed,
                    warm,
                    list(chunk),
                    keep,
                    key=f"ccsim-replications-{chunk.start}-{chunk.stop}-{run}",
                    pure=False,
                )
            )
        for future in futures:
            yield future.result()
    except BaseException:
        if futures:
            client.cancel(futures)
        raise


def _run(scenario, staffing, seed, warm, reps: range, keep: bool, runner: _Runner, progress):
    """Play ``reps``: (their records, or None unless ``keep``; their tallies), in order."""
    records, tallies = [], []
    for batch in _batches(scenario, staffing, seed, warm, reps, keep, runner):
        for rec, tal in batch:
            records.append(rec)
            tallies.append(tal)
            if progress is not None:
                progress(1)
    return (records if keep else None), tallies


def _result(scenario, seed, warm, staffing, tallies, records) -> SimulationResult:
    intervals, channels, limits, days = summarize(tallies, scenario)
    return SimulationResult(
        scenario=scenario,
        seed=seed,
        replications=len(tallies),
        warmup=warm,
        staffing=staffing,
        intervals=intervals,
        channels=channels,
        limits=limits,
        days=days,
        tallies=tallies,
        _records=records,
    )


def simulate(
    scenario: Scenario,
    replications: int = 10,
    seed: int | None = None,
    *,
    agents: Mapping[str, Any] | None = None,
    warmup: float | str = 0,
    progress: Callable[[int], Any] | None = None,
    jobs: int | None = 1,
    contacts: bool = False,
    executor: str = "processes",
    scheduler: Any = None,
) -> SimulationResult:
    """Simulate ``replications`` independent days of ``scenario``.

    Parameters
    ----------
    scenario : the scenario; groups with ``agents = "auto"`` need ``agents``.
    replications : number of independent replications (≥ 1); confidence
        intervals need at least 2.
    seed : integer ≥ 0 (default ``scenario.seed``). Replication *r* uses the
        streams ``SeedSequence(seed, spawn_key=(r, …))``: results never depend
        on how replications are scheduled.
    agents : group name → agents (number or per-interval array), overriding
        or providing (``"auto"`` groups) the staffing.
    warmup : seconds (number) or a duration (``"2h"``) from the start; contacts
        arriving earlier and busy time before it are left out of the KPIs
        (they are still simulated, and kept in ``contacts`` when asked for).
    progress : called with 1 after each replication (e.g. a click progress
        bar's ``update``).
    jobs : worker processes playing the replications (1: in this process). The
        numbers are the same for any ``jobs``: each replication's streams
        depend only on the seed and its index. The pool is kept for the next
        call with the same ``jobs`` (the staffing verification simulates many
        times).
    contacts : keep every contact's record (``result.contacts``); by default only
        each replication's sums per channel × interval come back from the workers,
        so memory is bounded by the tallies, not by the contacts.
    executor : ``"processes"`` (a process pool of ``jobs`` workers) or ``"dask"``:
        the replications run on a Dask cluster — ``scheduler``'s (a ``Client``, a
        cluster object or an address such as ``"tcp://host:8786"``), or a
        ``LocalCluster`` of ``jobs`` workers started for this call. Same numbers on
        either, for any number of workers.
    """
    replications = check_count("replications", replications, 1)
    seed = check_count("seed", scenario.seed if seed is None else seed, 0)
    staffing = resolve_staffing(scenario, agents)
    _check_size(scenario, staffing)
    warm = _warmup_seconds(scenario, warmup)
    runner = _runner(jobs, executor, scheduler)
    records, tallies = _run(
        scenario, staffing, seed, warm, range(replications), contacts, runner, progress
    )
    return _result(scenario, seed, warm, staffing, tallies, records)
