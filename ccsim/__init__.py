"""ccsim: contact-center staffing per channel, exact by Erlang and proven by simulation.

The names below are imported on first use (:pep:`562`), so ``import ccsim`` and the
``ccsim`` command start at once: a Ctrl-C while the command loads ends it with one
line and exit code 130, and ``ccsim validate`` loads only the scenario layer.
"""

from __future__ import annotations

import importlib

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
