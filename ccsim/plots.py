"""matplotlib figures for planners: one function per figure, each writing a PNG.

Figures are drawn headless (the ``Agg`` backend) and written atomically next
to the CSV files, so a report directory never holds half a picture.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_simulation"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # headless: no display needed, safe in worker processes
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | os.PathLike, default_name: str) -> Path:
    """Save ``fig`` as PNG to ``path`` (a directory gets ``default_name``) atomically."""
    path = Path(path)
    if path.is_dir() or path.suffix == "":
        path = path / default_name
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _seconds(value: float) -> str:
    if value >= 3600 and value % 3600 == 0:
        return f"{value / 3600:g}h"
    if value >= 60 and value % 60 == 0:
        return f"{value / 60:g}min"
    return f"{value:g}s"


def _title(name: str, channel: Any) -> str:
    """``"voice — 80% in 20s"`` (or just the name when the channel has no target)."""
    if channel.service_level is not None and channel.target_time is not None:
        return f"{name} — {channel.service_level:.0%} in {_seconds(channel.target_time)}"
    if channel.target_time is not None:
        return f"{name} — answered within {_seconds(channel.target_time)}"
    return name


def _tick_labels(starts: list[str], max_labels: int = 16) -> tuple[np.ndarray, list[str]]:
    step = max(1, math.ceil(len(starts) / max_labels))
    positions = np.arange(0, len(starts), step)
    return positions, [starts[i] for i in positions]


def plot_simulation(result: Any, path: str | os.PathLike) -> Path:
    """Offered volume and simulated service level per channel and interval, as a PNG.

    One panel per channel: bars of offered contacts per interval (left axis,
    labelled by interval start), the simulated service level with its 95%
    confidence band and the target as a dashed line (right axis, %), and the
    abandonment rate as a dotted line when customers of the channel abandon.
    ``path`` is a file name or a directory (``simulation.png`` inside);
    returns the path written.
    """
    plt = _pyplot()
    scenario = result.scenario
    table = result.intervals
    names = list(scenario.channels)
    starts = list(scenario.starts)
    x = np.arange(len(starts))
    fig, axes = plt.subplots(
        len(names), 1, figsize=(12, 3.2 * max(1, len(names))), squeeze=False, sharex=True
    )
    for ax, name in zip(axes[:, 0], names, strict=True):
        channel = scenario.channels[name]
        rows = table["channel"] == name
        offered = table["offered"][rows]
        ax.bar(x, offered, width=0.8, color="#c9d6e8", label="offered (mean per day)")
        ax.set_ylabel("contacts offered")
        ax.set_ylim(0, max(1.0, float(np.nanmax(offered, initial=0)) * 1.15))
        right = ax.twinx()
        if channel.target_time is not None:
            sl = table["service_level"][rows] * 100
            lo = table["service_level_lo"][rows] * 100
            hi = table["service_level_hi"][rows] * 100
            right.fill_between(x, lo, hi, color="#1f5fa8", alpha=0.2, label="95% CI", step=None)
            right.plot(x, sl, color="#1f5fa8", marker="o", ms=3, label="service level")
            if channel.service_level is not None:
                right.axhline(channel.service_level * 100, color="#b03a2e", ls="--", label="target")
        if channel.abandons:
            right.plot(
                x, table["abandon_rate"][rows] * 100, color="#7d3c98", ls=":", label="abandoned"
            )
        right.set_ylim(0, 105)
        right.set_ylabel("%")
        ax.set_title(_title(name, channel), loc="left", fontsize=11)
        handles = ax.get_legend_handles_labels()
        more = right.get_legend_handles_labels()
        right.legend(
            handles[0] + more[0],
            handles[1] + more[1],
            loc="upper left",
            bbox_to_anchor=(1.07, 1.0),
            fontsize=8,
            frameon=False,
        )
        ax.grid(axis="y", alpha=0.3)
    positions, labels = _tick_labels(starts)
    last = axes[-1, 0]
    last.set_xticks(positions)
    last.set_xticklabels(labels, rotation=45, ha="right")
    last.set_xlabel("interval start")
    fig.suptitle(
        f"{scenario.name}: simulated, {result.replications} replications (seed {result.seed})",
        fontsize=12,
    )
    fig.tight_layout()
    try:
        return _save(fig, path, "simulation.png")
    finally:
        plt.close(fig)
