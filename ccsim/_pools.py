"""Worker processes (internal): how many, one pool policy, and stopping a pool at once.

Simulation replications and sweep points run in pools made by :func:`new_pool`:
workers leave Ctrl-C to the parent (which stops them) and exit by themselves
if the parent dies. :func:`default_jobs` is "all cores": the cores this
process may use. On the Dask executor, :func:`dask_client` gives the client of
a local cluster or of a running scheduler.

``ProcessPoolExecutor.shutdown(wait=False)`` leaves the pool's manager thread
running; on Python 3.11 the interpreter's exit hook can then race with that
thread closing its wake-up pipe and print ``OSError: Bad file descriptor``.
:func:`stop_pool` terminates the workers and waits for the manager thread, so
an interrupted run exits quietly.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any

__all__ = [
    "DaskStartError",
    "dask_client",
    "default_jobs",
    "forget_pool",
    "kept_pool",
    "local_cluster",
    "new_pool",
    "probe_scheduler",
    "stop_pool",
]

EXECUTORS = ("processes", "dask")
"""Where replications run: a kept process pool, or a Dask cluster (:func:`dask_client`)."""


def default_jobs() -> int:
    """The number of cores this process may use ("all cores")."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _init_worker(parent: int) -> None:
    """In each pool worker: leave Ctrl-C to the parent, and exit if the parent dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="ccsim-parent-watch").start()


def new_pool(jobs: int) -> ProcessPoolExecutor:
    """A process pool of ``jobs`` workers with ccsim's worker policy (see the module doc)."""
    return ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(os.getpid(),))


_KEPT: dict[int, ProcessPoolExecutor] = {}


def kept_pool(jobs: int) -> ProcessPoolExecutor:
    """A pool of ``jobs`` workers made once and kept for the next call (shut down at exit):
    a staffing verification simulates many times."""
    if jobs not in _KEPT:
        _KEPT[jobs] = new_pool(jobs)
        atexit.register(_KEPT[jobs].shutdown, wait=False, cancel_futures=True)
    return _KEPT[jobs]


def forget_pool(jobs: int, pool: ProcessPoolExecutor, futures: Iterable[Future] = ()) -> None:
    """Stop a kept pool (interrupted or failed); the next :func:`kept_pool` makes a new one."""
    stop_pool(_KEPT.pop(jobs, pool), futures)


def stop_pool(pool: ProcessPoolExecutor, futures: Iterable[Future] = ()) -> None:
    """Cancel ``futures``, terminate ``pool``'s workers and wait until it is gone."""
    for future in futures:
        future.cancel()
    workers = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        if process.is_alive():
            process.terminate()
    for process in workers:
        process.join(timeout=10)
    if manager is not None:
        manager.join(timeout=10)


SCHEDULER_TIMEOUT = 10.0
"""Seconds a scheduler address has to accept a connection and answer Dask's handshake."""


class SchedulerError(OSError, ValueError):
    """A Dask scheduler address that is malformed (``bad_address``) or where nothing answers
    like Dask within :data:`SCHEDULER_TIMEOUT` seconds; ``detail`` says what happened.
    Callers that name the address their own way (a sweep's ``--scheduler``) use the parts."""

    def __init__(self, address: str, detail: str, bad_address: bool):
        self.address, self.detail, self.bad_address = address, detail, bad_address
        if bad_address:
            text = f"Dask scheduler {address!r}: expected an address such as tcp://host:8786"
            text += f" ({detail})"
        else:
            text = (
                f"cannot reach the Dask scheduler at {address} (connect and handshake "
                f"within {SCHEDULER_TIMEOUT:g} s): {detail}"
            )
        super().__init__(text)


class DaskStartError(RuntimeError):
    """A local Dask cluster that did not start, twice (e.g. a worker lost while starting)."""


def local_cluster(cluster_type: Any, client_type: Any, workers: int) -> tuple[Any, Any]:
    """A local cluster of ``workers`` single-threaded processes and its client; a start
    that fails is tried once more, then :class:`DaskStartError` (one line)."""
    import logging

    for attempt in (1, 2):
        cluster = None
        try:
            cluster = cluster_type(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            return cluster, client_type(cluster)
        except Exception as exc:  # distributed raises many kinds here
            if cluster is not None:
                with suppress(Exception):  # already failing: the first error is reported
                    cluster.close()
            if attempt == 2:
                why = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
                raise DaskStartError(
                    f"the local Dask cluster did not start (tried twice): {why}"
                ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def probe_scheduler(address: str, timeout: float | None = None) -> None:
    """Return once a Dask scheduler at ``address`` accepts a connection and answers the
    handshake within ``timeout`` seconds (``distributed`` itself waits for the handshake
    forever). ValueError for an address that is not one (no port, …); an OSError (a
    TimeoutError when nothing answered in time) when no scheduler answers like Dask."""
    import asyncio

    from distributed.comm import connect
    from distributed.comm.addressing import get_address_host_port, parse_address

    timeout = SCHEDULER_TIMEOUT if timeout is None else timeout
    if parse_address(address)[0] in ("tcp", "tls"):
        get_address_host_port(address)  # a port is given, and a number
    outcome: dict[str, BaseException | None] = {}

    async def handshake() -> None:
        comm = await asyncio.wait_for(connect(address, timeout=timeout), timeout)
        await comm.close()

    def run() -> None:
        try:
            asyncio.run(handshake())
            outcome["error"] = None
        except BaseException as exc:  # reported by the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="ccsim-scheduler-probe", daemon=True)
    thread.start()
    thread.join(timeout + 5.0)
    error = outcome.get("error", TimeoutError())
    if isinstance(error, TimeoutError):
        raise TimeoutError(f"no answer within {timeout:g} s") from None
    if error is not None:  # refused, closed, or not Dask's protocol: all "does not answer"
        raise error if isinstance(error, OSError) else OSError(f"{type(error).__name__}: {error}")


@contextmanager
def dask_client(jobs: int, scheduler: Any = None) -> Iterator[Any]:
    """A ``dask.distributed`` client for the ``with`` block.

    ``scheduler`` is a ``Client`` (yielded as it is: its owner closes it), a cluster
    object (``LocalCluster``, …), the address of a running scheduler
    (``"tcp://host:8786"``), or None: a ``LocalCluster`` of ``jobs`` single-threaded
    worker processes, started for the block and closed after it (tried twice, then
    :class:`DaskStartError`). ImportError names the extra to install; a malformed address
    or one that does not accept a connection and answer Dask's handshake within
    :data:`SCHEDULER_TIMEOUT` seconds is a :class:`SchedulerError` (an OSError and a
    ValueError).
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ImportError(
            "the dask executor needs dask.distributed: pip install 'ccsim[dask]'"
        ) from None
    if hasattr(scheduler, "submit"):  # a Client the caller owns
        yield scheduler
        return
    cluster = None
    if scheduler is None:
        cluster, client = local_cluster(LocalCluster, Client, jobs)
    elif isinstance(scheduler, str):
        try:
            probe_scheduler(scheduler)
            client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT}s")
        except OSError as exc:
            detail = " ".join(str(exc).split())[:200]
            raise SchedulerError(scheduler, detail, bad_address=False) from None
        except (ValueError, TypeError) as exc:
            raise SchedulerError(scheduler, str(exc), bad_address=True) from None
    else:  # a cluster object
        client = Client(scheduler)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
