"""Grid parsing and point identity (internal: import from :mod:`ccsim.sweep`).

An *axis* is a dotted scenario path and its values, given as ``--set key=values``,
a ``[grid]`` table of a TOML file, or a mapping; a *point* is one combination of
axis values, named by its canonical key and seeded from it alone.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np

from ccsim.scenario.limits import MAX_SCENARIO_BYTES, cut, read_limited, toml_problems
from ccsim.sweep.errors import SweepError

MAX_POINTS = 100_000
"""A grid larger than this is refused: almost certainly a typo in a range."""

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
        values.append(f"{format(number.normalize(), 'f')}{unit}" if unit else value)
    return values


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


def _values_at(origin: str, text: str) -> list[Any]:
    """:func:`parse_values`, its error prefixed with where the text was given."""
    try:
        return parse_values(text)
    except SweepError as exc:
        raise SweepError(f"{origin}: {exc}") from None


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
    return Axis(key, tuple(_values_at(origin, values)), origin)


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
        raw, why = read_limited(path, MAX_SCENARIO_BYTES, "the grid file")
        if raw is None:
            raise SweepError(f"{path}: {why}")
        text = raw.decode("utf-8-sig")
        problems = toml_problems(text, path.name)
        if problems:
            raise SweepError(str(problems[0]))
        doc = tomllib.loads(text)
    except SweepError:
        raise
    except FileNotFoundError:
        raise SweepError(f"{path}: no such grid file") from None
    except OSError as exc:
        raise SweepError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"{path}: TOML syntax: {exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: a NUL in the path
        raise SweepError(f"{path!r}: cannot be read: {type(exc).__name__}") from None
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
            values = _values_at(origin, value)
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
                values = _values_at(origin, value)
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


# --- points: identity and seeds ------------------------------------------------------------


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
        return ", ".join(f"{k}={show_value(v)}" for k, v in self.overrides.items())


def show_value(value: Any) -> str:
    """A swept value as people write it, for messages: strings bare, anything else as
    JSON, cut to 40 characters."""
    if isinstance(value, str):
        return cut(value)
    if isinstance(value, int) and abs(value) >= 10**40:
        return cut(str(value)[:50])  # (str() of a huge int is slow, and refused beyond 4300 digits)
    return cut(json.dumps(value, ensure_ascii=False))
