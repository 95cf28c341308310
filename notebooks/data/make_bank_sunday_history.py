"""Write bank_sunday_history.csv: 50 synthetic Sundays drawn from scenarios/bank_sunday.toml.

The history notebook 04_real_days.ipynb fits, plans and backtests on. It holds no real
data: it is drawn by :func:`ccsim.history.synthetic_history` from the derived figures
of ``bank_sunday.toml`` only — the mean Sunday's calls per 30-minute interval
(07:00–23:30) and the day-to-day CV of the Sunday totals (``volume_uncertainty``,
0.191). Each Sunday has a gamma busyness factor with that CV and Poisson counts; two
Sundays are closures (a tenth and a sixth of a normal day, like the bank's two holiday
Sundays in September 1999), so a fit has outliers to set aside. Columns ``date,
weekday, start, calls``, the layout of the bank's own file. Seeded: the file is the
same on every run::

    python notebooks/data/make_bank_sunday_history.py  # writes bank_sunday_history.csv beside it
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from ccsim.history import synthetic_history

SEED = 19990103
SUNDAYS = 50
FIRST_SUNDAY = "2026-01-04"
CLOSURES = {9: 0.10, 10: 0.17}  # day index → busyness factor (2026-03-08 and 2026-03-15)
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "bank_sunday.toml"


def history_text() -> str:
    """The CSV text: the scenario's mean profile and CV, drawn for ``SUNDAYS`` Sundays."""
    with open(SCENARIO, "rb") as handle:
        doc = tomllib.load(handle)
    profile = doc["channels"]["voice"]["volume"]
    hour, minute = map(int, doc["start"].split(":"))
    first = hour * 60 + minute
    starts = [
        f"{(first + 30 * i) // 60:02d}:{(first + 30 * i) % 60:02d}" for i in range(len(profile))
    ]
    return synthetic_history(
        profile,
        starts,
        days=SUNDAYS,
        cv=doc["volume_uncertainty"],
        seed=SEED,
        first_date=FIRST_SUNDAY,
        channel="calls",
        outliers=CLOSURES,
    )


def main(argv: list[str]) -> None:
    target = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("bank_sunday_history.csv")
    text = history_text()
    target.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10)) - 1} rows to {target}")


if __name__ == "__main__":
    main(sys.argv)
