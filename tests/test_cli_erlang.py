"""`ccsim erlang` via CliRunner: values, JSON keys, CSV output, errors and exit codes."""

from __future__ import annotations

import csv
import io
import json

import click
import pytest
from click.testing import CliRunner

from ccsim import erlang
from ccsim.cli import cli

TEXTBOOK = ["erlang", "--volume", "100", "--interval", "30min", "--aht", "180s"]
TARGET = ["--service-level", "80%", "--within", "20s"]
KEYS = ["agents", "fte", "service_level", "asa", "occupancy", "p_wait"]


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_textbook_json():
    result = run(*TEXTBOOK, *TARGET, "--shrinkage", "30%", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == KEYS
    assert data["agents"] == 14
    assert data["fte"] == pytest.approx(20.0)
    assert data["service_level"] == pytest.approx(
        erlang.service_level(10.0, 14, 180, 20), rel=1e-12
    )
    assert data["asa"] == pytest.approx(erlang.asa(10.0, 14, 180), rel=1e-12)
    assert data["occupancy"] == pytest.approx(10 / 14)
    assert data["p_wait"] == pytest.approx(erlang.erlang_c(10.0, 14), rel=1e-12)


def test_textbook_table():
    result = run(*TEXTBOOK, *TARGET, "--shrinkage", "30%")
    assert result.exit_code == 0, result.output
    assert "Erlang C" in result.output
    assert "88.8%" in result.output and "7.8s" in result.output and "71.4%" in result.output
    assert "recommended: 14 agents (20.0 FTE)" in result.output


def test_patience_adds_abandonment():
    result = run(*TEXTBOOK, *TARGET, "--patience", "2min", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == [*KEYS, "p_abandon"]
    ref = erlang.erlang_a(100 / 1800, 180, 120, 12, 20)
    assert data["agents"] == 12
    assert data["p_abandon"] == pytest.approx(ref.p_abandon, rel=1e-12)
    assert data["asa"] == pytest.approx(ref.asa, rel=1e-12)


def test_more_targets():
    result = run(*TEXTBOOK, *TARGET, "--asa", "5s", "--max-occupancy", "70%", "--json")
    data = json.loads(result.output)
    assert data["agents"] == erlang.required_agents(
        10.0, 180, target_time=20, sl_target=0.8, asa_max=5, max_occupancy=0.7
    )
    result = run(*TEXTBOOK, "--patience", "120s", "--max-abandon", "5%", "--json")
    assert json.loads(result.output)["agents"] == erlang.required_agents(
        10.0, 180, patience=120, max_abandon=0.05
    )


def test_agents_range_table_and_json():
    result = run(*TEXTBOOK, *TARGET, "--agents", "10..16")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    rows = [line for line in lines if line.strip()[:2].isdigit()]
    assert [int(r.split()[0]) for r in rows] == list(range(10, 17))
    marked = [r for r in rows if "recommended" in r]
    assert len(marked) == 1 and marked[0].split()[0] == "14"
    data = json.loads(run(*TEXTBOOK, *TARGET, "--agents", "10..16", "--json").output)
    assert [d["agents"] for d in data] == list(range(10, 17))
    assert all(list(d) == KEYS for d in data)
    assert data[0]["asa"] is None  # 10 agents for 10 Erlangs: unstable, ASA infinite


def test_forecast_to_file_and_json(tmp_path):
    src = tmp_path / "forecast.csv"
    src.write_text("start,volume,aht\n08:00,100,180\n08:30,200,3min\n09:00,0,180s\n")
    out = tmp_path / "staffed.csv"
    result = run("erlang", "--forecast", str(src), *TARGET, "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert [r["start"] for r in rows] == ["08:00", "08:30", "09:00"]
    assert [int(r["agents"]) for r in rows] == [14, 24, 0]
    assert list(rows[0]) == ["start", "volume", "aht", "traffic", *KEYS]
    assert float(rows[1]["traffic"]) == 20.0
    data = json.loads(result.output)
    assert [d["start"] for d in data] == ["08:00", "08:30", "09:00"]
    assert [d["line"] for d in data] == [2, 3, 4]
    assert data[0]["agents"] == 14
    assert not list(tmp_path.glob(".ccsim-*"))  # no temporary file left behind


def test_forecast_to_stdout(tmp_path):
    src = tmp_path / "f.csv"
    src.write_text("volume,aht\n100,180\n")
    result = run("erlang", "--forecast", str(src), *TARGET, "--patience", "120s")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows[0]["agents"] == "12" and "p_abandon" in rows[0]


@pytest.mark.parametrize(
    "args,message",
    [
        (
            [*TEXTBOOK, "--service-level", "80%", "--within", "20x"],
            "Error: --within: expected a duration",
        ),
        (
            [*TEXTBOOK, "--service-level", "120%", "--within", "20s"],
            "Error: --service-level must be a share",
        ),
        ([*TEXTBOOK, "--service-level", "80%"], "Error: --service-level needs --within"),
        (
            [*TEXTBOOK, *TARGET, "--shrinkage", "100%"],
            "Error: --shrinkage must be a share in [0, 1)",
        ),
        ([*TEXTBOOK, "--max-abandon", "5%"], "Error: --max-abandon needs --patience"),
        ([*TEXTBOOK], "Error: give a target"),
        (
            ["erlang", "--volume", "lots", "--aht", "180", *TARGET],
            "Error: --volume must be a number",
        ),
        (["erlang", "--volume", "100", "--aht", "0s", *TARGET], "Error: --aht must be > 0"),
        ([*TEXTBOOK, *TARGET, "--agents", "16..10"], "Error: --agents must be N or LO..HI"),
        (["erlang", "--forecast", "no/such/file.csv", *TARGET], "Error: --forecast: no such file"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert result.output.startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_forecast_bad_cells(tmp_path):
    missing = tmp_path / "missing.csv"
    missing.write_text("volume,handle\n100,180\n")
    result = run("erlang", "--forecast", str(missing), *TARGET)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: --forecast {missing}: missing column 'aht' (it has")
    bad = tmp_path / "bad.csv"
    bad.write_text("volume,aht\n100,180\nabc,180\n")
    result = run("erlang", "--forecast", str(bad), *TARGET)
    assert result.exit_code == 2
    assert result.output == f"Error: --forecast {bad} line 3: volume 'abc' is not a number\n"
    bad.write_text("volume,aht\n100,20x\n")
    result = run("erlang", "--forecast", str(bad), *TARGET)
    assert result.exit_code == 2
    assert result.output == f"Error: --forecast {bad} line 2: aht '20x' is not a duration\n"
    bad.write_text("volume,aht\n100,180,\n1,5,180\n")  # a trailing comma is fine; 1,5 is not
    result = run("erlang", "--forecast", str(bad), *TARGET)
    assert result.exit_code == 2
    assert result.output.startswith(
        f"Error: --forecast {bad} line 3: 3 cells but the header names 2 columns (a decimal comma?"
    )


def _all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


def test_every_command_has_help():
    commands = list(_all_commands(cli))
    assert any(path == ("erlang",) for path, _ in commands)
    for path, command in commands:
        assert command.help and command.help.strip(), f"ccsim {' '.join(path)} has no help text"
        result = run(*path, "--help")
        assert result.exit_code == 0
        first_line = " ".join(command.help.strip().splitlines()[0].split())
        assert first_line in " ".join(result.output.split())  # click re-wraps the text


def test_forecast_exported_by_excel_with_a_byte_order_mark(tmp_path):
    forecast = tmp_path / "excel.csv"
    forecast.write_bytes("\ufeffstart,volume,aht\n08:00,100,180\n".encode())
    result = CliRunner().invoke(
        cli,
        [
            "erlang",
            "--forecast",
            str(forecast),
            "--service-level",
            "80%",
            "--within",
            "20s",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows[0]["start"] == "08:00" and rows[0]["agents"] == 14
