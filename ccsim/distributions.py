"""Handle-time and patience distributions, sampled from a ``numpy.random.Generator``.

A distribution here is a *shape*: its mean is given at sampling time (seconds),
because a scenario's AHT and mean patience may change from interval to
interval while the shape (exponential, lognormal with CV 0.9, …) stays.
Every ``sample`` takes the generator explicitly: ccsim never uses a
module-level random state.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Distribution",
    "Exponential",
    "Deterministic",
    "LogNormal",
    "Gamma",
    "Empirical",
]


class Distribution(abc.ABC):
    """A non-negative distribution shape; ``sample(rng, mean, size)`` draws values in seconds."""

    name: str = "distribution"

    @property
    @abc.abstractmethod
    def cv(self) -> float:
        """Coefficient of variation (standard deviation ÷ mean)."""

    @abc.abstractmethod
    def sample(
        self, rng: np.random.Generator, mean: float | np.ndarray, size: int | None = None
    ) -> np.ndarray:
        """Draw ``size`` values (seconds) with the given mean (seconds, scalar or per value)."""

    def describe(self) -> str:
        """A short human description, e.g. ``"lognormal (cv 0.9)"``."""
        return f"{self.name} (cv {self.cv:g})"


@dataclass(frozen=True)
class Exponential(Distribution):
    """Exponential with the given mean (CV 1): the Erlang C / Erlang A assumption."""

    name: str = field(default="exponential", init=False)

    @property
    def cv(self) -> float:
        return 1.0

    def sample(self, rng, mean, size=None):
        return rng.exponential(1.0, size) * mean

    def describe(self) -> str:
        return "exponential"


@dataclass(frozen=True)
class Deterministic(Distribution):
    """Always exactly the mean (CV 0)."""

    name: str = field(default="deterministic", init=False)

    @property
    def cv(self) -> float:
        return 0.0

    def sample(self, rng, mean, size=None):
        shape = () if size is None else size
        return np.broadcast_to(np.asarray(mean, dtype=float), np.shape(np.empty(shape))).copy()

    def describe(self) -> str:
        return "deterministic"


MAX_CV = 100.0
"""Largest coefficient of variation taken (real handle times and patience: 0.3–3)."""
MIN_CV = 0.001
"""Smallest coefficient of variation taken (below it the shape parameters overflow;
use ``Deterministic``)."""


@dataclass(frozen=True)
class _ShapeByCV(Distribution):
    """A family fixed by its coefficient of variation ``cv`` (> 0); the mean comes at sampling."""

    cv_value: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.cv_value) and MIN_CV <= self.cv_value <= MAX_CV):
            raise ValueError(
                f"cv must be a number > 0 (at least {MIN_CV:g}) and ≤ {MAX_CV:g}, "
                f"got {self.cv_value!r}"
            )

    @property
    def cv(self) -> float:
        return self.cv_value


@dataclass(frozen=True)
class LogNormal(_ShapeByCV):
    """Lognormal with the given mean and coefficient of variation ``cv`` (> 0)."""

    name: str = field(default="lognormal", init=False)

    def sample(self, rng, mean, size=None):
        sigma2 = math.log1p(self.cv_value**2)
        # mean of exp(N(mu, sigma2)) is exp(mu + sigma2/2): draw with mean 1, then scale.
        unit = rng.lognormal(-sigma2 / 2.0, math.sqrt(sigma2), size)
        return unit * mean


@dataclass(frozen=True)
class Gamma(_ShapeByCV):
    """Gamma with the given mean and coefficient of variation ``cv`` (> 0)."""

    name: str = field(default="gamma", init=False)

    def sample(self, rng, mean, size=None):
        shape = 1.0 / self.cv_value**2
        return rng.gamma(shape, 1.0 / shape, size) * mean


@dataclass(frozen=True)
class Empirical(Distribution):
    """Resampling of observed values (seconds), rescaled to the requested mean.

    The observed values fix the shape; ``sample`` draws among them uniformly
    and multiplies by ``mean ÷ (mean of the observed values)``, so a per-interval
    AHT still applies. ``source`` names where the values came from.
    """

    values: tuple[float, ...] = ()
    source: str = ""
    name: str = field(default="empirical", init=False)

    def __post_init__(self) -> None:
        if len(self.values) == 0:
            raise ValueError("an empirical distribution needs at least one value")
        array = np.asarray(self.values, dtype=float)
        with np.errstate(over="ignore"):
            finite = np.isfinite(np.sum(array))  # each value and their sum
        if not finite or np.any(array < 0) or array.mean() <= 0:
            raise ValueError("empirical values must be finite, ≥ 0 and not all 0")

    @property
    def mean(self) -> float:
        """Mean of the observed values, seconds."""
        return float(np.mean(self.values))

    @property
    def cv(self) -> float:
        array = np.asarray(self.values, dtype=float)
        array = array / array.max()  # no overflow in the squares of huge values
        return float(array.std() / array.mean())

    def sample(self, rng, mean, size=None):
        array = np.asarray(self.values, dtype=float)
        return rng.choice(array, size) * (np.asarray(mean, dtype=float) / array.mean())

    def describe(self) -> str:
        where = f" from {self.source}" if self.source else ""
        return f"empirical ({len(self.values)} values{where}, cv {self.cv:.2f})"
