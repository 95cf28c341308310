"""Handle-time and patience distributions: the mean is the one asked for, the CV the shape's.

Tolerances are four standard errors of the estimate from n draws (a false failure
has probability below 1e-4 per check); the seeds are fixed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ccsim.distributions import Deterministic, Empirical, Exponential, Gamma, LogNormal

N = 200_000


@pytest.mark.parametrize(
    "dist", [Exponential(), LogNormal(0.9), Gamma(0.6), Empirical((60.0, 120.0, 300.0))]
)
def test_sample_mean_is_the_requested_mean(dist):
    rng = np.random.default_rng(2026)
    draws = dist.sample(rng, 180.0, N)
    assert draws.shape == (N,) and np.all(draws >= 0)
    standard_error = dist.cv * 180.0 / math.sqrt(N)
    assert abs(draws.mean() - 180.0) < 4 * standard_error


@pytest.mark.parametrize("dist", [Exponential(), Gamma(0.6), Empirical((60.0, 120.0, 300.0))])
def test_sample_cv_is_the_shapes_cv(dist):
    # For these light-tailed shapes the sample CV's standard error is below cv / sqrt(n)
    # times a small constant (≤ 2 here: the fourth moment is finite and moderate).
    draws = dist.sample(np.random.default_rng(7), 100.0, N)
    assert abs(draws.std() / draws.mean() - dist.cv) < 4 * 2 * dist.cv / math.sqrt(N)


def test_per_value_means_and_deterministic():
    means = np.array([10.0, 20.0, 30.0])
    assert Deterministic().sample(np.random.default_rng(0), means, 3).tolist() == [10, 20, 30]
    assert Deterministic().cv == 0
    draws = Exponential().sample(np.random.default_rng(1), np.repeat(means, N // 3), None)
    assert draws.shape == (3 * (N // 3),)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan, 101.0, 1e300])
def test_cv_must_be_positive_and_finite(bad):
    with pytest.raises(ValueError, match="cv must be a number > 0"):
        LogNormal(bad)
    with pytest.raises(ValueError, match="cv must be a number > 0"):
        Gamma(bad)


def test_empirical_needs_values():
    with pytest.raises(ValueError, match="at least one value"):
        Empirical(())
    with pytest.raises(ValueError, match="finite, ≥ 0"):
        Empirical((-1.0, 2.0))
    with pytest.raises(ValueError, match="finite, ≥ 0"):
        Empirical((1e308, 1e308))  # each finite, their mean not


def test_empirical_cv_of_huge_values_is_their_shape():
    assert Empirical((1e200, 3e200)).cv == pytest.approx(0.5)
    assert Empirical((1.0, 3.0)).cv == pytest.approx(0.5)
