"""Human units ⇄ numbers: durations ("20s", "2min", "4h", "1h30min") and shares ("80%").

Inside ccsim every time is in seconds and every share is a fraction in [0, 1].
People write "20s", "30min", "4h" or "1h30min", and "80%" or 0.8; this module
turns those into numbers and back, and checks counts (replications, seeds).
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = [
    "check_count",
    "parse_duration",
    "format_duration",
    "parse_share",
    "format_share",
    "unit_slip",
]

_UNIT_SECONDS = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
}
_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]+)\s*")


def parse_duration(value: str | float | int) -> float:
    """Return a duration in seconds.

    A number is taken as seconds. A string is one or more ``<number><unit>``
    parts (units: ms, s, min, h, d and their long forms), e.g. ``"20s"``,
    ``"2min"``, ``"4h"``, ``"1h30min"``; a bare numeric string is seconds.
    Raises ``ValueError`` with the offending text when it cannot be read or is
    negative.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '20s' or '30min', got {_shown(value)}")
    if isinstance(value, (int, float)):
        seconds = _float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            seconds = _parse_parts(text, value)
    else:
        raise ValueError(f"expected a duration such as '20s' or '30min', got {_shown(value)}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"expected a duration ≥ 0, got {_shown(value)}")
    return seconds


def _shown(value: object) -> str:
    """``repr(value)`` cut to 40 characters (an int of thousands of digits has no repr)."""
    if isinstance(value, int) and abs(value) >= 10**40:
        return "an integer of more than 40 digits"
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _float(value: int | float) -> float:
    """``float(value)``; an int beyond float range is infinite (refused by the callers)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _parse_parts(text: str, original: object) -> float:
    pos = 0
    total = 0.0
    if not text:
        raise ValueError(f"expected a duration such as '20s' or '30min', got {_shown(original)}")
    while pos < len(text):
        match = _PART.match(text, pos)
        if not match or match.group(2).lower() not in _UNIT_SECONDS:
            raise ValueError(
                "expected a duration such as '20s', '2min', '4h' or '1h30min', "
                f"got {_shown(original)}"
            )
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        pos = match.end()
    return total


def format_duration(seconds: float) -> str:
    """Return a short human form of a duration in seconds: ``"20s"``, ``"30min"``, ``"1h30min"``."""
    if not math.isfinite(seconds):
        return "inf"
    if seconds < 60 or seconds != int(seconds):
        return f"{seconds:g}s" if seconds < 60 else f"{seconds / 60:g}min"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}min" if minutes else "")
    return text + (f"{secs}s" if secs else "")


def parse_share(value: str | float | int) -> float:
    """Return a share as a fraction: ``"80%"`` → 0.8, ``0.8`` → 0.8.

    Raises ``ValueError`` when the value is not a number or a percentage. Range
    checks (e.g. strictly between 0 and 1) are the caller's, who knows the field.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a share such as 0.8 or '80%', got {_shown(value)}")
    if isinstance(value, (int, float)):
        share = _float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            share = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
        except ValueError:
            raise ValueError(
                f"expected a share such as 0.8 or '80%', got {_shown(value)}"
            ) from None
    else:
        raise ValueError(f"expected a share such as 0.8 or '80%', got {_shown(value)}")
    if not math.isfinite(share):
        raise ValueError(f"expected a finite share, got {_shown(value)}")
    return share


def format_share(share: float) -> str:
    """Return a share as a percentage string with one decimal: 0.796 → ``"79.6%"``."""
    return f"{100.0 * share:.1f}%"


def check_count(name: str, value: Any, minimum: int = 0, why: str = "") -> int:
    """``value`` as an int when it is a whole number ≥ ``minimum`` (not a bool); else a
    ValueError naming ``name``: ``replications must be a whole number ≥ 1, got 0``.

    ``why`` is added after the bound, e.g. ``" (its confidence intervals)"``.
    """
    try:
        whole = not isinstance(value, bool) and int(value) == value
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole or value < minimum:
        raise ValueError(f"{name} must be a whole number ≥ {minimum}{why}, got {_shown(value)}")
    return int(value)


# Durations below these, written as a bare number of seconds, are surely a forgotten unit:
# no contact center has a 4-second handle time or 20-second planning intervals.
_PLAUSIBLE_SECONDS = {"aht": 10.0, "patience": 5.0, "interval": 60.0}


def unit_slip(key: str, value: Any) -> str | None:
    """A warning when ``value`` of duration ``key`` (``aht``, ``patience``, ``interval``) is a
    bare number of seconds too small for any contact center — ``4 s — did you mean 4min?`` —
    else None (a value written with a unit, such as ``"4s"``, is taken as meant)."""
    if isinstance(value, bool) or key not in _PLAUSIBLE_SECONDS:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None  # written with a unit
    if not isinstance(value, (int, float)) or not 0 < value < _PLAUSIBLE_SECONDS[key]:
        return None
    return f"{value:g} s — did you mean {value:g}min? (a bare number is seconds)"
