"""``ccsim simulate`` through click's CliRunner: files, columns, JSON keys, exit codes."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from cli_processes import ccsim_command, processes_naming
from click.testing import CliRunner

from ccsim.cli import cli
from ccsim.sim.metrics import INTERVAL_COLUMNS

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
TEXTBOOK = str(SCENARIOS / "textbook.toml")

CONTACT_COLUMNS = [
    "replication",
    "channel",
    "interval",
    "arrival",
    "answer_time",
    "abandon_time",
    "wait",
    "handle_time",
    "group",
    "outcome",
]


def run(*args: str):
    return CliRunner().invoke(cli, ["simulate", *args])


def test_simulate_writes_the_files_with_exact_columns(tmp_path):
    out = tmp_path / "out"
    result = run(TEXTBOOK, "--replications", "3", "--seed", "7", "--out", str(out), "--contacts")
    assert result.exit_code == 0, result.output
    assert "voice" in result.output and "80% in 20s" in result.output
    with open(out / "intervals.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(INTERVAL_COLUMNS)
    assert len(rows) == 1 + 16  # one channel × 16 intervals
    with open(out / "contacts.csv", newline="") as handle:
        assert next(csv.reader(handle)) == CONTACT_COLUMNS
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 7 and summary["replications"] == 3
    assert not (out / "simulation.png").exists()


def test_simulate_plot(tmp_path):
    result = run(TEXTBOOK, "--replications", "2", "--out", str(tmp_path), "--plot")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "simulation.png").stat().st_size > 10_000


def test_simulate_json_keys():
    result = run(TEXTBOOK, "--replications", "2", "--json", "--warmup", "1h")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert {"ccsim_version", "scenario", "seed", "replications", "warmup", "channels"} <= set(
        summary
    )
    assert summary["seed"] == 1  # the scenario's seed
    assert summary["warmup"] == 3600
    voice = summary["channels"]["voice"]
    for key in INTERVAL_COLUMNS[3:]:
        assert key in voice
    assert {"service_level_excl_short_abandons", "service_level_answered"} <= set(voice)


def test_simulate_same_seed_same_file(tmp_path):
    for name in ("a", "b"):
        assert run(TEXTBOOK, "--replications", "2", "--out", str(tmp_path / name)).exit_code == 0
    assert (tmp_path / "a" / "intervals.csv").read_bytes() == (
        tmp_path / "b" / "intervals.csv"
    ).read_bytes()


def test_bad_scenario_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\ninterval = "30min"\n[channels.voice]\nvolum = 3\n')
    result = run(str(bad))
    assert result.exit_code == 2
    assert "Error:" in result.output and "Traceback" not in result.output
    assert "volum" in result.output


def test_missing_file_and_bad_options_exit_2(tmp_path):
    assert run(str(tmp_path / "nope.toml")).exit_code == 2
    assert run(TEXTBOOK, "--warmup", "soon").exit_code == 2
    assert run(TEXTBOOK, "--warmup", "100h").exit_code == 2
    assert run(TEXTBOOK, "--plot").exit_code == 2  # --plot needs --out
    assert run(TEXTBOOK, "--replications", "0").exit_code == 2


def test_auto_group_is_simulated_with_the_analytic_plan(tmp_path):
    scenario = tmp_path / "auto.toml"
    scenario.write_text(
        'name = "auto"\ninterval = "30min"\nstart = "08:00"\n'
        '[channels.voice]\nvolume = [10, 10]\naht = "3min"\n'
        'service_level = 0.8\nwithin = "20s"\n'
        '[groups.phones]\nskills = ["voice"]\nagents = "auto"\n'
    )
    result = run(str(scenario), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["channels"]["voice"]["offered"] > 0


def test_unwritable_out_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for command in ("simulate", "staff"):
        result = CliRunner().invoke(
            cli, [command, "scenarios/textbook.toml", "--out", str(blocker / "sub")]
        )
        assert result.exit_code == 2, result.output
        assert f"--out {blocker / 'sub'}: cannot write" in result.output
        assert "Traceback" not in result.output


def test_a_volume_typo_is_refused_before_any_work(tmp_path):
    scenario = tmp_path / "typo.toml"
    scenario.write_text(
        'interval = "30min"\n[channels.voice]\nvolume = 1e9\naht = "3min"\n'
        'service_level = 0.8\nwithin = "20s"\n[groups.phones]\nskills = ["voice"]\nagents = 10\n'
    )
    for command in (["simulate"], ["staff", "--verify"]):
        result = CliRunner().invoke(cli, [*command, str(scenario)])
        assert result.exit_code == 2, result.output
        assert "typo.toml: channels.voice.volume: expected a number ≥ 0 (contacts offered) and " \
            "at most 10,000,000, got 1e+09" in result.output


def test_ctrl_c_exits_130_with_one_line_and_no_files(monkeypatch, tmp_path):
    import ccsim.sim

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ccsim.sim, "simulate", interrupted)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["simulate", TEXTBOOK, "--out", str(out)])
    assert result.exit_code == 130
    assert "interrupted" in result.output and "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def test_set_changes_the_scenario_for_one_run(tmp_path):
    """--set agents=20 gives the numbers of a scenario file that says 20 agents."""
    edited = tmp_path / "twenty.toml"
    edited.write_text(Path(TEXTBOOK).read_text().replace("agents = 14", "agents = 20"))
    runs = {}
    for name, args in {
        "set": [TEXTBOOK, "--set", "groups.phones.agents=20"],
        "file": [str(edited)],
    }.items():
        out = tmp_path / name
        result = CliRunner().invoke(
            cli, ["simulate", *args, "--replications", "3", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        runs[name] = (out / "intervals.csv").read_bytes()
    assert runs["set"] == runs["file"]
    staffed = CliRunner().invoke(
        cli, ["staff", TEXTBOOK, "--set", "channels.voice.volume=200", "--json"]
    )
    assert staffed.exit_code == 0, staffed.output
    assert json.loads(staffed.output)["channels"]["voice"]["agent_hours"] == 24 * 8


def test_set_errors_name_the_option_and_key():
    cases = [
        (["--set", "groups.phones.agents=15,16"], "one value per key here"),
        (
            ["--set", "channels.voice.aht=abc"],
            "textbook.toml: channels.voice.aht: expected a duration",
        ),
        (["--set", "nope.x=3"], "nope.x: unknown path"),
        (["--set", "channels.voice.aht"], "expected key=values"),
    ]
    for command in ("simulate", "staff"):
        for args, message in cases:
            result = CliRunner().invoke(cli, [command, TEXTBOOK, *args])
            assert result.exit_code == 2, result.output
            assert message in result.output and "Traceback" not in result.output


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to see the worker processes")
def test_ctrl_c_mid_simulation_stops_the_workers_quietly(tmp_path):
    """SIGINT once the pool's workers run: exit 130, one line, no traceback, no workers left."""
    out = tmp_path / "interrupted"
    process = subprocess.Popen(
        [*ccsim_command(), "simulate", str(SCENARIOS / "forecast_week.toml"),
         "--replications", "400", "--jobs", "2", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(processes_naming(str(out))) < 3 and time.monotonic() < deadline:  # 1 + 2 workers
        if process.poll() is not None:
            pytest.fail(f"ended before its workers were seen: {process.stderr.read()}")
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert processes_naming(str(out)) == []
    assert not out.exists() or not any(out.iterdir())
