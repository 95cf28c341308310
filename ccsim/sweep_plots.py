"""Trade-off curves of a sweep: service level against a swept parameter, per channel.

One panel per channel; the x axis is the first swept parameter whose values
are all numbers (durations in seconds, shares as fractions); one line per
combination of the other swept parameters, with its 95% confidence band; the
channel's service-level target as a dashed line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ccsim.durations import parse_duration, parse_share
from ccsim.results import Table

__all__ = ["plot_sweep"]

MAX_LINES = 12


def _as_number(value: Any) -> tuple[float, str] | None:
    """A swept value as a number and its unit label, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value), ""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            try:
                return parse_share(text), "share"
            except ValueError:
                return None
        try:
            return parse_duration(text), "seconds"
        except ValueError:
            return None
    return None


def _numeric_axis(table: Table, params: Sequence[str]) -> tuple[str | None, np.ndarray, str]:
    for key in params:
        converted = [_as_number(v) for v in table[key]]
        if converted and all(c is not None for c in converted):
            units = {c[1] for c in converted}
            unit = units.pop() if len(units) == 1 else ""
            return key, np.array([c[0] for c in converted], dtype=float), unit
    return None, np.arange(table.n_rows, dtype=float), ""


def plot_sweep(
    table: Table,
    params: Sequence[str],
    path: str | os.PathLike,
    *,
    targets: Mapping[str, float | None] | None = None,
    title: str | None = None,
) -> Path:
    """Draw service level vs the first numeric swept parameter into ``path`` (PNG).

    ``table`` is a sweep result (``ccsim.sweep``); ``params`` the swept column
    names; ``targets`` maps a channel to its service-level target (dashed line).
    """
    from matplotlib.figure import Figure

    targets = targets or {}
    x_key, x_all, unit = _numeric_axis(table, params)
    others = [key for key in params if key != x_key and len(set(map(str, table[key]))) > 1]
    channels = list(dict.fromkeys(str(c) for c in table["channel"]))
    figure = Figure(figsize=(6.5, 3.6 * max(1, len(channels))), layout="constrained")
    axes = figure.subplots(len(channels), 1, squeeze=False)[:, 0]
    for ax, channel in zip(axes, channels, strict=True):
        mask = np.array([str(c) == channel for c in table["channel"]])
        labels = [
            ", ".join(f"{key}={table[key][i]}" for key in others) for i in np.flatnonzero(mask)
        ]
        for n, label in enumerate(dict.fromkeys(labels)):
            if n >= MAX_LINES:
                break
            rows = np.flatnonzero(mask)[[lab == label for lab in labels]]
            rows = rows[np.argsort(x_all[rows], kind="stable")]
            x = x_all[rows]
            line = ax.plot(x, table["service_level"][rows], marker="o", label=label or None)[0]
            ax.fill_between(
                x,
                table["service_level_lo"][rows],
                table["service_level_hi"][rows],
                color=line.get_color(),
                alpha=0.15,
                linewidth=0,
            )
        target = targets.get(channel)
        if target is not None:
            ax.axhline(target, color="black", linestyle="--", linewidth=1, label="target")
        ax.set_title(channel)
        ax.set_ylabel("service level")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(True, alpha=0.3)
        xlabel = x_key or "point"
        ax.set_xlabel(f"{xlabel} ({unit})" if unit else xlabel)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small")
    if title:
        figure.suptitle(title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    figure.savefig(tmp, format="png", dpi=110)
    os.replace(tmp, path)
    return path
