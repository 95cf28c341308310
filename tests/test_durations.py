"""Human units: durations and shares."""

from __future__ import annotations

import math

import pytest

from ccsim.durations import format_duration, format_share, parse_duration, parse_share


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("20s", 20),
        ("2min", 120),
        ("4h", 14400),
        ("1h30min", 5400),
        ("1h 30min", 5400),
        ("90", 90),
        (" 45 s ", 45),
        ("1.5min", 90),
        ("500ms", 0.5),
        ("1d", 86400),
        ("5min30s", 330),
        (180, 180),
        (2.5, 2.5),
        (0, 0),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "abc", "3mn", "20 parsecs", "-5s", -1, True, None, [1], "1h-"])
def test_parse_duration_rejects(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_parse_duration_rejects_infinity():
    with pytest.raises(ValueError):
        parse_duration(math.inf)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(20, "20s"), (120, "2min"), (5400, "1h30min"), (14400, "4h"), (0.5, "0.5s"), (330, "5min30s")],
)
def test_format_duration_round_trips(seconds, text):
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("value", "share"), [("80%", 0.8), (0.8, 0.8), ("0.8", 0.8), (" 5 %", 0.05), (1, 1.0)]
)
def test_parse_share(value, share):
    assert parse_share(value) == pytest.approx(share)


@pytest.mark.parametrize("bad", ["eighty", "%", True, None, "nan", [0.8]])
def test_parse_share_rejects(bad):
    with pytest.raises(ValueError):
        parse_share(bad)


def test_format_share():
    assert format_share(0.796) == "79.6%"
