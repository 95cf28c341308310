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


def _connect(client_type: Any, address: str) -> Any:
    """A client of the scheduler at ``address``; :class:`SweepError` (one line) when the
    address is not one, or nothing answers like Dask there within ``SCHEDULER_TIMEOUT``
    seconds (:func:`ccsim._pools.probe_scheduler`)."""
    timeout = _pools.SCHEDULER_TIMEOUT
    try:
        _pools.probe_scheduler(address)
        return client_type(address, timeout=f"{timeout}s")
    except (ValueError, TypeError) as exc:
        raise SweepError(
            f"--scheduler {address!r}: expected an address such as tcp://host:8786 ({exc})"
        ) from None
    except OSError as exc:
        raise SweepError(
            f"--scheduler {address}: no Dask scheduler answered within {timeout:g} s "
            f"(connect and handshake): {' '.join(str(exc).split())[:200]}"
        ) from None


def _run_dask(
    plan: SweepPlan, todo: Sequence[Point], on_done: OnDone, jobs: int, scheduler: Any
) -> None:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise SweepError(
            "the dask executor needs dask.distributed: pip install 'ccsim[dask]'"
        ) from None
    cluster = None
    if scheduler is None:
        try:
            cluster, client = _pools.local_cluster(LocalCluster, Client, min(jobs, len(todo)))
        except _pools.DaskStartError as exc:
            raise RunError(str(exc)) from None
    elif isinstance(scheduler, str):
        client = _connect(Client, scheduler)
    elif hasattr(scheduler, "submit"):  # a Client the caller owns and closes
        client = scheduler
    else:  # a cluster object
        client = Client(scheduler)
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
    finally:
        if client is not scheduler:
            client.close()
        if cluster is not None:
            cluster.close()
