"""The limits of a scenario: how large a document may be, and values no contact center has.

Private to the scenario layer, like :mod:`ccsim.scenario.parse`, which applies
them; the simulator and the sweeps import the few they share from here, so every
limit is stated once. Sizes are checked before a document is parsed (file bytes,
nesting, list lengths: :func:`read_limited`, :func:`toml_problems`), or while it
is read (CSV rows); values are refused by key before any arithmetic (no float
overflow, no int64 wrap). Messages quote at most the offending value or key, cut
to :data:`SHOWN` characters (:func:`cut`).
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ccsim.erlang import MAX_PATIENCE_RATIO
from ccsim.scenario.model import Problem

# --- sizes of a document ---------------------------------------------------------------------

MAX_SCENARIO_BYTES = 2 * 2**20
"""Largest scenario file, bytes (2 MiB: a year of 15-minute volumes for four channels
written inline is about 0.7 MiB; longer series belong in a CSV file)."""
MAX_CSV_BYTES = 32 * 2**20
"""Largest CSV file a scenario reads, bytes (32 MiB)."""
MAX_INTERVALS = 100_000
"""Most values in one list and most data rows in one CSV file (a year of 15-minute
intervals is 35,040)."""
MAX_DEPTH = 16
"""Deepest nesting of tables and lists in a document (scenarios use at most 5)."""
MAX_KEYS = 1_000
"""Most keys in one table (channels, groups, …)."""
MAX_NAME = 64
"""Longest channel, group or shift name, characters."""
SHOWN = 40
"""Longest value, key or column name quoted in a message, characters."""
MAX_COLUMNS_SHOWN = 10
"""Most column names of a CSV file listed in a message."""

# --- values no contact center has -------------------------------------------------------------

MAX_CONTACTS = 10_000_000
"""Most contacts of one channel in one simulated horizon (about 1 GB of arrivals and
records), counting the busiest day ``volume_uncertainty`` and ``interval_uncertainty``
make likely (× (1 + 5 CV) each)."""
MAX_AGENTS = 200_000
"""Most agents of one group in one interval (what the simulation takes)."""
MAX_LOAD = MAX_AGENTS // 4
"""Most agents the channels' load may need in one interval, Σ volume × slot AHT ÷
(interval × concurrency × max_occupancy): a quarter of :data:`MAX_AGENTS`, so that a
plan meeting the targets still fits one group."""
MAX_DURATION = 365 * 86400.0
"""Longest duration (aht, patience, within, asa, samples), seconds: a year."""
MIN_INTERVAL = 1.0
"""Shortest planning interval, seconds."""
# MAX_PATIENCE_RATIO (from ccsim.erlang, 10¹²): the largest patience ÷ aht; beyond it
# nobody abandons in double precision (leave patience out instead).
MAX_FACTOR = 5.0
"""Largest value of a share without a natural ceiling: ``volume_uncertainty``,
``interval_uncertainty`` (CVs) and ``concurrency_slowdown`` (500%)."""
MAX_SEED = 2**63 - 1
"""Largest seed (seeds are stored as 64-bit integers)."""


def cut(text: Any, limit: int = SHOWN) -> str:
    """``text`` as a string of at most ``limit`` characters (``…`` marks a cut)."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def looks_like_names(names: list[str]) -> bool:
    """True when CSV header cells may be quoted in a message: at most
    :data:`MAX_COLUMNS_SHOWN`, each printable and at most :data:`SHOWN` characters."""
    return 0 < len(names) <= MAX_COLUMNS_SHOWN and all(
        0 < len(name) <= SHOWN and name.isprintable() for name in names
    )


# --- reading a file within a size --------------------------------------------------------------


def read_limited(
    path: Path, limit: int, what: str, regular: bool = False
) -> tuple[bytes | None, str]:
    """The bytes of ``path`` if it holds at most ``limit`` bytes of text, else
    ``(None, why)``: too large, not text (NUL bytes), or with ``regular`` not a regular
    file (a pipe or a device, which could block or never end). Reads at most
    ``limit + 1`` bytes (files such as ``/proc/…`` report no size). OSError propagates."""
    if regular:
        mode = os.stat(path).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # (a directory: open says so)
            return None, f"{what} is not a regular file (a pipe or a device?)"
    with open(path, "rb") as handle:
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        return None, f"{what} is larger than {limit // 2**20} MiB (the limit)"
    if b"\0" in raw:
        return None, f"{what} is not a text file (it holds NUL bytes)"
    return raw, ""


# --- the structure of TOML text, before it is parsed -------------------------------------------

_SKIPPED = re.compile(
    r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*', re.S
)
_BRACKET = re.compile(r"[\[\]{}]")
_HEADER = re.compile(r"^[ \t]*\[\[?([^\]\n]*)\]", re.M)
_KEY_CHAIN = re.compile(rf'(?:(?:[A-Za-z0-9_-]+|"")[ \t]*\.[ \t]*){{{MAX_DEPTH},}}')


def _blank_strings(match: re.Match[str]) -> str:
    """Strings become ``""`` (a key part still), comments nothing; newlines are kept."""
    text = match.group(0)
    return "\n" * text.count("\n") + ('""' if text[0] in "\"'" else "")


def toml_problems(text: str, where: str) -> list[Problem]:
    """Structure TOML text may not have, found without parsing it: nesting deeper than
    :data:`MAX_DEPTH` (arrays, inline tables, dotted keys) or a list of more than
    :data:`MAX_INTERVALS` values. Each problem names the line and its key."""
    bare = _SKIPPED.sub(_blank_strings, text)
    chain = _KEY_CHAIN.search(bare)
    if chain:
        return [_line_problem(bare, chain.start(), where, f"a key of more than {MAX_DEPTH} parts")]
    opened: list[list[int]] = []  # [position, commas of the lists and tables inside]
    for match in _BRACKET.finditer(bare):
        if match.group(0) in "[{":
            opened.append([match.start(), 0])
            if len(opened) > MAX_DEPTH:
                message = f"nested more than {MAX_DEPTH} levels deep"
                return [_line_problem(bare, opened[0][0], where, message)]
        elif opened:
            start, inner = opened.pop()
            commas = bare.count(",", start, match.start())
            if bare[start] == "[" and commas - inner > MAX_INTERVALS:  # its own values
                message = f"a list of more than {MAX_INTERVALS:,} values (one per interval)"
                return [_line_problem(bare, start, where, message)]
            if opened:
                opened[-1][1] += commas
    return []


def _line_problem(bare: str, position: int, where: str, message: str) -> Problem:
    """A problem at ``position`` of the text, named by its line and the key written there."""
    start = bare.rfind("\n", 0, position) + 1
    end = bare.find("\n", position)
    text = bare[start : end if end >= 0 else len(bare)]
    key = text.strip().strip("[]").strip()
    if "=" in bare[start:position]:  # a value: prefix its key with the table it is in
        tables = _HEADER.findall(bare, 0, start)
        key = ".".join(part for part in (tables[-1] if tables else "", text.partition("=")[0]))
    key = cut(".".join(part.strip() for part in key.split(".") if part.strip()))
    return Problem(where, key, f"line {bare.count(chr(10), 0, position) + 1}: {message}")


# --- the shape of a parsed document ------------------------------------------------------------


def shape_problems(doc: Any, where: str) -> list[Problem]:
    """Nesting deeper than :data:`MAX_DEPTH`, lists longer than :data:`MAX_INTERVALS` or
    tables of more than :data:`MAX_KEYS` keys in a document (a dict from a file, a
    notebook, or an override), walked without recursion; at most ten problems."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str, int]] = [(doc, "", 0)]
    while stack and len(problems) < 10:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            problems.append(Problem(where, path, f"nested more than {MAX_DEPTH} levels deep"))
            continue
        if isinstance(node, Mapping):
            if len(node) > MAX_KEYS:
                message = f"a table of {len(node):,} keys, more than {MAX_KEYS:,}"
                problems.append(Problem(where, path, message))
                continue
            for key, item in node.items():
                if isinstance(item, (Mapping, list, tuple, np.ndarray)):
                    stack.append(
                        (item, cut(f"{path}.{key}" if path else key, 2 * SHOWN), depth + 1)
                    )
        elif isinstance(node, (list, tuple, np.ndarray)):
            size = node.size if isinstance(node, np.ndarray) else len(node)
            if size > MAX_INTERVALS:
                message = (
                    f"a list of {size:,} values, more than {MAX_INTERVALS:,} (one per interval)"
                )
                problems.append(Problem(where, path, message))
                continue
            if isinstance(node, np.ndarray):
                if node.ndim > 1:
                    problems.append(Problem(where, path, "expected a flat list, got nested lists"))
                continue
            for i, item in enumerate(node):
                if isinstance(item, (Mapping, list, tuple, np.ndarray)):
                    stack.append((item, f"{path}[{i}]", depth + 1))
    return problems


# --- values that need the whole scenario ---------------------------------------------------------


def busiest(volume_uncertainty: float, interval_uncertainty: float) -> float:
    """How many times the forecast a likely busy simulated horizon holds: (1 + 5 CV) per
    kind of variation."""
    return (1.0 + 5.0 * volume_uncertainty) * (1.0 + 5.0 * interval_uncertainty)


def channel_problems(
    channels: Mapping[str, Any], interval: float, starts: list[str], busy: float
) -> list[tuple[str, str]]:
    """(key, message) of each channel that no simulation can hold: more than
    :data:`MAX_CONTACTS` contacts (× ``busy``, see :func:`busiest`), patience above
    :data:`MAX_PATIENCE_RATIO` × aht, or a load needing more than :data:`MAX_LOAD` agents
    in one interval (all channels together). Values are finite and bounded already."""
    found = []
    needs = {}
    for name, channel in channels.items():
        total = float(np.sum(channel.volume))
        if total * busy > MAX_CONTACTS:
            found.append((
                f"channels.{name}.volume",
                f"{total:,.0f} contacts in the horizon (× {busy:g} on a busy day) is more "
                f"than a simulation holds ({MAX_CONTACTS:,}); check the volume, or split "
                "the horizon",
            ))  # fmt: skip
        if channel.patience is not None:
            ratio = channel.patience / channel.aht
            if np.any(ratio > MAX_PATIENCE_RATIO):
                i = int(np.argmax(ratio))
                found.append((
                    f"channels.{name}.patience",
                    f"must be at most {MAX_PATIENCE_RATIO:.0e} × aht, got "
                    f"{channel.patience[i]:g} s against an aht of {channel.aht[i]:g} s "
                    f"(at {starts[i]}); leave patience out when nobody abandons",
                ))  # fmt: skip
        ceiling = channel.max_occupancy or 1.0
        needs[name] = channel.slot_traffic(interval) / channel.concurrency / ceiling
    load = np.sum(list(needs.values()), axis=0) if needs else np.zeros(len(starts))
    over = np.flatnonzero(load > MAX_LOAD)
    if over.size:
        i = int(over[np.argmax(load[over])])
        name = max(needs, key=lambda c: needs[c][i])
        found.append((
            f"channels.{name}.volume",
            f"the load at {starts[i]} needs {load[i]:,.0f} agents (Σ volume × aht ÷ interval "
            f"÷ concurrency ÷ max_occupancy over the channels), more than {MAX_LOAD:,}; a "
            "typo in a volume or aht?",
        ))  # fmt: skip
    return found


def staffing_problems(where: str, groups: list[str], staffing: np.ndarray) -> list[Problem]:
    """A problem per group with more than :data:`MAX_AGENTS` agents in an interval;
    ``staffing`` is agents per group × interval, ``groups`` their names in that order."""
    problems = []
    for name, agents in zip(groups, staffing, strict=True):
        if np.size(agents) and np.max(agents) > MAX_AGENTS:
            problems.append(
                Problem(
                    where,
                    f"groups.{name}.agents",
                    f"{np.max(agents):,.0f} agents in one interval is more than the simulation "
                    f"takes ({MAX_AGENTS:,} per group)",
                )
            )
    return problems


def finite_number(value: Any) -> bool:
    """True for a finite int or float, not a bool (an int beyond float range is not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False
