"""A moment of a day: the contacts already waiting and the agents on shift.

A state file is a CSV with the columns ``kind, name, value``, one row per thing:

- ``waiting, email, 45min`` — one contact of channel ``email`` that has waited 45 minutes
  (a duration; a plain number is seconds);
- ``agents, phones, 12`` — 12 agents of group ``phones`` on shift now.

``Scenario.from_state(start, waiting, agents)`` turns it into the rest of the
day; ``ccsim simulate|staff SCENARIO --state state.csv --from 11:00`` does both.
:func:`state_at` reads the state of a simulated day at a moment (to check that
the rest of a day from a state behaves like the day itself).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ccsim.durations import parse_duration
from ccsim.scenario import Problem, Scenario, ScenarioError
from ccsim.sim.metrics import ANSWERED

__all__ = ["read_state", "state_at"]

MAX_ROWS = 1_000_000


def read_state(
    path: str | Path, scenario: Scenario
) -> tuple[list[tuple[str, float]], dict[str, int]]:
    """The waiting contacts (channel, age in seconds) and agents per group of a state file.

    Raises :class:`ScenarioError` naming the file, line and column of every problem.
    """
    path = Path(path)
    name = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise ScenarioError([Problem(name, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError([Problem(name, "", f"cannot be read: {exc}")]) from None
    if not rows or [c.strip().lower() for c in rows[0]][:3] != ["kind", "name", "value"]:
        raise ScenarioError([Problem(name, "line 1", "expected the header kind,name,value")])
    if len(rows) > MAX_ROWS:
        raise ScenarioError([Problem(name, "", f"more than {MAX_ROWS:,} rows")])
    waiting, agents, problems = [], {}, []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        kind, what, value = ([c.strip() for c in row] + ["", "", ""])[:3]
        where = f"line {line}"
        if kind == "waiting":
            if what not in scenario.channels:
                problems.append(
                    Problem(name, f"{where}: column 'name'", f"no channel {what[:40]!r}")
                )
                continue
            try:
                age = parse_duration(value)
            except ValueError:
                age = -1.0
            if not age >= 0:
                message = f"expected an age such as 45min, got {value[:40]!r}"
                problems.append(Problem(name, f"{where}: column 'value'", message))
                continue
            waiting.append((what, age))
        elif kind == "agents":
            if what not in scenario.groups:
                problems.append(Problem(name, f"{where}: column 'name'", f"no group {what[:40]!r}"))
                continue
            if not value.isdigit():
                message = f"expected a whole number ≥ 0, got {value[:40]!r}"
                problems.append(Problem(name, f"{where}: column 'value'", message))
                continue
            agents[what] = int(value)
        else:
            message = f"expected waiting or agents, got {kind[:40]!r}"
            problems.append(Problem(name, f"{where}: column 'kind'", message))
    if problems:
        raise ScenarioError(problems)
    return waiting, agents


def state_at(result, replication: int, time: float) -> tuple[list[tuple[str, float]], dict]:
    """The state of simulated day ``replication`` of ``result`` at ``time`` seconds: the
    contacts that had arrived and were still waiting then (channel, age), and the agents
    each group was staffed with in that interval."""
    contacts = result.contacts
    rows = contacts["replication"] == replication
    arrival = contacts["arrival"][rows]
    answer = contacts["answer_time"][rows]
    abandon = contacts["abandon_time"][rows]
    outcome = contacts["outcome"][rows]
    gone = np.where(outcome == ANSWERED, answer, np.where(np.isfinite(abandon), abandon, np.inf))
    still = (arrival <= time) & (gone > time)
    names = result.channel_names
    order = np.argsort(arrival[still], kind="stable")
    channel = contacts["channel"][rows][still][order]
    age = time - arrival[still][order]
    waiting = [(names[int(c)], float(a)) for c, a in zip(channel, age, strict=True)]
    k = min(int(time // result.scenario.interval), result.scenario.n_intervals - 1)
    agents = {g: int(result.staffing[i, k]) for i, g in enumerate(result.group_names)}
    return waiting, agents
