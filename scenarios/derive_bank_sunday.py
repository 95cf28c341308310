"""Derive bank_sunday.toml from the Anonymous Bank 1999 arrivals (30-minute counts).

Usage::

    python scenarios/derive_bank_sunday.py PATH/anonymous_bank_1999_arrivals_30min.csv \
        > scenarios/bank_sunday.toml

Reads the CSV (columns date, weekday, start, calls), keeps the Sundays, leaves
out holiday closures (a Sunday whose total is below half the median Sunday
total), and writes a scenario with only derived figures: the mean calls per
30-minute interval over the opening hours (intervals whose mean is at least
``MIN_MEAN`` calls) and the coefficient of variation of the daily totals as
``volume_uncertainty``. Agents per interval are sized with Erlang C (AHT 180 s,
80% in 20 s). The data file itself is not part of the project.
"""

from __future__ import annotations

import csv
import statistics
import sys
from collections import defaultdict

from ccsim.erlang import required_agents

AHT = 180.0  # seconds
WITHIN = 20.0  # seconds
TARGET = 0.80
INTERVAL = 1800.0  # seconds
MIN_MEAN = 10.0  # calls per 30 min: below this the center is treated as closed
CLOSURE_SHARE = 0.5  # a Sunday below this share of the median total is a holiday closure

CITATION = """\
# Source: calls arriving at the telephone call center of an Israeli bank
# ("Anonymous Bank"), every day of 1999 — the Anonymous Bank call-center data of
# the Technion Service Enterprise Engineering (SEE) lab (I. Guedj and
# A. Mandelbaum), as aggregated to 6-minute counts in the R package Rfssa
# (Haghbin et al.), summed to 30 minutes. Only derived figures appear here."""


def agents_for(traffic: float) -> int:
    """Fewest agents answering ``TARGET`` of calls within ``WITHIN`` seconds (Erlang C)."""
    return max(1, required_agents(traffic, AHT, target_time=WITHIN, sl_target=TARGET))


def derive(path: str) -> dict[str, object]:
    """The figures for the scenario: labels, mean profile, CV, the days used and left out."""
    calls: dict[str, dict[str, int]] = defaultdict(dict)
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["weekday"] == "Sun":
                calls[row["date"]][row["start"]] = int(row["calls"])
    totals = {date: sum(day.values()) for date, day in calls.items()}
    median = statistics.median(totals.values())
    closed = sorted(d for d, total in totals.items() if total < CLOSURE_SHARE * median)
    days = sorted(d for d in totals if d not in closed)
    starts = sorted(calls[days[0]])
    mean = {s: statistics.fmean(calls[d].get(s, 0) for d in days) for s in starts}
    open_starts = [s for s in starts if mean[s] >= MIN_MEAN]
    first, last = starts.index(open_starts[0]), starts.index(open_starts[-1])
    labels = starts[first : last + 1]
    day_totals = [totals[d] for d in days]
    return {
        "labels": labels,
        "volume": [round(mean[s], 1) for s in labels],
        "cv": statistics.stdev(day_totals) / statistics.fmean(day_totals),
        "mean_total": statistics.fmean(day_totals),
        "days": days,
        "closed": [(d, totals[d]) for d in closed],
    }


def _wrap(values: list, per_line: int = 12) -> str:
    lines = [
        ", ".join(str(v) for v in values[i : i + per_line]) for i in range(0, len(values), per_line)
    ]
    return "[" + ",\n          ".join(lines) + "]"


def render(fig: dict) -> str:
    labels, volume = fig["labels"], fig["volume"]
    agents = [agents_for(v * AHT / INTERVAL) for v in volume]
    peak = max(range(len(volume)), key=volume.__getitem__)
    closed = ", ".join(f"{d} ({total} calls)" for d, total in fig["closed"]) or "none"
    return f"""\
# A real bank's Sunday: the mean Sunday of 1999 in 30-minute intervals over the
# opening hours, with its measured day-to-day variation.
#
{CITATION}
#
# Derived by derive_bank_sunday.py from {len(fig["days"])} Sundays of 1999
# (left out as holiday closures: {closed}):
# - volume: the mean calls per 30-minute interval, {labels[0]}–{labels[-1]} (intervals whose
#   mean is at least {MIN_MEAN:g} calls); a mean Sunday has {fig["mean_total"]:.0f} calls;
#   the peak is {volume[peak]:g} calls at {labels[peak]};
# - volume_uncertainty: the coefficient of variation of the Sunday daily totals,
#   {fig["cv"]:.3f} — far above what Poisson arrivals at a known rate would give.
# Assumed, not derived: AHT 180 s, exponential patience of 3 min, target 80% in 20 s.
# Agents: Erlang C per interval for the *mean* Sunday (80% in 20 s): simulate with
# volume_uncertainty to see how often a real Sunday misses the target with them.

name = "Anonymous Bank — the mean Sunday of 1999"
interval = "30min"
start = "{labels[0]}"
seed = 1999
volume_uncertainty = {fig["cv"]:.3f}

[channels.voice]
volume = {_wrap(volume)}
aht = "180s"
patience = "3min"
service_level = "80%"
within = "20s"

[groups.agents]
skills = ["voice"]
agents = {_wrap(agents, 17)}
"""


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        sys.exit("usage: derive_bank_sunday.py anonymous_bank_1999_arrivals_30min.csv")
    sys.stdout.write(render(derive(argv[1])))


if __name__ == "__main__":
    main(sys.argv)
