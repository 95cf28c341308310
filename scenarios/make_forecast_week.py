"""Write forecast_week.csv: a week of 15-minute forecasts and staffing for forecast_week.toml.

7 days × 96 intervals = 672 rows from Monday 2026-11-23 00:00. Columns:
``start`` (interval label), ``voice``, ``chat``, ``email``, ``social``
(contacts offered) and ``agents_phones``, ``agents_digital`` (agents on the
phones / on digital channels, sized once with Erlang C). The center opens
08:00–20:00 Monday to Saturday and 10:00–16:00 on Sunday; outside those hours
volume and agents are 0. Seeded, so the file is the same on every run::

    python scenarios/make_forecast_week.py            # writes scenarios/forecast_week.csv
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import sys
from pathlib import Path

import numpy as np

from ccsim.erlang import required_agents

SEED = 20261123
FIRST_DAY = dt.date(2026, 11, 23)  # a Monday
STEP = 15  # minutes
INTERVAL = STEP * 60.0  # seconds

# day of week → (opening hour, closing hour, busyness factor)
OPENING = {
    0: (8, 20, 1.15),
    1: (8, 20, 1.00),
    2: (8, 20, 0.95),
    3: (8, 20, 0.95),
    4: (8, 20, 0.90),
    5: (8, 20, 0.60),
    6: (10, 16, 0.35),
}
# peak contacts per 15 minutes on a busyness-1 day
PEAK = {"voice": 110.0, "chat": 45.0, "email": 30.0, "social": 10.0}
AHT = {"voice": 300.0, "chat": 480.0, "email": 420.0, "social": 300.0}  # seconds
CHAT_CONCURRENCY = 2


def profile(hour: float, channel: str) -> float:
    """Relative intraday volume (0–1) at ``hour`` (decimal hours) for an open center."""
    morning = math.exp(-(((hour - 10.5) / 1.6) ** 2))
    afternoon = 0.85 * math.exp(-(((hour - 14.5) / 1.8) ** 2))
    evening = 0.5 * math.exp(-(((hour - 18.5) / 1.5) ** 2))
    if channel == "voice":
        shape = morning + afternoon + 0.6 * evening
    elif channel == "chat":
        shape = 0.6 * morning + afternoon + evening
    elif channel == "email":
        shape = 0.9 * math.exp(-(((hour - 8.5) / 2.5) ** 2)) + 0.4
    else:  # social
        shape = 0.4 + 0.6 * (hour - 8) / 12
    return max(0.15, min(1.0, shape))


def agents_for(traffic: float, aht: float, within: float, target: float) -> int:
    """Fewest agents reaching ``target`` answered within ``within`` seconds (Erlang C)."""
    if traffic <= 0:
        return 0
    return required_agents(traffic, aht, target_time=within, sl_target=target)


def rows(rng: np.random.Generator) -> list[dict[str, object]]:
    out = []
    for day in range(7):
        date = FIRST_DAY + dt.timedelta(days=day)
        open_h, close_h, busy = OPENING[date.weekday()]
        for slot in range(24 * 60 // STEP):
            minutes = slot * STEP
            hour = minutes / 60 + STEP / 120  # middle of the interval
            row: dict[str, object] = {
                "start": f"{date.isoformat()} {minutes // 60:02d}:{minutes % 60:02d}"
            }
            is_open = open_h <= minutes / 60 < close_h
            for channel, peak in PEAK.items():
                mean = peak * busy * profile(hour, channel) if is_open else 0.0
                noise = rng.normal(1.0, 0.04)  # a forecast is smooth but not perfectly so
                row[channel] = max(0, round(mean * noise))
            phones = agents_for(row["voice"] * AHT["voice"] / INTERVAL, AHT["voice"], 20, 0.8)
            chat_slots = agents_for(row["chat"] * AHT["chat"] / INTERVAL, AHT["chat"], 60, 0.8)
            deferred = (row["email"] * AHT["email"] + row["social"] * AHT["social"]) / INTERVAL
            digital = math.ceil(chat_slots / CHAT_CONCURRENCY) + math.ceil(deferred)
            row["agents_phones"] = phones
            row["agents_digital"] = digital + 1 if is_open else 0
            out.append(row)
    return out


def main(argv: list[str]) -> None:
    target = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("forecast_week.csv")
    data = rows(np.random.default_rng(SEED))
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(data[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(data)
    print(f"wrote {len(data)} rows to {target}")


if __name__ == "__main__":
    main(sys.argv)
