"""ccsim: contact-center staffing per channel, exact by Erlang and proven by simulation."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ccsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

from ccsim.scenario import Scenario, ScenarioError, load_scenario  # noqa: E402
from ccsim.sim import SimulationResult, simulate  # noqa: E402  (needs __version__ above)
from ccsim.staffing import StaffingPlan, plan_staffing, resolve_agents  # noqa: E402
from ccsim.staffing.roster import Roster, make_roster  # noqa: E402
from ccsim.sweep import sweep_scenario  # noqa: E402

__all__ = [
    "__version__",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "simulate",
    "SimulationResult",
    "plan_staffing",
    "StaffingPlan",
    "sweep_scenario",
    "resolve_agents",
    "make_roster",
    "Roster",
]
