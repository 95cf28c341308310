"""The work of one point (internal: import from :mod:`ccsim.sweep`).

The parent process packs the base scenario into a *bundle* of plain data (its
document and the CSV files it references) once; each worker rebuilds the
scenario from the bundle once per process, applies a point's overrides and
simulates it. What goes back is a few small plain rows per point.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import math
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ccsim.scenario import Scenario
from ccsim.scenario.parse import csv_path
from ccsim.sim import simulate
from ccsim.sim.metrics import INTERVAL_COLUMNS
from ccsim.staffing import plan_staffing, resolve_agents

KPI_COLUMNS = tuple(  # the KPIs of intervals.csv, without channel/interval/start and the band
    c for c in INTERVAL_COLUMNS[3:] if c not in ("service_level_p10", "service_level_p90")
)
"""The per-channel totals of ``simulate`` that a sweep keeps, in ``results.csv`` order
(``offered = answered + abandoned + unanswered``; ``unanswered`` = still waiting at the end)."""


def bundle_scenario(scenario: Scenario) -> tuple[dict[str, Any], str]:
    """The plain data a worker needs to rebuild ``scenario``: its document, with every CSV
    file it references carried along, and the SHA-256 of all of it."""
    spec = json.loads(json.dumps(scenario.spec, default=str))
    files: dict[str, str] = {}
    aliases: dict[Path, str] = {}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            name = node.get("csv")
            if isinstance(name, str) and name:
                file = csv_path(name, scenario.base_dir)
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


_BASES: dict[str, Scenario] = {}
_BASES_LOCK = threading.Lock()


def rebuild_scenario(bundle: Mapping[str, Any], digest: str) -> Scenario:
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
    per_group = {
        name: scenario.agent_hours(agents)
        for name, agents in zip(scenario.groups, staffing, strict=True)
    }
    return {
        channel: float(sum(per_group[g] for g in scenario.groups_for(channel)))
        for channel in scenario.channels
    }


def compute_point(bundle: Mapping[str, Any], digest: str, task: Mapping[str, Any]) -> dict:
    """Simulate one point; returns ``{"id", "rows", "elapsed"}`` — a few small plain rows."""
    started = time.perf_counter()
    scenario = rebuild_scenario(bundle, digest)
    if task["overrides"]:
        scenario = scenario.with_overrides(task["overrides"])
    if task["mode"] == "staff":
        plan = plan_staffing(scenario, verify=False)
        agents = {name: np.asarray(a) for name, a in plan.agents.items()}  # planned groups
    else:
        agents = resolve_agents(scenario)  # "auto" groups: the analytic plan
    result = simulate(scenario, replications=task["replications"], seed=task["seed"], agents=agents)
    hours = _agent_hours(scenario, result.staffing)
    rows = []
    for row in result.channels.rows():
        out = {"channel": row["channel"]}
        out.update({name: encode_float(row[name]) for name in KPI_COLUMNS})
        out["agent_hours"] = encode_float(hours.get(row["channel"], math.nan))
        rows.append(out)
    return {"id": task["id"], "rows": rows, "elapsed": time.perf_counter() - started}


def encode_float(value: Any) -> Any:
    """A float for JSON: ``inf`` and ``nan`` as the strings ``"inf"`` and ``"nan"``."""
    value = float(value)
    return value if math.isfinite(value) else str(value)


def decode_float(value: Any) -> float:
    """The float that :func:`encode_float` stored (``None`` reads as ``nan``)."""
    return math.nan if value is None else float(value)
