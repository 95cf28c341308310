"""Stopping a process pool at once (internal).

``ProcessPoolExecutor.shutdown(wait=False)`` leaves the pool's manager thread
running; on Python 3.11 the interpreter's exit hook can then race with that
thread closing its wake-up pipe and print ``OSError: Bad file descriptor``.
:func:`stop_pool` terminates the workers and waits for the manager thread, so
an interrupted run exits quietly.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor


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
