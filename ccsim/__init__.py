"""ccsim: contact-center staffing per channel, exact by Erlang and proven by simulation."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ccsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

from ccsim.sim import SimulationResult, simulate  # noqa: E402  (needs __version__ above)
from ccsim.sweep import sweep  # noqa: E402

__all__ = ["__version__", "simulate", "SimulationResult", "sweep"]
