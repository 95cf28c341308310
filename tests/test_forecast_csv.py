"""Issue 14: forecasts as planning tools export them, and settings that changed the answer.

One reader (:mod:`ccsim.forecast_csv`) for a scenario's CSV columns and ``ccsim erlang
--forecast``: delimiter detected, headers in any case, decimal commas when said, mm:ss
and h:mm:ss durations, date and time combined, columns mapped, patience honoured,
conflicting options and header-only files refused. An interval change on per-interval
data, a CSV stepping by another length and a CSV start that disagrees are refused by key.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ccsim import erlang, forecast_csv, load_scenario
from ccsim.cli import cli
from ccsim.scenario import ScenarioError

TARGET = ["--service-level", "80%", "--within", "20s"]
WFM = "Date;Time;Offered;AHT (mm:ss)\n23.11.2026;08:00;120;4:35\n23.11.2026;08:30;130,5;4:40\n"


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def smallbank(tmp_path: Path, csv_text: str | None = None, head: str = "") -> Path:
    """A small bank: 20 half-hour volumes (the issue's smallbank.toml), or a CSV column."""
    volume = "[" + ", ".join(str(v) for v in [40, 60, 80, 100, 120] * 4) + "]"
    if csv_text is not None:
        (tmp_path / "f.csv").write_text(csv_text, encoding="utf-8")
        volume = '{ csv = "f.csv", column = "voice" }'
    path = tmp_path / "smallbank.toml"
    path.write_text(
        f'name = "smallbank"\ninterval = "30min"\n{head}\n[channels.voice]\nvolume = {volume}\n'
        'aht = "4min"\nservice_level = 0.8\nwithin = "20s"\n'
        '[groups.phones]\nskills = ["voice"]\nagents = "auto"\n',
        encoding="utf-8",
    )
    return path


# --- settings that silently changed the answer -----------------------------------------------


def test_set_interval_on_per_interval_data_is_refused_naming_the_key(tmp_path):
    path = smallbank(tmp_path)
    result = run("staff", path, "--set", "interval=15min")
    assert result.exit_code == 2
    assert result.output.startswith(
        "Error: smallbank.toml: interval: 15min would read channels.voice.volume — given per "
        "30min interval — as values per 15min interval"
    )
    for command in (["simulate", path, "--replications", "2"], ["sweep", path, "--out", tmp_path]):
        refused = run(*command, "--set", "interval=15min")
        assert refused.exit_code == 2 and "interval: 15min would read" in refused.output


def test_an_interval_change_with_its_values_given_anew_is_taken(tmp_path):
    path = smallbank(tmp_path)
    same = run("staff", path, "--set", "interval=1800", "--json")
    assert same.exit_code == 0, same.output  # 1800 s is the interval it has
    anew = "[" + ", ".join(["50"] * 40) + "]"
    result = run("staff", path, "--set", "interval=15min", "--set", f"channels.voice.volume={anew}")
    assert result.exit_code == 0, result.output


def test_a_csv_stepping_by_another_length_than_interval_is_refused(tmp_path):
    rows = "".join(f"08:{m:02d},{10 + m}\n" for m in (0, 15, 30, 45))
    path = smallbank(tmp_path, "start,voice\n" + rows)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == (
        "smallbank.toml: channels.voice.volume.csv: f.csv line 3: '08:15' comes 15min after "
        "'08:00' but the interval is 30min; the rows must be consecutive intervals (write the "
        "interval the file has, or re-bucket it)"
    )
    fixed = path.read_text(encoding="utf-8").replace('"30min"', '"15min"')
    path.write_text(fixed, encoding="utf-8")
    assert load_scenario(path).starts == ("08:00", "08:15", "08:30", "08:45")


def test_a_csv_start_that_disagrees_with_the_scenarios_is_refused(tmp_path):
    rows = "start,voice\n09:00,10\n09:30,20\n"
    with pytest.raises(ScenarioError) as info:
        load_scenario(smallbank(tmp_path, rows, head='start = "08:00"'))
    assert str(info.value).startswith("smallbank.toml: start: '08:00', but the CSV file's labels")
    agreeing = load_scenario(smallbank(tmp_path, rows, head='start = "09:00"'))
    assert agreeing.starts == ("09:00", "09:30")


# --- real exports, read without editing -------------------------------------------------------


def test_a_wfm_export_with_semicolons_and_decimal_commas_staffs_every_row(tmp_path):
    wfm = tmp_path / "export.csv"
    wfm.write_text(WFM, encoding="utf-8")
    result = run("erlang", "--forecast", wfm, "--decimal", ",", "--column", "volume=Offered",
                 *TARGET, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [d["start"] for d in data] == ["2026-11-23 08:00", "2026-11-23 08:30"]
    expected = erlang.required_agents(
        erlang.traffic(np.array([120.0, 130.5]), np.array([275.0, 280.0]), 1800),
        np.array([275.0, 280.0]),
        target_time=20,
        sl_target=0.8,
    )
    assert [d["agents"] for d in data] == list(expected)
    table = run("erlang", "--forecast", wfm, "--decimal", ",", "--column", "volume=Offered",
                *TARGET)  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(table.output)))
    assert list(rows[0])[:4] == ["Date", "Time", "Offered", "AHT (mm:ss)"]  # echoed as written
    assert rows[1]["Offered"] == "130,5"


def test_the_same_export_feeds_a_scenario(tmp_path):
    (tmp_path / "export.csv").write_text(WFM, encoding="utf-8")
    path = tmp_path / "wfm.toml"
    path.write_text(
        'interval = "30min"\ndecimal = ","\n[channels.voice]\n'
        'volume = { csv = "export.csv", column = "offered" }\n'
        'aht = { csv = "export.csv", column = "AHT" }\nservice_level = 0.8\nwithin = "20s"\n'
        '[groups.phones]\nskills = ["voice"]\nagents = "auto"\n',
        encoding="utf-8",
    )
    scenario = load_scenario(path)
    assert scenario.starts == ("2026-11-23 08:00", "2026-11-23 08:30")
    assert scenario.channels["voice"].volume.tolist() == [120.0, 130.5]
    assert scenario.channels["voice"].aht.tolist() == [275.0, 280.0]
    without = path.read_text(encoding="utf-8").replace('decimal = ","\n', "")
    path.write_text(without, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"line 3: .*got \'130,5\' \(a decimal comma\? say "):
        load_scenario(path)


def test_semicolons_and_header_case_are_found(tmp_path):
    src = tmp_path / "f.csv"
    src.write_text("Start;Volume;AHT\n08:00;100;180\n08:30;200;3min\n", encoding="utf-8")
    result = run("erlang", "--forecast", src, *TARGET, "--json")
    assert result.exit_code == 0, result.output  # was: missing column 'volume'
    assert [d["agents"] for d in json.loads(result.output)] == [14, 24]


def test_durations_as_clock_times(tmp_path):
    src = tmp_path / "f.csv"
    src.write_text("volume,aht\n100,3:00\n100,0:03:00\n100,180\n100,3min\n", encoding="utf-8")
    result = run("erlang", "--forecast", src, *TARGET, "--json")
    assert result.exit_code == 0, result.output
    assert {d["agents"] for d in json.loads(result.output)} == {14}
    assert forecast_csv.parse_duration_cell("1:02:05") == 3725.0
    assert forecast_csv.parse_duration_cell("4:35,5", ",") == 275.5
    for bad in ("4:75", "1:60:00", "soon"):
        with pytest.raises(ValueError, match="expected"):
            forecast_csv.parse_duration_cell(bad)


def test_a_patience_column_is_honoured_by_erlang_a(tmp_path):
    src = tmp_path / "f.csv"
    src.write_text("volume,aht,patience\n100,180,60\n100,180,10min\n", encoding="utf-8")
    result = run("erlang", "--forecast", src, *TARGET, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for row, patience in zip(data, (60.0, 600.0), strict=True):
        reference = erlang.erlang_a(100 / 1800, 180, patience, row["agents"], 20)
        assert row["p_abandon"] == pytest.approx(reference.p_abandon, rel=1e-12)
    assert data[0]["p_abandon"] > data[1]["p_abandon"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--volume", "100"], "--forecast gives the volume of every row: not with --volume"),
        (["--aht", "3min"], "--aht and --forecast"),
        (["--patience", "2min"], "--patience and --forecast"),
        (["--column", "volume=Nowhere"], "--column volume=Nowhere: no such column"),
        (["--column", "calls"], "--column calls: expected NAME=COLUMN"),
        (["--decimal", ","], "--decimal , needs cells separated by ';' or tabs"),
    ],
)
def test_conflicting_options_are_refused(tmp_path, extra, message):
    src = tmp_path / "f.csv"
    src.write_text("volume,aht,patience\n100,180,60\n", encoding="utf-8")
    result = run("erlang", "--forecast", src, *TARGET, *extra)
    assert result.exit_code == 2
    assert message in result.output


def test_an_aht_or_patience_option_serves_a_file_without_the_column(tmp_path):
    src = tmp_path / "f.csv"
    src.write_text("volume\n100\n", encoding="utf-8")
    result = run("erlang", "--forecast", src, *TARGET, "--aht", "180s", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["agents"] == 14


def test_a_header_only_file_is_refused(tmp_path):
    src = tmp_path / "f.csv"
    src.write_text("volume,aht\n", encoding="utf-8")
    result = run("erlang", "--forecast", src, *TARGET)
    assert result.exit_code == 2
    assert result.output == f"Error: --forecast {src} has a header but no data rows\n"
    with pytest.raises(ScenarioError, match="has no values"):
        load_scenario(smallbank(tmp_path, "start,voice\n"))


def test_date_and_time_columns_are_combined(tmp_path):
    rows = "date,time,voice\n2026-11-23,23:00,5\n2026-11-23,23:30,4\n2026-11-24,00:00,3\n"
    scenario = load_scenario(smallbank(tmp_path, rows))
    assert scenario.starts == ("2026-11-23 23:00", "2026-11-23 23:30", "2026-11-24 00:00")
    assert scenario.day_labels() == ["Mon 2026-11-23", "Tue 2026-11-24"]
    src = tmp_path / "g.csv"
    src.write_text("date,time,volume,aht\n2026-11-23,08:00,100,180\n2026-11-23,09:00,100,180\n")
    result = run("erlang", "--forecast", src, *TARGET)
    assert result.exit_code == 2
    assert f"--forecast {src} line 3: '2026-11-23 09:00' comes 1h after" in result.output


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("a,b;c", ","), ("Date;Time;Offered", ";"), ("a\tb\tc", "\t"), ("one", ","), ('"x;y",z', ",")],
)
def test_the_delimiter_is_the_headers_most_frequent(header, delimiter):
    assert forecast_csv.detect_delimiter(header) == delimiter


def test_numbers_are_strict_about_commas_and_grouping():
    assert forecast_csv.parse_number("1.234,5", ",") == 1234.5
    assert forecast_csv.parse_number("1 234,5", ",") == 1234.5
    assert forecast_csv.parse_number("12.5") == 12.5
    for text, decimal in (("12,5", "."), ("12.5", ","), ("1e999", "."), ("nan", "."), ("", ".")):
        with pytest.raises(ValueError, match="expected"):
            forecast_csv.parse_number(text, decimal)


def test_two_headers_that_read_as_one_name_are_refused():
    table = forecast_csv.read_table(["AHT (s);aht (mm:ss)\n", "180;3:00\n"], "f.csv")
    with pytest.raises(ValueError, match="columns 'AHT \\(s\\)', 'aht \\(mm:ss\\)' both read"):
        table.index("aht")


def test_an_ambiguous_date_is_refused_naming_the_line():
    table = forecast_csv.read_table(["date,time,v\n", "11/12/2026,08:00,1\n"], "f.csv")
    with pytest.raises(ValueError, match=r"f.csv line 2: .*day/month or month/day"):
        table.labels()
