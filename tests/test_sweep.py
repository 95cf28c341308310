"""Batch sweeps: grid parsing, point identity and seeds, the resumable store, the executors.

Everything past the parsing tests runs the real ``simulate`` on a small
two-channel scenario (4 half-hours), so the whole file stays well under a
minute on two cores.
"""

from __future__ import annotations

import collections
import csv
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_processes import ccsim_command, processes_naming
from click.testing import CliRunner

from ccsim.cli import cli
from ccsim.sweep import (
    SweepError,
    SweepStore,
    canonical_key,
    parse_scalar,
    parse_set,
    parse_values,
    plan_sweep,
    point_seed,
    read_grid_file,
    run_sweep,
)
from ccsim.sweep import sweep_scenario as run_api_sweep

REPO = Path(__file__).resolve().parents[1]
TEXTBOOK = REPO / "scenarios" / "textbook.toml"

SCENARIO = """\
name = "sweep test: voice with abandonment, email, a multi-skill group"
interval = "30min"
start = "08:00"
seed = 3

[channels.voice]
volume = [60, 80, 80, 60]
aht = "180s"
patience = "120s"
service_level = "80%"
within = "20s"

[channels.email]
volume = 20
aht = "6min"
service_level = "90%"
within = "2h"

[groups.phones]
skills = ["voice"]
agents = 8

[groups.digital]
skills = ["email", "voice"]
agents = 2
"""

SETS = ["channels.voice.aht=160s,200s", "groups.phones.agents=7..9"]
GRID = {"channels.voice.aht": ["160s", "200s"], "groups.phones.agents": "7..9"}
N_POINTS = 6
REPLICATIONS = 150  # ≈ 0.3 s a point (2 ms a replication): a kill lands mid-sweep
SEED = 11


def _cli_args(scenario: Path, out: Path, *extra: str) -> list[str]:
    args = ["sweep", str(scenario)]
    for item in SETS:
        args += ["--set", item]
    return [*args, "--replications", str(REPLICATIONS), "--seed", str(SEED), "--out", str(out)]


def _log_ids(out: Path) -> list[str]:
    return [line.split("\t")[1] for line in (out / "points.log").read_text().splitlines()]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "small.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(scenario, tmp_path_factory) -> Path:
    """An uninterrupted sweep with two worker processes."""
    out = tmp_path_factory.mktemp("reference") / "sweep"
    run_api_sweep(scenario, GRID, replications=REPLICATIONS, seed=SEED, jobs=2, out=out)
    return out


# --- grid parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("160s,180s,200s", ["160s", "180s", "200s"]),
        ("12..15", [12, 13, 14, 15]),
        ("10..20/5", [10, 15, 20]),
        ("10..21/5", [10, 15, 20]),
        ("0.7..0.9/0.1", [0.7, 0.8, 0.9]),
        ("160s..200s/20s", ["160s", "180s", "200s"]),
        ("70%..80%/5", ["70%", "75%", "80%"]),
        ("10,12..13, 20", [10, 12, 13, 20]),
        ("0.25, 1e3, true", [0.25, 1000.0, True]),
        ('[10, 12], "a,b", 80%', [[10, 12], "a,b", "80%"]),
        ("abc", ["abc"]),
    ],
)
def test_parse_values(text, expected):
    assert parse_values(text) == expected


def test_parse_scalar_keeps_human_strings():
    assert parse_scalar("160s") == "160s"
    assert parse_scalar("80%") == "80%"
    assert parse_scalar("1h30min") == "1h30min"
    assert parse_scalar("15") == 15 and isinstance(parse_scalar("15"), int)
    assert parse_scalar("2026-11-23") == "2026-11-23"  # a TOML date stays text
    assert parse_scalar("12 # no comments") == "12 # no comments"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("channels.voice.aht", "expected key=values"),
        ("=12", "not a dotted scenario path"),
        ("channels voice=12", "not a dotted scenario path"),
        ("k=", "empty value"),
        ("k=1,,2", "empty value"),
        ("k=18..12", "is empty"),
        ("k=1..5/0", "step must be > 0"),
        ("k=1s..5min", "mixes units"),
        ("k=a..b", "cannot read range"),
        ("k=1..3..5", "cannot read range"),
        ("k=[1,2", "unbalanced"),
        ("k=0..1000000", "more than"),
    ],
)
def test_parse_set_rejects_bad_syntax(text, message):
    with pytest.raises(SweepError, match=message) as info:
        parse_set(text)
    assert str(info.value).startswith(f"--set {text}: ")


def test_grid_file(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(
        '[grid]\n"channels.voice.aht" = ["160s", "180s"]\n"groups.phones.agents" = "12..14"\n'
        "[grid.channels.voice]\nservice_level = 0.8\n",
        encoding="utf-8",
    )
    axes = read_grid_file(path)
    assert [(a.key, a.values) for a in axes] == [
        ("channels.voice.aht", ("160s", "180s")),
        ("groups.phones.agents", (12, 13, 14)),
        ("channels.voice.service_level", (0.8,)),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[grid]\nk = [\n", "TOML syntax"),
        ("[grids]\nk = [1]\n", "expected only a \\[grid\\] table"),
        ("[grid]\nk = []\n", "empty list"),
        ('[grid]\nk = "5..1"\n', "grid.k: range '5..1' is empty"),
        ("[grid]\n", "empty"),
    ],
)
def test_grid_file_errors(tmp_path, text, message):
    path = tmp_path / "grid.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SweepError, match=message):
        read_grid_file(path)


def test_a_path_swept_twice_is_refused(scenario):
    with pytest.raises(SweepError, match="already swept"):
        plan_sweep(scenario, ["groups.phones.agents=7,8", "groups.phones.agents=9"])


# --- points: identity and seeds -------------------------------------------------------------


def test_point_seed_depends_on_base_seed_and_parameters_only(scenario):
    plan = plan_sweep(scenario, SETS, seed=SEED)
    reordered = plan_sweep(
        scenario, ["groups.phones.agents=9,8,7", "channels.voice.aht=200s,160s"], seed=SEED
    )
    assert {p.key: p.seed for p in plan.points} == {p.key: p.seed for p in reordered.points}
    assert len({p.seed for p in plan.points}) == N_POINTS
    key = canonical_key({"groups.phones.agents": 8, "channels.voice.aht": "160s"})
    assert key == canonical_key({"channels.voice.aht": "160s", "groups.phones.agents": 8})
    assert point_seed(SEED, key) == point_seed(SEED, key) != point_seed(SEED + 1, key)
    assert 0 <= point_seed(SEED, key) < 2**63


def test_a_points_numbers_do_not_depend_on_the_rest_of_the_grid(scenario, reference):
    alone = run_api_sweep(
        scenario,
        {"groups.phones.agents": 8, "channels.voice.aht": "200s"},
        replications=REPLICATIONS,
        seed=SEED,
        jobs=1,
    )
    lines = (reference / "results.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    full = [
        r for r in rows if r["channels.voice.aht"] == "200s" and r["groups.phones.agents"] == "8"
    ]
    assert [r["channel"] for r in full] == list(alone["channel"]) == ["voice", "email"]
    for row, service_level, seed in zip(full, alone["service_level"], alone["seed"], strict=True):
        assert float(row["service_level"]) == pytest.approx(service_level, rel=1e-5)
        assert int(row["seed"]) == seed


# --- validation before anything runs --------------------------------------------------------


@pytest.mark.parametrize(
    "sets,message",
    [
        (
            ["groups.phones.agents=7,8", "channels.voice.aht=160s,abc"],
            "Error: --set channels.voice.aht=abc: point 1 "
            "(groups.phones.agents=7, channels.voice.aht=abc) (and 1 more point): "
            "channels.voice.aht: expected a duration",
        ),
        (  # a typo such as 1e9 agents: caught while the grid is validated, not mid-sweep
            ["groups.phones.agents=8,1e9"],
            "Error: --set groups.phones.agents=1000000000.0: point 1 "
            "(groups.phones.agents=1000000000.0): groups.phones.agents: expected a whole number "
            "of agents ≥ 0 and at most 200,000, got 1e+09",
        ),
    ],
)
def test_a_bad_value_fails_before_any_work(scenario, tmp_path, sets, message):
    out = tmp_path / "sweep"
    args = ["sweep", str(scenario)]
    for item in sets:
        args += ["--set", item]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_a_point_that_changes_the_number_of_intervals_is_refused(scenario, tmp_path):
    """The scenario has 4 half-hours; a 2-element volume list (the --set parser reads TOML
    list literals) truly makes a 2-interval scenario, valid on its own — the horizon check,
    not scenario validation, must refuse it, before any work and naming axis and point."""
    out = tmp_path / "sweep"
    result = CliRunner().invoke(
        cli,
        ["sweep", str(scenario), "--set", "channels.voice.volume=[60,80,80,60],[10,20]",
         "--set", "groups.phones.agents=7,8", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert not out.exists()
    assert (
        "Error: --set channels.voice.volume=[10, 20]: point 2 "
        "(channels.voice.volume=[10, 20], groups.phones.agents=7) (and 1 more point): "
        "this override changes the horizon from 4 to 2 intervals" in result.output
    )
    assert "point 0 " not in result.output  # the unchanged 4-interval list is fine


def test_a_point_that_changes_the_interval_length_is_refused(scenario):
    """interval=15min keeps 4 intervals (the volumes are lists of 4) but halves the
    horizon (2 h → 1 h) and doubles the traffic: not the same day, refused."""
    with pytest.raises(SweepError) as info:
        plan_sweep(scenario, ["interval=30min,15min"])
    assert str(info.value).startswith(  # refused by the scenario layer, as any --set is
        "--set interval=15min: point 1 (interval=15min): interval: 15min would read "
        "channels.voice.volume, channels.email.volume — given per 30min interval — as values "
        "per 15min interval"
    )


def test_an_unknown_path_names_the_key(scenario, tmp_path):
    result = CliRunner().invoke(
        cli, ["sweep", str(scenario), "--set", "groups.phone.agents=7", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "point 0 (groups.phone.agents=7): groups.phone.agents: unknown path" in result.output
    assert not (tmp_path / "points").exists()


# --- results, jobs, executors ---------------------------------------------------------------


def test_results_csv_layout(reference):
    lines = (reference / "results.csv").read_text().splitlines()
    assert lines[0] == (
        "point,channels.voice.aht,groups.phones.agents,channel,offered,answered,abandoned,"
        "unanswered,answered_within,service_level,service_level_lo,service_level_hi,asa,"
        "abandon_rate,occupancy,agent_hours,seed"
    )
    assert len(lines) == 1 + N_POINTS * 2
    first, second = lines[1].split(","), lines[2].split(",")
    assert first[:4] == ["0", "160s", "7", "voice"] and second[:4] == ["0", "160s", "7", "email"]
    # agent-hours of the groups able to serve the channel: voice (7 + 2) × 4 × ½h, email 2 × 4 × ½h
    assert float(first[15]) == 18 and float(second[15]) == 4
    manifest = json.loads((reference / "sweep.json").read_text())
    assert manifest["format"] == 2 and manifest["common_random_numbers"] is False
    assert manifest["grid"] == [["channels.voice.aht", ["160s", "200s"]],
                                ["groups.phones.agents", [7, 8, 9]]]  # fmt: skip
    assert (manifest["replications"], manifest["seed"], manifest["mode"]) == (
        REPLICATIONS,
        SEED,
        "simulate",
    )
    assert len(list((reference / "points").glob("*.json"))) == N_POINTS
    assert sorted(collections.Counter(_log_ids(reference)).values()) == [1] * N_POINTS


def test_offered_is_answered_plus_abandoned_plus_unanswered(reference):
    """Every row balances, including email: 2 digital agents get 4 Erlangs of email, so
    about half of it is still waiting when the horizon ends (unanswered, not abandoned)."""
    names = ("offered", "answered", "abandoned", "unanswered", "answered_within")
    exact = [row for path in (reference / "points").glob("*.json")
             for row in json.loads(path.read_text())["rows"]]  # fmt: skip
    rows = list(csv.DictReader((reference / "results.csv").open()))
    assert len(rows) == len(exact) == N_POINTS * 2
    for row, tolerance in [*((r, 1e-12) for r in exact), *((r, 5e-6) for r in rows)]:
        offered, answered, abandoned, unanswered, within = (float(row[n]) for n in names)
        assert offered == pytest.approx(answered + abandoned + unanswered, rel=tolerance)
        assert 0 <= within <= answered
    email = [r for r in rows if r["channel"] == "email"]
    assert all(float(r["unanswered"]) > 0.2 * float(r["offered"]) for r in email)
    assert all(float(r["abandoned"]) == 0 for r in email)  # no patience: nobody gives up
    assert any(float(r["abandoned"]) > 0 for r in rows if r["channel"] == "voice")


def test_a_store_of_the_old_format_is_refused(scenario, reference, tmp_path):
    out = tmp_path / "old"
    shutil.copytree(reference, out)
    manifest = json.loads((out / "sweep.json").read_text())
    manifest["format"] = 1
    del manifest["common_random_numbers"]
    (out / "sweep.json").write_text(json.dumps(manifest))
    result = CliRunner().invoke(cli, _cli_args(scenario, out))
    assert result.exit_code == 2, result.output
    assert f"{out} holds a sweep in store format 1;" in result.output
    assert "writes format 2" in result.output and "choose another --out" in result.output
    assert _log_ids(out) == _log_ids(reference)


def test_a_point_file_without_the_new_columns_is_computed_again(scenario, reference, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    victim = sorted((out / "points").glob("*.json"))[0]
    record = json.loads(victim.read_text())
    for row in record["rows"]:
        del row["unanswered"]
    victim.write_text(json.dumps(record))
    result = CliRunner().invoke(cli, [*_cli_args(scenario, out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert f"({1} computed, {N_POINTS - 1} already done)" in result.output
    assert (out / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()


def test_jobs_1_and_jobs_2_give_identical_results(scenario, reference, tmp_path):
    out = tmp_path / "jobs1"
    result = CliRunner().invoke(cli, [*_cli_args(scenario, out), "--jobs", "1", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["points"], report["computed"], report["skipped"]) == (N_POINTS, N_POINTS, 0)
    assert len(report["results"]) == N_POINTS * 2
    assert (out / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()


def test_dask_local_cluster_gives_identical_results(scenario, reference, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        result = CliRunner().invoke(
            cli, [*_cli_args(scenario, tmp_path), "--scheduler", cluster.scheduler_address]
        )
        with distributed.Client(cluster) as client:  # the API also takes a caller's Client
            one = run_api_sweep(
                scenario,
                {"channels.voice.aht": "200s", "groups.phones.agents": 9},
                replications=REPLICATIONS,
                seed=SEED,
                executor="dask",
                scheduler=client,
            )
            assert client.status == "running"
    assert result.exit_code == 0, result.output
    assert (tmp_path / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()
    last = (reference / "results.csv").read_text().splitlines()[-2].split(",")
    assert last[:4] == ["5", "200s", "9", "voice"]
    assert float(last[9]) == pytest.approx(one["service_level"][0], rel=1e-5)


def test_dask_missing_says_how_to_install(scenario, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    plan = plan_sweep(scenario, ["groups.phones.agents=7"], replications=1)
    with pytest.raises(SweepError, match=r"pip install 'ccsim\[dask\]'"):
        run_sweep(plan, executor="dask")


def test_a_malformed_scheduler_address_is_a_one_line_error(scenario, tmp_path):
    pytest.importorskip("dask.distributed")
    result = CliRunner().invoke(cli, [*_cli_args(scenario, tmp_path), "--scheduler", "nonsense"])
    assert result.exit_code == 2, result.output
    assert "Error: --scheduler 'nonsense': expected an address such as tcp://host:8786" in (
        result.output
    )


# --- common random numbers ------------------------------------------------------------------


CRN_GRID = ["groups.phones.agents=6..12"]
CRN_SEED, CRN_REPLICATIONS = 3, 3  # with a seed per point, 10 agents beat 11 here (0.95 > 0.90)


def test_common_random_numbers_give_monotone_curves_for_any_jobs(scenario, tmp_path):
    runs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        result = CliRunner().invoke(
            cli,
            ["sweep", str(scenario), *(f"--set={s}" for s in CRN_GRID), "--common-random-numbers",
             "--replications", str(CRN_REPLICATIONS), "--seed", str(CRN_SEED), "--jobs", jobs,
             "--out", str(out)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        runs[jobs] = (out / "results.csv").read_bytes()
    assert runs["1"] == runs["2"]
    rows = list(csv.DictReader((tmp_path / "jobs1" / "results.csv").open()))
    assert {int(r["seed"]) for r in rows} == {CRN_SEED}  # every point: the base seed itself
    # the same arrivals at every point: email (not served by the swept group) is offered alike
    assert len({r["offered"] for r in rows if r["channel"] == "email"}) == 1
    voice = [float(r["service_level"]) for r in rows if r["channel"] == "voice"]
    assert len(voice) == 7
    assert all(a <= b for a, b in zip(voice[:-1], voice[1:], strict=True)), voice
    manifest = json.loads((tmp_path / "jobs1" / "sweep.json").read_text())
    assert manifest["common_random_numbers"] is True


def test_common_random_numbers_api_matches_cli_and_resumes(scenario, tmp_path):
    out = tmp_path / "crn"
    plan = plan_sweep(
        scenario, CRN_GRID, replications=CRN_REPLICATIONS, seed=CRN_SEED,
        common_random_numbers=True,
    )  # fmt: skip
    assert {p.seed for p in plan.points} == {CRN_SEED}
    run_sweep(plan, jobs=1, out=out)
    first = (out / "results.csv").read_bytes()
    (out / "results.csv").unlink()
    for path in sorted((out / "points").glob("*.json"))[:3]:  # as if killed mid-sweep
        path.unlink()
    table, counts = run_sweep(plan, jobs=2, out=out)
    assert (counts["computed"], counts["skipped"]) == (3, 4)
    assert (out / "results.csv").read_bytes() == first
    alone = run_api_sweep(
        scenario, {"groups.phones.agents": 9}, replications=CRN_REPLICATIONS, seed=CRN_SEED,
        jobs=1, common_random_numbers=True,
    )  # fmt: skip
    assert list(alone["service_level"]) == list(table["service_level"][6:8])


# --- the resumable store --------------------------------------------------------------------


def test_rerun_with_the_same_arguments_computes_nothing(scenario, reference, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    log_before = (out / "points.log").read_text()
    result = CliRunner().invoke(cli, _cli_args(scenario, out))
    assert result.exit_code == 0, result.output
    assert f"{N_POINTS} points (0 computed, {N_POINTS} already done)" in result.output
    assert (out / "points.log").read_text() == log_before
    assert (out / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (["--replications", "5"], "replications"),
        (["--seed", "12"], "seed"),
        (["--set", "groups.digital.agents=1,3"], "grid"),
        (["--common-random-numbers"], "common_random_numbers"),
    ],
)
def test_rerun_with_other_arguments_is_refused(scenario, reference, tmp_path, change, field):
    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    args = _cli_args(scenario, out)
    for i in range(0, len(change), 2):
        if change[i] in args and change[i] != "--set":
            args[args.index(change[i]) + 1] = change[i + 1]
        else:
            args += change[i : i + 2]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert f"holds another sweep (different {field})" in result.output
    assert "choose another --out directory" in result.output
    assert _log_ids(out) == _log_ids(reference)


def test_another_scenario_into_the_same_dir_is_refused(scenario, reference, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    changed = tmp_path / "changed.toml"
    changed.write_text(SCENARIO.replace("volume = 20", "volume = 25"), encoding="utf-8")
    result = CliRunner().invoke(cli, _cli_args(changed, out))
    assert result.exit_code == 2
    assert "holds another sweep (different scenario)" in result.output


def test_a_directory_with_points_but_no_manifest_is_refused(scenario, tmp_path):
    (tmp_path / "points").mkdir()
    (tmp_path / "points" / "x.json").write_text("{}")
    plan = plan_sweep(scenario, ["groups.phones.agents=7"], replications=1)
    with pytest.raises(SweepError, match="no sweep.json"):
        SweepStore(tmp_path).open(plan.manifest())


def _start_and_stop(scenario: Path, out: Path, sig: int) -> subprocess.Popen:
    """Start a CLI sweep with two workers; send ``sig`` once 1 ≤ points < all are on disk."""
    process = subprocess.Popen(
        [*ccsim_command(), *_cli_args(scenario, out), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if out.joinpath("points").is_dir() and any(out.joinpath("points").glob("*.json")):
            break
        if process.poll() is not None:
            pytest.fail(f"the sweep ended before any point was seen: {process.stderr.read()}")
        time.sleep(0.01)
    process.send_signal(sig)
    process.wait(timeout=30)
    return process


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find orphan workers")
def test_sigkill_mid_sweep_then_resume(scenario, reference, tmp_path):
    out = tmp_path / "killed"
    process = _start_and_stop(scenario, out, signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    first_run = _log_ids(out)
    kept = len(list((out / "points").glob("*.json")))
    assert 1 <= kept < N_POINTS, f"{kept} points before the kill: make points slower"
    assert not (out / "results.csv").exists()
    # the workers notice their parent is gone and exit
    deadline = time.monotonic() + 10
    while processes_naming(str(out)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_naming(str(out)) == []

    result = CliRunner().invoke(cli, [*_cli_args(scenario, out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert f"({N_POINTS - len(first_run)} computed, {len(first_run)} already done)" in (
        result.output
    )
    assert (out / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()
    counts = collections.Counter(_log_ids(out))
    assert sorted(counts.values()) == [1] * N_POINTS  # no point computed twice


def test_ctrl_c_keeps_finished_points_and_says_how_to_resume(scenario, tmp_path):
    out = tmp_path / "interrupted"
    process = _start_and_stop(scenario, out, signal.SIGINT)
    stderr = process.stderr.read()
    assert process.returncode == 130, stderr
    assert "points finished and kept in" in stderr
    assert "run the same command again to resume" in stderr
    assert "Traceback" not in stderr
    kept = len(list((out / "points").glob("*.json")))
    assert 1 <= kept == len(_log_ids(out))  # the file and its journal line go together
    assert f"interrupted: {kept} of {N_POINTS} points finished and kept" in stderr


def test_plot_writes_the_trade_off_curves(scenario, reference, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    result = CliRunner().invoke(cli, [*_cli_args(scenario, out), "--plot"])
    assert result.exit_code == 0, result.output
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote" in result.output and "sweep.png" in result.output


def test_staff_plans_each_point(scenario, tmp_path):
    result = CliRunner().invoke(
        cli,
        ["sweep", str(scenario), "--set", "channels.voice.aht=160s,200s", "--staff",
         "--replications", "4", "--jobs", "1", "--out", str(tmp_path), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["results"]
    voice = [r for r in rows if r["channel"] == "voice"]
    # the plan, not the file's 8 + 2 agents: a longer AHT costs more agent-hours
    assert voice[0]["agent_hours"] < voice[1]["agent_hours"]
    assert voice[0]["agent_hours"] != 20
    assert json.loads((tmp_path / "sweep.json").read_text())["mode"] == "staff"


def test_auto_groups_are_simulated_with_the_analytic_plan(scenario, tmp_path):
    from ccsim.scenario import load_scenario
    from ccsim.staffing import plan_staffing

    auto = tmp_path / "auto.toml"
    auto.write_text(SCENARIO.replace("agents = 2", 'agents = "auto"'), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["sweep", str(auto), "--set", "channels.voice.aht=160s", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "o" / "results.csv").open()))
    point = load_scenario(auto).with_overrides({"channels.voice.aht": "160s"})
    plan = plan_staffing(point, keep_fixed=True)
    hours = point.interval / 3600
    for row in rows:
        served_by = point.groups_for(row["channel"])
        expected = sum(plan.agents[g].sum() for g in served_by) * hours
        assert float(row["agent_hours"]) == pytest.approx(expected)


def test_grid_file_and_set_together(scenario, tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text('[grid]\n"channels.voice.aht" = ["160s", "200s"]\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["sweep", str(scenario), "--grid", str(grid), "--set", "groups.phones.agents=8",
         "--replications", "2", "--jobs", "1", "--out", str(tmp_path / "o")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    header = (tmp_path / "o" / "results.csv").read_text().splitlines()[0]
    assert header.startswith("point,channels.voice.aht,groups.phones.agents,channel,")
    assert "2 points (2 computed, 0 already done)" in result.output


def test_sweeping_the_scenario_seed_is_refused(scenario):
    with pytest.raises(SweepError, match="give the base seed with --seed"):
        plan_sweep(scenario, ["seed=1,2"])


def test_nothing_to_sweep(scenario, tmp_path):
    result = CliRunner().invoke(cli, ["sweep", str(scenario), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "nothing to sweep: give --set KEY=VALUES or --grid FILE" in result.output


def test_a_second_concurrent_sweep_into_the_same_dir_is_refused(scenario, tmp_path):
    plan = plan_sweep(scenario, SETS, replications=REPLICATIONS, seed=SEED)
    store = SweepStore(tmp_path)
    store.open(plan.manifest())  # this process is "running" the sweep
    try:
        process = subprocess.run(
            [*ccsim_command(), *_cli_args(scenario, tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        store.close()
    assert process.returncode == 2
    assert f"another ccsim sweep is running into {tmp_path}" in process.stderr
    assert not (tmp_path / "points.log").exists()
