"""Call histories: reading (one bad file per mistake), fitting against the generating model,
writing a scenario that loads, and the TOML writer's round trip."""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest
from scipy.stats import chi2

from ccsim import history
from ccsim.history import (
    dumps_toml,
    fit_history,
    fit_summary_text,
    read_history,
    select_days,
    synthetic_history,
    write_fitted_scenario,
)
from ccsim.scenario import ScenarioError, load_scenario

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.toml"))
STARTS = tuple(f"{m // 60:02d}:{m % 60:02d}" for m in range(0, 24 * 60, 30))
OPEN, CLOSE, LULL = STARTS.index("07:00"), STARTS.index("20:00"), STARTS.index("13:00")


def mean_day(peak: float = 80.0) -> list[float]:
    """A day open 07:00–20:00: 25% of the peak at both ends, the peak mid-day, a lull at 13:00
    (4% of the peak, inside the open hours); 06:30 and 20:30 at 2% of the peak; else 0."""
    profile = [0.0] * len(STARTS)
    for i in range(OPEN, CLOSE + 1):
        profile[i] = peak * (0.25 + 0.75 * math.sin(math.pi * (i - OPEN) / (CLOSE - OPEN)))
    profile[LULL] = 0.04 * peak
    profile[OPEN - 1] = profile[CLOSE + 1] = 0.02 * peak
    return profile


PROFILE = mean_day()


def write(tmp_path: Path, text: str, name: str = "history.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def synthetic(tmp_path: Path, profile=PROFILE, **kwargs) -> history.History:
    text = synthetic_history(profile, STARTS, **kwargs)
    return read_history(write(tmp_path, text), ["voice"])


def dates_of(indices, first="2026-01-04", step=7) -> set[str]:
    """The dates of synthetic_history's days with these indices."""
    start = dt.date.fromisoformat(first)
    return {(start + dt.timedelta(days=step * i)).isoformat() for i in indices}


# --- fitting against the model that made the history ----------------------------------------

Z_999 = NormalDist().inv_cdf(1 - 0.001 / 2)  # two-sided 99.9%: 3.29


def test_fit_recovers_the_profile_within_its_confidence_interval(tmp_path):
    days, cv = 300, 0.2
    hist = synthetic(tmp_path, days=days, cv=cv, seed=11)
    fit = fit_history(hist)
    assert fit.outliers == ()
    got = fit.channels["voice"].profile
    lam = np.array(PROFILE)
    # The count in interval i on day d is Poisson(λ_i B_d) with B_d ~ gamma (mean 1, CV c):
    # E = λ_i, Var = E[Var | B] + Var(E | B) = λ_i + c² λ_i². The profile is the mean of D
    # independent days, so its standard error is √((λ_i + c² λ_i²) / D); with D = 300 the mean
    # is close to normal (its skewness is below 0.05, the most at the smallest λ). Intervals
    # share B_d, so they are not independent; Bonferroni needs no independence: for a 99.9%
    # bound over the m = 29 intervals with λ > 0 together, each gets α = 0.001/m, two-sided:
    # z = Φ⁻¹(1 − 0.001/(2m)) ≈ 4.1. (At the peak, 80 ± 4.4: a profile 6% off would fail.
    # On 20,000 simulated histories the bound failed on 0.075% of them.)
    se = np.sqrt((lam + cv**2 * lam**2) / days)
    m = int(np.count_nonzero(lam))
    z = NormalDist().inv_cdf(1 - 0.001 / (2 * m))
    assert np.all(got[lam == 0] == 0)  # Poisson(0) is always 0
    worst = np.max(np.abs(got - lam)[lam > 0] / se[lam > 0])
    assert worst <= z, f"an interval's mean is {worst:.1f} standard errors off (bound {z:.2f})"


def cv_standard_error(mean_total: float, cv: float, days: int) -> float:
    """Standard error of ĉ = √((s² − m) / m²) from ``days`` daily totals, by the delta method.

    A day's total is Poisson(Λ B) with B ~ gamma (mean 1, CV c): negative binomial with mean
    Λ and a = c²Λ, whose cumulants are κ2 = Λ(1 + a), κ3 = Λ(1 + a)(1 + 2a),
    κ4 = Λ(1 + a)(1 + 6a + 6a²). Over D days: Var(m) = κ2/D, Cov(m, s²) = κ3/D,
    Var(s²) = μ4/D − κ2²(D − 3)/(D(D − 1)) with μ4 = κ4 + 3κ2². For g(m, v) = (v − m)/m²,
    ∂g/∂v = 1/Λ² and ∂g/∂m = −1/Λ² − 2c²/Λ at (Λ, κ2); Var(ĉ) = Var(ĉ²)/(4c²).
    (Checked against 20,000 simulated histories of 300 days: within 1% of their spread.)
    """
    lam, c2, d = mean_total, cv**2, days
    a = c2 * lam
    k2, k3, k4 = lam * (1 + a), lam * (1 + a) * (1 + 2 * a), lam * (1 + a) * (1 + 6 * a + 6 * a * a)
    var_s2 = (k4 + 3 * k2**2) / d - k2**2 * (d - 3) / (d * (d - 1))
    dv, dm = 1 / lam**2, -1 / lam**2 - 2 * c2 / lam
    var_c2 = dv**2 * var_s2 + dm**2 * k2 / d + 2 * dv * dm * k3 / d
    return math.sqrt(var_c2) / (2 * cv)


def test_fit_recovers_the_cv_within_its_confidence_interval(tmp_path):
    days, cv = 300, 0.2
    fit = fit_history(synthetic(tmp_path, days=days, cv=cv, seed=12))
    se = cv_standard_error(sum(PROFILE), cv, days)  # ≈ 0.0085
    # ĉ is close to normal at D = 300; its bias (≈ −SE²/(2c) − O(1/D), under 0.001 here) is
    # a few percent of the bound, so the bound is the two-sided 99.9% normal one.
    assert abs(fit.volume_uncertainty - cv) <= Z_999 * se
    assert fit.channels["voice"].volume_uncertainty == fit.volume_uncertainty  # one channel
    assert fit.busyness.mean() == pytest.approx(1.0)


def test_poisson_noise_alone_gives_a_cv_near_zero(tmp_path):
    days = 300
    low = [v * 100 / sum(PROFILE) for v in PROFILE]  # 100 contacts a day: Poisson CV 0.1
    fit = fit_history(synthetic(tmp_path, low, days=days, cv=0.0, seed=13))
    m = fit.channels["voice"].mean_total
    # With c = 0 the totals are Poisson, and the dispersion statistic (D − 1) s²/m is about
    # χ²(D − 1). One-sided 99.9%: s²/m − 1 ≤ χ²₀.₉₉₉(D − 1)/(D − 1) − 1, and ĉ² = (s²/m − 1)/m
    # gives the bound below (≈ 0.052). The CV of the raw totals, ≈ 1/√100, is twice that:
    # without the Poisson correction the test fails.
    bound = math.sqrt((chi2.ppf(0.999, days - 1) / (days - 1) - 1) / m)
    assert fit.volume_uncertainty <= bound
    assert fit.busyness.std(ddof=1) > bound


def test_outlier_days_are_set_aside_and_named(tmp_path):
    odd = {5: 0.1, 40: 0.15, 77: 3.0}  # two closures and a day three times as busy
    hist = synthetic(tmp_path, days=120, cv=0.15, seed=14, outliers=odd)
    fit = fit_history(hist)
    assert {o.date for o in fit.outliers} == dates_of(odd)
    totals = dict(zip(hist.dates, hist.counts["voice"].sum(axis=1), strict=True))
    for outlier in fit.outliers:
        assert outlier.total == totals[outlier.date]
        assert ("below" if outlier.total < np.median(list(totals.values())) else "above") in (
            outlier.reason
        )
    assert len(fit.days) == 117 and not set(fit.days) & dates_of(odd)
    text = fit_summary_text(fit)
    for outlier in fit.outliers:
        assert f"{outlier.date}: {outlier.total:.0f} contacts" in text
    assert "Days used: 117 days" in text


def test_a_tight_history_keeps_days_near_the_median(tmp_path):
    # CV 1% and ~20,000 contacts a day: the robust SD of log totals is ≈ 0.012, so without
    # the 0.05 floor a day at 0.85 (|log| = 0.16, 13 SDs) would be thrown out; with it,
    # only days beyond a factor e^(5 × 0.05) = 1.28 from the median can be.
    big = [v * 20_000 / sum(PROFILE) for v in PROFILE]
    fit = fit_history(
        synthetic(tmp_path, big, days=60, cv=0.01, seed=15, outliers={3: 0.85, 8: 1.2, 20: 0.1})
    )
    assert [o.date for o in fit.outliers] == sorted(dates_of([20]))


def merged_history(tmp_path: Path, days: int, voice_odd, chat_odd) -> Path:
    """Two channels on the same days: voice as PROFILE, chat a tenth of it."""
    voice = synthetic_history(PROFILE, STARTS, days=days, cv=0.1, seed=16, outliers=voice_odd)
    chat = synthetic_history(
        [v / 10 for v in PROFILE],
        STARTS,
        days=days,
        cv=0.1,
        seed=17,
        channel="chat",
        outliers=chat_odd,
    )
    lines = [
        f"{v},{c.rsplit(',', 1)[1]}"
        for v, c in zip(voice.splitlines(), chat.splitlines(), strict=True)
    ]
    return write(tmp_path, "\n".join(lines) + "\n")


def test_with_several_channels_a_day_is_an_outlier_by_its_total(tmp_path):
    # day 7: chat nearly closed (a tenth of the total missing: kept);
    # day 9: voice and chat both at a tenth (set aside)
    path = merged_history(tmp_path, 60, voice_odd={9: 0.1}, chat_odd={7: 0.05, 9: 0.1})
    both = fit_history(read_history(path, ["chat", "voice"]))
    assert [o.date for o in both.outliers] == sorted(dates_of([9]))
    assert set(both.channels) == {"voice", "chat"}
    chat_alone = fit_history(read_history(path, ["chat"]))
    assert dates_of([7]) <= {o.date for o in chat_alone.outliers}
    assert "All channels: CV" in fit_summary_text(both)


@pytest.mark.parametrize("scale", [0.1, 1.0, 10.0])
def test_the_open_window_runs_from_first_to_last_interval_above_a_tenth_of_the_peak(
    tmp_path, scale
):
    # Closest to the 10% threshold: 06:30 and 20:30 at 2% of the peak, 07:00 and 20:00 at 25%
    # (the lull at 4% is inside). At scale 0.1 (peak 8, threshold 0.8, D = 100, c = 0.2) the
    # standard error √((λ + c²λ²)/D) is 0.04 at λ = 0.16 (margin 0.64) and 0.15 at λ = 2
    # (margin 1.2), and that of the threshold 0.03: 8 standard errors or more. Margins grow
    # with the scale, standard errors at most as fast, so larger scales are safer still.
    fit = fit_history(synthetic(tmp_path, mean_day(80 * scale), days=100, cv=0.2, seed=19))
    voice = fit.channels["voice"]
    assert (fit.starts[voice.first_open], fit.starts[voice.last_open]) == ("07:00", "20:00")
    expected = np.zeros(len(STARTS), dtype=bool)
    expected[OPEN : CLOSE + 1] = True  # contiguous: the 13:00 lull stays open
    assert np.array_equal(voice.open_mask, expected)
    assert "open 07:00–20:00" in fit_summary_text(fit)


def test_fit_needs_two_days_and_some_contacts(tmp_path):
    hist = synthetic(tmp_path, days=1, cv=0.1, seed=20)
    with pytest.raises(ScenarioError, match="at least 2 are needed"):
        fit_history(hist)
    text = "date,start,voice\n2026-01-04,08:00,0\n2026-01-04,08:30,0\n2026-01-05,08:00,0\n"
    with pytest.raises(ScenarioError, match="column 'voice': no contacts"):
        fit_history(read_history(write(tmp_path, text), ["voice"]))


# --- reading --------------------------------------------------------------------------------


def test_read_semicolons_datetime_whitespace_case_and_missing_rows(tmp_path):
    text = (
        " DateTime ; Calls ;note\n"
        "2026-01-04 08:00;3;x\n"
        "\n"
        "2026-01-04 09:00;4;\n"
        "2026-01-05 08:30;2;\n"
    )
    hist = read_history(write(tmp_path, text), ["voice"], column_map={"voice": "calls"})
    assert hist.dates == ("2026-01-04", "2026-01-05")
    assert hist.weekdays == ("Sun", "Mon")
    assert hist.starts == ("08:00", "08:30", "09:00")
    assert hist.interval == 1800.0
    assert hist.counts["voice"].tolist() == [[3, 0, 4], [0, 2, 0]]  # no row: 0 contacts
    assert not hist.counts["voice"].flags.writeable


def test_read_fills_the_grid_between_starts(tmp_path):
    text = "date,start,voice\n2026-01-04,08:00,1\n2026-01-04,09:00,2\n2026-01-04,10:30,3\n"
    hist = read_history(write(tmp_path, text), ["voice"], interval=1800)
    assert hist.starts == ("08:00", "08:30", "09:00", "09:30", "10:00", "10:30")
    assert hist.counts["voice"].tolist() == [[1, 0, 2, 0, 0, 3]]
    # inferred from the smallest gap (60 minutes), 10:30 is off the grid
    with pytest.raises(ScenarioError, match="line 4: column 'start': 10:30 is not on the 1h grid"):
        read_history(write(tmp_path, text), ["voice"])


def test_select_days_by_weekday_and_date(tmp_path):
    text = synthetic_history(PROFILE, STARTS, days=21, cv=0.1, seed=21, weekday_step=1)
    hist = read_history(write(tmp_path, text), ["voice"])
    sundays = select_days(hist, weekdays=["sun"])
    assert sundays.weekdays == ("Sun",) * 3
    assert sundays.dates == ("2026-01-04", "2026-01-11", "2026-01-18")
    i = hist.dates.index("2026-01-11")
    assert np.array_equal(sundays.counts["voice"][1], hist.counts["voice"][i])
    window = select_days(
        hist, weekdays=["Monday", "TUE"], date_from="2026-01-06", date_to="2026-01-12"
    )
    assert window.dates == ("2026-01-06", "2026-01-12")
    with pytest.raises(ValueError, match="history.csv: no day is Sat and from 2026-02-01"):
        select_days(hist, weekdays=["Sat"], date_from="2026-02-01")
    with pytest.raises(ValueError, match="unknown weekday 'Sonday'"):
        select_days(hist, weekdays=["Sonday"])
    with pytest.raises(ValueError, match="date_to must be a date"):
        select_days(hist, date_to="12/01/2026")


HEADER = "date,weekday,start,calls\n"
GOOD = HEADER + "2026-01-04,Sun,08:00,3\n2026-01-04,Sun,08:30,5\n"


def good_then(row: str) -> str:
    """GOOD with ``row`` as line 4."""
    return GOOD + row + "\n"


# name: (file text, read_history keywords, what the one message must contain)
BAD_FILES = {
    "empty file": ("", {}, ["line 1: empty file", "date, start (or one datetime column), calls"]),
    "header only": (HEADER, {}, ["line 1: no data rows"]),
    "missing count column": (
        "date,weekday,start,private_notes\n2026-01-04,Sun,08:00,3\n",
        {},
        ["line 1: missing column(s) 'calls'", "needs the columns date, start"],
    ),
    "missing date": (
        "day,start,calls\n2026-01-04,08:00,3\n",
        {},
        ["line 1: missing column(s) 'date'", "or one 'datetime' column"],
    ),
    "column twice": (
        "date,start,calls,Calls\n2026-01-04,08:00,3,3\n",
        {},
        ["line 1: column 'calls': appears 2 times", "columns 3, 4"],
    ),
    "duplicate interval": (
        good_then("2026-01-04,Sun,08:00,4"),
        {},
        [
            "line 4: columns 'date', 'start': 2026-01-04 08:00 is given more than once",
            "first on line 2, again on line 4",
        ],
    ),
    "bad date": (
        good_then("2026-02-30,Mon,08:00,1"),
        {},
        ["line 4: column 'date'", "'2026-02-30'"],
    ),
    "bad time": (good_then("2026-01-05,Mon,25:00,1"), {}, ["line 4: column 'start'", "'25:00'"]),
    "negative count": (
        good_then("2026-01-05,Mon,08:00,-3"),
        {},
        ["line 4: column 'calls': must be a whole number ≥ 0, got '-3'"],
    ),
    "text count": (
        good_then("2026-01-05,Mon,08:00,many"),
        {},
        ["line 4: column 'calls'", "'many'"],
    ),
    "fractional count": (good_then("2026-01-05,Mon,08:00,2.5"), {}, ["column 'calls'", "'2.5'"]),
    "empty count": (good_then("2026-01-05,Mon,08:00,"), {}, ["line 4: column 'calls'", "empty"]),
    "short row": (good_then("2026-01-05,Mon,08:00"), {}, ["line 4: column 'calls': missing"]),
    "decimal comma": (good_then("2026-01-05,Mon,08:00,1,5"), {}, ["line 4: 5 cells", "4 columns"]),
    "off the grid": (
        good_then("2026-01-05,Mon,08:15,1"),
        {"interval": 1800},
        ["line 4: column 'start': 08:15 is not on the 30min grid of starts from 08:00"],
    ),
    "gap not dividing a day": (
        good_then("2026-01-05,Mon,08:07,1"),
        {},
        ["line 4: column 'start': the smallest gap between starts, 7 minutes"],
    ),
    "one start only": (
        HEADER + "2026-01-04,Sun,08:00,3\n2026-01-05,Mon,08:00,3\n",
        {},
        ["line 2: column 'start': every row starts at 08:00", "interval=1800"],
    ),
    "bad datetime": (
        "datetime,calls\n2026-01-04 08:00,1\n2026-01-04 8h30,2\n",
        {},
        ["line 3: column 'datetime'", "'2026-01-04 8h30'"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_history_file_names_file_line_and_column(tmp_path, case):
    text, kwargs, expected = BAD_FILES[case]
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        read_history(path, ["voice"], column_map={"voice": "calls"}, **kwargs)
    problems = [str(p) for p in info.value.problems]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: line "), problems[0]
    for fragment in expected:
        assert fragment in problems[0], problems[0]


def test_a_missing_file_is_named(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(ScenarioError, match="nowhere.csv: no such file"):
        read_history(path, ["voice"])


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"date,start,voice\n2026-01-04,08:00,1\n\xe9t\xe9,08:30,1\n")
    with pytest.raises(ScenarioError, match="latin.csv: line 3: not UTF-8 text .at byte 1 of"):
        read_history(path, ["voice"])


def test_messages_do_not_echo_the_file_beyond_the_offending_cell(tmp_path):
    header = "date,weekday,start,customer_names_here\n"
    with pytest.raises(ScenarioError) as info:
        read_history(write(tmp_path, header + "2026-01-04,Sun,08:00,3\n"), ["calls"])
    assert "customer_names_here" not in str(info.value)
    assert "weekday" not in str(info.value)
    long_cell = "x" * 100
    with pytest.raises(ScenarioError) as info:
        read_history(write(tmp_path, good_then(f"2026-01-05,Mon,08:00,{long_cell}")), ["calls"])
    message = str(info.value)
    assert "'" + "x" * 39 + "…'" in message and "x" * 40 not in message


def test_every_problem_is_listed_at_once_up_to_a_cap(tmp_path):
    rows = "".join(f"2026-01-{d:02d},x,08:00,-{d}\n" for d in range(1, 31))
    with pytest.raises(ScenarioError) as info:
        read_history(write(tmp_path, HEADER + rows), ["calls"])
    problems = [str(p) for p in info.value.problems]
    assert len(problems) == history.MAX_PROBLEMS + 1
    assert "line 2: column 'calls'" in problems[0] and "line 21: column 'calls'" in problems[19]
    assert problems[-1].endswith("history.csv: … and 10 more")


def test_too_large_files_are_refused(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD + "2026-01-05,Mon,08:00,1\n")
    monkeypatch.setattr(history, "MAX_ROWS", 2)
    with pytest.raises(ScenarioError, match=r"history.csv: line 4: more than 2 data rows"):
        read_history(path, ["calls"])
    monkeypatch.setattr(history, "MAX_BYTES", 50)
    with pytest.raises(ScenarioError, match=r"history.csv: 0 MB, more than the 0 MB"):
        read_history(path, ["calls"])


def test_bad_arguments_are_value_errors(tmp_path):
    path = write(tmp_path, GOOD)
    with pytest.raises(ValueError, match="divide a day"):
        read_history(path, ["calls"], interval=7 * 60)
    with pytest.raises(ValueError, match="column_map names 'chat'"):
        read_history(path, ["voice"], column_map={"chat": "calls"})
    with pytest.raises(ValueError, match="non-empty"):
        read_history(path, [])


# --- the synthetic history ------------------------------------------------------------------


def test_synthetic_history_is_seeded_and_leaves_the_global_rng_alone():
    np.random.seed(0)
    one = synthetic_history(PROFILE, STARTS, days=3, cv=0.2, seed=5)
    after = np.random.random()
    np.random.seed(0)
    assert np.random.random() == after
    assert synthetic_history(PROFILE, STARTS, days=3, cv=0.2, seed=5) == one
    assert synthetic_history(PROFILE, STARTS, days=3, cv=0.2, seed=6) != one
    lines = one.splitlines()
    assert lines[0] == "date,weekday,start,voice"
    assert lines[1] == "2026-01-04,Sun,00:00,0"
    assert len(lines) == 1 + 3 * len(STARTS)


# --- the TOML writer and the fitted scenario ------------------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_dumps_toml_round_trips_every_bundled_scenario(path):
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    text = dumps_toml(doc)
    assert tomllib.loads(text) == doc
    assert max(len(line) for line in text.splitlines()) <= 100


def test_dumps_toml_round_trips_awkward_values():
    doc = {
        "name": 'a "quoted" \\ name\twith\nnewlines and — unicode \x01',
        "odd key": 1.5e-7,
        "flags": [True, False],
        "when": dt.datetime(2026, 11, 23, 8, 0),
        "day": dt.date(2026, 11, 23),
        "empty": {},
        "channels": {
            "voice": {
                "volume": [float(v) for v in range(60)],
                "handle_time": {"dist": "lognormal", "cv": 1.2},
                "patience": {"dist": "gamma", "mean": [f"{s}s" for s in range(100, 140)]},
            }
        },
    }
    assert tomllib.loads(dumps_toml(doc)) == doc
    with pytest.raises(TypeError, match="TOML has no null: channels.voice.aht"):
        dumps_toml({"channels": {"voice": {"aht": None}}})


def bank_doc() -> dict:
    return tomllib.loads((Path(__file__).parent.parent / "scenarios/bank_sunday.toml").read_text())


def test_a_fitted_scenario_is_written_and_loads(tmp_path):
    hist = synthetic(tmp_path, days=60, cv=0.15, seed=22, outliers={4: 0.1})
    fit = fit_history(hist)
    out = write_fitted_scenario(
        bank_doc(), fit, hist, tmp_path / "fitted.toml", notes=["Source: made up."]
    )
    scenario = load_scenario(out)
    voice = fit.channels["voice"]
    expected = [round(float(v), 1) for v in voice.profile[OPEN : CLOSE + 1]]
    assert scenario.starts[0] == "07:00" and scenario.n_intervals == CLOSE - OPEN + 1
    assert scenario.channels["voice"].volume.tolist() == expected
    assert scenario.volume_uncertainty == round(fit.volume_uncertainty, 3)
    assert scenario.groups["agents"].auto  # the base's 34 agents no longer fit
    assert scenario.channels["voice"].aht[0] == 180.0  # the rest is the base's
    text = out.read_text(encoding="utf-8")
    assert "# Fitted by ccsim.history from history.csv" in text
    assert f"# Set aside as outliers: {fit.outliers[0].date}" in text
    assert "# Source: made up." in text
    assert 'groups.agents.agents = "auto"' in text


def test_a_fitted_scenario_replaces_csv_volumes_and_keeps_the_date(tmp_path):
    hist = synthetic(tmp_path, days=30, cv=0.1, seed=23)
    base = {
        "name": "from a forecast",
        "interval": "15min",
        "start": "2026-11-23 08:00",
        "channels": {"voice": {"volume": {"csv": "f.csv", "column": "voice"}, "aht": "5min"}},
        "groups": {"phones": {"skills": ["voice"], "agents": {"csv": "f.csv", "column": "a"}}},
    }
    out = write_fitted_scenario(base, fit_history(hist), hist, tmp_path / "out" / "x.toml")
    scenario = load_scenario(out)
    assert scenario.interval == 1800.0
    assert scenario.starts[0] == "2026-11-23 07:00"
    assert scenario.groups["phones"].auto


def test_a_fitted_scenario_refuses_lists_it_cannot_carry_over(tmp_path):
    hist = synthetic(tmp_path, days=30, cv=0.1, seed=24)
    fit = fit_history(hist)
    base = bank_doc()
    base["channels"]["voice"]["aht"] = [180] * 34
    base["channels"]["voice"]["patience"] = {"dist": "lognormal", "mean": [180] * 34, "cv": 1.0}
    with pytest.raises(ScenarioError) as info:
        write_fitted_scenario(base, fit, hist, tmp_path / "x.toml")
    assert [p.key for p in info.value.problems] == [
        "channels.voice.aht",
        "channels.voice.patience.mean",
    ]
    message = str(info.value.problems[0])
    assert message.startswith("<base scenario>: channels.voice.aht: one value per interval")
    assert "34 values" in message and "list of 27" in message
    del base["channels"]["voice"]
    base["channels"]["chat"] = {"volume": 1, "aht": 60}
    base["groups"]["agents"]["skills"] = ["chat"]
    with pytest.raises(ScenarioError, match=r"channels.voice: the history has channel 'voice'"):
        write_fitted_scenario(base, fit, hist, tmp_path / "x.toml")
    assert not (tmp_path / "x.toml").exists()
