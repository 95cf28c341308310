"""The simulation engine: a SimPy model of arrivals, queues and agent groups.

``simulate(scenario, replications, seed)`` plays independent replications of
a scenario on SimPy's event loop (callbacks, not a process per contact) and
returns a :class:`SimulationResult`: per-contact records and the KPIs
aggregated from them per channel × interval, with 95% confidence intervals.
"""

from ccsim.sim.model import ContactCenter
from ccsim.sim.replications import SimulationResult, resolve_staffing, simulate

__all__ = ["simulate", "SimulationResult", "ContactCenter", "resolve_staffing"]
