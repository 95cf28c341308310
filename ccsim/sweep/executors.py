"""Where the points of a sweep run (internal: import from :mod:`ccsim.sweep`).

In this process (one job), a process pool (every core), or a Dask cluster.
Each executor calls ``on_done(point, result)`` in this process as each point
finishes, and wraps a point's exception in :class:`~ccsim.sweep.errors.PointError`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ccsim import _pools
from ccsim._pools import new_pool, stop_pool
from ccsim.results import interrupts_deferred
from ccsim.sweep.errors import PointError, RunError, SweepError
from ccsim.sweep.grid import Point
from ccsim.sweep.point import compute_point

if TYPE_CHECKING:
    from ccsim.sweep import SweepPlan

EXECUTORS = ("processes", "dask")

OnDone = Callable[[Point, Mapping[str, Any]], None]
"""Called in this process with each finished point and its result."""


def execute(
    plan: SweepPlan,
    todo: Sequence[Point],
    on_done: OnDone,
    *,
    executor: str,
    jobs: int,
    scheduler: Any = None,
) -> None:
    """Compute the points ``todo`` of ``plan`` with ``executor`` on ``jobs`` workers.

    One job or one point runs in this process, except on Dask.
    """
    if not todo:
        return
    if executor == "dask":
        _run_dask(plan, todo, on_done, jobs, scheduler)
    elif jobs == 1 or len(todo) == 1:
        _run_inline(plan, todo, on_done)
    else:
        _run_processes(plan, todo, on_done, jobs)


def _task(plan: SweepPlan, point: Point) -> dict[str, Any]:
    """The plain data :func:`~ccsim.sweep.point.compute_point` needs besides the bundle."""
    return {
        "id": point.id,
        "overrides": dict(point.overrides),
        "seed": point.seed,
        "replications": plan.replications,
        "mode": plan.mode,
    }


def _failed(point: Point, exc: BaseException) -> PointError:
    """The error that stops the sweep when ``point`` raised ``exc``."""
    return PointError(f"point {point.index} ({point.label()}) failed: {type(exc).__name__}: {exc}")


def _run_inline(plan: SweepPlan, todo: Sequence[Point], on_done: OnDone) -> None:
    for point in todo:
        try:
            result = compute_point(plan.bundle, plan.spec_sha256, _task(plan, point))
        except Exception as exc:
            raise _failed(point, exc) from exc
        on_done(point, result)


def _run_processes(plan: SweepPlan, todo: Sequence[Point], on_done: OnDone, jobs: int) -> None:
    from concurrent.futures import FIRST_COMPLETED, wait

    pool = new_pool(min(jobs, len(todo)))
    futures = {}
    try:
        with interrupts_deferred():  # a Ctrl-C during the workers' fork would be swallowed
            for point in todo:
                task = _task(plan, point)
                futures[pool.submit(compute_point, plan.bundle, plan.spec_sha256, task)] = point
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: futures[f].index):
                try:
                    result = future.result()
                except Exception as exc:
                    raise _failed(futures[future], exc) from exc
                on_done(futures[future], result)
    except BaseException:
        stop_pool(pool, futures)
        raise
    pool.shutdown(wait=True)


def _scheduler_error(exc: _pools.SchedulerError) -> SweepError:
    """The one-line sweep error for a ``--scheduler`` that is not one, or does not answer."""
    if exc.bad_address:
        return SweepError(
            f"--scheduler {exc.address!r}: expected an address such as tcp://host:8786 "
            f"({exc.detail})"
        )
    return SweepError(
        f"--scheduler {exc.address}: no Dask scheduler answered within "
        f"{_pools.SCHEDULER_TIMEOUT:g} s (connect and handshake): {exc.detail}"
    )


def _run_dask(
    plan: SweepPlan, todo: Sequence[Point], on_done: OnDone, jobs: int, scheduler: Any
) -> None:
    try:
        with _pools.dask_client(min(jobs, len(todo)), scheduler) as client:
            from dask.distributed import as_completed  # importable: dask_client checked

            _submit_points(client, as_completed, plan, todo, on_done)
    except ImportError as exc:
        raise SweepError(str(exc)) from None
    except _pools.SchedulerError as exc:
        raise _scheduler_error(exc) from None
    except _pools.DaskStartError as exc:
        raise RunError(str(exc)) from None


def _submit_points(client, as_completed, plan: SweepPlan, todo, on_done: OnDone) -> None:
    """Run the points on ``client`` (unique keys per run); cancel what is left on failure."""
    futures = []
    run = uuid.uuid4().hex[:12]  # keys unique to this run: never share another run's results
    try:
        bundle = client.scatter(dict(plan.bundle), broadcast=True)
        by_key = {}
        for point in todo:
            future = client.submit(
                compute_point,
                bundle,
                plan.spec_sha256,
                _task(plan, point),
                key=f"ccsim-point-{point.index}-{point.id}-{run}",
                pure=False,
            )
            futures.append(future)
            by_key[future.key] = point
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as exc:
                raise _failed(by_key[future.key], exc) from exc
            on_done(by_key[future.key], result)
    except BaseException:
        if futures:
            client.cancel(futures)
        raise
