"""ccsim: contact-center staffing per channel, exact by Erlang and proven by simulation.

The names below are imported on first use (:pep:`562`), so ``import ccsim`` and the
``ccsim`` command start at once, and ``ccsim validate`` loads only the scenario layer.
In the ``ccsim`` command itself, a Ctrl-C while the command line loads ends it with
one line and exit code 130 (:func:`_command_loaded` hands Ctrl-C back to Python).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

_HOMES = {
    "Scenario": "ccsim.scenario",
    "ScenarioError": "ccsim.scenario",
    "load_scenario": "ccsim.scenario",
    "simulate": "ccsim.sim",
    "SimulationResult": "ccsim.sim",
    "plan_staffing": "ccsim.staffing",
    "StaffingPlan": "ccsim.staffing",
    "resolve_agents": "ccsim.staffing",
    "make_roster": "ccsim.staffing.roster",
    "Roster": "ccsim.staffing.roster",
    "sweep_scenario": "ccsim.sweep",
}

__all__ = ["__version__", *_HOMES]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ccsim")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


def __getattr__(name: str) -> object:
    """The public names, imported from their modules the first time they are asked for."""
    if name == "__version__":
        value: object = _version()
    elif name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    else:
        raise AttributeError(f"module 'ccsim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _interrupted_while_loading(signum: int, frame: object) -> None:
    # Nothing has started yet (no file, no worker): end at once, whatever code is running
    # (an exception could be swallowed by the import machinery).
    os.write(2, b"\ninterrupted: nothing was written\n")
    os._exit(130)


def _command_loaded() -> None:
    """Called by the command once it has loaded: Ctrl-C raises KeyboardInterrupt again."""
    import signal

    if signal.getsignal(signal.SIGINT) is _interrupted_while_loading:
        signal.signal(signal.SIGINT, signal.default_int_handler)


if sys.argv and os.path.basename(sys.argv[0]) == "ccsim":  # the console script, loading
    import signal as _signal

    if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
        with contextlib.suppress(ValueError):  # (not the main thread)
            _signal.signal(_signal.SIGINT, _interrupted_while_loading)
