"""Tests of the analytic engine: reference values, identities, properties, inverse, errors."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg

from ccsim import erlang as e

DATA = Path(__file__).parent / "data"
FAST = settings(max_examples=40, deadline=None)


def _rows(name):
    with open(DATA / name, newline="") as fh:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def _erlang_b_recursion(a: float, n: int) -> float:
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def _mmn_m_bruteforce(lam, aht, patience, n, t, tail=400):
    """M/M/n+M by brute force: truncated CTMC solved by a linear system; the tagged waiting
    customer's absorbing chain solved with a matrix exponential (independent of the closed forms).
    """
    mu, theta = 1.0 / aht, 1.0 / patience
    size = n + tail + 1
    gen = np.zeros((size, size))
    for k in range(size):
        if k + 1 < size:
            gen[k, k + 1] = lam
        if k > 0:
            gen[k, k - 1] = min(k, n) * mu + max(k - n, 0) * theta
        gen[k, k] = -gen[k].sum()
    lhs = np.vstack([gen.T, np.ones(size)])
    rhs = np.zeros(size + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    # tagged customer with i ahead (i = 0..tail): moves up at n·mu + i·theta, leaves at theta
    m = tail + 1
    sub = np.zeros((m, m))
    for i in range(m):
        sub[i, i] = -(n * mu + i * theta + theta)
        if i > 0:
            sub[i, i - 1] = n * mu + i * theta
    exit_ans = np.zeros(m)
    exit_ans[0] = n * mu
    inv = np.linalg.solve(-sub, np.eye(m))
    p_ans = inv @ exit_ans
    within = inv @ (np.eye(m) - linalg.expm(sub * t)) @ exit_ans
    wait_ans = inv @ p_ans  # E[wait · 1{answered}]
    queue = pi[n : n + m]
    answered = pi[:n].sum() + queue @ p_ans
    return {
        "p_wait": pi[n:].sum(),
        "p_abandon": 1.0 - answered,
        "service_level": pi[:n].sum() + queue @ within,
        "asa": (queue @ wait_ans) / answered,
        "occupancy": sum(min(k, n) * pi[k] for k in range(size)) / n,
    }


# --- reference values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "row", _rows("erlang_c.csv"), ids=lambda r: f"A{r['traffic']}-N{r['agents']}"
)
def test_erlang_c_reference(row):
    a, n, aht, t = row["traffic"], int(row["agents"]), row["aht"], row["target_time"]
    assert e.erlang_c(a, n) == pytest.approx(row["erlang_c"], rel=1e-9)
    assert e.service_level(a, n, aht, t) == pytest.approx(row["service_level"], rel=1e-9)
    assert e.asa(a, n, aht) == pytest.approx(row["asa"], rel=1e-9)


@pytest.mark.parametrize("row", _rows("erlang_a.csv"), ids=lambda r: f"N{r['agents']}")
def test_erlang_a_reference(row):
    got = e.erlang_a(
        row["arrival_rate"], row["aht"], row["patience"], int(row["agents"]), row["target_time"]
    )
    # the reference values have 10 significant digits
    assert got.p_wait == pytest.approx(row["p_wait"], rel=1e-9)
    assert got.p_abandon == pytest.approx(row["p_abandon"], rel=1e-9)
    assert got.service_level == pytest.approx(row["service_level"], rel=1e-9)
    assert got.asa == pytest.approx(row["asa_served"], rel=1e-9)
    assert got.occupancy == pytest.approx(row["occupancy"], rel=1e-9)


def test_textbook_case():
    a = e.traffic(100, 180, 1800)
    assert a == 10.0
    assert e.required_agents(a, 180, target_time=20, sl_target=0.8) == 14
    assert round(e.service_level(a, 13, 180, 20), 3) == 0.796
    assert e.service_level(a, 14, 180, 20) >= 0.8


@pytest.mark.parametrize(
    "lam,aht,patience,n,t",
    [
        (0.05, 180, 120, 10, 20),
        (0.4, 240, 60, 90, 15),
        (0.1, 300, 600, 25, 30),
        (1 / 60, 200, 30, 2, 10),
    ],
)
def test_erlang_a_against_bruteforce_ctmc(lam, aht, patience, n, t):
    got = e.erlang_a(lam, aht, patience, n, t)._asdict()
    want = _mmn_m_bruteforce(lam, aht, patience, n, t)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-8, abs=1e-12), key


def test_erlang_b_matches_recursion_small_and_large():
    for a, n in [
        (0.3, 1),
        (5.0, 20),
        (10.0, 12),
        (95.0, 100),
        (9500.0, 9400),
        (9500.0, 9600),
        (800.0, 10),
    ]:
        assert e.erlang_b(a, n) == pytest.approx(_erlang_b_recursion(a, n), rel=1e-11)


def test_large_center_is_finite_and_correct():
    assert e.erlang_c(9500.0, 50000) == 0.0
    assert e.service_level(9500.0, 50000, 240, 20) == 1.0
    a = np.array([9500.0, 9500.0, 20.0])
    n = np.array([50000, 9600, 25])
    c = e.erlang_c(a, n)
    assert np.isfinite(c).all()
    b = np.array([_erlang_b_recursion(x, int(k)) for x, k in zip(a, n, strict=True)])
    want = n * b / (n - a * (1 - b))
    np.testing.assert_allclose(c, want, rtol=1e-10, atol=1e-300)
    assert 9500 < e.required_agents(9500.0, 240, target_time=20, sl_target=0.8) < 9700


def test_limit_values():
    assert e.erlang_c(10.0, 10) == 1.0
    assert e.erlang_c(10.0, 3) == 1.0
    assert e.service_level(10.0, 10, 180, 20) == 0.0
    assert e.asa(10.0, 9, 180) == math.inf
    assert e.occupancy(10.0, 5) == 1.0
    assert e.erlang_c(0.0, 5) == 0.0
    assert e.service_level(0.0, 0, 180, 20) == 1.0
    assert e.asa(0.0, 3, 180) == 0.0
    assert e.required_agents(0.0, 180, target_time=20, sl_target=0.9) == 0
    # without abandonment a queue must be stable (N > A), even if the ceiling allows N = A
    assert e.required_agents(1.0, 180, max_occupancy=1.0) == 2
    assert e.required_agents(4.0, 180, max_occupancy=1.0) == 5
    assert e.required_agents(4.5, 180, max_occupancy=0.9) == 5
    assert e.asa(4.0, 5, 180) < math.inf
    assert e.required_agents(0.2, 180, max_occupancy=1.0, patience=60) == 1
    assert e.erlang_a(0.0, 180, 60, 3, 20) == (0.0, 0.0, 1.0, 0.0, 0.0)
    assert e.erlang_a(0.1, 180, 60, 0, 20).p_abandon == 1.0


# --- types and vectorisation ------------------------------------------------------------------


def test_scalars_in_give_plain_python_numbers():
    assert type(e.erlang_b(10.0, 12)) is float
    assert type(e.erlang_c(10, 12)) is float
    assert type(e.service_level(10, 12, 180, 20)) is float
    assert type(e.asa(10, 12, 180)) is float
    assert type(e.occupancy(10, 12)) is float
    assert type(e.fte(14, 0.3)) is float
    assert type(e.traffic(100, 180, 1800)) is float
    assert all(type(v) is float for v in e.erlang_a(0.05, 180, 120, 10, 20))
    assert type(e.required_agents(10, 180, target_time=20, sl_target=0.8)) is int
    assert type(e.required_agents(10, 180, max_abandon=0.05, patience=120)) is int


def test_vectorised_equals_elementwise():
    rng = np.random.default_rng(3)
    a = rng.uniform(0.0, 300.0, 60)
    n = np.floor(a) + rng.integers(-3, 30, 60)
    n = np.maximum(n, 0)
    aht = rng.uniform(60, 600, 60)
    t = rng.uniform(0, 60, 60)
    for func, args in [
        (e.erlang_b, (a, n)),
        (e.erlang_c, (a, n)),
        (e.service_level, (a, n, aht, t)),
        (e.asa, (a, n, aht)),
        (e.occupancy, (a, n)),
    ]:
        vec = func(*args)
        assert vec.shape == (60,)
        np.testing.assert_array_equal(vec, [func(*(x[i] for x in args)) for i in range(60)])
    req = e.required_agents(a, aht, target_time=t, sl_target=0.85, asa_max=30.0)
    assert req.dtype == np.int64
    assert req.tolist() == [
        e.required_agents(a[i], aht[i], target_time=t[i], sl_target=0.85, asa_max=30.0)
        for i in range(60)
    ]
    lam = a[:8] / aht[:8]
    res = e.erlang_a(lam, aht[:8], 90.0, n[:8], t[:8])
    for i in range(8):
        assert tuple(v[i] for v in res) == e.erlang_a(lam[i], aht[i], 90.0, n[i], t[i])
    req_a = e.required_agents(a[:8], aht[:8], target_time=20, sl_target=0.8, patience=90.0)
    assert req_a.tolist() == [
        e.required_agents(a[i], aht[i], target_time=20, sl_target=0.8, patience=90.0)
        for i in range(8)
    ]


def test_erlang_a_vectorised_equals_per_element_reference():
    """The array engine against the former per-element sums (``_erlang_a_one``) on random cases
    spanning every regime: light and heavy load, short and long patience, t = 0, 1 agent."""
    rng = np.random.default_rng(17)
    size = 400
    a = 10 ** rng.uniform(-2, 3.3, size)
    aht = rng.uniform(20, 900, size)
    patience = 10 ** rng.uniform(0.5, 3.5, size)
    n = np.maximum(1, np.round(a * rng.uniform(0.3, 2.0, size) + rng.integers(-5, 10, size)))
    t = rng.choice([0.0, 5.0, 20.0, 60.0, 300.0], size)
    lam = a / aht
    got = e.erlang_a(lam, aht, patience, n, t)
    want = np.array(
        [e._erlang_a_one(*(float(v[i]) for v in (lam, aht, patience, n, t))) for i in range(size)]
    ).T
    for key, new, old in zip(got._fields, got, want, strict=True):
        # relative 1e-10; the former service level subtracts two sums (absolute error ≈ 1e-12)
        floor = 1e-11 if key == "service_level" else 1e-300
        np.testing.assert_allclose(new, old, rtol=1e-10, atol=floor, err_msg=key)


def test_required_agents_patience_equals_per_element_reference():
    rng = np.random.default_rng(23)
    size = 60
    a = 10 ** rng.uniform(-1, 2.7, size)
    aht = rng.uniform(30, 600, size)
    patience = 10 ** rng.uniform(0.7, 3, size)
    t = rng.uniform(0, 60, size)
    nan = np.full(size, np.nan)
    for sl, w, occ, ab in [
        (0.8, nan, nan, nan),
        (nan, 15.0, nan, nan),
        (nan, nan, 0.85, 0.03),
        (0.9, 30.0, 0.9, 0.05),
    ]:
        kwargs = {
            "sl_target": None if np.isnan(sl).all() else sl,
            "asa_max": None if np.isnan(w).all() else w,
            "max_occupancy": None if np.isnan(occ).all() else occ,
            "max_abandon": None if np.isnan(ab).all() else ab,
        }
        got = e.required_agents(a, aht, target_time=t, patience=patience, **kwargs)
        args = np.broadcast_arrays(a, aht, t, sl, w, occ, patience, ab)
        want = e._required_a_reference(*(np.array(v, dtype=float) for v in args))
        assert got.tolist() == want.tolist()
        lam = a / aht
        r = e.erlang_a(lam, aht, patience, got, t)
        below = e.erlang_a(lam, aht, patience, got - 1, t)
        for res, should in ((r, True), (below, False)):
            meets = np.ones(size, dtype=bool)
            if kwargs["sl_target"] is not None:
                meets &= res.service_level >= sl
            if kwargs["asa_max"] is not None:
                meets &= res.asa <= w
            if kwargs["max_occupancy"] is not None:
                meets &= res.occupancy <= occ
            if kwargs["max_abandon"] is not None:
                meets &= res.p_abandon <= ab
            assert (meets == should).all() if should else (~meets | (got == 1)).all()


def test_broadcasting_shapes():
    got = e.erlang_c(np.array([[5.0], [10.0]]), np.arange(11, 15))
    assert got.shape == (2, 4)
    assert e.required_agents(
        np.array([[5.0], [10.0]]), 180, target_time=20, sl_target=[0.7, 0.8, 0.9]
    ).shape == (
        2,
        3,
    )


# --- properties -------------------------------------------------------------------------------

traffics = st.floats(0.01, 400.0)
ahts = st.floats(10.0, 900.0)
times = st.floats(0.0, 120.0)


@FAST
@given(a=traffics, extra=st.integers(0, 60), aht=ahts, t=times)
def test_erlang_c_properties(a, extra, aht, t):
    n = np.arange(max(0, math.floor(a) - 3), math.floor(a) + 2 + extra)
    b, c = e.erlang_b(a, n), e.erlang_c(a, n)
    sl, w, occ = e.service_level(a, n, aht, t), e.asa(a, n, aht), e.occupancy(a, n)
    for v in (b, c, sl, occ):
        assert ((v >= 0) & (v <= 1)).all()
    assert (c >= b - 1e-15).all()
    assert (np.diff(b) <= 1e-15).all() and (np.diff(c) <= 1e-15).all()
    assert (np.diff(sl) >= -1e-15).all() and (np.diff(occ) <= 0).all()
    finite = w[np.isfinite(w)]
    assert (np.diff(finite) <= 1e-12).all() and (np.isinf(w) == (n <= a)).all()


@FAST
@given(
    a=st.floats(0.05, 60.0), aht=st.floats(30.0, 600.0), patience=st.floats(5.0, 1200.0), t=times
)
def test_erlang_a_properties(a, aht, patience, t):
    n = np.arange(0, math.floor(a) + 15)
    r = e.erlang_a(a / aht, aht, patience, n, t)
    for v in (r.p_wait, r.p_abandon, r.service_level, r.occupancy):
        assert ((v >= 0) & (v <= 1)).all()
    # monotone in agents, up to rounding (absolute errors ≈ 1e-14)
    assert (np.diff(r.p_wait) <= 1e-12).all()
    assert (np.diff(r.p_abandon) <= 1e-12).all()
    assert (np.diff(r.service_level) >= -1e-12).all()
    assert (np.diff(r.asa[1:]) <= 1e-9 * r.asa[1:-1]).all()
    assert (np.diff(r.occupancy) <= 1e-12).all()
    # answered + abandoned = offered; carried load = busy agents
    answered_share = r.occupancy[1:] * n[1:] / a
    np.testing.assert_allclose(answered_share + r.p_abandon[1:], 1.0, rtol=1e-10)
    assert (r.service_level[1:] <= answered_share + 1e-12).all()


@FAST
@given(a=st.floats(0.5, 200.0), extra=st.integers(1, 40), aht=st.floats(30.0, 600.0), t=times)
def test_erlang_a_tends_to_erlang_c(a, extra, aht, t):
    # patience 1e11 s: the true gap to Erlang C is < 1e-7 even one agent above the traffic
    # (at 1e9 s it is ≈ 3e-6 there: a physical difference, not a numerical one)
    n = math.floor(a) + 1 + extra
    r = e.erlang_a(a / aht, aht, 1e11, n, t)
    assert r.p_wait == pytest.approx(e.erlang_c(a, n), rel=1e-6, abs=1e-12)
    assert r.service_level == pytest.approx(e.service_level(a, n, aht, t), rel=1e-6, abs=1e-12)
    assert r.asa == pytest.approx(e.asa(a, n, aht), rel=1e-5, abs=1e-9)
    assert r.p_abandon < 1e-5


# --- required_agents is minimal ---------------------------------------------------------------


def _meets_c(a, n, aht, *, t=0.0, sl=None, w=None, occ=None):
    if n == 0:  # with traffic, zero agents never count as meeting a target (see required_agents)
        return a == 0
    return (
        (sl is None or e.service_level(a, n, aht, t) >= sl)
        and (w is None or e.asa(a, n, aht) <= w)
        and (occ is None or e.occupancy(a, n) <= occ)
    )


def _meets_a(a, n, aht, patience, *, t=0.0, sl=None, w=None, occ=None, ab=None):
    if n == 0:
        return a == 0
    r = e.erlang_a(a / aht, aht, patience, n, t)
    return (
        (sl is None or r.service_level >= sl)
        and (w is None or r.asa <= w)
        and (occ is None or r.occupancy <= occ)
        and (ab is None or r.p_abandon <= ab)
    )


@FAST
@given(
    a=st.floats(0.01, 2000.0),
    aht=ahts,
    t=times,
    kind=st.sampled_from(["sl", "w", "occ", "all"]),
    sl=st.floats(0.05, 0.99),
    w=st.floats(1.0, 300.0),
    occ=st.floats(0.3, 1.0),
)
def test_required_agents_erlang_c_is_minimal(a, aht, t, kind, sl, w, occ):
    targets = {
        "sl": {"sl": sl},
        "w": {"w": w},
        "occ": {"occ": occ},
        "all": {"sl": sl, "w": w, "occ": occ},
    }[kind]
    n = e.required_agents(
        a,
        aht,
        target_time=t,
        sl_target=targets.get("sl"),
        asa_max=targets.get("w"),
        max_occupancy=targets.get("occ"),
    )
    assert _meets_c(a, n, aht, t=t, **targets)
    assert n == 0 or not _meets_c(a, n - 1, aht, t=t, **targets)


@settings(max_examples=25, deadline=None)
@given(
    a=st.floats(0.05, 80.0),
    aht=st.floats(30.0, 600.0),
    patience=st.floats(5.0, 900.0),
    t=times,
    kind=st.sampled_from(["sl", "w", "occ", "ab", "all"]),
    sl=st.floats(0.05, 0.99),
    w=st.floats(1.0, 300.0),
    occ=st.floats(0.3, 1.0),
    ab=st.floats(0.005, 0.5),
)
def test_required_agents_erlang_a_is_minimal(a, aht, patience, t, kind, sl, w, occ, ab):
    targets = {
        "sl": {"sl": sl},
        "w": {"w": w},
        "occ": {"occ": occ},
        "ab": {"ab": ab},
        "all": {"sl": sl, "w": w, "occ": occ, "ab": ab},
    }[kind]
    n = e.required_agents(
        a,
        aht,
        target_time=t,
        patience=patience,
        sl_target=targets.get("sl"),
        asa_max=targets.get("w"),
        max_occupancy=targets.get("occ"),
        max_abandon=targets.get("ab"),
    )
    assert _meets_a(a, n, aht, patience, t=t, **targets)
    assert n == 0 or not _meets_a(a, n - 1, aht, patience, t=t, **targets)


def test_required_agents_for_a_year_is_exact():
    """A year of 15-minute intervals at once (speed is benchmarks/bench_erlang.py's job)."""
    rng = np.random.default_rng(0)
    a = e.traffic(rng.uniform(50, 2000, 140_160), 240.0, 900.0)
    n = e.required_agents(a, 240.0, target_time=20.0, sl_target=0.8)
    assert (n > a).all()
    sl = e.service_level(a, n, 240.0, 20.0)
    below = e.service_level(a, n - 1, 240.0, 20.0)
    assert (sl >= 0.8).all() and (below < 0.8).all()


# --- helpers and errors -----------------------------------------------------------------------


def test_fte_and_traffic():
    assert e.fte(14, 0.3) == pytest.approx(20.0)
    assert e.fte(14, 0.0) == 14.0
    np.testing.assert_allclose(e.fte(np.array([7, 14]), 0.3), [10.0, 20.0])
    np.testing.assert_allclose(e.traffic([100, 200], 180, 1800), [10.0, 20.0])


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: e.erlang_c(-1.0, 5), "traffic"),
        (lambda: e.erlang_b(5.0, 2.5), "agents"),
        (lambda: e.erlang_c(5.0, -1), "agents"),
        (lambda: e.service_level(5.0, 6, 0.0, 20), "aht"),
        (lambda: e.service_level(5.0, 6, 180, -1), "target_time"),
        (lambda: e.asa(5.0, 6, -3), "aht"),
        (lambda: e.erlang_a(-0.1, 180, 60, 3, 20), "arrival_rate"),
        (lambda: e.erlang_a(0.1, 180, 0, 3, 20), "patience"),
        (lambda: e.required_agents(5.0, 180, target_time=20, sl_target=1.2), "sl_target"),
        (lambda: e.required_agents(5.0, 180, target_time=20, sl_target=0.0), "sl_target"),
        (lambda: e.required_agents(5.0, 180, sl_target=0.8), "target_time"),
        (lambda: e.required_agents(5.0, 180), "target"),
        (lambda: e.required_agents(5.0, 180, asa_max=0), "asa"),
        (lambda: e.required_agents(5.0, 180, max_occupancy=1.5), "max_occupancy"),
        (lambda: e.required_agents(5.0, 180, max_abandon=0.05), "patience"),
        (lambda: e.required_agents(5.0, 180, max_abandon=1.0, patience=60), "max_abandon"),
        (lambda: e.required_agents(5.0, -180, asa_max=20), "aht"),
        (lambda: e.required_agents(1e300, 180, asa_max=20), "traffic must be ≤ 1e\\+12 Erlangs"),
        (lambda: e.required_agents(np.inf, 180, asa_max=20), "traffic must be finite"),
        (lambda: e.required_agents(5.0, 180, max_occupancy=1e-300), "max_occupancy"),
        (lambda: e.required_agents(5.0, 180, asa_max=20, patience=1e300), "patience"),
        (lambda: e.erlang_a(0.1, 180, 1e300, 3, 20), "patience must be at most 1e\\+12 × aht"),
        (lambda: e.fte(10, 1.0), "shrinkage"),
        (lambda: e.traffic(100, 180, 0), "interval"),
    ],
)
def test_errors_name_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
