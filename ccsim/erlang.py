"""The analytic engine: Erlang B, C and A measures and the fewest agents for a target.

Every function broadcasts its arguments like a numpy ufunc: scalars in give a
plain Python ``float`` (or ``int``) out, arrays in give arrays out, so one call
staffs a single interval or a year of them. Every time is in seconds, traffic
is in Erlangs (arrival rate × mean handle time), shares are fractions in [0, 1].

An unstable interval (agents ≤ traffic, Erlang C) is not an error: it gets its
limit values (probability of waiting 1, service level 0, ASA ``inf``, occupancy
1), so one overloaded cell never aborts a year or a sweep. Arguments outside
their domain (negative traffic, AHT ≤ 0, fractional agents, …) raise
``ValueError`` naming the argument.

The numerics work in log space: Erlang B is the ratio of a Poisson probability
to a Poisson distribution function, ``B(N, A) = P(X = N) / P(X ≤ N)`` with
``X ~ Poisson(A)``, evaluated in O(1) per element with the regularised
incomplete gamma function and a saddle-point form of the Poisson log
probability, so it is exact (≈1e-13 relative) for 20 agents and for 50,000.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import special

__all__ = [
    "ErlangAResult",
    "asa",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "fte",
    "occupancy",
    "required_agents",
    "required_lines",
    "service_level",
    "traffic",
]

_LOG_2PI = math.log(2.0 * math.pi)
_TINY = 1e-280  # below this an incomplete gamma value is recomputed by its series
_DROP = 60.0  # a series term e^-60 below the largest one is negligible (< 1e-26)


# --- argument handling -----------------------------------------------------------------------


def _is_scalar(*values) -> bool:
    return all(np.ndim(v) == 0 for v in values)


def _out(value, scalar: bool):
    """Return a plain float for scalar input, else the array."""
    return float(value) if scalar else value


def _float_array(name: str, value) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not be NaN")
    return arr


MAX_TRAFFIC = 1e12
"""Largest offered load (Erlangs) :func:`required_agents` takes: agent counts near
2⁵³ are no longer exact in floating point (any real center is far below)."""


def _traffic_array(value, name: str = "traffic") -> np.ndarray:
    arr = _float_array(name, value)
    bad = (arr < 0) | np.isinf(arr)
    if bad.any():
        raise ValueError(f"{name} must be finite and ≥ 0 (Erlangs), got {_first_bad(arr, bad)}")
    return arr


def _agents_array(value) -> np.ndarray:
    arr = _float_array("agents", value)
    bad = (arr < 0) | ~np.isfinite(arr) | (arr != np.floor(arr))
    if bad.any():
        raise ValueError(f"agents must be whole numbers ≥ 0, got {_first_bad(arr, bad)}")
    return arr


def _positive_array(name: str, value, unit: str = "seconds", allow_inf: bool = False) -> np.ndarray:
    arr = _float_array(name, value)
    bad = arr <= 0
    if not allow_inf:
        bad = bad | np.isinf(arr)
    if bad.any():
        raise ValueError(f"{name} must be > 0 ({unit}), got {_first_bad(arr, bad)}")
    return arr


MAX_PATIENCE_RATIO = 1e12
"""Largest patience ÷ aht taken by the Erlang A functions: beyond it abandonment is
below double precision and the exact evaluation loses its footing (use ``inf``)."""


def _patience_array(value, aht: np.ndarray) -> np.ndarray:
    arr = _positive_array("patience", value, allow_inf=True)
    bad = np.isfinite(arr) & (arr > MAX_PATIENCE_RATIO * aht)
    if bad.any():
        raise ValueError(
            f"patience must be at most {MAX_PATIENCE_RATIO:.0e} × aht (inf: nobody abandons), "
            f"got {_first_bad(arr, bad):g} s"
        )
    return arr


def _time_array(name: str, value) -> np.ndarray:
    arr = _float_array(name, value)
    bad = (arr < 0) | np.isinf(arr)
    if bad.any():
        raise ValueError(f"{name} must be finite and ≥ 0 (seconds), got {_first_bad(arr, bad)}")
    return arr


def _share_array(name: str, value, *, upper_inclusive: bool = False) -> np.ndarray:
    arr = _float_array(name, value)
    bad = (arr <= 0) | ((arr > 1) if upper_inclusive else (arr >= 1))
    if bad.any():
        interval = "(0, 1]" if upper_inclusive else "(0, 1)"
        raise ValueError(f"{name} must be a share in {interval}, got {_first_bad(arr, bad)}")
    return arr


def _first_bad(arr: np.ndarray, bad) -> float:
    return float(np.broadcast_to(arr, np.shape(bad))[bad].flat[0]) if np.ndim(bad) else float(arr)


# --- numerical kernels -----------------------------------------------------------------------


def _log_poisson(k, x):
    """``log(x**k e**-x / Γ(k + 1))`` for real k ≥ 0, x ≥ 0, stable for large k and x.

    For k ≥ 15 it uses Loader's saddle-point form ``-bd0(k, x) - stirlerr(k) -
    log(2πk)/2``, which avoids the cancellation between ``k log x`` and
    ``log Γ(k + 1)`` (both ≈ 5e5 for k = 5e4).
    """
    k = np.asarray(k, dtype=float)
    x = np.asarray(x, dtype=float)
    k, x = np.broadcast_arrays(k, x)
    out = np.empty(k.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        small = k < 15
        ks, xs = k[small], x[small]
        out[small] = special.xlogy(ks, xs) - xs - special.gammaln(ks + 1.0)
        big = ~small
        kb, xb = k[big], x[big]
        zero = xb == 0
        u = np.where(zero, 0.0, (kb - xb) / np.where(zero, 1.0, xb))
        # bd0 = x·((1+u)·log1p(u) - u): series for small |u|, direct otherwise
        near = np.abs(u) < 0.1
        core = (1.0 + u) * np.log1p(u) - u
        un = u[near]
        series = np.zeros_like(un)
        for j in range(22, 2, -1):  # Horner: Σ_{j≥2} (−u)^j / (j(j−1)) for |u| < 0.1
            series = (series + 1.0 / (j * (j - 1))) * -un
        core[near] = (series + 0.5) * un * un
        bd0 = xb * core
        inv = 1.0 / kb
        inv2 = inv * inv
        stirlerr = inv * (
            1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 * (1 / 1188))))
        )
        out[big] = np.where(zero, -np.inf, -bd0 - stirlerr - 0.5 * (_LOG_2PI + np.log(kb)))
    return out


def _log_poisson1(k: float, x: float) -> float:
    """Scalar :func:`_log_poisson` (same formulas, ``math`` instead of numpy: ≈30× faster)."""
    if k < 15:
        return (k * math.log(x) if k else 0.0) - x - math.lgamma(k + 1.0)
    if x == 0:
        return -math.inf
    u = (k - x) / x
    if abs(u) < 0.1:
        acc = 0.0
        for j in range(22, 2, -1):
            acc = (acc + 1.0 / (j * (j - 1))) * -u
        core = (acc + 0.5) * u * u
    else:
        core = (1.0 + u) * math.log1p(u) - u
    inv2 = 1.0 / (k * k)
    stirlerr = (
        1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 * (1 / 1188))))
    ) / k
    return -x * core - stirlerr - 0.5 * (_LOG_2PI + math.log(k))


def _log_series(log_ratio, n_max, shape) -> np.ndarray:
    """``log Σ_{j=0}^{n_max} Π_{i=1}^{j} r_i`` with ``log r_i = log_ratio(i, mask)``.

    Used where the ratios are below one (geometric or faster convergence); the
    sum stops for each element when its term is e^-60 below the running sum.
    """
    total = np.zeros(shape)
    term = np.zeros(shape)
    active = np.ones(shape, dtype=bool) & (np.asarray(n_max) >= 1)
    n_max = np.broadcast_to(n_max, shape)
    i = 0
    while active.any():
        i += 1
        idx = np.nonzero(active)
        term[idx] += log_ratio(i, idx)
        total[idx] = np.logaddexp(total[idx], term[idx])
        active[idx] = (term[idx] > total[idx] - _DROP) & (n_max[idx] > i)
    return total


def _log_erlang_b(a: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Log of Erlang B for broadcast float arrays (validated): ``log P(X=N) - log P(X≤N)``."""
    a, n = np.broadcast_arrays(a, n)
    out = np.zeros(a.shape)
    general = (a > 0) & (n > 0)
    out[(a == 0) & (n > 0)] = -np.inf  # no traffic: nothing blocked; with N = 0 everything is
    if general.any():
        ag, ng = a[general], n[general]
        cdf = special.gammaincc(ng + 1.0, ag)  # P(Poisson(A) ≤ N)
        res = np.empty(ag.shape)
        ok = cdf > _TINY
        with np.errstate(divide="ignore"):
            res[ok] = _log_poisson(ng[ok], ag[ok]) - np.log(cdf[ok])
        if not ok.all():
            # A ≫ N: P(X ≤ N)/P(X = N) = Σ_j Π_{i<j} (N - i)/A, ratios ≤ N/A < 1
            af, nf = ag[~ok], ng[~ok]
            res[~ok] = -_log_series(
                lambda i, idx: np.log((nf[idx] - (i - 1)) / af[idx]), nf, af.shape
            )
        out[general] = res
    return out


def _erlang_c_from_b(a, n, b):
    """Erlang C from Erlang B, with the limit values: 1 when N ≤ A (A > 0), 0 when A = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / (n - a * (1.0 - b))
    c = np.where(n > a, c, 1.0)
    return np.where(a == 0, 0.0, c)


def _c_measures(a, n, aht, t):
    """Erlang C probability of waiting, service level and ASA (seconds), broadcast."""
    b = np.exp(_log_erlang_b(a, n))
    c = _erlang_c_from_b(a, n, b)
    return (c, *_sl_asa_from_c(a, n, c, aht, t))


def _sl_asa_from_c(a, n, c, aht, t):
    stable = n > a
    gap = np.where(stable, n - a, 1.0)
    sl = np.where(stable, 1.0 - c * np.exp(-gap * t / aht), 0.0)
    wait = np.where(stable, c * aht / gap, np.inf)
    zero = a == 0
    return np.where(zero, 1.0, sl), np.where(zero, 0.0, wait)


# --- Erlang B / C ----------------------------------------------------------------------------


def erlang_b(traffic, agents):
    """Blocking probability of an M/M/N/N loss system (Erlang B).

    Parameters
    ----------
    traffic : float or array_like
        Offered traffic A in Erlangs (arrival rate × mean handle time), ≥ 0.
    agents : int or array_like
        Number of agents N, whole numbers ≥ 0.

    Returns
    -------
    float or ndarray
        Probability that an arriving contact finds all N agents busy and is lost.

    Notes
    -----
    ``B(N, A) = (A^N / N!) / Σ_{k=0}^{N} A^k / k! = P(X = N) / P(X ≤ N)`` with
    ``X ~ Poisson(A)``. The ratio is evaluated in log space with the regularised
    upper incomplete gamma function, ``P(X ≤ N) = Q(N + 1, A)``, so the cost is
    O(1) per element whatever N is.

    Examples
    --------
    >>> round(erlang_b(10.0, 12), 6)
    0.119739
    """
    scalar = _is_scalar(traffic, agents)
    a = _traffic_array(traffic)
    n = _agents_array(agents)
    return _out(np.exp(_log_erlang_b(a, n)), scalar)


def required_lines(traffic, blocking):
    """Fewest lines (trunks, agents of a loss system) whose Erlang B blocking is at most
    ``blocking``.

    Parameters
    ----------
    traffic : float or array_like
        Offered traffic A in Erlangs, ≥ 0.
    blocking : float or array_like
        Target blocking probability, a share in (0, 1).

    Returns
    -------
    int or ndarray of int
        The least N with ``erlang_b(traffic, N) ≤ blocking`` (0 when the traffic is 0).

    Notes
    -----
    B(N, A) decreases in N, so N is found by doubling an upper bound from ⌈A⌉ and
    bisecting, elementwise: O(log A) evaluations of :func:`erlang_b`.

    Examples
    --------
    >>> int(required_lines(10.0, 0.01))
    18
    """
    scalar = _is_scalar(traffic, blocking)
    a = _traffic_array(traffic)
    target = _share_array("blocking", blocking)
    a, target = np.broadcast_arrays(a, target)
    low = np.zeros(a.shape)  # B(low) > target, or low = 0
    high = np.ceil(a) + 1.0
    while np.any(np.exp(_log_erlang_b(a, high)) > target):
        high = np.where(np.exp(_log_erlang_b(a, high)) > target, 2.0 * high, high)
    while np.any(high - low > 1):
        mid = np.floor((low + high) / 2.0)
        over = np.exp(_log_erlang_b(a, mid)) > target
        low, high = np.where(over, mid, low), np.where(over, high, mid)
    lines = np.where(np.exp(_log_erlang_b(a, low)) <= target, low, high).astype(np.int64)
    lines = np.where(a > 0, lines, 0)  # no traffic: no line is needed
    return int(lines) if scalar else lines


def erlang_c(traffic, agents):
    """Probability that a contact waits in an M/M/N queue (Erlang C).

    Parameters
    ----------
    traffic : float or array_like
        Offered traffic A in Erlangs, ≥ 0.
    agents : int or array_like
        Number of agents N, whole numbers ≥ 0.

    Returns
    -------
    float or ndarray
        P(wait > 0). 1 when N ≤ A (unstable: the queue grows without bound);
        0 when A = 0.

    Notes
    -----
    ``C(N, A) = N·B / (N − A·(1 − B))`` with ``B`` the Erlang B blocking
    probability (see :func:`erlang_b`).

    Examples
    --------
    >>> round(erlang_c(10.0, 13), 6)
    0.28527
    """
    scalar = _is_scalar(traffic, agents)
    a = _traffic_array(traffic)
    n = _agents_array(agents)
    a, n = np.broadcast_arrays(a, n)
    b = np.exp(_log_erlang_b(a, n))
    return _out(_erlang_c_from_b(a, n, b), scalar)


def service_level(traffic, agents, aht, target_time):
    """Share of contacts answered within ``target_time`` in an M/M/N queue (Erlang C).

    Parameters
    ----------
    traffic : float or array_like
        Offered traffic A in Erlangs, ≥ 0.
    agents : int or array_like
        Number of agents N, whole numbers ≥ 0.
    aht : float or array_like
        Mean handle time in seconds, > 0.
    target_time : float or array_like
        Threshold in seconds, ≥ 0 (e.g. 20 for "80% in 20 s").

    Returns
    -------
    float or ndarray
        ``P(wait ≤ target_time)``; 0 when N ≤ A, 1 when A = 0.

    Notes
    -----
    ``SL = 1 − C(N, A)·exp(−(N − A)·t / AHT)``.

    Examples
    --------
    Textbook: 100 calls per 30 min, AHT 180 s (10 Erlangs), 13 agents:

    >>> round(service_level(10.0, 13, 180.0, 20.0), 4)
    0.7956
    """
    scalar = _is_scalar(traffic, agents, aht, target_time)
    a = _traffic_array(traffic)
    n = _agents_array(agents)
    h = _positive_array("aht", aht)
    t = _time_array("target_time", target_time)
    a, n, h, t = np.broadcast_arrays(a, n, h, t)
    return _out(_c_measures(a, n, h, t)[1], scalar)


def asa(traffic, agents, aht):
    """Average speed of answer of an M/M/N queue (Erlang C), in seconds.

    Parameters
    ----------
    traffic : float or array_like
        Offered traffic A in Erlangs, ≥ 0.
    agents : int or array_like
        Number of agents N, whole numbers ≥ 0.
    aht : float or array_like
        Mean handle time in seconds, > 0.

    Returns
    -------
    float or ndarray
        Mean wait in seconds over all contacts (those answered at once count
        0); ``inf`` when N ≤ A, 0 when A = 0.

    Notes
    -----
    ``ASA = C(N, A)·AHT / (N − A)``.

    Examples
    --------
    >>> round(asa(10.0, 14, 180.0), 4)
    7.8359
    """
    scalar = _is_scalar(traffic, agents, aht)
    a = _traffic_array(traffic)
    n = _agents_array(agents)
    h = _positive_array("aht", aht)
    a, n, h = np.broadcast_arrays(a, n, h)
    return _out(_c_measures(a, n, h, np.zeros(a.shape))[2], scalar)


def occupancy(traffic, agents):
    """Share of the agents' time spent handling contacts (Erlang C).

    Parameters
    ----------
    traffic : float or array_like
        Offered traffic A in Erlangs, ≥ 0.
    agents : int or array_like
        Number of agents N, whole numbers ≥ 0.

    Returns
    -------
    float or ndarray
        ``min(A / N, 1)``; 1 when N = 0 < A, 0 when A = 0.

    Notes
    -----
    Every offered contact is eventually handled, so the busy agents are A on
    average: occupancy = A / N, capped at 1 when the interval is unstable.

    Examples
    --------
    >>> occupancy(10.0, 14)
    0.7142857142857143
    """
    scalar = _is_scalar(traffic, agents)
    a = _traffic_array(traffic)
    n = _agents_array(agents)
    return _out(_occupancy(*np.broadcast_arrays(a, n)), scalar)


def _occupancy(a, n):
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.minimum(a / n, 1.0)
    return np.where(a == 0, 0.0, np.where(n == 0, 1.0, occ))


# --- Erlang A --------------------------------------------------------------------------------


class ErlangAResult(NamedTuple):
    """Measures of an M/M/n+M queue (Erlang A); floats for scalar input, else arrays."""

    p_wait: float | np.ndarray
    """Probability that an arriving contact finds every agent busy."""
    p_abandon: float | np.ndarray
    """Share of offered contacts that abandon before being answered."""
    service_level: float | np.ndarray
    """Contacts answered within the target time ÷ contacts offered."""
    asa: float | np.ndarray
    """Mean wait of the answered contacts, seconds (``inf`` with no agents)."""
    occupancy: float | np.ndarray
    """Mean busy agents ÷ agents."""


def _digamma_diff(a: float, m: int) -> float:
    """``ψ(a + m) − ψ(a) = Σ_{i=0}^{m−1} 1/(a + i)`` for a > 0, m ≥ 0, without cancellation."""
    if m <= 64:
        return math.fsum(1.0 / (a + i) for i in range(m))
    if a < 15:
        return float(special.digamma(a + m) - special.digamma(a))

    def tail(z: float) -> float:  # ψ(z) − log z, asymptotic series (error < 1e-16 for z ≥ 15)
        z2 = 1.0 / (z * z)
        return -0.5 / z - z2 * (
            1 / 12 - z2 * (1 / 120 - z2 * (1 / 252 - z2 * (1 / 240 - z2 * (1 / 132))))
        )

    return math.log1p(m / a) + (tail(a + m) - tail(a))


def _queue_sums(s: float, x: float, moments: bool = True):
    """Sums over the queue part of the M/M/n+M chain.

    With ``t_k = Π_{i=1}^{k} x / (s + i)`` (x = λ/θ, s = nμ/θ) return
    ``log Σ_{k≥1} t_k`` and, if ``moments``, the t-weighted means of ``k`` and of
    ``H_k = Σ_{i=1}^{k} 1/(s + i)``. The terms are summed over a window around
    the largest one, wide enough that the terms left out are below e^-60 of it.
    """
    kstar = max(1, math.floor(x - s))
    half = math.ceil(math.sqrt(2.0 * _DROP * x)) + 2
    klo = max(1, kstar - half)
    rate = math.log1p((s + kstar + 1 - x) / x)  # decay per term right of the peak, if > 0
    right = half if rate <= 0 else min(half, math.ceil(_DROP / rate))
    length = kstar - klo + right + 64
    while True:
        ks = klo + np.arange(length, dtype=float)
        inc = -np.log1p((s + ks - x) / x)  # log(x / (s + k))
        rel = np.cumsum(inc)
        rel -= rel[0]
        peak = rel.max()
        if rel[-1] < peak - _DROP and inc[-1] < 0:
            break
        length *= 2
    w = np.exp(rel - peak)
    sw = w.sum()
    # log t_klo = Σ_{k=1}^{klo} log(x/(s+k)): summed directly (exact) unless the window starts
    # far out, where the saddle-point closed form is used (its rounding ≈ 1e-16·x)
    if klo <= 1_000_000:
        before = np.arange(1.0, klo)
        log_t_klo = float(inc[0] - np.log1p((s + before - x) / x).sum())
    else:
        log_t_klo = _log_poisson1(s + klo, x) - _log_poisson1(s, x)
    log_sum = log_t_klo + peak + math.log(sw)
    if not moments:
        return log_sum, math.nan, math.nan
    k_mean = float(w @ ks) / sw
    h = _digamma_diff(s + 1.0, klo - 1) + np.cumsum(1.0 / (s + ks))
    h_mean = float(w @ h) / sw
    return log_sum, k_mean, h_mean


def _erlang_a_one(lam: float, aht: float, patience: float, n: float, t: float):
    """Erlang A measures for one interval: (p_wait, p_abandon, service_level, asa, occupancy).

    The former per-element engine (window sums, ≈0.2 ms each), kept as the tests' reference.
    """
    if lam == 0:
        return 0.0, 0.0, 1.0, 0.0, 0.0
    a = lam * aht
    if math.isinf(patience):  # nobody abandons: Erlang C
        if n <= a:
            return 1.0, 0.0, 0.0, math.inf, 1.0
        c, sl, wait = (float(v) for v in _c_measures(np.array(a), np.array(n), aht, t))
        return c, 0.0, sl, wait, a / n
    if n == 0:
        return 1.0, 1.0, 0.0, math.inf, 1.0
    theta = 1.0 / patience
    x = lam * patience  # λ/θ
    s = n * patience / aht  # nμ/θ
    log_s = -float(_log_erlang_b(np.array(a), np.array(n)))  # S = Σ_{k≤n} π_k / π_n = 1/B
    log_q1, k_mean, h_mean = _queue_sums(s, x)  # Q − 1 = Σ_{k≥1} π_{n+k} / π_n
    log_d = float(np.logaddexp(log_s, log_q1))  # 1/π_n = S + Q − 1
    q1_d = math.exp(log_q1 - log_d)
    p_wait = math.exp(float(np.logaddexp(0.0, log_q1)) - log_d)
    p_abandon = q1_d * k_mean / x  # θ·E[queue length] / λ
    no_wait = -math.expm1(-log_s) * math.exp(log_s - log_d)  # (S − 1)/D
    answered_queue = s / x * q1_d  # answered after waiting: Σ π_{n+j}·s/(s+j+1)
    if t == 0:
        late = answered_queue
    else:
        y = x * math.exp(-theta * t)
        if y == 0:
            late = 0.0
        else:
            log_qy1 = _queue_sums(s, y, moments=False)[0]
            late = (s / x) * math.exp(-n * t / aht - x * math.expm1(-theta * t) + log_qy1 - log_d)
    answered = no_wait + answered_queue
    sl = min(no_wait + max(answered_queue - late, 0.0), 1.0)
    wait = answered_queue * h_mean * patience / answered
    occ = min(a * answered / n, 1.0)
    return min(p_wait, 1.0), min(p_abandon, 1.0), sl, wait, occ


# The vectorised engine. With x = λ/θ, s = nμ/θ and φ(u) = −(s + 1)u − x·expm1(−u), the queue
# sums are integrals of the kernel e^φ (u = θ × the wait of a contact answered after queueing):
#   Q − 1 = Σ_{k≥1} t_k = x ∫_0^∞ e^φ du,  Σ_{k≥1} t_k H_k = x ∫_0^∞ u e^φ du,
#   answered within t after waiting = π_n (s/x) x ∫_0^{θt} e^φ du,
#   p_abandon = π_n s ∫_0^∞ (1 − e^−u) e^{φ + u} du.
# Where x > s + 1 (the queue's peak is away from 0) the first and third are regularised
# incomplete gamma functions, Q − 1 = P(s + 1, x) / pois(s, x); elsewhere the integrals are taken
# by Gauss–Legendre quadrature over the range where the integrand is within e^-40 of its largest
# value (log-concave, single-scaled integrands: ≈1e-14 relative with 48 nodes).
_GL_Z, _GL_W = np.polynomial.legendre.leggauss(48)
_GL3_Z, _GL3_W = np.polynomial.legendre.leggauss(24)
_QDROP = 40.0  # an integrand below e^-40 of its largest value is left out (< 1e-17 relative)
_CHUNK = 2048  # rows of a quadrature evaluated at once (bounds the (rows × nodes) temporaries)


def _g_right(level):
    """v ≥ 0 with v + expm1(−v) = level (≥ 0): Newton from the right (g is convex, increasing)."""
    v = level + 1.0
    for _ in range(24):
        v = v - (v + np.expm1(-v) - level) / -np.expm1(-v)
    return v


def _g_left(level):
    """w ≥ 0 with expm1(w) − w = level (≥ 0): Newton from the right (convex, increasing)."""
    w = np.log(2.0 + 2.0 * level)
    for _ in range(40):
        w = w - (np.expm1(w) - w - level) / np.expm1(w)
    return w


def _right_end(c, x):
    """End of the range of ``exp(−c·u − x·expm1(−u))`` on u ≥ 0 (for c ≥ x): where it is e^-40.

    With ``v0 = log(c/x)`` the exponent is ``φ(−v0) − c·g(u + v0)``, ``g(v) = v + expm1(−v)``.
    """
    v0 = np.log(c / x)
    return _g_right(v0 + np.expm1(-v0) + _QDROP / c) - v0


def _gauss(lo, hi, func, z, w):
    """``∫_lo^hi func(u) du`` per row by Gauss–Legendre (fixed nodes: each row on its own)."""
    half = 0.5 * (hi - lo)
    u = (0.5 * (hi + lo))[:, None] + half[:, None] * z
    return half * (func(u) * w).sum(axis=1)


def _chunked(func, n, *arrays):
    """Apply ``func`` to row chunks of the 1-D ``arrays``; returns the tuple of result arrays."""
    if n <= _CHUNK:
        return func(*arrays)
    parts = [func(*(v[i : i + _CHUNK] for v in arrays)) for i in range(0, n, _CHUNK)]
    return tuple(np.concatenate(p) for p in zip(*parts, strict=True))


def _lower_sums(s, x, theta_t, want_sl, want_asa):
    """x ≤ s + 1: ``log(Q − 1)``, the share of it answered within t, and ``Σ t_k H_k / (Q − 1)``."""

    def block(s, x, theta_t):
        c = s + 1.0
        end = _right_end(c, x)
        sc, xc = s[:, None], x[:, None]

        def kernel(u):
            return np.exp(-(sc + 1.0) * u - xc * np.expm1(-u))

        i0 = _gauss(np.zeros_like(end), end, kernel, _GL_Z, _GL_W)
        frac = np.ones_like(end)
        h_mean = np.full_like(end, np.nan)
        if want_asa:
            h_mean = _gauss(np.zeros_like(end), end, lambda u: u * kernel(u), _GL_Z, _GL_W) / i0
        if want_sl:
            short = theta_t < end
            if short.any():
                sub = _gauss(np.zeros_like(end), np.minimum(theta_t, end), kernel, _GL_Z, _GL_W)
                frac = np.where(short, np.minimum(sub / i0, 1.0), 1.0)
        return np.log(x) + np.log(i0), frac, h_mean

    return _chunked(block, s.size, s, x, theta_t)


def _upper_sums(s, x, theta_t, want_sl, want_asa):
    """x > s + 1: as :func:`_lower_sums`, Q − 1 and the answered-within-t share from P(s + 1, ·)."""
    p_x = special.gammainc(s + 1.0, x)
    log_q1 = np.log(p_x) - _log_poisson(s, x)
    frac = np.ones_like(x)
    if want_sl:
        y = x * np.exp(-theta_t)
        p_y = special.gammainc(s + 1.0, y)
        diff = p_x - p_y
        near = p_y > 0.5  # both near 1: subtract the complements instead
        diff[near] = special.gammaincc(s[near] + 1.0, y[near]) - special.gammaincc(
            s[near] + 1.0, x[near]
        )
        frac = np.clip(diff / p_x, 0.0, 1.0)
    h_mean = np.full_like(x, np.nan)
    if want_asa:
        h_mean = _chunked(lambda s, x: (_upper_h_mean(s, x),), s.size, s, x)[0]
    return log_q1, frac, h_mean


def _upper_h_mean(s, x):
    """``∫ u e^φ / ∫ e^φ`` for x > s + 1: three Gauss panels around the peak u* = log(x/(s+1))."""
    c = s + 1.0
    peak = np.log(x / c)
    level = _QDROP / c
    left = np.maximum(peak - _g_left(level), 0.0)
    right = peak + _g_right(level)
    mid1 = peak
    mid2 = np.minimum(peak + 4.0 / np.sqrt(c), right)
    sc, pc = c[:, None], peak[:, None]

    def kernel(u):  # e^{φ(u) − φ(u*)} = exp(−c·g(u − u*))
        v = u - pc
        return np.exp(-sc * (v + np.expm1(-v)))

    num = den = 0.0
    for lo, hi in ((left, mid1), (mid1, mid2), (mid2, right)):
        den = den + _gauss(lo, hi, kernel, _GL3_Z, _GL3_W)
        num = num + _gauss(lo, hi, lambda u: u * kernel(u), _GL3_Z, _GL3_W)
    return num / den


def _abandon_integral(s, x):
    """``∫_0^∞ (1 − e^−u) e^{φ(u) + u} du`` for s > x (no cancellation, unlike the closed form)."""

    def block(s, x):
        end = _right_end(s, x)
        sc, xc = s[:, None], x[:, None]
        return (
            _gauss(
                np.zeros_like(end),
                end,
                lambda u: -np.expm1(-u) * np.exp(-sc * u - xc * np.expm1(-u)),
                _GL_Z,
                _GL_W,
            ),
        )

    return _chunked(block, s.size, s, x)[0]


def _a_core(lam, aht, patience, n, t, *, want_sl=True, want_asa=True, want_abandon=True):
    """Erlang A measures for 1-D arrays with λ > 0, n ≥ 1 and finite patience.

    Returns (p_wait, p_abandon, service_level, asa, occupancy); the measures not wanted are NaN.
    Every element is computed on its own (same operations whatever the other elements are).
    """
    a = lam * aht
    s = n * patience / aht
    x = lam * patience
    theta_t = t / patience
    upper = x > s + 1.0
    log_q1 = np.empty_like(x)
    frac = np.ones_like(x)
    h_mean = np.full_like(x, np.nan)
    for mask, sums in ((upper, _upper_sums), (~upper, _lower_sums)):
        if mask.any():
            log_q1[mask], frac[mask], h_mean[mask] = sums(
                s[mask], x[mask], theta_t[mask], want_sl, want_asa
            )
    log_s = -_log_erlang_b(a, n)  # S = Σ_{k≤n} π_k / π_n = 1/B
    log_d = np.logaddexp(log_s, log_q1)  # 1/π_n = S + Q − 1
    pi_n = np.exp(-log_d)
    q1_d = np.exp(log_q1 - log_d)
    p_wait = np.minimum(np.exp(np.logaddexp(0.0, log_q1) - log_d), 1.0)
    no_wait = -np.expm1(-log_s) * np.exp(log_s - log_d)  # (S − 1)/D
    answered_queue = s / x * q1_d
    answered = no_wait + answered_queue
    occ = np.minimum(a * answered / n, 1.0)
    nan = np.full_like(x, np.nan)
    sl = np.minimum(no_wait + answered_queue * frac, 1.0) if want_sl else nan
    wait = answered_queue * h_mean * patience / answered if want_asa else nan
    p_ab = nan
    if want_abandon:
        # π_n (1 + (1 − s/x)(Q − 1)) cancels by ≈ max(1, (s − x)²/x); beyond 16, integrate
        p_ab = pi_n + (1.0 - s / x) * q1_d
        far = s - x > 4.0 * np.sqrt(np.maximum(x, 1.0))
        if far.any():
            p_ab[far] = pi_n[far] * s[far] * _abandon_integral(s[far], x[far])
        p_ab = np.clip(p_ab, 0.0, 1.0)
    return p_wait, p_ab, sl, wait, occ


def _a_measures(lam, aht, patience, n, t, **want):
    """Erlang A measures for 1-D float arrays (validated), every case: λ = 0, no agents, no
    abandonment (patience ``inf``: Erlang C) and the general M/M/n+M queue (:func:`_a_core`)."""
    out = np.empty((5, lam.size))
    zero = lam == 0
    out[:, zero] = np.array([0.0, 0.0, 1.0, 0.0, 0.0])[:, None]
    never = np.isinf(patience) & ~zero  # nobody abandons: Erlang C
    if never.any():
        a, nn, h, tt = lam[never] * aht[never], n[never], aht[never], t[never]
        c, sl, wait = _c_measures(a, nn, h, tt)
        stable = nn > a
        out[0, never] = np.where(stable, c, 1.0)
        out[1, never] = 0.0
        out[2, never] = np.where(stable, sl, 0.0)
        out[3, never] = np.where(stable, wait, np.inf)
        with np.errstate(divide="ignore"):
            out[4, never] = np.where(stable, a / nn, 1.0)
    empty = (n == 0) & ~zero & ~never
    out[:, empty] = np.array([1.0, 1.0, 0.0, np.inf, 1.0])[:, None]
    general = ~zero & ~never & ~empty
    if general.any():
        out[:, general] = _a_core(
            lam[general], aht[general], patience[general], n[general], t[general], **want
        )
    return out


def erlang_a(arrival_rate, aht, patience, agents, target_time):
    """Exact measures of an M/M/n+M queue (Erlang A: customers abandon).

    Poisson arrivals at ``arrival_rate`` per second, exponential handle times of
    mean ``aht`` seconds, exponential patience of mean ``patience`` seconds, and
    ``agents`` agents serving in arrival order. No approximation and no
    simulation: the stationary distribution of the birth–death chain and the
    waiting customer's race against its own patience are evaluated exactly
    (to ≈1e-12 relative). The elements are computed together with numpy, a few
    microseconds each.

    Parameters
    ----------
    arrival_rate : float or array_like
        Contacts offered per second, λ ≥ 0.
    aht : float or array_like
        Mean handle time in seconds, > 0.
    patience : float or array_like
        Mean patience in seconds, > 0 and at most 10¹² × ``aht``; ``inf`` means
        nobody abandons (Erlang C).
    agents : int or array_like
        Number of agents n, whole numbers ≥ 0.
    target_time : float or array_like
        Service-level threshold in seconds, ≥ 0.

    Returns
    -------
    ErlangAResult
        ``p_wait`` (an arriving contact finds every agent busy), ``p_abandon``,
        ``service_level`` (answered within ``target_time`` ÷ offered), ``asa``
        (mean wait of the answered contacts, seconds) and ``occupancy`` (busy
        agents ÷ agents). Floats for scalar input, arrays otherwise.

    Notes
    -----
    With μ = 1/AHT, θ = 1/patience, the chain has ``π_k ∝ (λ/μ)^k / k!`` for
    k ≤ n and ``π_{n+j} = π_n Π_{i=1}^{j} λ / (nμ + iθ)``. Write ``x = λ/θ``,
    ``s = nμ/θ``, ``t_j = Π_{i=1}^{j} x/(s + i)``, ``S = 1/B(n, λ/μ)`` and
    ``Q = Σ_{j≥0} t_j``; then ``π_n = 1/(S + Q − 1)`` and, by PASTA,

    - ``p_wait = π_n Q``, ``p_abandon = π_n Σ_j j t_j / x``;
    - a contact arriving with j waiting ahead would reach an agent after
      ``V = Σ_{i=0}^{j} E_i/(θ(s + i))`` (independent exponentials); it is
      answered iff its own patience exceeds V. Since ``U = e^{−θV} ~
      Beta(s, j + 1)``: P(answered | j) = ``s/(s + j + 1)``, and summing over j,
      P(answered after waiting more than t) = ``π_n (s/x) e^{−nμt} e^{x(1−u)}
      (Q(xu) − 1)`` with ``u = e^{−θt}``;
    - the mean wait of answered contacts uses ``E[V e^{−θV}] = s/(s+j+1) ·
      Σ_{i=1}^{j+1} 1/(θ(s + i))``.

    In log space, with ``φ(u) = −(s + 1)u − x·expm1(−u)``: ``Q − 1 = x ∫ e^φ du``,
    ``Σ_j t_j H_j = x ∫ u e^φ du`` and the answered-within-t part is the same
    integral over ``[0, θt]``. Where ``x > s + 1`` these are regularised incomplete
    gamma functions (``Q − 1 = P(s + 1, x) / pois(s, x)``); elsewhere, and for the
    mean wait, Gauss–Legendre quadrature over the range where the integrand is
    within e^-40 of its largest value.

    Examples
    --------
    100 calls per 30 minutes, AHT 180 s, mean patience 120 s, 12 agents:

    >>> r = erlang_a(100 / 1800, 180.0, 120.0, 12, 20.0)
    >>> round(r.service_level, 4), round(r.p_abandon, 4)
    (0.8256, 0.0616)
    """
    scalar = _is_scalar(arrival_rate, aht, patience, agents, target_time)
    lam = _traffic_array(arrival_rate, "arrival_rate")
    h = _positive_array("aht", aht)
    pat = _patience_array(patience, h)
    n = _agents_array(agents)
    t = _time_array("target_time", target_time)
    lam, h, pat, n, t = np.broadcast_arrays(lam, h, pat, n, t)
    out = _a_measures(*(np.ravel(v).astype(float) for v in (lam, h, pat, n, t)))
    out = out.reshape((5, *lam.shape))
    if scalar:
        return ErlangAResult(*(float(v) for v in out))
    return ErlangAResult(*out)


# --- staffing --------------------------------------------------------------------------------


def required_agents(
    traffic,
    aht,
    *,
    target_time=None,
    sl_target=None,
    asa_max=None,
    max_occupancy=None,
    patience=None,
    max_abandon=None,
):
    """Fewest whole agents meeting every target given (Erlang C, or Erlang A with patience).

    Parameters
    ----------
    traffic : float or array_like
        Offered traffic in Erlangs, ≥ 0 and ≤ ``MAX_TRAFFIC`` (10¹²; see :func:`traffic`).
    aht : float or array_like
        Mean handle time in seconds, > 0.
    target_time : float or array_like, optional
        Service-level threshold in seconds, ≥ 0; required with ``sl_target``.
    sl_target : float or array_like, optional
        Target share answered within ``target_time``, in (0, 1). With
        ``patience`` it is answered within the target ÷ offered.
    asa_max : float or array_like, optional
        Ceiling on the average speed of answer in seconds, > 0 (Erlang C: mean
        wait over all contacts; Erlang A: mean wait of the answered contacts).
    max_occupancy : float or array_like, optional
        Ceiling on occupancy, in (0, 1].
    patience : float or array_like, optional
        Mean patience in seconds (> 0, at most 10¹² × ``aht``; ``inf``: nobody
        abandons): use Erlang A (M/M/n+M) measures.
    max_abandon : float or array_like, optional
        Ceiling on the abandonment share, in (0, 1); requires ``patience``.

    Returns
    -------
    int or ndarray of int64
        For each element of the broadcast inputs, the fewest agents N such that
        every target holds at N (and at least one fails at N − 1). 0 when the
        traffic is 0; at least 1 otherwise (zero agents answer nobody, even
        where a ceiling such as ``max_occupancy=1`` would formally hold).
        Without abandonment (Erlang C) the queue must also be stable, N > A,
        whatever the targets: with N ≤ A the queue grows without bound.

    Notes
    -----
    Every measure is monotone in N, so the answer is the first N that meets all
    targets. Erlang C: the search starts at ``max(⌊A⌋ + 1, ⌈A / max_occupancy⌉)``
    with Erlang B evaluated exactly there, then steps up with the stable
    recursion ``B(N+1) = A·B / (N + 1 + A·B)`` on the elements still short — a
    year of 15-minute intervals in a few tens of milliseconds. Erlang A (abandonment
    can make even N ≤ A acceptable): every element keeps a bracket (fails at ``lo``,
    meets at ``hi``) and each round evaluates :func:`erlang_a`'s measures at two
    adjacent agent counts per unfinished element, placed by a secant step on a
    margin (logit of the service level, log of the ceilings), bisecting if that
    stalls, until ``hi = lo + 1`` — a year of intervals in about a second.

    Examples
    --------
    Textbook: 100 calls per 30 min, AHT 180 s, 80% answered within 20 s:

    >>> required_agents(10.0, 180.0, target_time=20.0, sl_target=0.8)
    14
    """
    scalar, a, h, t, sl, w, occ, ab = _target_arrays(
        traffic, aht, target_time, sl_target, asa_max, max_occupancy, patience, max_abandon
    )
    with np.errstate(invalid="ignore"):
        floor = np.broadcast_arrays(a / occ, a)[0]
    if (floor > MAX_TRAFFIC).any():
        raise ValueError(
            f"max_occupancy: that ceiling needs more than {MAX_TRAFFIC:.0e} agents, got "
            f"{_first_bad(np.broadcast_to(occ, floor.shape), floor > MAX_TRAFFIC):g}"
        )
    if patience is None:
        arrays = np.broadcast_arrays(a, h, t, np.asarray(sl), np.asarray(w), np.asarray(occ))
        result = _required_c(*(np.array(v, dtype=float) for v in arrays))
    else:
        pat = _patience_array(patience, h)
        arrays = np.broadcast_arrays(
            a, h, t, np.asarray(sl), np.asarray(w), np.asarray(occ), pat, np.asarray(ab)
        )
        result = _required_a(*(np.array(v, dtype=float) for v in arrays))
    return int(result) if scalar else result


def _target_arrays(
    traffic, aht, target_time, sl_target, asa_max, max_occupancy, patience, max_abandon
):
    """:func:`required_agents`' arguments checked: whether all are scalars, then traffic,
    aht, target time, and the targets as arrays (NaN: not given)."""
    if all(v is None for v in (sl_target, asa_max, max_occupancy, max_abandon)):
        raise ValueError(
            "required_agents needs at least one target: sl_target, asa_max, "
            "max_occupancy or max_abandon"
        )
    if sl_target is not None and target_time is None:
        raise ValueError("sl_target needs target_time (seconds)")
    if max_abandon is not None and patience is None:
        raise ValueError("max_abandon needs patience (seconds): abandonment is an Erlang A measure")
    given = [traffic, aht] + [
        v
        for v in (target_time, sl_target, asa_max, max_occupancy, patience, max_abandon)
        if v is not None
    ]
    scalar = _is_scalar(*given)
    nan = np.nan
    a = _traffic_array(traffic)
    if (a > MAX_TRAFFIC).any():
        raise ValueError(
            f"traffic must be ≤ {MAX_TRAFFIC:.0e} Erlangs for whole agents to be counted "
            f"exactly, got {_first_bad(a, a > MAX_TRAFFIC)}"
        )
    h = _positive_array("aht", aht)
    t = _time_array("target_time", target_time) if target_time is not None else np.zeros(())
    sl = _share_array("sl_target", sl_target) if sl_target is not None else nan
    w = _positive_array("asa_max", asa_max) if asa_max is not None else nan
    occ = (
        _share_array("max_occupancy", max_occupancy, upper_inclusive=True)
        if max_occupancy is not None
        else nan
    )
    ab = _share_array("max_abandon", max_abandon) if max_abandon is not None else nan
    return scalar, a, h, t, sl, w, occ, ab


def _min_agents_occupancy(a, occ):
    """Fewest N with min(A/N, 1) ≤ occ (0 where occ is NaN), exactly as :func:`occupancy`."""
    has = ~np.isnan(occ)
    safe = np.where(has, occ, 1.0)
    n = np.maximum(np.ceil(a / safe), 1.0)
    for _ in range(2):  # correct the rounding of the division in both directions
        down = n - 1
        n = np.where((down >= 1) & (_occupancy(a, down) <= safe), down, n)
        n = np.where(_occupancy(a, n) > safe, n + 1, n)
    n = np.where(safe >= 1.0, 1.0, n)  # a 100% ceiling holds for any N ≥ 1 (occupancy ≤ 1)
    return np.where(has, n, 0.0)


def _required_c(a, h, t, sl, w, occ):
    shape = a.shape
    a, h, t, sl, w, occ = (v.ravel() for v in (a, h, t, sl, w, occ))
    need_queue = ~np.isnan(sl) | ~np.isnan(w)
    # a stable queue (N > A) whatever the targets: an occupancy ceiling alone allows N = A
    n = np.maximum(np.floor(a) + 1.0, _min_agents_occupancy(a, occ))
    result = np.zeros(a.shape, dtype=np.int64)
    todo = np.nonzero((a > 0) & need_queue)[0]
    done = (a > 0) & ~need_queue
    result[done] = n[done].astype(np.int64)
    if todo.size:
        aa, hh, tt, ss, ww, nn = a[todo], h[todo], t[todo], sl[todo], w[todo], n[todo]
        b = np.exp(_log_erlang_b(aa, nn))
        pending = np.ones(todo.size, dtype=bool)
        while todo.size:
            c = _erlang_c_from_b(aa, nn, b)
            got_sl, got_w = _sl_asa_from_c(aa, nn, c, hh, tt)
            ok = pending & (np.isnan(ss) | (got_sl >= ss)) & (np.isnan(ww) | (got_w <= ww))
            result[todo[ok]] = nn[ok].astype(np.int64)
            pending &= ~ok
            if pending.sum() < 0.7 * pending.size:  # compact only when it pays
                todo, aa, hh, tt, ss, ww, nn, b, pending = (
                    v[pending] for v in (todo, aa, hh, tt, ss, ww, nn, b, pending)
                )
            nn = nn + 1.0
            b = aa * b / (nn + aa * b)
    return result.reshape(shape)


def _required_a(a, h, t, sl, w, occ, pat, ab):
    """Fewest agents meeting every target with the Erlang A measures, all elements at once.

    Every element keeps a bracket: ``lo`` agents fail (0 always does), ``hi`` meet. Each round
    evaluates one or two agent counts per unfinished element, chosen by interpolating (or
    extrapolating) a margin that is ≥ 0 where the targets hold, until ``hi = lo + 1`` — so the
    answer meets every target and one agent fewer does not, by direct evaluation.
    """
    shape = a.shape
    a, h, t, sl, w, occ, pat, ab = (v.ravel() for v in (a, h, t, sl, w, occ, pat, ab))
    result = np.zeros(a.size, dtype=np.int64)
    todo = np.nonzero(a > 0)[0]
    if todo.size:
        result[todo] = _search_a(*(v[todo] for v in (a, h, t, sl, w, occ, pat, ab)))
    return result.reshape(shape)


def _margin_a(measures, sl, w, occ, ab):
    """(meets every target, a margin increasing in the agents that is ≥ 0 about where it does).

    The margin is the smallest of the targets' gaps on scales where they are nearly linear in
    the agents: logit of the service level, log of the ASA, occupancy and abandonment.
    """
    _, p_ab, got_sl, got_w, got_occ = measures
    ok = np.ones(p_ab.shape, dtype=bool)
    margin = np.full(p_ab.shape, np.inf)

    def logit(p):
        return np.log(p) - np.log1p(-p)

    with np.errstate(divide="ignore", invalid="ignore"):
        for target, got, holds, gap in (
            (sl, got_sl, np.greater_equal, lambda g, v: logit(g) - logit(v)),
            (w, got_w, np.less_equal, lambda g, v: np.log(v / g)),
            (occ, got_occ, np.less_equal, lambda g, v: np.log(v / g)),
            (ab, p_ab, np.less_equal, lambda g, v: np.log(v / g)),
        ):
            given = ~np.isnan(target)
            ok &= ~given | holds(got, target)
            margin = np.where(given, np.fmin(margin, gap(got, target)), margin)
    return ok, np.clip(np.nan_to_num(margin, nan=-50.0), -50.0, 50.0)


def _search_a(a, h, t, sl, w, occ, pat, ab):
    size = a.size
    lam = a / h
    want = {
        "want_sl": not np.isnan(sl).all(),
        "want_asa": not np.isnan(w).all(),
        "want_abandon": not np.isnan(ab).all(),
    }
    lo, mlo = np.zeros(size), np.full(size, np.nan)  # lo agents fail (0 always does)
    hi, mhi = np.full(size, np.inf), np.full(size, np.nan)  # hi agents meet every target
    rounds = np.zeros(size, dtype=np.int64)
    first = np.maximum(np.ceil(a), 1.0)
    probes = np.stack([first - 1.0, first], axis=1)
    active = np.arange(size)
    while active.size:
        # evaluate the probes of the active elements that lie inside their bracket
        p = probes[active]
        valid = (p > lo[active, None]) & (p < hi[active, None])
        rows, cols = np.nonzero(valid)
        idx = active[rows]
        measures = _a_measures(lam[idx], h[idx], pat[idx], p[rows, cols], t[idx], **want)
        ok, margin = _margin_a(measures, sl[idx], w[idx], occ[idx], ab[idx])
        got_ok = np.zeros(p.shape, dtype=bool)
        got_m = np.full(p.shape, np.nan)
        got_ok[rows, cols] = ok
        got_m[rows, cols] = margin
        # the secant through this round's two points (or one point and the nearer bracket end)
        x1, m1 = p[:, 0].copy(), got_m[:, 0].copy()
        x2, m2 = p[:, 1].copy(), got_m[:, 1].copy()
        for col in (1, 0):  # meeting probes, larger first: hi ends on the smallest
            upd = valid[:, col] & got_ok[:, col]
            hi[active[upd]], mhi[active[upd]] = p[upd, col], got_m[upd, col]
        for col in (0, 1):  # failing probes, smaller first: lo ends on the largest
            upd = valid[:, col] & ~got_ok[:, col]
            lo[active[upd]], mlo[active[upd]] = p[upd, col], got_m[upd, col]
        L, H = lo[active], hi[active]
        one = valid[:, 1] & ~valid[:, 0]
        use_hi = one & got_ok[:, 1] & np.isfinite(H) & ~np.isnan(mhi[active])
        x1 = np.where(one, np.where(use_hi, H, L), x1)
        m1 = np.where(one, np.where(use_hi, mhi[active], mlo[active]), m1)
        keep = H > L + 1
        active, L, H, x1, m1, x2, m2 = (v[keep] for v in (active, L, H, x1, m1, x2, m2))
        if not active.size:
            break
        rounds[active] += 1
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = (m2 - m1) / (x2 - x1)
            root = x2 - m2 / slope
        bounded = np.isfinite(H)
        fallback = np.where(bounded, np.where(L >= 1, (L + H) / 2, H / 2), 2.0 * L + 1.0)
        good = np.isfinite(root) & (slope > 0) & (rounds[active] <= 4)
        c = np.ceil(np.where(good, root, fallback))
        c = np.maximum(c, L + 1.0)
        c = np.where(bounded, np.minimum(c, H - 1.0), c)
        below = np.where(good | ~bounded, c - 1.0, np.floor((L + c) / 2))
        probes[active] = np.stack([below, c], axis=1)
    return hi.astype(np.int64)


def _required_a_reference(a, h, t, sl, w, occ, pat, ab):
    """The former per-element doubling-then-bisection search (slow; the tests' reference)."""
    result = np.zeros(a.shape, dtype=np.int64)
    for idx in np.ndindex(a.shape):
        aa, hh = float(a[idx]), float(h[idx])
        if aa == 0:
            continue
        lam = aa / hh
        targets = (float(sl[idx]), float(w[idx]), float(occ[idx]), float(ab[idx]))

        def meets(n: int, lam=lam, hh=hh, idx=idx, targets=targets) -> bool:
            p_wait, p_ab, got_sl, got_w, got_occ = _erlang_a_one(
                lam, hh, float(pat[idx]), float(n), float(t[idx])
            )
            tsl, tw, tocc, tab = targets
            return (
                (math.isnan(tsl) or got_sl >= tsl)
                and (math.isnan(tw) or got_w <= tw)
                and (math.isnan(tocc) or got_occ <= tocc)
                and (math.isnan(tab) or p_ab <= tab)
            )

        lo, hi = 0, max(1, math.ceil(aa))  # traffic > 0 always needs an agent
        while not meets(hi):
            lo, hi = hi, 2 * hi
        while hi - lo > 1:  # lo fails (or is 0), hi meets
            mid = (lo + hi) // 2
            if meets(mid):
                hi = mid
            else:
                lo = mid
        result[idx] = hi
    return result


# --- helpers ---------------------------------------------------------------------------------


def fte(agents, shrinkage):
    """Full-time equivalents to roster so that ``agents`` are on the phones.

    Parameters
    ----------
    agents : float or array_like
        Agents needed handling contacts (≥ 0).
    shrinkage : float or array_like
        Share of paid time not available for contacts (breaks, training, …), in [0, 1).

    Returns
    -------
    float or ndarray
        ``agents / (1 − shrinkage)``.

    Notes
    -----
    FTE = N / (1 − shrinkage).

    Examples
    --------
    >>> fte(14, 0.3)
    20.0
    """
    scalar = _is_scalar(agents, shrinkage)
    n = _float_array("agents", agents)
    if (n < 0).any():
        raise ValueError(f"agents must be ≥ 0, got {_first_bad(n, n < 0)}")
    s = _float_array("shrinkage", shrinkage)
    bad = (s < 0) | (s >= 1)
    if bad.any():
        raise ValueError(f"shrinkage must be a share in [0, 1), got {_first_bad(s, bad)}")
    return _out(n / (1.0 - s), scalar)


def traffic(volume, aht, interval):
    """Offered traffic in Erlangs: contacts per interval × AHT ÷ interval length.

    Parameters
    ----------
    volume : float or array_like
        Contacts offered in the interval, ≥ 0.
    aht : float or array_like
        Mean handle time in seconds, > 0.
    interval : float or array_like
        Interval length in seconds, > 0.

    Returns
    -------
    float or ndarray
        Traffic A in Erlangs.

    Notes
    -----
    ``A = volume × AHT / interval``.

    Examples
    --------
    >>> traffic(100, 180, 1800)
    10.0
    """
    scalar = _is_scalar(volume, aht, interval)
    v = _traffic_array(volume, "volume")
    h = _positive_array("aht", aht)
    length = _positive_array("interval", interval)
    return _out(v * h / length, scalar)
