"""Unit tests of the simulation engine's rules, on hand-made contacts with known times."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ccsim
from ccsim.scenario import Channel, Group, Scenario
from ccsim.sim.arrivals import Arrivals, to_buffer
from ccsim.sim.metrics import ABANDONED, ANSWERED, UNANSWERED, contact_records
from ccsim.sim.model import ContactCenter

LENGTH = 100.0  # seconds per interval in these tests


def scenario(channels: dict, groups: dict, n_intervals: int = 1, dequeue: str = "priority"):
    """Channels: name → Channel kwargs; groups: name → (skills, agents per interval or int)."""
    chans = {}
    for name, kw in channels.items():
        kw = dict(kw)
        kw.setdefault("volume", np.zeros(n_intervals))
        kw.setdefault("aht", 10.0)
        chans[name] = Channel(name=name, **kw)
    grps = {
        name: Group(name, skills, np.broadcast_to(agents, (n_intervals,)))
        for name, (skills, agents) in groups.items()
    }
    return Scenario(
        name="unit",
        interval=LENGTH,
        starts=[f"{i}" for i in range(n_intervals)],
        channels=chans,
        groups=grps,
        dequeue=dequeue,
    )


def play(scen: Scenario, contacts: list[tuple]):
    """contacts: (time s, channel name, handle s[, patience s]) → (records, headcount)."""
    names = list(scen.channels)
    contacts = sorted(contacts, key=lambda c: c[0])
    time = np.array([c[0] for c in contacts], dtype=float)
    deadline = np.array([c[0] + (c[3] if len(c) > 3 else math.inf) for c in contacts])
    arrivals = Arrivals(
        time_buffer=to_buffer(time),
        channel=np.array([names.index(c[1]) for c in contacts], dtype=np.int16),
        interval=np.minimum(time // LENGTH, scen.n_intervals - 1).astype(np.int32),
        handle_buffer=to_buffer(np.array([c[2] for c in contacts], dtype=float)),
        deadline_buffer=to_buffer(deadline),
        busyness=1.0,
    )
    staffing = np.array([g.agents for g in scen.groups.values()])
    raw = ContactCenter(scen, staffing, arrivals).run()
    return contact_records(arrivals, raw, 0, scen.horizon), raw.headcount


def test_priority_dequeue_takes_first_skill_even_if_another_waited_longer():
    scen = scenario({"voice": {}, "email": {}}, {"blend": (("voice", "email"), 1)})
    rec, _ = play(scen, [(1, "voice", 20), (2, "email", 5), (3, "voice", 5)])
    # the agent frees at 21: voice (arrived at 3) before email (arrived at 2)
    np.testing.assert_allclose(rec["answer_time"], [1, 26, 21])


def test_longest_waiting_dequeue_takes_the_oldest_across_skills():
    scen = scenario(
        {"voice": {}, "email": {}}, {"blend": (("voice", "email"), 1)}, dequeue="longest_waiting"
    )
    rec, _ = play(scen, [(1, "voice", 20), (2, "email", 5), (3, "voice", 5)])
    np.testing.assert_allclose(rec["answer_time"], [1, 21, 26])


def test_new_contact_goes_to_the_longest_idle_agent_across_groups():
    scen = scenario({"voice": {}}, {"a": (("voice",), 1), "b": (("voice",), 1)})
    rec, _ = play(scen, [(1, "voice", 5), (10, "voice", 30), (12, "voice", 5)])
    # a serves 1–6; at 10, b has been idle since 0 (longer than a, idle since 6); at 12 only a
    assert rec["group"].tolist() == [0, 1, 0]
    np.testing.assert_allclose(rec["wait"], 0)


def test_route_to_offers_groups_in_order_then_overflows():
    scen = scenario(
        {"voice": {"route_to": ("overflow_last", "first")}},
        {"first": (("voice",), 1), "overflow_last": (("voice",), 1)},
    )
    rec, _ = play(scen, [(1, "voice", 50), (2, "voice", 50), (3, "voice", 5)])
    assert rec["group"].tolist() == [1, 0, 1]  # route_to order, then the next free agent
    np.testing.assert_allclose(rec["answer_time"], [1, 2, 51])


def test_route_to_falls_back_to_other_skilled_groups_before_queueing():
    """Listed groups first; an idle agent of another group with the skill beats waiting."""
    scen = scenario(
        {"voice": {"route_to": ("a",)}},
        {"a": (("voice",), 1), "b": (("voice",), 1)},
    )
    rec, _ = play(scen, [(1, "voice", 30), (2, "voice", 30), (3, "voice", 5)])
    # 1 → a (listed); 2 → b (a busy, b idle: no wait); 3 waits for the first to free (a at 31)
    assert rec["group"].tolist() == [0, 1, 0]
    np.testing.assert_allclose(rec["answer_time"], [1, 2, 31])


def test_chat_concurrency_cap_and_slowdown():
    scen = scenario(
        {"chat": {"concurrency": 2, "concurrency_slowdown": 0.5}}, {"digital": (("chat",), 1)}
    )
    rec, _ = play(scen, [(1, "chat", 40), (2, "chat", 40), (3, "chat", 40)])
    # two at once; the second started beside one other: 40 × (1 + 0.5 × 1) = 60
    np.testing.assert_allclose(rec["answer_time"], [1, 2, 41])
    np.testing.assert_allclose(rec["handle_time"], [40, 60, 60])


def test_agent_with_chats_takes_more_chats_but_never_voice():
    scen = scenario({"chat": {"concurrency": 3}, "voice": {}}, {"blend": (("voice", "chat"), 1)})
    rec, _ = play(scen, [(1, "chat", 50), (2, "voice", 10), (3, "chat", 50)])
    np.testing.assert_allclose(rec["answer_time"], [1, 53, 3])  # voice waits for an empty agent


def test_agents_leave_when_staffing_drops():
    scen = scenario({"voice": {}}, {"phones": (("voice",), [3, 1])}, n_intervals=2)
    rec, headcount = play(
        scen,
        [(1, "voice", 150), (2, "voice", 160), (150, "voice", 5), (170, "voice", 20)],
    )
    # at 100 the idle agent leaves at once; the two busy ones stay until they finish:
    # the first to finish (at 151) leaves, the other (162) stays
    assert (100.0, 0, 2) in headcount and (151.0, 0, 1) in headcount
    np.testing.assert_allclose(rec["answer_time"], [1, 2, 162, 170])


def test_staffing_rise_brings_idle_agents_who_take_waiting_contacts():
    scen = scenario({"voice": {}}, {"phones": (("voice",), [1, 2])}, n_intervals=2)
    rec, _ = play(scen, [(1, "voice", 300), (50, "voice", 10)])
    np.testing.assert_allclose(rec["answer_time"], [1, 100])


def test_end_of_horizon_unanswered_and_abandoned():
    scen = scenario({"voice": {}}, {"phones": (("voice",), 1)})
    rec, _ = play(
        scen, [(10, "voice", 200), (20, "voice", 5), (30, "voice", 5, 20), (90, "voice", 5, 30)]
    )
    # the agent finishes at 210, after the end (100): nobody is taken after the end
    assert rec["outcome"].tolist() == [ANSWERED, UNANSWERED, ABANDONED, UNANSWERED]
    np.testing.assert_allclose(rec["abandon_time"][2], 50)
    np.testing.assert_allclose(rec["wait"], [0, 80, 20, 10])


def test_email_backlog_is_carried_across_a_zero_staffed_interval():
    scen = scenario({"email": {}}, {"digital": (("email",), [1, 0, 1])}, n_intervals=3)
    rec, headcount = play(scen, [(10, "email", 120), (50, "email", 10), (150, "email", 10)])
    # the agent finishes at 130 and leaves (no staff at 100–200); the backlog waits for 200
    np.testing.assert_allclose(rec["answer_time"], [10, 200, 210])
    assert (130.0, 0, 0) in headcount


def test_auto_group_needs_agents_and_resolve_agents_gives_the_analytic_plan():
    scen = Scenario(
        name="auto",
        interval=LENGTH,
        starts=["0", "1"],
        channels={"voice": Channel("voice", volume=[10, 10], aht=30.0)},
        groups={"phones": Group("phones", ("voice",), None)},
    )
    planned = ccsim.plan_staffing(scen, keep_fixed=True).agents["phones"]
    with pytest.raises(ValueError, match="group 'phones' has agents = \"auto\""):
        ccsim.simulate(scen, 1)  # the simulator takes concrete staffing only
    resolved = ccsim.resolve_agents(scen)
    assert ccsim.simulate(scen, 1, agents=resolved).staffing.tolist() == [planned.tolist()]
    assert ccsim.resolve_agents(scen, {"phones": 5}) == {"phones": 5}
    with pytest.raises(ValueError, match="unknown group"):
        ccsim.simulate(scen, 1, agents={"phone": 3})
    for bad, message in [
        ("abc", "agents for group 'phones' must be a number or one per interval, got 'abc'"),
        ([1, 2, 3], "agents for group 'phones': expected 2 intervals, got 3"),
        (-1, "agents for group 'phones' must be finite and ≥ 0"),
        (1.5, "agents for group 'phones' must be whole numbers"),
    ]:
        with pytest.raises(ValueError) as info:
            ccsim.simulate(scen, 1, agents={"phones": bad})
        assert str(info.value) == message
    result = ccsim.simulate(scen, 2, agents={"phones": [3, 4]})
    assert result.staffing.tolist() == [[3, 4]]


def test_warmup_leaves_early_contacts_out_of_the_kpis():
    scen = scenario(
        {"voice": {"volume": np.full(4, 20.0), "target_time": 20.0, "sl_target": 0.8}},
        {"phones": (("voice",), 2)},
        n_intervals=4,
    )
    full = ccsim.simulate(scen, 3, seed=1, contacts=True)
    warm = ccsim.simulate(scen, 3, seed=1, warmup=2 * LENGTH, contacts=True)
    assert warm.contacts.n_rows == full.contacts.n_rows  # still simulated and recorded
    np.testing.assert_array_equal(warm.intervals["offered"][:2], 0)
    assert np.isnan(warm.intervals["service_level"][:2]).all()
    np.testing.assert_array_equal(warm.intervals["offered"][2:], full.intervals["offered"][2:])
    late = full.contacts["arrival"] >= 2 * LENGTH
    assert warm.channels["offered"][0] == late.sum() / 3
    with pytest.raises(ValueError, match="warmup"):
        ccsim.simulate(scen, 1, warmup=4 * LENGTH)


def test_one_replication_has_no_confidence_interval():
    scen = scenario(
        {"voice": {"volume": [50.0], "target_time": 20.0, "sl_target": 0.8}},
        {"phones": (("voice",), 5)},
    )
    result = ccsim.simulate(scen, 1, seed=2)
    assert np.isnan(result.intervals["service_level_lo"]).all()
    assert np.isfinite(result.intervals["service_level"]).all()


def test_channel_without_target_has_no_service_level():
    scen = scenario({"voice": {"volume": [50.0]}}, {"phones": (("voice",), 5)})
    result = ccsim.simulate(scen, 2, seed=2)
    assert np.isnan(result.intervals["service_level"]).all()
    assert np.isfinite(result.intervals["asa"]).all()


def test_volume_uncertainty_scales_each_replication():
    scen = scenario(
        {"voice": {"volume": np.full(4, 200.0)}}, {"phones": (("voice",), 30)}, n_intervals=4
    ).replace(volume_uncertainty=0.3)
    contacts = ccsim.simulate(scen, 30, seed=3, contacts=True).contacts
    per_day = np.bincount(contacts["replication"]) / 800
    assert 0.85 < per_day.mean() < 1.15
    assert 0.2 < per_day.std() < 0.4  # far above Poisson noise (≈ 0.035)


def test_volume_uncertainty_is_drawn_per_day():
    """A week: each day has its own busyness factor (real days beat or miss the forecast)."""
    from ccsim.sim.arrivals import busyness_factors, generate_arrivals

    week = ccsim.load_scenario("scenarios/forecast_week.toml").with_overrides(
        {"volume_uncertainty": 0.2}
    )
    factors = busyness_factors(week, 7, 0)
    assert factors.shape == (7,) and len(set(factors.tolist())) == 7
    arrivals = generate_arrivals(week, 7, 0)
    per_day = np.bincount(arrivals.interval // 96, minlength=7)
    forecast = np.array(
        [
            sum(c.volume[d * 96 : (d + 1) * 96].sum() for c in week.channels.values())
            for d in range(7)
        ]
    )
    ratio = per_day / forecast
    # Poisson noise on a day's ~5,000 contacts is ~1.5%: the ratios follow the factors
    np.testing.assert_allclose(ratio, factors, atol=4 * np.sqrt(1 / forecast.min()) * factors.max())
    one_day = week.with_overrides({"volume_uncertainty": 0})
    assert busyness_factors(one_day, 7, 0).tolist() == [1.0] * 7


def _busy_by_brute_force(start, end, weight, group, n_groups, n_intervals, length, low):
    out = np.zeros((n_groups, n_intervals))
    for s, e, w, g in zip(start, end, weight, group, strict=True):
        for i in range(n_intervals):
            lo, hi = max(s, low, i * length), min(e, (i + 1) * length)
            out[g, i] += w * max(0.0, hi - lo)
    return out


@pytest.mark.parametrize("length", [3.0, 60.0, 1800.0])
def test_busy_time_splits_work_across_intervals_exactly(length):
    """Short intervals make every contact span several (no contact inside one): still exact."""
    from ccsim.sim.metrics import busy_time

    rng = np.random.default_rng(5)
    n, n_intervals = 300, 20
    start = rng.uniform(0, n_intervals * length, n)
    end = start + rng.exponential(180.0, n)
    weight = rng.choice([1.0, 1 / 3], n)
    group = rng.integers(0, 2, n)
    low = 2.5 * length
    got = busy_time(start, end, weight, group, 2, n_intervals, length, low)
    want = _busy_by_brute_force(start, end, weight, group, 2, n_intervals, length, low)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)


def test_intervals_of_a_few_seconds_simulate():
    """Every 3-minute call spans many 3-second intervals; the KPIs still add up."""
    volume = [0.1] * 400  # 20 minutes, about 40 calls a replication
    d = {
        "interval": "3s",
        "channels": {
            "voice": {"volume": volume, "aht": "3min", "service_level": 0.8, "within": "20s"}
        },
        "groups": {"phones": {"skills": ["voice"], "agents": 3}},
    }
    result = ccsim.simulate(Scenario.from_dict(d), replications=3, seed=1)
    total = next(result.channels.rows())
    assert total["offered"] > 0
    assert total["offered"] == total["answered"] + total["abandoned"] + total["unanswered"]
    assert 0 < total["occupancy"] <= 1
