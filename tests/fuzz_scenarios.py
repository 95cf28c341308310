"""Seeded mutants of the bundled scenarios, and the check each must pass.

Used by ``tests/test_fuzz_scenarios.py`` (a few hundred mutants) and by
``benchmarks/fuzz_scenarios.py`` (thousands). Every bundled scenario is cut to a
tiny horizon (its first :data:`INTERVALS` intervals, its CSV files to as many
rows) so that simulating a mutant takes milliseconds; then one random change is
made: a value of a wrong type, nan or inf, a huge or tiny number, an integer
beyond float range, a list of the wrong length, a bad CSV reference, deep
nesting, an unknown or a missing key. :func:`check` runs ``ccsim validate`` and
``ccsim simulate --replications 2`` on the mutant and reports what breaks the
contract: a traceback (exit 1), a refusal (exit 2) whose lines do not name the
file and a key (or a line), or ``validate`` and ``simulate`` disagreeing.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import random
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ccsim.cli import cli

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
INTERVALS = 2
NEST = "@@NESTED@@"

HUGE = [1e300, 1e19, 2**63, 2**64 + 1, 10**400, -(10**400), 1e13, -1e300, 1.7976931348623157e308]
TINY = [1e-300, 5e-324, 1e-9, -1e-300, 0, -0.0, 0.5, -1]
SPECIAL = [math.nan, math.inf, -math.inf]
WRONG = ["abc", True, [], {}, "", "1e9%", "-5s", "nan", "auto", [1, "x"], {"csv": 1},
         dt.date(2026, 1, 1), "x" * 300, "10" * 30 + "s"]  # fmt: skip
POOLS = {"huge": HUGE, "tiny": TINY, "special": SPECIAL, "wrong": WRONG}
KINDS = ("huge", "tiny", "special", "wrong", "length", "csv", "nest", "key", "two", "scale")
"""Kinds of mutation; ``scale`` multiplies a number by 0, ½, 2 or 3 (mostly still valid)."""


@dataclass
class Mutant:
    """One mutated scenario: where it is written, and what was changed."""

    path: Path
    kind: str
    change: str


# --- the bases: bundled scenarios on a tiny horizon ----------------------------------------------


def _cut(node: Any, n: int) -> Any:
    """Every list of ``n`` values (one per interval) cut to :data:`INTERVALS`."""
    if isinstance(node, dict):
        return {key: _cut(value, n) for key, value in node.items()}
    if isinstance(node, list):
        items = [_cut(value, n) for value in node]
        return items[:INTERVALS] if len(node) == n else items
    return node


def bases() -> list[tuple[str, dict, dict[str, str]]]:
    """(name, document, CSV files name → text) of each bundled scenario on the tiny horizon;
    ``[shifts]`` are left out (their start times need the whole day)."""
    from ccsim.scenario import load_scenario

    found = []
    for path in sorted(SCENARIOS.glob("*.toml")):
        n = load_scenario(path).n_intervals
        doc = _cut(tomllib.loads(path.read_text(encoding="utf-8")), n)
        doc.pop("shifts", None)
        files = {}
        for csv in sorted(set(re.findall(r'csv = "([^"]+)"', path.read_text()))):
            lines = (path.parent / csv).read_text(encoding="utf-8-sig").splitlines()
            files[csv] = "\n".join(lines[: 1 + INTERVALS]) + "\n"
        found.append((path.stem, doc, files))
    return found


# --- TOML out ------------------------------------------------------------------------------------


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value if value == NEST else json.dumps(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def to_toml(doc: dict) -> str:
    """``doc`` as TOML: dotted keys for the tables of channels, groups and routing, inline
    values below them."""
    lines = []

    def emit(prefix: list[str], value: Any) -> None:
        if isinstance(value, dict) and len(prefix) < 2 and value:
            for key, item in value.items():
                emit([*prefix, str(key)], item)
        else:
            lines.append(f"{'.'.join(_key(p) for p in prefix)} = {_value(value)}")

    for key, value in doc.items():
        emit([str(key)], value)
    return "\n".join(lines) + "\n"


# --- mutations -----------------------------------------------------------------------------------


def _leaves(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, value) of every value in the document, tables and lists included."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))


def _set(doc: dict, path: tuple, value: Any) -> None:
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _csv_reference(rng: random.Random, folder: Path, name: str) -> Any:
    """A bad (or sometimes good) ``{ csv, column }`` reference, with the file it needs."""
    (folder / "bin.csv").write_bytes(b"v\x00\x01\x02")
    (folder / "good.csv").write_text("v,start\n5,08:00\n7,08:30\n")
    (folder / "rows3.csv").write_text("v\n5\n7\n9\n")
    (folder / "cells.csv").write_text("v\nabc\n1,5\n")
    (folder / "empty.csv").write_text("")
    (folder / "long.csv").write_text("root:$6$" + "h" * 100 + "\n1\n2\n")
    choice = rng.choice([
        ("missing.csv", "v"), ("/proc/self/environ", "v"), (f"{name}.toml", "v"),
        ("a\x00b.csv", "v"), ("", "v"), (".", "v"), ("bin.csv", "v"), ("good.csv", "w"),
        ("good.csv", "v"), ("rows3.csv", "v"), ("cells.csv", "v"), ("empty.csv", "v"),
        ("long.csv", "v"), ("good.csv", 7),
    ])  # fmt: skip
    return {"csv": choice[0], "column": choice[1]}


def _mutate(rng: random.Random, doc: dict, kind: str, folder: Path, name: str) -> str:
    """Change ``doc`` in place by one mutation of ``kind``; say what was changed."""
    leaves = [(p, v) for p, v in _leaves(doc) if p]
    path, value = rng.choice(leaves)
    where = ".".join(map(str, path))
    if kind in POOLS:
        new = rng.choice(POOLS[kind])
        _set(doc, path, copy.deepcopy(new))
        return f"{where} = {_value(new)[:40]}"
    if kind == "scale":
        numbers = [(p, v) for p, v in leaves if isinstance(v, (int, float)) and v is not True]
        numbers = [(p, v) for p, v in numbers if v is not False] or [(path, 1)]
        path, value = rng.choice(numbers)
        new = value * rng.choice([0, 0.5, 2, 3])
        _set(doc, path, new)
        return f"{'.'.join(map(str, path))}: {value} → {new}"
    if kind == "length":
        lists = [(p, v) for p, v in leaves if isinstance(v, list)] or [(path, [value])]
        path, value = rng.choice(lists)
        new = rng.choice([[], value[:1], value * 2, value + value[:1], value * 60_000])
        _set(doc, path, new)
        return f"{'.'.join(map(str, path))}: {len(value)} → {len(new)} values"
    if kind == "csv":
        reference = _csv_reference(rng, folder, name)
        _set(doc, path, reference)
        return f"{where} = {_value(reference)[:60]}"
    if kind == "nest":
        depth = rng.choice([15, 17, 100, 5_000, 100_000])
        _set(doc, path, NEST + str(depth))
        return f"{where} nested {depth} deep"
    if kind == "key":
        parent = path[:-1]
        node = doc
        for part in parent:
            node = node[part]
        if isinstance(node, dict) and rng.random() < 0.5:
            del node[path[-1]]
            return f"{where} removed"
        _set(doc, (*parent, f"{path[-1]}x") if isinstance(node, dict) else path, 1)
        return f"{where}x added"
    return " and ".join(_mutate(rng, doc, rng.choice(("huge", "tiny", "wrong")), folder, name)
                        for _ in range(2))  # fmt: skip


def _nested(text: str) -> str:
    """The nesting placeholders replaced by arrays (or inline tables) that deep."""

    def deep(match: re.Match[str]) -> str:
        depth = int(match.group(1))
        if depth % 2:
            return "{ a = " * depth + "1" + " }" * depth
        return "[" * depth + "1" + "]" * depth

    return re.sub(rf'"?{NEST}(\d+)"?', deep, text)


def mutants(seed: int, count: int, folder: Path) -> Iterator[Mutant]:
    """``count`` mutants of the bundled scenarios drawn with ``seed``, each written into its
    own directory under ``folder`` with the CSV files it refers to."""
    rng = random.Random(seed)
    found = bases()
    for i in range(count):
        name, base, files = rng.choice(found)
        here = folder / f"m{i:05d}"
        here.mkdir(parents=True)
        for csv, text in files.items():
            (here / csv).write_text(text, encoding="utf-8")
        doc = copy.deepcopy(base)
        kind = rng.choice(KINDS)
        change = _mutate(rng, doc, kind, here, name)
        path = here / f"{name}.toml"
        path.write_text(_nested(to_toml(doc)), encoding="utf-8")
        yield Mutant(path, kind, change)


# --- the contract --------------------------------------------------------------------------------

_NAMED = re.compile(r"^Error: (?P<file>[^:]+): (?P<where>line \d+|[^:\s][^:]*): .+")


def _problems(result: Any, command: str, file: str) -> list[str]:
    """What is wrong with one command's outcome (empty: it kept the contract)."""
    if result.exit_code not in (0, 2) or (
        result.exception is not None and not isinstance(result.exception, SystemExit)
    ):
        return [f"{command}: exit {result.exit_code}: {result.exception!r}"]
    found = []
    if "Traceback" in result.output:
        found.append(f"{command}: a traceback in the output")
    if result.exit_code == 2:
        errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
        if not errors:
            found.append(f"{command}: exit 2 without an Error line")
        for line in errors:
            match = _NAMED.match(line)
            if not match or match["file"] != file:
                found.append(f"{command}: names no file and key: {line[:120]}")
        if any(len(line) > 600 for line in result.output.splitlines()):
            found.append(f"{command}: a line of more than 600 characters")
    return found


def check(mutant: Mutant) -> tuple[list[str], int]:
    """Run ``validate`` and ``simulate --replications 2`` on ``mutant``: the broken promises,
    and validate's exit code (0: accepted, 2: refused)."""
    runner = CliRunner()
    validate = runner.invoke(cli, ["validate", str(mutant.path)])
    simulate = runner.invoke(
        cli, ["simulate", str(mutant.path), "--replications", "2", "--jobs", "1"]
    )
    found = _problems(validate, "validate", mutant.path.name)
    found += _problems(simulate, "simulate", mutant.path.name)
    if not found and (validate.exit_code == 0) != (simulate.exit_code == 0):
        found.append(
            f"validate exit {validate.exit_code} but simulate exit {simulate.exit_code}: "
            f"{(validate.output + simulate.output).strip().splitlines()[-1][:160]}"
        )
    return found, validate.exit_code
