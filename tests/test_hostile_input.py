"""Broken and hostile input (issue 15): every defect found by probing as a hostile user,
reproduced, each now a one-line refusal (exit 2) naming the file and key, a bounded
refusal in well under a second, or a clean one-line failure (exit 1) that keeps work.

Scenario files, sizes and messages first; then sweeps (file-system errors, Dask,
point files, the journal), output directories, and Ctrl-C while the command loads.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccsim.cli import cli
from ccsim.scenario import Scenario, ScenarioError, load_scenario

SMALL = """\
name = "small"
interval = "30min"
start = "08:00"
seed = 5

[channels.voice]
volume = [40, 60]
aht = "180s"
patience = "120s"
service_level = "80%"
within = "20s"

[groups.phones]
skills = ["voice"]
agents = [5, 6]
"""
HUGE_INT = "1" + "0" * 400  # beyond float range: float() raises OverflowError
COMMANDS = {
    "validate": ["validate"],
    "simulate": ["simulate", "--replications", "2", "--jobs", "1"],
    "staff": ["staff"],
    "sweep": ["sweep", "--set", "channels.voice.within=20s,30s", "--replications", "1",
              "--jobs", "1"],
}  # fmt: skip


def _scenario(tmp_path: Path, text: str, name: str = "small.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _edit(old: str, new: str) -> str:
    assert old in SMALL
    return SMALL.replace(old, new, 1)


def _run(command: str, path: Path, tmp_path: Path, *extra: str):
    args = [*COMMANDS[command], *extra]
    args.insert(1, str(path))
    if command == "sweep":
        args += ["--out", str(tmp_path / "sweep-out")]
    return CliRunner().invoke(cli, args)


def _refused(result, line: str) -> None:
    """Exit 2, no traceback, and ``line`` among the ``Error:`` lines."""
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    assert "Traceback" not in result.output
    assert any(line in row for row in result.output.splitlines()), result.output


# --- integers beyond float range, tiny cv, NUL in a path (were tracebacks) ---------------------

BEYOND_FLOAT = {
    "channels.voice.volume[1]": ("volume = [40, 60]", f"volume = [40, {HUGE_INT}]"),
    "channels.voice.aht": ('aht = "180s"', f"aht = {HUGE_INT}"),
    "channels.voice.patience": ('patience = "120s"', f"patience = {HUGE_INT}"),
    "channels.voice.service_level": ('service_level = "80%"', f"service_level = {HUGE_INT}"),
    "channels.voice.within": ('within = "20s"', f"within = {HUGE_INT}"),
    "groups.phones.agents": ("agents = [5, 6]", f"agents = {HUGE_INT}"),
    "seed": ("seed = 5", f"seed = {HUGE_INT}"),
    "shrinkage": ("seed = 5", f"seed = 5\nshrinkage = {HUGE_INT}"),
    "volume_uncertainty": ("seed = 5", f"seed = 5\nvolume_uncertainty = {HUGE_INT}"),
    "channels.voice.concurrency": ('within = "20s"', f'within = "20s"\nconcurrency = {HUGE_INT}'),
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("key", list(BEYOND_FLOAT))
def test_an_integer_beyond_float_range_is_refused_by_key(tmp_path, command, key):
    path = _scenario(tmp_path, _edit(*BEYOND_FLOAT[key]))
    _refused(_run(command, path, tmp_path), f"small.toml: {key}: ")
    assert not (tmp_path / "sweep-out").exists()


def test_an_integer_beyond_float_range_in_a_set_value_is_refused(tmp_path):
    path = _scenario(tmp_path, SMALL)
    result = CliRunner().invoke(
        cli, ["sweep", str(path), "--set", f"groups.phones.agents=5,{HUGE_INT}",
              "--out", str(tmp_path / "out")],
    )  # fmt: skip
    _refused(result, "groups.phones.agents: expected a whole number of agents ≥ 0")
    assert "0" * 41 not in result.output  # the value is not quoted whole, anywhere


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('aht = "180s"', 'aht = "180s"\nhandle_time = { dist = "gamma", cv = 1e-300 }',
         "channels.voice.handle_time.cv"),
        ('aht = "180s"', 'aht = "180s"\nhandle_time = { dist = "lognormal", cv = 1e-300 }',
         "channels.voice.handle_time.cv"),
        ('patience = "120s"', 'patience = { dist = "gamma", mean = "2min", cv = 1e-300 }',
         "channels.voice.patience.cv"),
    ],
)  # fmt: skip
def test_a_coefficient_of_variation_of_1e_minus_300_is_refused(tmp_path, old, new, key):
    path = _scenario(tmp_path, _edit(old, new))
    for command in ("validate", "simulate"):
        _refused(_run(command, path, tmp_path), f"small.toml: {key}: expected a coefficient")


def test_a_nul_character_in_a_csv_path_is_refused(tmp_path):
    path = _scenario(
        tmp_path, _edit("volume = [40, 60]", 'volume = { csv = "a\\u0000b.csv", column = "v" }')
    )
    for command in ("validate", "simulate"):
        _refused(_run(command, path, tmp_path), "small.toml: channels.voice.volume.csv: ")
    with pytest.raises(ScenarioError, match="not a file name"):
        load_scenario("a\0b.toml")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[channels.voice]\nvolume = " + "[" * 100_000 + "]" * 100_000 + "\n",
         "x.toml: channels.voice.volume: line 2: nested more than 16 levels deep"),
        ("[channels.voice." + ".".join(["a"] * 100_000) + "]\n",
         "x.toml: channels.voice.a.a.a."),
        ("x = " + "{ a = " * 5_000 + "1" + " }" * 5_000 + "\n",
         "x.toml: x: line 1: nested more than 16 levels deep"),
    ],
)  # fmt: skip
def test_deep_nesting_is_refused_at_once(tmp_path, text, line):
    path = _scenario(tmp_path, text, "x.toml")
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert time.perf_counter() - started < 1.0
    assert str(info.value).startswith(line)
    _refused(_run("validate", path, tmp_path), line)


def test_deep_documents_from_python_are_refused_without_recursion():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    base = load_scenario(Path(__file__).parents[1] / "scenarios" / "textbook.toml")
    with pytest.raises(ScenarioError, match="nested more than 16 levels deep"):
        Scenario.from_dict({**base.spec, "channels": {"voice": {"volume": deep}}})
    with pytest.raises(ScenarioError, match="nested more than 16 levels deep"):
        base.with_overrides({"channels.voice.volume": deep})


# --- agents of 2**63 or more never wrap ---------------------------------------------------------


@pytest.mark.parametrize("agents", ["1e300", "1e19", str(2**63), str(2**64 + 1), "-1", "nan"])
def test_agents_beyond_int64_are_refused_not_wrapped(tmp_path, agents):
    path = _scenario(tmp_path, _edit("agents = [5, 6]", f"agents = {agents}"))
    for command in COMMANDS:
        result = _run(command, path, tmp_path)
        _refused(result, "small.toml: groups.phones.agents: expected a whole number of agents")
        assert "-9223372036854775808" not in result.output


def test_a_sweep_with_agents_1e19_is_refused_before_any_point(tmp_path):
    path = _scenario(tmp_path, SMALL)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["sweep", str(path), "--set", "groups.phones.agents=14,1e19", "--out", str(out)]
    )
    _refused(result, "groups.phones.agents: expected a whole number of agents ≥ 0 and at most")
    assert not out.exists()


# --- validate refuses what a run refuses, with the same lines -----------------------------------


@pytest.mark.parametrize(
    ("edits", "line"),
    [
        ([('interval = "30min"', 'interval = "1s"'), ("volume = [40, 60]", "volume = 1e7"),
          ('aht = "180s"', 'aht = "365d"'), ('patience = "120s"', "")],
         "small.toml: channels.voice.volume: the load at 08:00 needs"),  # traffic > 1e12 Erlangs
        ([('aht = "180s"', "aht = 1e-6"), ('patience = "120s"', "patience = 1e7")],
         "small.toml: channels.voice.patience: must be at most 1e+12 × aht"),
        ([("seed = 5", 'seed = 5\nvolume_uncertainty = "1e9%"')],
         "small.toml: volume_uncertainty: expected a number ≥ 0"),
        ([("volume = [40, 60]", "volume = [6e6, 6e6]")],
         "small.toml: channels.voice.volume: 12,000,000 contacts in the horizon"),
        ([("seed = 5", "seed = 5\nvolume_uncertainty = 1e-300")],  # (found by the fuzz test)
         "small.toml: volume_uncertainty: expected 0 or at least 0.001"),
        ([("seed = 5", "seed = 5\ninterval_uncertainty = 1e-300")],
         "small.toml: interval_uncertainty: expected 0 or at least 0.001"),
    ],
)  # fmt: skip
def test_validate_refuses_what_a_run_refuses_with_the_same_lines(tmp_path, edits, line):
    text = SMALL
    for old, new in edits:
        text = text.replace(old, new, 1)
    path = _scenario(tmp_path, text)
    outputs = {}
    for command in COMMANDS:
        result = _run(command, path, tmp_path)
        _refused(result, line)
        outputs[command] = result.output
    assert outputs["validate"] == outputs["simulate"] == outputs["staff"]


# --- bounds on sizes: refused in well under a second, in bounded memory --------------------------


def _refusal_cost(path: Path) -> tuple[float, float, str]:
    """Seconds, peak MiB (tracemalloc, a second read) and the message of refusing ``path``."""
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    with pytest.raises(ScenarioError):
        load_scenario(path)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, str(info.value)


def test_a_list_of_ten_million_volumes_is_refused_by_the_file_size(tmp_path):
    path = _scenario(tmp_path, _edit("[40, 60]", "[" + ",".join(["1"] * 10_000_000) + "]"))
    seconds, peak, message = _refusal_cost(path)
    assert message == "small.toml: the scenario file is larger than 2 MiB (the limit)"
    assert seconds < 1.0 and peak < 10


def test_a_long_list_in_a_small_file_is_refused_before_parsing(tmp_path):
    path = _scenario(tmp_path, _edit("[40, 60]", "[" + ",".join(["1"] * 900_000) + "]"))
    seconds, peak, message = _refusal_cost(path)
    assert message == (
        "small.toml: channels.voice.volume: line 7: a list of more than 100,000 values "
        "(one per interval)"
    )
    assert seconds < 1.0 and peak < 40


def test_a_fifty_megabyte_scenario_is_refused_unread(tmp_path):
    path = _scenario(tmp_path, SMALL)
    with open(path, "r+b") as handle:
        handle.truncate(50 * 2**20)  # sparse: nothing written
    seconds, peak, message = _refusal_cost(path)
    assert message == "small.toml: the scenario file is larger than 2 MiB (the limit)"
    assert seconds < 1.0 and peak < 10


def test_a_ten_million_row_csv_is_refused_while_streaming(tmp_path):
    (tmp_path / "rows.csv").write_text("v\n" + "1\n" * 10_000_000)
    path = _scenario(tmp_path, _edit("[40, 60]", '{ csv = "rows.csv", column = "v" }'))
    seconds, peak, message = _refusal_cost(path)
    assert message == (
        "small.toml: channels.voice.volume.csv: CSV file 'rows.csv' has more than 100,000 rows "
        "(one per interval; the limit)"
    )
    assert seconds < 1.0 and peak < 150


def test_a_csv_file_beyond_32_mib_is_refused_unread(tmp_path):
    with open(tmp_path / "big.csv", "wb") as handle:
        handle.write(b"v\n1\n")
        handle.truncate(40 * 2**20)
    path = _scenario(tmp_path, _edit("[40, 60]", '{ csv = "big.csv", column = "v" }'))
    seconds, peak, message = _refusal_cost(path)
    assert message.endswith("CSV file 'big.csv' is larger than 32 MiB (the limit)")
    assert seconds < 1.0 and peak < 80


def test_a_table_of_too_many_channels_is_refused():
    channels = {f"c{i}": {"volume": 1, "aht": 60} for i in range(1001)}
    with pytest.raises(ScenarioError, match="channels: a table of 1,001 keys, more than 1,000"):
        Scenario.from_dict({"interval": "30min", "channels": channels, "groups": {}})


# --- error messages quote at most the offending cell or key, cut to 40 characters ---------------


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_a_csv_that_is_not_text_quotes_nothing(tmp_path):
    environment = Path("/proc/self/environ").read_bytes().decode(errors="replace").split("\0")
    secrets = [v.partition("=")[2] for v in environment if len(v.partition("=")[2]) >= 8]
    (tmp_path / "binary.bin").write_bytes(b"v\x00\x01\x02secret-bytes")
    for name in ("/proc/self/environ", str(tmp_path / "binary.bin")):
        path = _scenario(tmp_path, _edit("[40, 60]", f'{{ csv = "{name}", column = "v" }}'))
        result = _run("validate", path, tmp_path)
        _refused(result, "is not a text file (it holds NUL bytes)")
        assert "secret-bytes" not in result.output
        assert not [value for value in secrets if value in result.output]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_csv_that_is_a_pipe_or_a_device_is_refused_unread(tmp_path):
    """A named pipe nobody writes would block the read forever; /dev/zero never ends."""
    os.mkfifo(tmp_path / "pipe.csv")
    for name in ("pipe.csv", "/dev/zero"):
        path = _scenario(tmp_path, _edit("[40, 60]", f'{{ csv = "{name}", column = "v" }}'))
        _refused(_run("validate", path, tmp_path), "is not a regular file (a pipe or a device?)")


def test_a_first_line_that_is_not_column_names_is_not_listed(tmp_path):
    secret = "root:$6$saltsalt$" + "h" * 80 + ":19000:0:99999:7:::"
    (tmp_path / "shadow.csv").write_text(secret + "\n" + "x\n")
    path = _scenario(tmp_path, _edit("[40, 60]", '{ csv = "shadow.csv", column = "v" }'))
    result = _run("validate", path, tmp_path)
    _refused(result, "no column 'v' in shadow.csv (its first line does not look like column")
    assert "$6$" not in result.output and "hhhh" not in result.output


def test_column_names_that_look_like_names_are_listed(tmp_path):
    (tmp_path / "f.csv").write_text("start,voice\n08:00,40\n08:30,60\n")
    path = _scenario(tmp_path, _edit("[40, 60]", '{ csv = "f.csv", column = "voices" }'))
    _refused(
        _run("validate", path, tmp_path),
        "no column 'voices' in f.csv; did you mean 'voice'? (available: start, voice)",
    )


def test_cells_keys_and_values_are_cut_to_40_characters(tmp_path):
    (tmp_path / "f.csv").write_text("v\n" + "x" * 500 + "\n40\n")
    cases = {
        "csv cell": _edit("[40, 60]", '{ csv = "f.csv", column = "v" }'),
        "value": _edit('aht = "180s"', f'aht = "{"y" * 500}"'),
        "key": _edit('aht = "180s"', f'aht = "180s"\n{"k" * 500} = 1'),
        "name": SMALL.replace("voice", "k" * 500),
    }
    for text in cases.values():
        result = _run("validate", _scenario(tmp_path, text), tmp_path)
        assert result.exit_code == 2, result.output
        assert not any(c * 41 in result.output for c in "xyk"), result.output
        assert all(len(line) < 400 for line in result.output.splitlines())


# --- sweeps: file-system errors are one line; finished points are kept --------------------------

SWEEP = ["--set", "groups.phones.agents=4..9", "--replications", "2", "--seed", "3"]


def _sweep(path: Path, out: Path, *extra: str):
    return CliRunner().invoke(cli, ["sweep", str(path), *SWEEP, "--jobs", "1",
                                    "--out", str(out), *extra])  # fmt: skip


@pytest.fixture(scope="module")
def sweep_reference(tmp_path_factory):
    """The scenario and an uninterrupted sweep of six points."""
    base = tmp_path_factory.mktemp("sweep")
    path = _scenario(base, SMALL)
    result = _sweep(path, base / "reference")
    assert result.exit_code == 0, result.output
    return path, base / "reference"


def _one_line_error(result, code: int, text: str) -> None:
    assert result.exit_code == code, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and text in errors[0], result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, OSError)


def test_sweep_out_paths_that_cannot_be_used_are_one_line_errors(sweep_reference, tmp_path):
    path, _ = sweep_reference
    (tmp_path / "afile").write_text("x")
    (tmp_path / "with-points").mkdir()
    (tmp_path / "with-points" / "points").write_text("x")
    (tmp_path / "list").mkdir()
    (tmp_path / "list" / "sweep.json").write_text("[1, 2]")
    cases = {
        tmp_path / "afile" / "sub": "cannot be used for a sweep: Not a directory",
        tmp_path / "with-points": "cannot be used for a sweep: Not a directory",
        tmp_path / "list": "sweep.json is not the manifest of a ccsim sweep",
    }
    if Path("/proc").is_dir():
        cases[Path("/proc/ccsim-x")] = "cannot be used for a sweep: No such file or directory"
    for out, text in cases.items():
        _one_line_error(_sweep(path, out), 2, text)


def _valid_points(out: Path) -> int:
    return len(list((out / "points").glob("*.json")))


def test_disk_full_mid_sweep_fails_in_one_line_and_keeps_points(
    sweep_reference, tmp_path, monkeypatch
):
    """Simulated ENOSPC on the fourth point file (see also the small filesystem below)."""
    import ccsim.sweep.store as store

    path, reference = sweep_reference
    real, calls = store.atomic_write_text, []

    def full(target, text):
        if Path(target).parent.name == "points":
            calls.append(target)
            if len(calls) >= 4:
                raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real(target, text)

    monkeypatch.setattr(store, "atomic_write_text", full)
    out = tmp_path / "full"
    _one_line_error(_sweep(path, out), 1, "No space left on device")
    assert _valid_points(out) == 3
    monkeypatch.setattr(store, "atomic_write_text", real)
    result = _sweep(path, out)
    assert result.exit_code == 0 and "(3 computed, 3 already done)" in result.output
    assert (out / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()


@pytest.fixture
def small_filesystem(tmp_path):
    """A 48 KiB tmpfs at ``tmp_path / "small"`` where mounting is allowed (root on Linux),
    else skip: the simulated ENOSPC above covers the same path."""
    mount = tmp_path / "small"
    mount.mkdir()
    if sys.platform != "linux" or shutil.which("mount") is None:
        pytest.skip("no mount here")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", str(mount)],
                          capture_output=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip("mounting a small tmpfs is not allowed here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_disk_full_on_a_small_filesystem(sweep_reference, small_filesystem):
    path, reference = sweep_reference
    out = small_filesystem / "sweep"
    free = os.statvfs(small_filesystem)
    room = 5 * 4096  # the manifest, the journal and about three point files
    (small_filesystem / "filler").write_bytes(b"x" * (free.f_bavail * free.f_frsize - room))
    result = _sweep(path, out)
    _one_line_error(result, 1, "No space left on device")
    kept = _valid_points(out)
    subprocess.run(["mount", "-o", "remount,size=4m", str(small_filesystem)], check=True)
    result = _sweep(path, out)
    assert result.exit_code == 0, result.output
    assert f"({6 - kept} computed, {kept} already done)" in result.output
    assert (out / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()
    assert len((out / "points.log").read_text().splitlines()) == 6


# --- point files are checked; the journal is rebuilt --------------------------------------------


def _spoil(record: dict, how: str) -> dict:
    if how == "no rows":
        record["rows"] = []
    elif how == "a string for a number":
        record["rows"][0]["service_level"] = "abc"
    elif how == "a number changed":
        record["rows"][0]["service_level"] = 0.123
    elif how == "a list":
        return [record]  # type: ignore[return-value]
    return record


@pytest.mark.parametrize("how", ["no rows", "a string for a number", "a number changed", "a list"])
def test_a_point_file_that_does_not_check_is_computed_again(sweep_reference, tmp_path, how):
    path, reference = sweep_reference
    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    victim = sorted((out / "points").glob("*.json"))[2]
    victim.write_text(json.dumps(_spoil(json.loads(victim.read_text()), how)))
    result = _sweep(path, out)
    assert result.exit_code == 0, result.output
    assert "(1 computed, 5 already done)" in result.output
    assert (out / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()
    assert len((out / "points.log").read_text().splitlines()) == 6


def test_a_journal_line_lost_to_a_kill_is_rebuilt(sweep_reference, tmp_path):
    path, reference = sweep_reference
    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    lines = (out / "points.log").read_text().splitlines(keepends=True)
    (out / "points.log").write_text("".join(lines[:-1]))  # killed after the file, before the line
    result = _sweep(path, out)
    assert result.exit_code == 0 and "(0 computed, 6 already done)" in result.output
    rebuilt = (out / "points.log").read_text().splitlines(keepends=True)
    assert rebuilt[:-1] == lines[:-1] and rebuilt[-1].split("\t")[1:] == lines[-1].split("\t")[1:]


# --- Dask: start-up failures and a scheduler that does not speak Dask ---------------------------


def test_a_local_cluster_that_fails_to_start_is_retried_once(
    sweep_reference, tmp_path, monkeypatch
):
    distributed = pytest.importorskip("dask.distributed")
    path, reference = sweep_reference
    real, attempts = distributed.LocalCluster, []

    def flaky(**kwargs):
        attempts.append(kwargs)
        if len(attempts) == 1:
            raise RuntimeError("Nanny failed to start.")
        return real(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None)

    monkeypatch.setattr(distributed, "LocalCluster", flaky)
    result = _sweep(path, tmp_path / "retried", "--executor", "dask")
    assert result.exit_code == 0, result.output
    assert len(attempts) == 2
    results = (tmp_path / "retried" / "results.csv").read_bytes()
    assert results == (reference / "results.csv").read_bytes()


@pytest.mark.parametrize("command", ["sweep", "simulate"])
def test_a_local_cluster_that_never_starts_is_a_one_line_error(tmp_path, monkeypatch, command):
    distributed = pytest.importorskip("dask.distributed")
    path = _scenario(tmp_path, SMALL)
    attempts = []

    def broken(**kwargs):
        attempts.append(kwargs)
        raise RuntimeError("Nanny failed to start.\nworker lost")

    monkeypatch.setattr(distributed, "LocalCluster", broken)
    if command == "sweep":
        result = _sweep(path, tmp_path / "out", "--executor", "dask")
    else:
        result = CliRunner().invoke(cli, ["simulate", str(path), "--executor", "dask"])
    _one_line_error(result, 1, "the local Dask cluster did not start (tried twice): RuntimeError")
    assert len(attempts) == 2


@pytest.fixture
def silent_listener():
    """The address of a TCP listener that accepts connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for conn in accepted:
        conn.close()


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("sweep", "--scheduler {}: no Dask scheduler answered within 1 s (connect and handshake)"),
        ("simulate", "cannot reach the Dask scheduler at {} (connect and handshake within 1 s)"),
    ],
)
def test_a_scheduler_that_never_speaks_times_out(tmp_path, monkeypatch, silent_listener,
                                                 command, text):  # fmt: skip
    pytest.importorskip("dask.distributed")
    import ccsim._pools

    monkeypatch.setattr(ccsim._pools, "SCHEDULER_TIMEOUT", 1.0)  # (10 s by default)
    path = _scenario(tmp_path, SMALL)
    started = time.monotonic()
    if command == "sweep":
        result = _sweep(path, tmp_path / "out", "--scheduler", silent_listener)
    else:
        result = CliRunner().invoke(cli, ["simulate", str(path), "--scheduler", silent_listener])
    assert time.monotonic() - started < 10
    _one_line_error(result, 2, text.format(silent_listener))


# --- output directories hold one run's set of files ---------------------------------------------


def test_stale_temp_files_of_a_killed_run_are_removed(tmp_path):
    path = _scenario(tmp_path, SMALL)
    out = tmp_path / "out"
    out.mkdir()
    stale = [".intervals.csv.ab12cd34.tmp", ".staffing.png.x9y8z7w6.png", ".ccsim-staging-k1"]
    (out / stale[0]).write_text("half")
    (out / stale[1]).write_bytes(b"half")
    (out / stale[2]).mkdir()
    (out / "notes.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["simulate", str(path), "--replications", "2", "--jobs",
                                      "1", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["intervals.csv", "notes.txt", "summary.json"]


def test_a_new_run_never_leaves_a_mix_of_two_runs(tmp_path, monkeypatch):
    path = _scenario(tmp_path, SMALL)
    out = tmp_path / "out"
    args = ["--replications", "2", "--jobs", "1", "--out", str(out)]
    staffed = CliRunner().invoke(cli, ["staff", str(path), "--out", str(out), "--plot"])
    assert staffed.exit_code == 0, staffed.output
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(first) == ["groups.csv", "intervals.csv", "staffing.png", "summary.json"]
    assert json.loads(first["summary.json"])["files"] == sorted(first)

    import ccsim.plots

    def broken(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ccsim.plots, "plot_simulation", broken)
    failed = CliRunner().invoke(cli, ["simulate", str(path), *args, "--plot"])
    assert failed.exit_code == 2 and "No space left on device" in failed.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # the old set, untouched

    monkeypatch.undo()
    simulated = CliRunner().invoke(cli, ["simulate", str(path), *args])
    assert simulated.exit_code == 0, simulated.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["intervals.csv", "summary.json"]  # no staffing.png of the earlier plan
    assert json.loads((out / "summary.json").read_text())["files"] == names


def test_sweep_directories_lose_stale_temp_files(sweep_reference, tmp_path):
    path, reference = sweep_reference
    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    (out / ".results.csv.ab12cd34.tmp").write_text("half")
    (out / ".sweep.png.ab12cd34.png").write_bytes(b"half")
    (out / "points" / ".0123.json.ab12cd34.tmp").write_text("half")
    assert _sweep(path, out).exit_code == 0
    assert not [p for p in out.rglob(".*") if p.name != ".lock"]


# --- Ctrl-C while the command loads -------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_while_imports_load_exits_130_with_one_line(tmp_path):
    """SIGINT at moments in the first second, from the moment the ``ccsim`` package starts
    loading as the command (the console script's first import; before it, Ctrl-C is the
    Python interpreter's own, outside any code of ccsim)."""
    starter = (
        "import sys; sys.argv[0] = 'ccsim'; import ccsim; sys.stderr.write('started\\n'); "
        "sys.stderr.flush(); from ccsim.cli import main; main()"
    )
    scenario = Path(__file__).parents[1] / "scenarios" / "textbook.toml"
    for delay in (0.0, 0.005, 0.01, 0.03, 0.06, 0.1, 0.2, 0.4, 0.8):
        process = subprocess.Popen(
            [sys.executable, "-c", starter, "simulate", str(scenario), "--replications", "500",
             "--jobs", "1", "--out", str(tmp_path / "out")],
            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert process.stderr.readline() == "started\n"
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert process.returncode == 130, (delay, stderr)
        assert len(lines) == 1 and lines[0].startswith("interrupted"), (delay, stderr)
        assert not (tmp_path / "out").exists()  # nothing half-written
