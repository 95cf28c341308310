"""Batch sweeps: a grid of scenario variants, run on every core or a Dask cluster, resumably.

A sweep is the product of a few *axes* — a dotted scenario path and its values,
e.g. ``channels.voice.aht`` over ``160s, 180s, 200s`` and ``groups.phones.agents``
over ``12..18``. Each *point* of the product is the scenario with those
overrides (:meth:`ccsim.scenario.Scenario.with_overrides`), simulated with
``replications`` replications. Every point is validated before anything runs.

Reproducibility: a point's seed derives from the base seed and the point's
canonical parameters only (:func:`point_seed`), so its numbers never depend on
the number of jobs, the executor, the order in which points finish, or on a
resumption.

The store (``out=DIR``)::

    DIR/sweep.json          the manifest, written first: scenario (path, sha256 of the
                            document and its CSV files), grid, replications, seed, mode,
                            ccsim version. A rerun with other arguments is refused.
    DIR/points/<id>.json    one file per finished point, written atomically by the parent
                            process the moment the point finishes.
    DIR/points.log          one appended line per computed point: time, id, point, seconds.
    DIR/results.csv         rebuilt from the point files in grid order when all are done,
                            so it is byte-identical however the run went.
    DIR/.lock               held (POSIX lock) while a sweep runs: a second concurrent
                            run into the same directory is refused.

A rerun with the same arguments computes only the points without a file; an
interrupted sweep (Ctrl-C, SIGKILL, a lost worker) loses at most the points
that were in flight.

``results.csv`` has one row per point × channel: ``point`` (0-based index in
grid order), the swept parameters (columns named by their dotted paths),
``channel``, the simulated totals ``offered, answered, abandoned,
service_level, service_level_lo, service_level_hi, asa, abandon_rate,
occupancy`` (as in ``ccsim simulate``), ``agent_hours`` and ``seed``.
``agent_hours`` is the staffed time of the groups that can serve the channel:
Σ over those groups and all intervals of agents × interval length in hours
(a multi-skill group counts fully for each of its channels). A group with
``agents = "auto"`` is simulated with the analytic plan (see ``ccsim.simulate``).

With ``staff=True`` (``--staff``) each point is first planned by
``ccsim.staffing.plan_staffing(point, verify=False)`` (Erlang C/A, every group
planned) and the plan's agents are simulated; ``agent_hours`` is then the
plan's — the cost of meeting the targets at that point.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import signal
import tempfile
import threading
import time
import tomllib
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np

from ccsim import __version__
from ccsim.results import Table, atomic_write_text, write_json
from ccsim.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "Axis",
    "Point",
    "SweepError",
    "PointError",
    "SweepInterrupted",
    "SweepPlan",
    "KPI_COLUMNS",
    "parse_set",
    "parse_values",
    "parse_scalar",
    "read_grid_file",
    "grid_axes",
    "canonical_key",
    "point_id",
    "point_seed",
    "plan_sweep",
    "run_sweep",
    "sweep",
    "summary_text",
]

KPI_COLUMNS = (
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "service_level_lo",
    "service_level_hi",
    "asa",
    "abandon_rate",
    "occupancy",
)
"""The per-channel totals of ``simulate`` that a sweep keeps, in ``results.csv`` order."""

MAX_POINTS = 100_000
"""A grid larger than this is refused: almost certainly a typo in a range."""

STORE_FORMAT = 1


class SweepError(ValueError):
    """A sweep that cannot start or continue: bad grid, invalid point, or a store mismatch."""


class PointError(RuntimeError):
    """A point whose computation raised; the sweep stopped, finished points are kept."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: pending points cancelled, finished points kept on disk."""

    def __init__(self, done: int, total: int, out: Path | None):
        self.done, self.total, self.out = done, total, out
        where = f" in {out}" if out is not None else ""
        super().__init__(f"interrupted: {done} of {total} points finished and kept{where}")


# --- values and grids -----------------------------------------------------------------------

_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_][A-Za-z0-9_\-]*)*$")
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_RANGE = re.compile(
    rf"^(?P<a>{_NUMBER})(?P<ua>[A-Za-z%]*)\s*\.\.\s*(?P<b>{_NUMBER})(?P<ub>[A-Za-z%]*)"
    rf"(?:\s*/\s*(?P<s>{_NUMBER})(?P<us>[A-Za-z%]*))?$"
)


@dataclass(frozen=True)
class Axis:
    """One swept scenario path and its values, in order; ``origin`` says where it was given."""

    key: str
    values: tuple[Any, ...]
    origin: str


def parse_scalar(text: str) -> Any:
    """One value as TOML would read it: ``12`` → int, ``0.8`` → float, ``true`` → bool,
    ``"x"`` → str, ``[10, 12]`` → list; anything else (``160s``, ``80%``, ``abc``) stays a
    string for the scenario to parse. Raises :class:`SweepError` on an empty value."""
    text = text.strip()
    if not text:
        raise SweepError("empty value")
    if "\n" in text or "#" in text:
        return text
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    if _plain_value(value):
        return value
    return text


def _plain_value(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, list):
        return all(_plain_value(v) for v in value)
    return False


def _split_items(text: str) -> list[str]:
    """Split on commas outside brackets and quotes."""
    items, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    if quote or depth:
        raise SweepError(f"unbalanced quotes or brackets in {text!r}")
    items.append(text[start:])
    return items


def _expand_range(match: re.Match[str], text: str) -> list[Any]:
    units = {u for u in (match["ua"], match["ub"], match["us"] or "") if u}
    if len(units) > 1:
        raise SweepError(f"range {text!r} mixes units {sorted(units)}")
    unit = units.pop() if units else ""
    try:
        low, high = Decimal(match["a"]), Decimal(match["b"])
        step = Decimal(match["s"]) if match["s"] is not None else Decimal(1)
    except InvalidOperation:  # pragma: no cover - the regex admits only numbers
        raise SweepError(f"cannot read range {text!r}") from None
    if step <= 0:
        raise SweepError(f"range {text!r}: the step must be > 0")
    if high < low:
        raise SweepError(f"range {text!r} is empty: write the lower bound first")
    count = int((high - low) / step) + 1
    if count > MAX_POINTS:
        raise SweepError(f"range {text!r} has {count} values, more than {MAX_POINTS}")
    integral = (
        all("." not in (match[g] or "") for g in ("a", "b", "s"))
        and step == step.to_integral_value()
    )
    values: list[Any] = []
    for i in range(count):
        number = low + step * i
        value: Any = int(number) if integral else float(number)
        values.append(f"{_format_decimal(number)}{unit}" if unit else value)
    return values


def _format_decimal(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def parse_values(text: str) -> list[Any]:
    """The values of one axis: a comma list (``160s,180s,200s``), ranges (``12..18``,
    ``0.7..0.9/0.1``, ``160s..200s/20s``, inclusive), or a mix (``10,12..14``).

    Range bounds are numbers with an optional common unit; without ``/step``
    the step is 1. Other items are read by :func:`parse_scalar`. Raises
    :class:`SweepError` on bad syntax or an empty list.
    """
    values: list[Any] = []
    for item in _split_items(text):
        item = item.strip()
        if not item:
            raise SweepError(f"empty value in {text!r}")
        match = _RANGE.match(item)
        if match:
            values.extend(_expand_range(match, item))
        elif ".." in item and not item.startswith(("[", '"', "'")):
            raise SweepError(
                f"cannot read range {item!r}: write a..b or a..b/step with numbers, e.g. 12..18"
            )
        else:
            values.append(parse_scalar(item))
    return values


def _check_key(key: str, origin: str) -> str:
    key = key.strip()
    if not _KEY.match(key):
        raise SweepError(
            f"{origin}: {key!r} is not a dotted scenario path such as channels.voice.aht"
        )
    return key


def parse_set(text: str) -> Axis:
    """One ``--set key=values`` option as an :class:`Axis` (see :func:`parse_values`)."""
    origin = f"--set {text}"
    key, sep, values = text.partition("=")
    if not sep:
        raise SweepError(f"{origin}: expected key=values, e.g. channels.voice.aht=160s,180s")
    key = _check_key(key, origin)
    try:
        parsed = parse_values(values)
    except SweepError as exc:
        raise SweepError(f"{origin}: {exc}") from None
    return Axis(key, tuple(parsed), origin)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, path + ".")
        else:
            yield path, value


def read_grid_file(path: str | os.PathLike) -> list[Axis]:
    """The axes of a TOML grid file: a ``[grid]`` table of dotted path → values.

    A value is a list (its elements taken as they are), a string in the
    ``--set`` syntax (``"12..18"``, ``"160s,180s"``) or a single number.
    Nested tables (``[grid.channels.voice]`` ``aht = [...]``) name the same paths.
    """
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise SweepError(f"{path}: no such grid file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SweepError(f"{path}: cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"{path}: TOML syntax: {exc}") from None
    unknown = [key for key in doc if key != "grid"]
    if unknown or not isinstance(doc.get("grid"), Mapping):
        raise SweepError(f"{path}: expected only a [grid] table, got {sorted(doc) or 'nothing'}")
    axes = []
    for key, value in _flatten(doc["grid"]):
        origin = f"{path.name}: grid.{key}"
        key = _check_key(key, origin)
        if isinstance(value, list):
            if not value:
                raise SweepError(f"{origin}: empty list")
            if not all(_plain_value(v) for v in value):
                raise SweepError(f"{origin}: values must be numbers, strings, booleans or lists")
            values = value
        elif isinstance(value, str):
            try:
                values = parse_values(value)
            except SweepError as exc:
                raise SweepError(f"{origin}: {exc}") from None
        elif _plain_value(value):
            values = [value]
        else:
            raise SweepError(f"{origin}: expected a list, a string or a number, got {value!r}")
        axes.append(Axis(key, tuple(values), origin))
    if not axes:
        raise SweepError(f"{path}: the [grid] table is empty")
    return axes


def grid_axes(grid: Mapping[str, Any] | Sequence[Axis | str]) -> list[Axis]:
    """Axes from a mapping (path → list, range string or scalar), ``key=values`` strings, or
    :class:`Axis` objects. Raises :class:`SweepError` on bad syntax or a repeated path."""
    axes: list[Axis] = []
    if isinstance(grid, Mapping):
        for key, value in grid.items():
            origin = f"grid[{key!r}]"
            key = _check_key(str(key), origin)
            if isinstance(value, str):
                try:
                    values = parse_values(value)
                except SweepError as exc:
                    raise SweepError(f"{origin}: {exc}") from None
            elif isinstance(value, (list, tuple, range, np.ndarray)):
                values = [v.item() if isinstance(v, np.generic) else v for v in value]
            else:
                values = [value]
            if not values:
                raise SweepError(f"{origin}: no values")
            axes.append(Axis(key, tuple(values), origin))
    else:
        for item in grid:
            axes.append(item if isinstance(item, Axis) else parse_set(item))
    seen: dict[str, str] = {}
    for axis in axes:
        if axis.key in seen:
            raise SweepError(f"{axis.origin}: {axis.key} is already swept by {seen[axis.key]}")
        seen[axis.key] = axis.origin
    return axes


# --- points: identity and seeds -------------------------------------------------------------


def canonical_key(overrides: Mapping[str, Any]) -> str:
    """The identity of a point: its overrides sorted by path, as compact JSON."""
    items = [[key, overrides[key]] for key in sorted(overrides)]
    return json.dumps(items, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def point_id(key: str) -> str:
    """A short stable name for a point (file names): 16 hex digits of SHA-256 of its key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def point_seed(base_seed: int, key: str) -> int:
    """The seed of the point with canonical key ``key``: a function of these two only.

    ``SeedSequence([base_seed, *words])`` where the words are SHA-256 of the key
    as eight 32-bit integers; the result is a 63-bit non-negative int.
    """
    words = np.frombuffer(hashlib.sha256(key.encode("utf-8")).digest(), dtype="<u4")
    state = np.random.SeedSequence([int(base_seed), *words.tolist()]).generate_state(2)
    return ((int(state[0]) << 32) | int(state[1])) >> 1


@dataclass(frozen=True)
class Point:
    """One scenario variant: ``index`` in grid order, its overrides, identity and seed."""

    index: int
    overrides: Mapping[str, Any]
    key: str
    id: str
    seed: int

    def label(self) -> str:
        """``path=value, …`` in axis order, for messages."""
        return ", ".join(f"{k}={_show_value(v)}" for k, v in self.overrides.items())


def _show_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


# --- the plan: scenario + grid, validated ---------------------------------------------------


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: the scenario document to ship, the axes, the points, the settings."""

    scenario: Scenario
    axes: tuple[Axis, ...]
    points: tuple[Point, ...]
    replications: int
    seed: int
    mode: str
    bundle: Mapping[str, Any]
    spec_sha256: str

    def manifest(self) -> dict[str, Any]:
        """What ``DIR/sweep.json`` holds; the identity fields must match on a rerun."""
        return {
            "format": STORE_FORMAT,
            "ccsim_version": __version__,
            "scenario": {
                "name": self.scenario.name,
                "path": str(self.scenario.source) if self.scenario.source else None,
                "sha256": self.spec_sha256,
            },
            "grid": [[axis.key, list(axis.values)] for axis in self.axes],
            "replications": self.replications,
            "seed": self.seed,
            "mode": self.mode,
            "points": len(self.points),
        }


_IDENTITY = ("format", "ccsim_version", "grid", "replications", "seed", "mode")


def _bundle(scenario: Scenario) -> tuple[dict[str, Any], str]:
    """The plain data a worker needs to rebuild ``scenario``: its document, with every CSV
    file it references carried along, and the SHA-256 of all of it."""
    spec = json.loads(json.dumps(scenario.spec, default=str))
    files: dict[str, str] = {}
    aliases: dict[Path, str] = {}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            name = node.get("csv")
            if isinstance(name, str) and name:
                file = Path(name)
                if not file.is_absolute() and scenario.base_dir is not None:
                    file = scenario.base_dir / file
                resolved = file.resolve()
                if resolved not in aliases:
                    aliases[resolved] = f"csv{len(files)}_{file.name}"
                    files[aliases[resolved]] = file.read_text(encoding="utf-8-sig")
                node["csv"] = aliases[resolved]
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(spec)
    source = scenario.source.name if scenario.source is not None else None
    bundle = {"spec": spec, "files": files, "source": source}
    digest = hashlib.sha256(
        json.dumps([spec, files], sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    return bundle, digest


def _strip_where(problem: str, scenario: Scenario) -> str:
    where = scenario.source.name if scenario.source is not None else "<scenario>"
    return problem.removeprefix(f"{where}: ")


def plan_sweep(
    scenario: Scenario | str | os.PathLike,
    grid: Mapping[str, Any] | Sequence[Axis | str],
    *,
    replications: int = 10,
    seed: int | None = None,
    mode: str = "simulate",
) -> SweepPlan:
    """Build the points of a grid and validate every one before anything runs.

    Raises :class:`ScenarioError` for a bad scenario file, and :class:`SweepError`
    for a bad grid or invalid points, one line per problem naming the axis,
    the point and the scenario path, e.g. ``--set channels.voice.aht=abc:
    point 3 (channels.voice.aht=abc): channels.voice.aht: expected a duration …``.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise SweepError(f"replications must be a whole number ≥ 1, got {replications!r}")
    seed = scenario.seed if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SweepError(f"seed must be a whole number ≥ 0, got {seed!r}")
    if mode not in ("simulate", "staff"):
        raise SweepError(f"mode must be 'simulate' or 'staff', got {mode!r}")
    axes = tuple(grid_axes(grid))
    for axis in axes:
        if axis.key == "seed":
            raise SweepError(
                f"{axis.origin}: a sweep does not use the scenario's seed; "
                "give the base seed with --seed (each point derives its own)"
            )
    count = math.prod(len(axis.values) for axis in axes)
    if count > MAX_POINTS:
        raise SweepError(f"the grid has {count} points, more than {MAX_POINTS}")
    bundle, digest = _bundle(scenario)
    base = _rebuild(bundle, digest)
    points: list[Point] = []
    problems: dict[tuple[str, str], list[Point]] = {}
    for index, values in enumerate(itertools.product(*(axis.values for axis in axes))):
        overrides = {axis.key: value for axis, value in zip(axes, values, strict=True)}
        key = canonical_key(overrides)
        point = Point(index, overrides, key, point_id(key), point_seed(seed, key))
        points.append(point)
        try:
            base.with_overrides(overrides)  # validated; workers rebuild it from plain data
        except ScenarioError as exc:
            for problem in exc.problems:
                message = _strip_where(problem, scenario)
                origin = _origin_of(message, axes, overrides)
                problems.setdefault((origin, message), []).append(point)
            continue
    if problems:
        raise SweepError("\n".join(_problem_lines(problems)))
    if len({p.id for p in points}) != len(points):
        raise SweepError("the grid repeats a point: a value appears twice on one axis")
    return SweepPlan(scenario, axes, tuple(points), replications, seed, mode, bundle, digest)


def _origin_of(message: str, axes: Sequence[Axis], overrides: Mapping[str, Any]) -> str:
    """Where the value a problem is about was given: ``--set key=value``, ``file: grid.key=…``."""
    path = message.partition(": ")[0]
    for axis in axes:
        if path == axis.key or path.startswith(axis.key + ".") or axis.key.startswith(path + "."):
            value = _show_value(overrides[axis.key])
            if axis.origin.startswith("--set "):
                return f"--set {axis.key}={value}"
            return f"{axis.origin}={value}"
    return ""


def _problem_lines(problems: Mapping[tuple[str, str], list[Point]]) -> list[str]:
    lines = []
    for (origin, message), points in problems.items():
        first = points[0]
        n = len(points) - 1
        more = f" (and {n} more point{'s' if n > 1 else ''})" if n else ""
        prefix = f"{origin}: " if origin else ""
        lines.append(f"{prefix}point {first.index} ({first.label()}){more}: {message}")
    return lines


# --- the work of one point (runs in a worker) -----------------------------------------------

_BASES: dict[str, Scenario] = {}
_BASES_LOCK = threading.Lock()


def _rebuild(bundle: Mapping[str, Any], digest: str) -> Scenario:
    """The base scenario from its bundle, cached per process (CSV files in a temp dir)."""
    with _BASES_LOCK:
        if digest in _BASES:
            return _BASES[digest]
        base_dir = None
        if bundle["files"]:
            base_dir = Path(tempfile.mkdtemp(prefix="ccsim-sweep-"))
            atexit.register(shutil.rmtree, base_dir, ignore_errors=True)
            for name, text in bundle["files"].items():
                (base_dir / name).write_text(text, encoding="utf-8")
        source = bundle["source"]
        scenario = Scenario.from_dict(bundle["spec"], source=source, base_dir=base_dir or ".")
        _BASES[digest] = scenario
        return scenario


def _agent_hours(scenario: Scenario, staffing: np.ndarray) -> dict[str, float]:
    """Per channel: Σ over the groups serving it and all intervals of agents × hours.

    ``staffing`` is the simulated agents per group × interval (groups in scenario order).
    """
    per_group = dict(
        zip(scenario.groups, staffing.sum(axis=1) * scenario.interval / 3600.0, strict=True)
    )
    return {
        channel: float(sum(per_group[g] for g in scenario.groups_for(channel)))
        for channel in scenario.channels
    }


def compute_point(bundle: Mapping[str, Any], digest: str, task: Mapping[str, Any]) -> dict:
    """Simulate one point; returns ``{"id", "rows", "elapsed"}`` — a few small plain rows."""
    from ccsim.sim import simulate

    started = time.perf_counter()
    scenario = _rebuild(bundle, digest)
    if task["overrides"]:
        scenario = scenario.with_overrides(task["overrides"])
    agents = None
    if task["mode"] == "staff":
        from ccsim.staffing import plan_staffing

        plan = plan_staffing(scenario, verify=False)
        agents = {name: np.asarray(a) for name, a in plan.agents.items()}  # planned groups
    result = simulate(scenario, replications=task["replications"], seed=task["seed"], agents=agents)
    hours = _agent_hours(scenario, result.staffing)
    rows = []
    for row in result.channels.rows():
        out = {"channel": row["channel"]}
        out.update({name: _encode_float(row[name]) for name in KPI_COLUMNS})
        out["agent_hours"] = _encode_float(hours.get(row["channel"], math.nan))
        rows.append(out)
    return {"id": task["id"], "rows": rows, "elapsed": time.perf_counter() - started}


def _encode_float(value: Any) -> Any:
    value = float(value)
    return value if math.isfinite(value) else str(value)


def _decode_float(value: Any) -> float:
    return math.nan if value is None else float(value)


# --- the store ------------------------------------------------------------------------------


class SweepStore:
    """The directory of a resumable sweep (see the module docstring for the layout)."""

    def __init__(self, directory: str | os.PathLike):
        self.dir = Path(directory)
        self.points_dir = self.dir / "points"
        self.manifest_path = self.dir / "sweep.json"
        self.log_path = self.dir / "points.log"
        self.results_path = self.dir / "results.csv"
        self._lock: Any = None

    def open(self, manifest: Mapping[str, Any]) -> None:
        """Lock the directory, then write the manifest or check that the one there
        describes the same sweep. Raises :class:`SweepError` when another process is
        running a sweep into it or it holds another sweep."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self._acquire()
        try:
            self._check_or_write(manifest)
        except BaseException:
            self.close()
            raise
        self.points_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.points_dir.glob(".*.tmp"):  # a write cut short by a kill
            stale.unlink(missing_ok=True)

    def _acquire(self) -> None:
        # A POSIX record lock: released when this process ends however it ends, and
        # not inherited by forked workers (so a killed sweep never leaves it held).
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            return
        handle = open(self.dir / ".lock", "a+", encoding="utf-8")
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise SweepError(
                f"another ccsim sweep is running into {self.dir}; wait for it to finish "
                "(or stop it), then rerun to resume"
            ) from None
        self._lock = handle

    def close(self) -> None:
        """Release the directory lock."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _check_or_write(self, manifest: Mapping[str, Any]) -> None:
        if self.manifest_path.exists():
            try:
                there = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise SweepError(f"{self.manifest_path}: cannot be read ({exc})") from None
            here = json.loads(json.dumps(manifest))
            differ = [f for f in _IDENTITY if there.get(f) != here.get(f)]
            if there.get("scenario", {}).get("sha256") != here["scenario"]["sha256"]:
                differ.insert(0, "scenario")
            if differ:
                raise SweepError(
                    f"{self.dir} holds another sweep (different {', '.join(differ)}); "
                    "rerun with the same arguments to resume it, or choose another --out "
                    "directory (or delete this one) to start a new sweep"
                )
        else:
            if self.points_dir.exists() and any(self.points_dir.iterdir()):
                raise SweepError(
                    f"{self.dir} has points but no sweep.json: not a sweep directory "
                    "ccsim can resume; choose another --out directory"
                )
            write_json(self.manifest_path, manifest)

    def finished(self, points: Sequence[Point]) -> dict[str, dict]:
        """Records of the points already on disk (unreadable or foreign files are ignored)."""
        records = {}
        for point in points:
            path = self.points_dir / f"{point.id}.json"
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if record.get("key") == point.key and record.get("seed") == point.seed:
                records[point.id] = record
        return records

    def save(self, record: Mapping[str, Any]) -> None:
        """Write a finished point atomically, then log it."""
        text = json.dumps(record, indent=1, ensure_ascii=False) + "\n"
        atomic_write_text(self.points_dir / f"{record['id']}.json", text)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        line = f"{stamp}\t{record['id']}\t{record['point']}\t{record['elapsed']:.3f}\n"
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(line)
            log.flush()


def _record(point: Point, result: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": point.id,
        "point": point.index,
        "key": point.key,
        "overrides": dict(point.overrides),
        "seed": point.seed,
        "rows": result["rows"],
        "elapsed": result["elapsed"],
    }


def results_table(plan: SweepPlan, records: Mapping[str, Mapping[str, Any]]) -> Table:
    """One row per point × channel, in grid order (see the module docstring for columns)."""
    rows: list[tuple[Point, Mapping[str, Any]]] = []
    for point in plan.points:
        record = records.get(point.id)
        if record is not None:
            rows.extend((point, row) for row in record["rows"])
    columns: dict[str, Any] = {"point": np.array([p.index for p, _ in rows], dtype=np.int64)}
    for axis in plan.axes:
        values = np.empty(len(rows), dtype=object)
        values[:] = [_csv_value(p.overrides[axis.key]) for p, _ in rows]
        columns[axis.key] = values
    columns["channel"] = np.array([r["channel"] for _, r in rows], dtype=object)
    for name in (*KPI_COLUMNS, "agent_hours"):
        columns[name] = np.array([_decode_float(r[name]) for _, r in rows], dtype=float)
    columns["seed"] = np.array([p.seed for p, _ in rows], dtype=np.int64)
    return Table(columns)


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return value


# --- executors ------------------------------------------------------------------------------


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _init_worker(parent: int) -> None:
    """In each pool worker: leave Ctrl-C to the parent, and exit if the parent dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="ccsim-parent-watch").start()


def _task(plan: SweepPlan, point: Point) -> dict[str, Any]:
    return {
        "id": point.id,
        "overrides": dict(point.overrides),
        "seed": point.seed,
        "replications": plan.replications,
        "mode": plan.mode,
    }


def _failed(point: Point, exc: BaseException) -> PointError:
    return PointError(f"point {point.index} ({point.label()}) failed: {type(exc).__name__}: {exc}")


def _run_inline(plan, todo, on_done):
    for point in todo:
        try:
            result = compute_point(plan.bundle, plan.spec_sha256, _task(plan, point))
        except Exception as exc:
            raise _failed(point, exc) from exc
        on_done(point, result)


def _run_processes(plan, todo, on_done, jobs):
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    pool = ProcessPoolExecutor(
        max_workers=min(jobs, len(todo)), initializer=_init_worker, initargs=(os.getpid(),)
    )
    futures = {}
    try:
        for point in todo:
            future = pool.submit(compute_point, plan.bundle, plan.spec_sha256, _task(plan, point))
            futures[future] = point
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: futures[f].index):
                try:
                    result = future.result()
                except Exception as exc:
                    raise _failed(futures[future], exc) from exc
                on_done(futures[future], result)
    except BaseException:
        for future in futures:
            future.cancel()
        workers = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            if process.is_alive():
                process.terminate()
        raise
    pool.shutdown(wait=True)


def _run_dask(plan, todo, on_done, jobs, scheduler):
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise SweepError(
            "the dask executor needs dask.distributed: pip install 'ccsim[dask]'"
        ) from None
    import logging

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=min(jobs, len(todo)),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    elif isinstance(scheduler, str):
        try:
            client = Client(scheduler, timeout="30s")
        except OSError as exc:
            raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    elif hasattr(scheduler, "submit"):  # a Client the caller owns and closes
        client = scheduler
    else:  # a cluster object
        client = Client(scheduler)
    futures = []
    run = uuid.uuid4().hex[:12]  # keys unique to this run: never share another run's results
    try:
        bundle = client.scatter(dict(plan.bundle), broadcast=True)
        by_key = {}
        for point in todo:
            future = client.submit(
                compute_point,
                bundle,
                plan.spec_sha256,
                _task(plan, point),
                key=f"ccsim-point-{point.index}-{point.id}-{run}",
                pure=False,
            )
            futures.append(future)
            by_key[future.key] = point
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as exc:
                raise _failed(by_key[future.key], exc) from exc
            on_done(by_key[future.key], result)
    except BaseException:
        if futures:
            client.cancel(futures)
        raise
    finally:
        if client is not scheduler:
            client.close()
        if cluster is not None:
            cluster.close()


# --- running --------------------------------------------------------------------------------


def run_sweep(
    plan: SweepPlan,
    *,
    jobs: int | None = None,
    executor: str = "processes",
    scheduler: Any = None,
    out: str | os.PathLike | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Table, dict[str, int]]:
    """Run the points of ``plan`` not yet in ``out``; return the results and counts.

    The counts are ``{"points", "computed", "skipped"}``. ``progress(done, total)``
    is called once at the start and after each point. On Ctrl-C pending points
    are cancelled, finished ones kept, and :class:`SweepInterrupted` raised.
    """
    if executor not in ("processes", "dask"):
        raise SweepError(f"executor must be 'processes' or 'dask', got {executor!r}")
    jobs = default_jobs() if jobs is None else int(jobs)
    if jobs < 1:
        raise SweepError(f"jobs must be ≥ 1, got {jobs}")
    store = SweepStore(out) if out is not None else None
    records: dict[str, dict] = {}
    if store is not None:
        store.open(plan.manifest())
        records = store.finished(plan.points)
    todo = [p for p in plan.points if p.id not in records]
    skipped = len(records)
    total = len(plan.points)
    if progress:
        progress(len(records), total)

    def on_done(point: Point, result: Mapping[str, Any]) -> None:
        if result["id"] != point.id:  # pragma: no cover - a bug, never silently mixed
            raise RuntimeError(f"result for {result['id']} returned for point {point.id}")
        record = _record(point, result)
        if store is not None:
            store.save(record)
        records[point.id] = record
        if progress:
            progress(len(records), total)

    try:
        if not todo:
            pass
        elif executor == "dask":
            _run_dask(plan, todo, on_done, jobs, scheduler)
        elif jobs == 1 or len(todo) == 1:
            _run_inline(plan, todo, on_done)
        else:
            _run_processes(plan, todo, on_done, jobs)
        table = results_table(plan, records)
        if store is not None:
            table.write_csv(store.results_path)
    except KeyboardInterrupt:
        raise SweepInterrupted(len(records), total, store.dir if store else None) from None
    finally:
        if store is not None:
            store.close()
    return table, {"points": total, "computed": len(records) - skipped, "skipped": skipped}


def sweep(
    scenario: Scenario | str | os.PathLike,
    grid: Mapping[str, Any] | Sequence[Axis | str],
    *,
    replications: int = 10,
    seed: int | None = None,
    jobs: int | None = None,
    executor: str = "processes",
    scheduler: Any = None,
    out: str | os.PathLike | None = None,
    progress: Callable[[int, int], None] | None = None,
    staff: bool = False,
) -> Table:
    """Simulate every point of a grid of scenario variants; one row per point × channel.

    Parameters
    ----------
    scenario : a :class:`~ccsim.scenario.Scenario` or the path of a scenario file.
    grid : dotted scenario path → values: a list, a range string (``"12..18"``,
        ``"160s..200s/20s"``, ``"160s,180s"``) or one value; or ``"key=values"`` strings.
    replications : simulated replications per point.
    seed : base seed (default: the scenario's); each point's seed derives from it
        and the point's parameters only.
    jobs : worker processes (default: all cores; 1 runs in this process).
    executor : ``"processes"`` or ``"dask"`` (a ``LocalCluster`` of ``jobs`` worker
        processes, or the cluster at ``scheduler``: an address such as
        ``"tcp://host:8786"``, a ``distributed`` cluster, or a ``Client``).
    out : a directory for the resumable store (None: keep nothing on disk).
    progress : ``progress(done, total)`` after each point.
    staff : plan each point first (``ccsim.staffing.plan_staffing(point, verify=False)``)
        and simulate the planned agents; ``agent_hours`` is then the plan's.

    Returns
    -------
    Table with ``point``, the swept paths, ``channel``, the KPIs, ``agent_hours``, ``seed``.

    Note: ``import ccsim`` makes ``ccsim.sweep`` this function; the module is
    ``sys.modules["ccsim.sweep"]`` (``from ccsim.sweep import plan_sweep`` works).
    """
    mode = "staff" if staff else "simulate"
    plan = plan_sweep(scenario, grid, replications=replications, seed=seed, mode=mode)
    table, _ = run_sweep(
        plan, jobs=jobs, executor=executor, scheduler=scheduler, out=out, progress=progress
    )
    return table


def summary_text(table: Table, params: Sequence[str], max_rows: int = 40) -> str:
    """A plain-text table of the main KPIs per point and channel, for people."""
    names = ["point", *params, "channel", "service_level", "asa", "abandon_rate", "occupancy"]
    names.append("agent_hours")
    cells = [names]
    for i, row in enumerate(table.rows()):
        if i >= max_rows:
            break
        line = []
        for name in names:
            value = row[name]
            if name in ("service_level", "abandon_rate", "occupancy"):
                line.append("" if value != value else f"{100 * value:.1f}%")
            elif name == "asa":
                line.append("" if value != value else f"{value:.1f}s")
            elif isinstance(value, float):
                line.append("" if value != value else f"{value:g}")
            else:
                line.append(str(value))
        cells.append(line)
    widths = [max(len(c[j]) for c in cells) for j in range(len(names))]
    text = "\n".join(
        "  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in cells
    )
    if table.n_rows > max_rows:
        text += f"\n… {table.n_rows - max_rows} more rows in results.csv"
    return text
